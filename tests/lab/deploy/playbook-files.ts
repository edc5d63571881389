/**
 * The lab's playbook repository: a small matrix-docker-ansible-deploy look-alike that the REAL
 * ansible-playbook runs. Layout, variable names and tags follow upstream; the roles are the lab's own
 * short versions whose "remote host" is the lab homeserver folder, reached by running its systemctl
 * stand-in (there is no SSH hop from the deploy host in the lab).
 */

export interface RepoFile {
  content: string;
  /** 0o755 for scripts; plain files otherwise. */
  executable?: boolean;
}

export type RepoFiles = Record<string, RepoFile>;

/** The galaxy role `ansible-galaxy install -r requirements.yml` pulls (a git tag of its lab remote). */
export const GALAXY_ROLE = { name: 'systemd_service_manager', version: 'v1.0.0-4' } as const;

function file(...lines: string[]): RepoFile {
  return { content: `${lines.join('\n')}\n` };
}

/** Files of the playbook repository (what `git pull` updates; the inventory is not among them, as upstream). */
export function playbookRepoFiles(opts: { tuwunelVersion: string; galaxyRoleRemote: string }): RepoFiles {
  return {
    '.gitignore': file(
      '/inventory',
      '',
      '# ignore roles pulled by ansible-galaxy',
      '/roles/galaxy/*',
      '!/roles/galaxy/.gitkeep',
    ),
    'README.md': file(
      '# matrix-docker-ansible-deploy (Homeserver Tray lab edition)',
      '',
      'A small stand-in for spantaleev/matrix-docker-ansible-deploy: same layout, variable names and tags,',
      'run by the real `ansible-playbook`. Your inventory lives in `inventory/` (not tracked).',
      '',
      '    ansible-galaxy install -r requirements.yml -p roles/galaxy/ --force',
      '    ansible-playbook -i inventory/hosts setup.yml --tags=install-all,start --vault-password-file ~/.vault_pass',
    ),
    'ansible.cfg': file('[defaults]', 'retry_files_enabled = False', '', '[connection]', 'pipelining = True'),
    'requirements.yml': file(
      '---',
      '',
      `- src: git+file://${opts.galaxyRoleRemote}`,
      `  version: ${GALAXY_ROLE.version}`,
      `  name: ${GALAXY_ROLE.name}`,
    ),
    'setup.yml': file(
      '---',
      '- name: "Set up a Matrix server"',
      `  hosts: "{{ target if target is defined else 'matrix_servers' }}"`,
      '  become: true',
      '  gather_facts: false',
      '',
      '  roles:',
      '    - custom/matrix-base',
      '',
      '    - role: custom/matrix-tuwunel',
      '      when: matrix_homeserver_implementation == "tuwunel"',
      '',
      '    - role: galaxy/systemd_service_manager',
    ),
    'group_vars/matrix_servers': file(
      '---',
      '# Wiring between roles, as upstream keeps it in group_vars/matrix_servers.',
      '',
      'matrix_base_data_path: /matrix',
      '',
      `devture_systemd_service_manager_services_to_restart: "{{ ['matrix-tuwunel'] if (matrix_tuwunel_restart_necessary | default(false) | bool) else [] }}"`,
    ),
    'roles/galaxy/.gitkeep': { content: '' },
    'roles/custom/matrix-base/defaults/main.yml': file(
      '---',
      "# How long the lab's stand-in for image pulls and templating takes (startLab's playbookSeconds).",
      'lab_playbook_seconds: 0.2',
    ),
    'roles/custom/matrix-base/tasks/main.yml': file(
      '---',
      '# The real playbook spends its time pulling images and rendering dozens of files. The lab stands in for',
      '# that with one pause, so a run takes about as long as the lab was told, and tests can act mid-run.',
      '- name: Ensure Matrix base is prepared',
      '  ansible.builtin.raw: "sleep {{ lab_playbook_seconds | float }}"',
      '  changed_when: false',
      '  tags:',
      '    - always',
    ),
    'roles/custom/matrix-tuwunel/defaults/main.yml': file(
      '---',
      '# Tuwunel is a Matrix homeserver written in Rust (embedded RocksDB), the successor to conduwuit.',
      '# Project source code URL: https://github.com/matrix-construct/tuwunel',
      '',
      'matrix_tuwunel_enabled: true',
      '',
      '# renovate: datasource=docker depName=ghcr.io/matrix-construct/tuwunel',
      `matrix_tuwunel_version: v${opts.tuwunelVersion}`,
      '',
      'matrix_tuwunel_container_image: "ghcr.io/matrix-construct/tuwunel:{{ matrix_tuwunel_version }}"',
      '',
      'matrix_tuwunel_base_path: "{{ matrix_base_data_path }}/tuwunel"',
      'matrix_tuwunel_config_path: "{{ matrix_tuwunel_base_path }}/config"',
      'matrix_tuwunel_data_path: "{{ matrix_tuwunel_base_path }}/data"',
      '',
      '# The server name users get (@user:server). Cannot change after the first start without a database wipe.',
      'matrix_tuwunel_config_server_name: "{{ matrix_domain }}"',
      'matrix_tuwunel_config_port_number: 6167',
      '',
      'matrix_tuwunel_config_allow_registration: false',
      '# With registration allowed, new accounts must present this token. Empty disables the config token.',
      "matrix_tuwunel_config_registration_token: ''",
      '',
      'matrix_tuwunel_config_allow_federation: true',
      'matrix_tuwunel_config_trusted_servers:',
      '  - "matrix.org"',
      '# Regular expressions, matched unanchored against remote server names. Empty allows every server.',
      'matrix_tuwunel_config_allowed_remote_server_names: []',
      'matrix_tuwunel_config_forbidden_remote_server_names: []',
      '',
      'matrix_tuwunel_config_grant_admin_to_first_user: true',
      'matrix_tuwunel_config_log: "info,state_res=warn"',
      '',
      '# Extra environment variables (KEY=value lines) for the container; they override tuwunel.toml.',
      "matrix_tuwunel_environment_variables_extension: ''",
    ),
    'roles/custom/matrix-tuwunel/tasks/main.yml': file(
      '---',
      '- name: Ensure Tuwunel container image is pulled',
      '  ansible.builtin.raw: >-',
      "    f={{ (lab_homeserver_dir ~ '/state/tuwunel/version') | quote }};",
      "    v={{ matrix_tuwunel_version | regex_replace('^v', '') | quote }};",
      '    if [ "$(cat "$f" 2>/dev/null)" != "$v" ]; then',
      '    mkdir -p "$(dirname "$f")" && printf \'%s\\n\' "$v" > "$f" && echo pulled;',
      '    fi',
      '  register: matrix_tuwunel_container_image_pull_result',
      '  changed_when: "\'pulled\' in matrix_tuwunel_container_image_pull_result.stdout"',
      '  tags:',
      '    - setup-all',
      '    - setup-tuwunel',
      '    - install-all',
      '    - install-tuwunel',
      '',
      '# The registration token is part of tuwunel.toml, so the files travel on stdin and the task logs nothing.',
      '- name: Ensure Tuwunel configuration installed',
      '  ansible.builtin.command:',
      '    argv:',
      '      - /usr/bin/python3',
      '      - "{{ role_path }}/files/install-files.py"',
      '    stdin: >-',
      '      {{ [',
      "      {'dest': matrix_tuwunel_config_path ~ '/tuwunel.toml', 'content': lookup('ansible.builtin.template', 'tuwunel.toml.j2')},",
      "      {'dest': matrix_tuwunel_config_path ~ '/env', 'content': lookup('ansible.builtin.template', 'env.j2')},",
      '      ] | to_json }}',
      '  register: matrix_tuwunel_config_result',
      "  changed_when: matrix_tuwunel_config_result.stdout != '[]'",
      '  no_log: true',
      '  tags:',
      '    - setup-all',
      '    - setup-tuwunel',
      '    - install-all',
      '    - install-tuwunel',
      '',
      '- name: Determine whether Tuwunel needs a restart',
      '  ansible.builtin.set_fact:',
      '    matrix_tuwunel_restart_necessary: >-',
      '      {{ matrix_tuwunel_config_result is changed or matrix_tuwunel_container_image_pull_result is changed }}',
      '  tags:',
      '    - setup-all',
      '    - setup-tuwunel',
      '    - install-all',
      '    - install-tuwunel',
    ),
    'roles/custom/matrix-tuwunel/files/install-files.py': {
      content: `${[
        '"""Installs files given as JSON [{"dest", "content"}] on stdin; prints the list of files it changed."""',
        'import json',
        'import os',
        'import sys',
        'import tempfile',
        '',
        'changed = []',
        'for item in json.load(sys.stdin):',
        '    dest, content = item["dest"], item["content"]',
        '    if not content.endswith("\\n"):',
        '        content += "\\n"',
        '    try:',
        '        with open(dest, encoding="utf-8") as f:',
        '            if f.read() == content:',
        '                continue',
        '    except FileNotFoundError:',
        '        pass',
        '    os.makedirs(os.path.dirname(dest), exist_ok=True)',
        '    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=".install-")',
        '    with os.fdopen(fd, "w", encoding="utf-8") as f:',
        '        f.write(content)',
        '    os.chmod(tmp, 0o644)',
        '    os.replace(tmp, dest)',
        '    changed.append(dest)',
        'print(json.dumps(changed))',
      ].join('\n')}\n`,
      executable: true,
    },
    'roles/custom/matrix-tuwunel/templates/tuwunel.toml.j2': { content: TUWUNEL_TOML_TEMPLATE },
    'roles/custom/matrix-tuwunel/templates/env.j2': {
      content: '{{ matrix_tuwunel_environment_variables_extension }}',
    },
  };
}

