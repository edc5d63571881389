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

/** Image tags the lab's registry has for Tuwunel (what `docker pull` of the pinned version can find). */
export const TUWUNEL_IMAGE_TAGS = [
  'v1.7.0',
  'v1.7.1',
  'v1.8.0',
  'v1.8.1',
  'v1.8.2',
  'v1.8.3',
  'v1.9.0',
] as const;

/**
 * matrix_playbook_migration's expected version and breaking-change list at matrix-docker-ansible-deploy
 * c0681e4bc (roles/custom/matrix_playbook_migration/defaults/main.yml).
 */
export const MIGRATION_EXPECTED_VERSION = 'v2026.05.18.0';
const BREAKING_CHANGES: [string, string, string][] = [
  [
    'v2026.05.18.0',
    'LiveKit Server has been upgraded to v1.12.0 — TURN no longer relays to restricted peer CIDRs (loopback, link-local, multicast, private, unspecified) by default; TURN credentials now carry a TTL (300s)',
    '2026-05-18',
  ],
  [
    'v2026.04.24.0',
    '(BC Break) mautrix-telegram has been rewritten in Go (bridgev2) — the web-based login endpoint, old-style relaybot and several variables have been removed',
    '2026-04-24',
  ],
  [
    'v2026.04.03.0',
    '(BC Break) Synapse Admin is now Ketesa — role renamed and all variables changed from matrix_synapse_admin_* to matrix_ketesa_*',
    '2026-04-03',
  ],
  [
    'v2026.04.02.0',
    '(BC Break) Draupnir-for-all self-service provisioning is now disabled by default',
    '2026-04-02',
  ],
  ['v2026.03.23.0', 'Initial migration validation system', '2026-03-22'],
];

/** The units the lab's playbook manages, with the groups upstream's group_vars/matrix_servers gives them. */
const SERVICES: [string, number, string[]][] = [
  ['matrix-postgres', 500, ['matrix', 'postgres']],
  ['matrix-container-socket-proxy', 200, ['matrix', 'reverse-proxies', 'container-socket-proxy']],
  ['matrix-traefik', 250, ['matrix', 'traefik', 'reverse-proxies']],
  ['matrix-exim-relay', 800, ['matrix', 'mailer', 'exim-relay']],
  ['matrix-tuwunel', 1000, ['matrix', 'homeservers', 'tuwunel']],
  ['matrix-livekit-server', 1500, ['matrix', 'livekit-server']],
  ['matrix-livekit-jwt-service', 1500, ['matrix', 'livekit-jwt-service']],
  ['matrix-static-files', 2000, ['matrix', 'matrix-static-files']],
  ['matrix-client-element', 2000, ['matrix', 'clients', 'element', 'client-element']],
];