const TUWUNEL_TOML_TEMPLATE = `### Tuwunel configuration, rendered by the playbook (custom/matrix-tuwunel).
### Edits here are overwritten on the next run: change the inventory's vars.yml instead.

[global]
server_name = {{ matrix_tuwunel_config_server_name | to_json }}
address = "0.0.0.0"
port = {{ matrix_tuwunel_config_port_number }}
database_path = "/var/lib/tuwunel"

allow_registration = {{ matrix_tuwunel_config_allow_registration | to_json }}
{% if matrix_tuwunel_config_registration_token | length > 0 %}
registration_token = {{ matrix_tuwunel_config_registration_token | to_json }}
{% endif %}

allow_federation = {{ matrix_tuwunel_config_allow_federation | to_json }}
trusted_servers = {{ matrix_tuwunel_config_trusted_servers | to_json }}
{% if matrix_tuwunel_config_allowed_remote_server_names | length > 0 %}
allowed_remote_server_names_experimental = {{ matrix_tuwunel_config_allowed_remote_server_names | to_json }}
{% endif %}
{% if matrix_tuwunel_config_forbidden_remote_server_names | length > 0 %}
forbidden_remote_server_names = {{ matrix_tuwunel_config_forbidden_remote_server_names | to_json }}
{% endif %}

grant_admin_to_first_user = {{ matrix_tuwunel_config_grant_admin_to_first_user | to_json }}
log = {{ matrix_tuwunel_config_log | to_json }}
`;

/** The galaxy role's repository (devture's systemd_service_manager, cut down to what the lab runs). */
export function galaxyRoleFiles(): RepoFiles {
  const systemctl = (action: string, units: string) =>
    `  ansible.builtin.raw: "LAB_HOST_DIR={{ lab_homeserver_dir | quote }} {{ (lab_homeserver_dir ~ '/bin/systemctl') | quote }} ${action} ${units}"`;
  return {
    'meta/main.yml': file(
      '---',
      'galaxy_info:',
      '  author: Homeserver Tray lab',
      '  description: Starts, restarts and stops the systemd services of the playbook (lab edition)',
      '  license: AGPL-3.0-or-later',
      '  min_ansible_version: "2.14"',
      '  platforms: []',
      'dependencies: []',
    ),
    'defaults/main.yml': file(
      '---',
      '# Services an install run changed; only those are restarted by `--tags=install-*,start`.',
      'devture_systemd_service_manager_services_to_restart: []',
      '',
      '# Whether this run installs (install-* / setup-* tags) or only starts, restarts or stops services.',
      "devture_systemd_service_manager_install_run: \"{{ ansible_run_tags | select('match', '^(install|setup)-') | list | length > 0 }}\"",
    ),
    'tasks/main.yml': file(
      '---',
      '- name: Ensure systemd services are restarted',
      systemctl('restart', "'matrix-*'"),
      '  when: not (devture_systemd_service_manager_install_run | bool)',
      '  tags:',
      '    - start',
      '    - restart',
      '',
      '- name: Ensure systemd services whose configuration changed are restarted',
      `  ansible.builtin.raw: "LAB_HOST_DIR={{ lab_homeserver_dir | quote }} {{ (lab_homeserver_dir ~ '/bin/systemctl') | quote }} restart {{ devture_systemd_service_manager_services_to_restart | map('quote') | join(' ') }}"`,
      '  when:',
      '    - devture_systemd_service_manager_install_run | bool',
      '    - devture_systemd_service_manager_services_to_restart | length > 0',
      '  tags:',
      '    - start',
      '    - restart',
      '',
      '- name: Ensure systemd services are started',
      systemctl('start', "'matrix-*'"),
      '  when: devture_systemd_service_manager_install_run | bool',
      '  tags:',
      '    - start',
      '    - restart',
      '',
      '- name: Ensure systemd services are stopped',
      systemctl('stop', "'matrix-*'"),
      '  tags:',
      '    - stop',
      '    - never',
    ),
  };
}