/** Files of the playbook repository (what `git pull` updates; the inventory is not among them, as upstream). */
export function playbookRepoFiles(opts: { tuwunelVersion: string; galaxyRoleRemote: string }): RepoFiles {
  // A plain YAML list, not upstream's one Jinja expression of concatenated lists: Ansible compiles a
  // variable's template afresh in every task process that reads it (15 times per install-all run, ~0.1 s of
  // CPU), and a list of data is the same list to the service manager. Only Tuwunel's restart is computed.
  const services = SERVICES.map(
    ([name, priority, groups]) =>
      `  - {name: ${name}.service, priority: ${priority}, groups: [${groups.join(', ')}], restart_necessary: ${name === 'matrix-tuwunel' ? '"{{ matrix_tuwunel_restart_necessary | default(false) | bool }}"' : 'false'}}`,
  );
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
    'ansible.cfg': file(
      '[defaults]',
      'retry_files_enabled = False',
      '# Lab only: ansible-playbook checks for task results every 5 ms, not every 1 ms (its default), which',
      '# spent ~0.1 s of CPU per run polling; a task still reports within 5 ms.',
      'internal_poll_interval = 0.005',
      '',
      '[connection]',
      'pipelining = True',
    ),
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
      // Upstream writes `target if target is defined else 'matrix_servers'`; `default` is the same choice, and
      // using a filter here, where ansible-playbook itself templates it, loads the filter plugins once before
      // the task processes fork rather than once in each of them (~0.1 s of CPU per install-all run).
      `  hosts: "{{ target | default('matrix_servers') }}"`,
      '  become: true',
      '  gather_facts: false',
      '',
      '  roles:',
      '    - custom/matrix_playbook_migration',
      '',
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
      'matrix_tuwunel_hostname: "matrix.{{ matrix_domain }}"',
      '',
      '# The services the service manager starts, stops and restarts; `groups` serve --tags=start-group/stop-group',
      '# (--extra-vars group=…), `restart_necessary` the conditional restart of install-* runs.',
      'devture_systemd_service_manager_services_list_auto:',
      ...services,
    ),
    'roles/galaxy/.gitkeep': { content: '' },
    'roles/custom/matrix_playbook_migration/defaults/main.yml': file(
      '---',
      '# The version that the user has validated their setup against.',
      '# When empty, the user will be prompted to set this variable.',
      "matrix_playbook_migration_validated_version: ''",
      '',
      '# The version that the playbook expects the user to have validated against.',
      '# This is bumped whenever a breaking change is introduced.',
      `matrix_playbook_migration_expected_version: "${MIGRATION_EXPECTED_VERSION}"`,
      '',
      '# A list of breaking changes, used to inform users what changed between their validated version and the expected version.',
      'matrix_playbook_migration_breaking_changes:',
      ...BREAKING_CHANGES.flatMap(([version, summary, anchor]) => [
        `  - version: "${version}"`,
        `    summary: ${JSON.stringify(summary)}`,
        `    changelog_url: "https://github.com/spantaleev/matrix-docker-ansible-deploy/blob/master/CHANGELOG.md#${anchor}"`,
      ]),
    ),
    // Upstream includes tasks/validate_migration_version.yml under `always`; the lab inlines the two checks
    // (same names and messages) to spare Ansible an include on every run.
    'roles/custom/matrix_playbook_migration/tasks/main.yml': file(
      '---',
      '- tags:',
      '    - always',
      '  block:',
      '    - name: Fail if migration version is not validated (first-time onboarding)',
      '      ansible.builtin.fail:',
      '        msg: >-',
      '          This playbook now uses a migration validation system to help you stay aware of breaking changes.',
      '',
      "          It appears that you haven't configured the `matrix_playbook_migration_validated_version` variable yet.",
      '',
      '          Please review the changelog (https://github.com/spantaleev/matrix-docker-ansible-deploy/blob/master/CHANGELOG.md)',
      '          and then add the following to your vars.yml file:',
      '',
      '          matrix_playbook_migration_validated_version: {{ matrix_playbook_migration_expected_version }}',
      `      when: "matrix_playbook_migration_validated_version == ''"`,
      '',
      '    - name: Fail if migration version is outdated',
      '      ansible.builtin.fail:',
      '        msg: |-',
      '          Your validated migration version ({{ matrix_playbook_migration_validated_version }}) is behind the expected version ({{ matrix_playbook_migration_expected_version }}).',
      '',
      '          The following breaking changes have been introduced since your last validation:',
      '',
      "          {% for item in matrix_playbook_migration_breaking_changes | selectattr('version', '>', matrix_playbook_migration_validated_version) | sort(attribute='version') %}",
      '          - {{ item.version }}: {{ item.summary }} ({{ item.changelog_url }})',
      '          {% endfor %}',
      '',
      '          After reviewing the above changes and adapting your setup, update your vars.yml:',
      '',
      '          matrix_playbook_migration_validated_version: "{{ matrix_playbook_migration_expected_version }}"',
      `      when: "matrix_playbook_migration_validated_version != '' and matrix_playbook_migration_validated_version < matrix_playbook_migration_expected_version"`,
    ),
    'roles/custom/matrix-base/defaults/main.yml': file(
      '---',
      "# How long the lab's stand-in for image pulls and templating takes (startLab's playbookSeconds).",
      'lab_playbook_seconds: 0.2',
      '',
      "# Image tags the lab's registry has.",
      `lab_registry_tuwunel_tags: ${JSON.stringify(TUWUNEL_IMAGE_TAGS).replaceAll('"', "'")}`,
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
      "matrix_tuwunel_hostname: ''",
      '',
      '# renovate: datasource=docker depName=ghcr.io/matrix-construct/tuwunel',
      `matrix_tuwunel_version: v${opts.tuwunelVersion}`,
      '',
      'matrix_tuwunel_container_image: "{{ matrix_tuwunel_container_image_registry_prefix }}matrix-construct/tuwunel:{{ matrix_tuwunel_container_image_tag }}"',
      'matrix_tuwunel_container_image_tag: "{{ matrix_tuwunel_version }}"',
      'matrix_tuwunel_container_image_registry_prefix: "{{ matrix_tuwunel_container_image_registry_prefix_upstream }}"',
      'matrix_tuwunel_container_image_registry_prefix_upstream: "{{ matrix_tuwunel_container_image_registry_prefix_upstream_default }}"',
      'matrix_tuwunel_container_image_registry_prefix_upstream_default: ghcr.io/',
      '',
      'matrix_tuwunel_base_path: "{{ matrix_base_data_path }}/tuwunel"',
      'matrix_tuwunel_config_path: "{{ matrix_tuwunel_base_path }}/config"',
      'matrix_tuwunel_data_path: "{{ matrix_tuwunel_base_path }}/data"',
      '',
      'matrix_tuwunel_config_port_number: 6167',
      '',
      '# Which paths Traefik routes to the container (templates/labels.j2).',
      'matrix_tuwunel_container_labels_public_tuwunel_api_enabled: true',
      'matrix_tuwunel_container_labels_public_tuwunel_api_traefik_hostname: "{{ matrix_tuwunel_hostname }}"',
      'matrix_tuwunel_container_labels_public_tuwunel_api_traefik_path_prefix: /_tuwunel',
      'matrix_tuwunel_container_labels_public_tuwunel_api_traefik_rule: "Host(`{{ matrix_tuwunel_container_labels_public_tuwunel_api_traefik_hostname }}`) && PathPrefix(`{{ matrix_tuwunel_container_labels_public_tuwunel_api_traefik_path_prefix }}`)"',
      '# The Synapse admin API is not routed unless asked for (upstream turns it on for Ketesa, Element Admin, Draupnir).',
      'matrix_tuwunel_container_labels_public_client_synapse_admin_api_enabled: false',
      'matrix_tuwunel_container_labels_public_client_synapse_admin_api_traefik_hostname: "{{ matrix_tuwunel_hostname }}"',
      'matrix_tuwunel_container_labels_public_client_synapse_admin_api_traefik_path_prefix: /_synapse/admin',
      'matrix_tuwunel_container_labels_public_client_synapse_admin_api_traefik_rule: "Host(`{{ matrix_tuwunel_container_labels_public_client_synapse_admin_api_traefik_hostname }}`) && PathPrefix(`{{ matrix_tuwunel_container_labels_public_client_synapse_admin_api_traefik_path_prefix }}`)"',
      '',
      '# The server name users get (@user:server). Cannot change after the first start without a database wipe.',
      'matrix_tuwunel_config_server_name: "{{ matrix_domain }}"',
      '',
      'matrix_tuwunel_config_allow_registration: false',
      '# With registration allowed, new accounts must present this token. Empty disables the config token.',
      "matrix_tuwunel_config_registration_token: ''",
      'matrix_tuwunel_config_yes_i_am_very_very_sure_i_want_an_open_registration_server_prone_to_abuse: false',
      '',
      '# Suffix appended to new-user displaynames upon registration. Empty disables it.',
      '# Upstream defaults to a flag glyph; we keep MDAD homeserver behavior consistent and leave this empty.',
      'matrix_tuwunel_config_new_user_displayname_suffix: ""',
      '',
      '# Rooms newly registered users will be auto-joined to.',
      '# Must be rooms this server has joined at least once and that are public.',
      'matrix_tuwunel_config_auto_join_rooms: []',
      '',
      'matrix_tuwunel_config_allow_federation: true',
      'matrix_tuwunel_config_trusted_servers:',
      '  - "matrix.org"',
      '# Regular expressions, matched unanchored against remote server names. Empty allows every server.',
      'matrix_tuwunel_config_allowed_remote_server_names: []',
      'matrix_tuwunel_config_forbidden_remote_server_names: []',
      '',
      '# Online backups (`!admin server backup-database`); empty leaves them off.',
      "matrix_tuwunel_config_database_backup_path: ''",
      'matrix_tuwunel_config_database_backups_to_keep: 1',
      '',
      'matrix_tuwunel_config_grant_admin_to_first_user: true',
      'matrix_tuwunel_config_log: "info,state_res=warn"',
      '',
      '# Extra environment variables (KEY=value lines) for the container; they override tuwunel.toml.',
      "matrix_tuwunel_environment_variables_extension: ''",
    ),
    // Upstream includes tasks/validate_config.yml and tasks/install.yml under these tags; the lab inlines
    // them (same task names) to spare Ansible two includes on every run.
    'roles/custom/matrix-tuwunel/tasks/main.yml': file(
      '---',
      '- tags:',
      '    - setup-all',
      '    - setup-tuwunel',
      '    - install-all',
      '    - install-tuwunel',
      '  when: matrix_tuwunel_enabled | bool',
      '  block:',
      '    - name: Fail if registration is enabled without a token or explicit acknowledgement',
      '      ansible.builtin.fail:',
      '        msg: >-',
      '          `matrix_tuwunel_config_allow_registration` is true, but neither',
      '          `matrix_tuwunel_config_registration_token` nor',
      '          `matrix_tuwunel_config_yes_i_am_very_very_sure_i_want_an_open_registration_server_prone_to_abuse`',
      '          is set. Set a registration token (recommended) or explicitly opt in to open registration.',
      '      when: >-',
      '        matrix_tuwunel_config_allow_registration | bool',
      '        and (matrix_tuwunel_config_registration_token | length == 0)',
      '        and not (matrix_tuwunel_config_yes_i_am_very_very_sure_i_want_an_open_registration_server_prone_to_abuse | bool)',
      '    # Upstream renders these with ansible.builtin.template. The lab installs them with its own action plugin',
      '    # (action_plugins/lab_install_files.py): the content travels on stdin (it holds the registration',
      '    # token) and the task logs nothing.',
      '    - name: Ensure Tuwunel configuration installed',
      '      lab_install_files:',
      '        script: "{{ role_path }}/files/install-files.py"',
      '        files:',
      '          - dest: "{{ matrix_tuwunel_config_path }}/tuwunel.toml"',
      `            content: "{{ lookup('ansible.builtin.template', 'tuwunel.toml.j2') }}"`,
      '      register: matrix_tuwunel_config_result',
      '      no_log: true',
      '',
      '    - name: Ensure Tuwunel support files installed',
      '      lab_install_files:',
      '        script: "{{ role_path }}/files/install-files.py"',
      '        files:',
      '          - dest: "{{ matrix_tuwunel_config_path }}/labels"',
      `            content: "{{ lookup('ansible.builtin.template', 'labels.j2') }}"`,
      '          - dest: "{{ matrix_tuwunel_config_path }}/env"',
      `            content: "{{ lookup('ansible.builtin.template', 'env.j2') }}"`,
      '      register: matrix_tuwunel_support_files_result',
      '      no_log: true',
      '',
      "    # The lab's registry: a tag it does not have fails as community.docker's pull of a missing manifest does.",
      '    - name: Ensure Tuwunel container image is pulled',
      '      ansible.builtin.fail:',
      '        msg: >-',
      '          Error pulling image {{ matrix_tuwunel_container_image }} - 404 Client Error for',
      "          http+docker://localhost/v1.47/images/create?tag={{ matrix_tuwunel_container_image_tag }}&fromImage={{ matrix_tuwunel_container_image | regex_replace(':[^:]*$', '') | urlencode | replace('/', '%2F') }}:",
      '          Not Found ("manifest unknown")',
      '      when: matrix_tuwunel_container_image_tag not in lab_registry_tuwunel_tags',
      '',
      '    - name: Ensure Tuwunel container image is pulled',
      '      ansible.builtin.raw: >-',
      "        f={{ (lab_homeserver_dir ~ '/state/tuwunel/version') | quote }};",
      "        v={{ matrix_tuwunel_container_image_tag | regex_replace('^v', '') | quote }};",
      '        if [ "$(cat "$f" 2>/dev/null)" != "$v" ]; then',
      '        mkdir -p "$(dirname "$f")" && printf \'%s\\n\' "$v" > "$f" && echo pulled;',
      '        fi',
      '      register: matrix_tuwunel_container_image_pull_result',
      '      changed_when: "\'pulled\' in matrix_tuwunel_container_image_pull_result.stdout"',
      '',
      '    - name: Determine whether Tuwunel needs a restart',
      '      ansible.builtin.set_fact:',
      '        matrix_tuwunel_restart_necessary: >-',
      '          {{',
      '            matrix_tuwunel_config_result.changed | default(false)',
      '            or matrix_tuwunel_support_files_result.changed | default(false)',
      '            or matrix_tuwunel_container_image_pull_result.changed | default(false)',
      '          }}',
    ),
    'roles/custom/matrix-tuwunel/action_plugins/lab_install_files.py': {
      content: `${[
        '"""Lab only: installs files on the target through the connection: install-files.py reads them as JSON',
        '[{"dest", "content"}] on its stdin and prints those it changed; the task is changed when it changed any.',
        '',
        'What ansible.builtin.command with `stdin` did, without a module: a module runs in a Python process of its',
        'own on the target (AnsiballZ), ~0.3 s of CPU per task, where this runs in the task process Ansible forks',
        'anyway. The content (it holds the registration token) is on stdin, never on a command line."""',
        'import json',
        'import shlex',
        '',
        'from ansible.plugins.action import ActionBase',
        '',
        '',
        'class ActionModule(ActionBase):',
        '    TRANSFERS_FILES = False',
        "    _VALID_ARGS = frozenset(('files', 'script'))",
        '',
        '    def run(self, tmp=None, task_vars=None):',
        '        result = super().run(tmp, task_vars)',
        "        files = [{'dest': f['dest'], 'content': f['content']} for f in self._task.args['files']]",
        "        command = shlex.join(['/usr/bin/python3', self._task.args['script']])",
        '        out = self._low_level_execute_command(command, in_data=json.dumps(files).encode())',
        "        if out['rc'] != 0:",
        "            result.update(failed=True, rc=out['rc'], stderr=out['stderr'], msg='non-zero return code')",
        '            return result',
        "        changed = json.loads(out['stdout'])",
        '        result.update(changed=len(changed) > 0, files=changed)',
        '        return result',
      ].join('\n')}\n`,
    },
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
    'roles/custom/matrix-tuwunel/templates/labels.j2': { content: LABELS_TEMPLATE },
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

new_user_displayname_suffix = {{ matrix_tuwunel_config_new_user_displayname_suffix | to_json }}

allow_registration = {{ matrix_tuwunel_config_allow_registration | to_json }}
{% if matrix_tuwunel_config_registration_token | length > 0 %}
registration_token = {{ matrix_tuwunel_config_registration_token | to_json }}
{% endif %}
{% if matrix_tuwunel_config_yes_i_am_very_very_sure_i_want_an_open_registration_server_prone_to_abuse | bool %}
yes_i_am_very_very_sure_i_want_an_open_registration_server_prone_to_abuse = true
{% endif %}
{% if matrix_tuwunel_config_auto_join_rooms | length > 0 %}
auto_join_rooms = {{ matrix_tuwunel_config_auto_join_rooms | to_json }}
{% endif %}

allow_federation = {{ matrix_tuwunel_config_allow_federation | to_json }}
trusted_servers = {{ matrix_tuwunel_config_trusted_servers | to_json }}
{% if matrix_tuwunel_config_allowed_remote_server_names | length > 0 %}
allowed_remote_server_names_experimental = {{ matrix_tuwunel_config_allowed_remote_server_names | to_json }}
{% endif %}
{% if matrix_tuwunel_config_forbidden_remote_server_names | length > 0 %}
forbidden_remote_server_names = {{ matrix_tuwunel_config_forbidden_remote_server_names | to_json }}
{% endif %}
{% if matrix_tuwunel_config_database_backup_path | length > 0 %}
database_backup_path = {{ matrix_tuwunel_config_database_backup_path | to_json }}
database_backups_to_keep = {{ matrix_tuwunel_config_database_backups_to_keep }}
{% endif %}

grant_admin_to_first_user = {{ matrix_tuwunel_config_grant_admin_to_first_user | to_json }}
log = {{ matrix_tuwunel_config_log | to_json }}
`;

/** The routers of upstream's labels.j2 that decide what the lab's HTTPS side serves. */
const LABELS_TEMPLATE = `traefik.enable=true
traefik.http.services.matrix-tuwunel.loadbalancer.server.port={{ matrix_tuwunel_config_port_number }}
{% if matrix_tuwunel_container_labels_public_tuwunel_api_enabled %}
traefik.http.routers.matrix-tuwunel-public-tuwunel-api.rule={{ matrix_tuwunel_container_labels_public_tuwunel_api_traefik_rule }}
traefik.http.routers.matrix-tuwunel-public-tuwunel-api.service=matrix-tuwunel
{% endif %}
{% if matrix_tuwunel_container_labels_public_client_synapse_admin_api_enabled %}
traefik.http.routers.matrix-tuwunel-public-client-synapse-admin-api.rule={{ matrix_tuwunel_container_labels_public_client_synapse_admin_api_traefik_rule }}
traefik.http.routers.matrix-tuwunel-public-client-synapse-admin-api.service=matrix-tuwunel
{% endif %}
`;

/**
 * The galaxy role's repository: devture's systemd_service_manager cut down to what the lab runs, with its
 * tags (README: `restart`, `restart-all`, `start-all` restart everything; `restart-group`, `start-group` the
 * services of `--extra-vars group=…`; `stop`, `stop-all`, `stop-group`). A run that also installs
 * (install-* or setup-* tags) restarts only the services whose `restart_necessary` is set and makes sure the
 * rest run; afterwards it verifies the services it started run, with the role's message.
 */
export function galaxyRoleFiles(): RepoFiles {
  const systemctl = (action: string, units: string) =>
    `  ansible.builtin.raw: "LAB_HOST_DIR={{ lab_homeserver_dir | quote }} {{ (lab_homeserver_dir ~ '/bin/systemctl') | quote }} ${action} ${units}"`;
  const names = (list: string) =>
    `{{ ${list} | sort(attribute='priority,name') | map(attribute='name') | map('quote') | join(' ') }}`;
  const startTags = ['    - start', '    - start-all', '    - restart', '    - restart-all'];
  const groupTags = ['    - start-group', '    - restart-group'];
  const restartBlock = (list: string, tags: string[], what: string) => [
    `- name: Ensure systemd services${what} are restarted`,
    systemctl('restart', names(list)),
    '  when:',
    '    - not (devture_systemd_service_manager_install_run | bool)',
    `    - ${list} | length > 0`,
    '  tags:',
    ...tags,
    '',
    `- name: Ensure systemd services${what} whose configuration changed are restarted`,
    systemctl('restart', names(`${list} | selectattr('restart_necessary')`)),
    '  when:',
    '    - devture_systemd_service_manager_install_run | bool',
    `    - ${list} | selectattr('restart_necessary') | list | length > 0`,
    '  tags:',
    ...tags,
    '',
    `- name: Ensure systemd services${what} are started`,
    systemctl('start', names(list)),
    '  when:',
    '    - devture_systemd_service_manager_install_run | bool',
    `    - ${list} | length > 0`,
    '  tags:',
    ...tags,
    '',
    `- name: Populate service states${what}`,
    systemctl('is-active', names(list)),
    '  register: devture_systemd_service_manager_states',
    '  changed_when: false',
    '  failed_when: false',
    `  when: ${list} | length > 0`,
    '  tags:',
    ...tags,
    '',
    "- name: Fail if service isn't detected to be running",
    '  ansible.builtin.fail:',
    '    msg: >-',
    '      {{ item.0 }} was not detected to be running.',
    "      It's possible that there's a configuration problem or another service on your server interferes with it (uses the same ports, etc.).",
    '      Try running `systemctl status {{ item.0 }}` and `journalctl -fu {{ item.0 }}` on the server to investigate.',
    "      If you're on a slow or overloaded server, it may be that services take a longer time to start and that this error is a false-positive.",
    '      You can consider raising the value of the `devture_systemd_service_manager_up_verification_delay_seconds` variable.',
    '      See `{{ role_path }}/defaults/main.yml` for more details about that.',
    `  with_together:`,
    `    - "{{ ${list} | sort(attribute='priority,name') | map(attribute='name') | list }}"`,
    '    - "{{ devture_systemd_service_manager_states.stdout_lines | default([]) }}"',
    `  when: ${list} | length > 0 and item.1 != 'active'`,
    '  tags:',
    ...tags,
    '',
  ];
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
      '# The services to manage: name, priority, groups, restart_necessary (see group_vars/matrix_servers).',
      'devture_systemd_service_manager_services_list_auto: []',
      'devture_systemd_service_manager_services_list: "{{ devture_systemd_service_manager_services_list_auto }}"',
      '',
      '# The services of `--extra-vars group=…` (start-group, restart-group, stop-group).',
      "devture_systemd_service_manager_group_services: \"{{ devture_systemd_service_manager_services_list | selectattr('groups', 'contains', group) | list }}\"",
      '',
      '# Whether this run installs (install-* / setup-* tags) or only starts, restarts or stops services.',
      "devture_systemd_service_manager_install_run: \"{{ ansible_run_tags | select('match', '^(install|setup)-') | list | length > 0 }}\"",
    ),
    'tasks/main.yml': file(
      '---',
      ...restartBlock('devture_systemd_service_manager_services_list', startTags, ''),
      ...restartBlock('devture_systemd_service_manager_group_services', groupTags, ' of the group'),
      '- name: Ensure systemd services are stopped',
      systemctl(
        'stop',
        `{{ devture_systemd_service_manager_services_list | sort(attribute='priority,name', reverse=true) | map(attribute='name') | map('quote') | join(' ') }}`,
      ),
      '  tags:',
      '    - stop',
      '    - stop-all',
      '    - never',
      '',
      '- name: Ensure systemd services of the group are stopped',
      systemctl(
        'stop',
        `{{ devture_systemd_service_manager_group_services | sort(attribute='priority,name', reverse=true) | map(attribute='name') | map('quote') | join(' ') }}`,
      ),
      '  when: devture_systemd_service_manager_group_services | length > 0',
      '  tags:',
      '    - stop-group',
      '    - never',
    ),
  };
}
