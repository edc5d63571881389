import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_UNITS } from '../../../src-main/core/profile/schema';
import { publishPlaybookRelease, TUWUNEL_ROLE_DEFAULTS } from '../../lab/deploy/playbook-upstream';
import { runCommand } from '../../lab/deploy/run';
import { type DeployHost, setupDeployHost } from '../../lab/deploy/setup-deploy';
import { vaultPlaintext } from '../../lab/deploy/vault';
import { createFaults } from '../../lab/faults';
import { setupHomeserver } from '../../lab/homeserver/setup-homeserver';
import { deployHostBin, setupHost } from '../../lab/host/setup-host';
import { startLab } from '../../lab/lab';

// The lab's deploy host against the real git, ansible-playbook, ansible-galaxy and ansible-vault, acting on
// the lab's homeserver host (its real systemctl and docker stand-ins); the sshd is not needed for these.

const CACHE = join(process.cwd(), 'node_modules', '.cache', 'homeserver-tray-lab');
const UNITS = ['matrix-tuwunel', 'matrix-traefik', 'matrix-postgres', 'matrix-exim-relay'];
const PLAY_HEADER = /^PLAY \[Set up a Matrix server\] \*+$/m;

let labDir: string;
let homeserverDir: string;
let hostDir: string;
let deploy: DeployHost;
const token = 'a1'.repeat(32);
const vaultPassword = 'lab-vault-password';

/**
 * Ended after each test: a test that timed out would otherwise leave its play running, restarting units and
 * restoring its vars.yml under the next test.
 */
let commands = new AbortController();
afterEach(() => {
  commands.abort();
  commands = new AbortController();
});

/** Runs a command the way the lab's sshd wrapper runs it on the deploy host. */
function onDeploy(command: string, cwd?: string) {
  return runCommand('bash', ['--noprofile', '--norc', '-c', command], {
    signal: commands.signal,
    cwd: cwd ?? deploy.playbookDir,
    env: {
      HOME: join(hostDir, 'root'),
      LAB_HOST_DIR: hostDir,
      LAB_DIR: labDir,
      PATH: `${hostDir}/bin:/usr/local/bin:/usr/bin:/bin`,
    },
  });
}

function playbook(tags: string, passwordFile = deploy.vaultPasswordFile) {
  return onDeploy(
    `ansible-playbook -i inventory/hosts setup.yml --tags=${tags} --vault-password-file ${passwordFile}`,
  );
}

async function unitState(unit: string) {
  return (await readFile(join(homeserverDir, 'state', 'units', unit), 'utf8')).trim();
}

async function unitMtime(unit: string) {
  return (await stat(join(homeserverDir, 'state', 'units', unit))).mtimeMs;
}

beforeAll(async () => {
  labDir = await mkdtemp(join(tmpdir(), 'lab-b-deploy-'));
  homeserverDir = join(labDir, 'homeserver');
  hostDir = join(labDir, 'deploy');
  await Promise.all([
    setupHomeserver({
      hostDir: homeserverDir,
      cacheDir: CACHE,
      serverName: 'lab.test',
      tuwunelVersion: '1.7.0',
      sudoPassword: 'lab-sudo-password',
      units: DEFAULT_UNITS,
      users: [{ userId: '@admin:lab.test', admin: true, deactivated: false }],
    }),
    // The lab's common host parts: root/, lib/faults.sh (which the ansible wrappers honour), git behind faults.
    setupHost(hostDir, deployHostBin),
  ]);
  deploy = await setupDeployHost({
    hostDir,
    homeserverDir,
    serverName: 'lab.test',
    tuwunelVersion: '1.7.0',
    vaultPassword,
    registrationToken: token,
    playbookSeconds: 0.2,
    cacheDir: CACHE,
    tuwunelConfigDir: join(homeserverDir, 'state', 'tuwunel', 'config'),
  });
});

afterAll(async () => {
  await rm(labDir, { recursive: true, force: true });
});

describe('deploy host set-up', () => {
  it('takes the encrypted vault and the galaxy roles from the cache on a warm start', async () => {
    const again = join(labDir, 'again');
    const second = await setupDeployHost({
      hostDir: join(again, 'deploy'),
      homeserverDir,
      serverName: 'lab.test',
      tuwunelVersion: '1.7.0',
      vaultPassword,
      registrationToken: token,
      playbookSeconds: 0.2,
      cacheDir: CACHE,
      tuwunelConfigDir: join(again, 'config'),
    });
    // ansible-vault salts every encryption, so equal ciphertexts mean the second lab did not run it.
    const vault = (d: DeployHost) => readFile(join(d.vaultWorkstation, d.vaultFile), 'utf8');
    expect(await vault(second)).toBe(await vault(deploy));
    const installInfo = (d: DeployHost) =>
      readFile(join(d.playbookDir, 'roles/galaxy/systemd_service_manager/meta/.galaxy_install_info'), 'utf8');
    expect(await installInfo(second)).toBe(await installInfo(deploy));
  });

  it('checks out the playbook from its own upstream, inventory untracked, roles from ansible-galaxy', async () => {
    expect((await onDeploy('git remote get-url origin')).stdout.trim()).toBe(deploy.playbookRemote);
    expect((await onDeploy('git status --porcelain')).stdout).toBe('');
    const pull = await onDeploy('git pull');
    expect(pull.exitCode).toBe(0);
    expect(pull.stdout.trim()).toBe('Already up to date.');
    expect(
      await readFile(
        join(deploy.playbookDir, 'roles/galaxy/systemd_service_manager/meta/.galaxy_install_info'),
        'utf8',
      ),
    ).toMatch(/^install_date: .+\nversion: v1\.0\.0-4\n$/);
    expect(await readFile(join(deploy.playbookDir, TUWUNEL_ROLE_DEFAULTS), 'utf8')).toMatch(
      /^matrix_tuwunel_version: v1\.7\.0$/m,
    );
    expect(await readFile(join(deploy.playbookDir, deploy.inventory), 'utf8')).toMatch(
      /^matrix\.lab\.test /m,
    );
  });

  it('writes a vars.yml like the runbook’s, comments included', async () => {
    const text = await readFile(join(deploy.playbookDir, deploy.varsFile), 'utf8');
    expect(deploy.varsFile).toBe('inventory/host_vars/matrix.lab.test/vars.yml');
    expect(text).toContain('# MUST keep lab.test in the list');
    expect(parse(text)).toMatchObject({
      matrix_domain: 'lab.test',
      matrix_homeserver_implementation: 'tuwunel',
      matrix_tuwunel_version: 'v1.7.0',
      matrix_tuwunel_config_allowed_remote_server_names: ['lab.test', 'matrix.org', 'chat.dacool.zone'],
      matrix_tuwunel_environment_variables_extension: 'TUWUNEL_ALLOW_LEGACY_MEDIA=true\n',
      matrix_tuwunel_config_registration_token: '{{ vault_matrix_registration_token }}',
    });
  });

  it('keeps the vault encrypted by ansible-vault in three clones of one history, with a 600 password file', async () => {
    const encrypted = await readFile(join(deploy.vaultWorkstation, deploy.vaultFile), 'utf8');
    expect(encrypted.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    expect(encrypted).not.toContain(token);
    expect((await stat(deploy.vaultPasswordFile)).mode & 0o777).toBe(0o600);
    const view = await onDeploy(
      `ansible-vault view --vault-password-file ${deploy.vaultPasswordFile} ${join(deploy.vaultDeploy, deploy.vaultFile)}`,
    );
    expect(view.exitCode).toBe(0);
    expect(view.stdout).toBe(vaultPlaintext(token));
    const heads = await Promise.all(
      [deploy.vaultWorkstation, deploy.vaultRemote, deploy.vaultDeploy].map(
        async (repo) => (await onDeploy('git rev-parse main', repo)).stdout,
      ),
    );
    expect(new Set(heads).size).toBe(1);
  });

  it('renders tuwunel.toml as the playbook would, so the first install-all changes nothing', async () => {
    const toml = await readFile(join(homeserverDir, 'state/tuwunel/config/tuwunel.toml'), 'utf8');
    expect(toml).toContain(
      'allowed_remote_server_names_experimental = ["lab.test", "matrix.org", "chat.dacool.zone"]',
    );
    expect(toml).toContain(`registration_token = "${token}"`);
    const before = await unitMtime('matrix-tuwunel');
    const run = await playbook('install-all,start');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(
      /TASK \[custom\/matrix-tuwunel : Ensure Tuwunel configuration installed\] \*+\nok: \[matrix\.lab\.test\]/,
    );
    expect(run.stdout).toMatch(
      /^matrix\.lab\.test +: ok=\d+ +changed=1 +unreachable=0 +failed=0 +skipped=\d+ +rescued=0 +ignored=0 *$/m,
    );
    expect(await unitMtime('matrix-tuwunel')).toBe(before);
  });
});

// Up to four plays a test, each a few seconds on an idle machine and up to 30 s beside the other suites on a
// loaded one (measured at load 22–27: 13–27 s): the project's 60 s is a hang guard that load alone reached.
const PLAYS_TIMEOUT_MS = 180_000;

describe('ansible-playbook on the deploy host', { timeout: PLAYS_TIMEOUT_MS }, () => {
  it('--tags=stop stops every unit, printing PLAY/TASK/RECAP, and takes playbookSeconds', async () => {
    const started = Date.now();
    const run = await playbook('stop');
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(PLAY_HEADER);
    expect(run.stdout).toMatch(
      /^TASK \[galaxy\/systemd_service_manager : Ensure systemd services are stopped\] \*+\nchanged: \[matrix\.lab\.test\]$/m,
    );
    expect(run.stdout).toMatch(
      /^PLAY RECAP \*+\nmatrix\.lab\.test +: ok=2 +changed=1 +unreachable=0 +failed=0/m,
    );
    for (const unit of UNITS) expect(await unitState(unit)).toBe('inactive');
  });

  it('--tags=start starts them again', async () => {
    const run = await playbook('start');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(
      'TASK [galaxy/systemd_service_manager : Ensure systemd services are restarted]',
    );
    for (const unit of UNITS) expect(await unitState(unit)).toBe('active');
  });

  it('--tags=install-all,start renders a changed allowlist and restarts only Tuwunel', async () => {
    const varsPath = join(deploy.playbookDir, deploy.varsFile);
    const vars = await readFile(varsPath, 'utf8');
    await writeFile(
      varsPath,
      vars.replace(
        "['lab.test', 'matrix.org', 'chat.dacool.zone']",
        "['lab.test', 'matrix.org', 'chat.dacool.zone', 'example.org']",
      ),
    );
    const tuwunelBefore = await unitMtime('matrix-tuwunel');
    const traefikBefore = await unitMtime('matrix-traefik');
    const run = await playbook('install-all,start');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(
      /Ensure Tuwunel configuration installed\] \*+\nchanged: \[matrix\.lab\.test\]/,
    );
    expect(await readFile(join(homeserverDir, 'state/tuwunel/config/tuwunel.toml'), 'utf8')).toContain(
      'allowed_remote_server_names_experimental = ["lab.test", "matrix.org", "chat.dacool.zone", "example.org"]',
    );
    expect(await readFile(join(homeserverDir, 'state/tuwunel/config/env'), 'utf8')).toBe(
      'TUWUNEL_ALLOW_LEGACY_MEDIA=true\n',
    );
    expect(await unitMtime('matrix-tuwunel')).toBeGreaterThan(tuwunelBefore);
    expect(await unitMtime('matrix-traefik')).toBe(traefikBefore);
    expect(run.stdout).not.toContain(token);
  });

  it('fails on a missing vault password file with Ansible’s error and exit 1', async () => {
    const run = await playbook('start', '/root/.vault_pass_missing');
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('ERROR! The vault password file /root/.vault_pass_missing was not found');
  });

  it('fails on invalid YAML in vars.yml with Ansible’s error and exit 4, touching nothing', async () => {
    const varsPath = join(deploy.playbookDir, deploy.varsFile);
    const good = await readFile(varsPath, 'utf8');
    await writeFile(varsPath, `${good}matrix_tuwunel_config_allowed_remote_server_names: ['a'\n  oops: [\n`);
    try {
      const run = await playbook('stop');
      expect(run.exitCode).toBe(4);
      expect(run.stdout).toMatch(PLAY_HEADER);
      expect(run.stderr).toContain('ERROR! We were unable to read either as JSON nor YAML');
      expect(run.stderr).toContain('Syntax Error while loading YAML.');
      expect(run.stderr).toContain(`The error appears to be in '${varsPath}'`);
      expect(await unitState('matrix-tuwunel')).toBe('active');
    } finally {
      await writeFile(varsPath, good);
    }
  });

  it('brings a token rotated on the workstation to tuwunel.toml after git pull and install-all', async () => {
    const rotated = 'b2'.repeat(32);
    const secretDir = await mkdtemp(join(tmpdir(), 'lab-b-pw-'));
    try {
      const passwordFile = join(secretDir, 'pw');
      await writeFile(passwordFile, `${vaultPassword}\n`, { mode: 0o600 });
      const encrypt = await runCommand(
        'ansible-vault',
        [
          'encrypt',
          '--vault-password-file',
          passwordFile,
          '--output',
          join(deploy.vaultWorkstation, deploy.vaultFile),
          '-',
        ],
        { input: vaultPlaintext(rotated) },
      );
      expect(encrypt.exitCode).toBe(0);
    } finally {
      await rm(secretDir, { recursive: true, force: true });
    }
    const push = await onDeploy(
      'git commit -qam "matrix: rotate registration token" && git push -q origin main',
      deploy.vaultWorkstation,
    );
    expect(push.exitCode).toBe(0);
    expect((await onDeploy('git pull -q', deploy.vaultDeploy)).exitCode).toBe(0);
    const run = await playbook('install-all,start');
    expect(run.exitCode).toBe(0);
    const toml = await readFile(join(homeserverDir, 'state/tuwunel/config/tuwunel.toml'), 'utf8');
    expect(toml).toContain(`registration_token = "${rotated}"`);
    expect(run.stdout + run.stderr).not.toContain(rotated);
  });

  it('fails with Ansible’s decryption error when the vault password is wrong', async () => {
    const wrong = join(hostDir, 'root', '.wrong_pass');
    await writeFile(wrong, 'not-the-password\n', { mode: 0o600 });
    const run = await playbook('start', wrong);
    expect(run.exitCode).toBe(4);
    expect(run.stderr).toContain('ERROR! Decryption failed (no vault secrets were found that could decrypt)');
  });

  it('reinstalls roles/galaxy with the runbook’s ansible-galaxy line, and misses them when removed', async () => {
    await rm(join(deploy.playbookDir, 'roles', 'galaxy'), { recursive: true });
    const missing = await playbook('start');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("ERROR! the role 'galaxy/systemd_service_manager' was not found");
    const galaxy = await onDeploy('ansible-galaxy install -r requirements.yml -p roles/galaxy/ --force');
    expect(galaxy.exitCode).toBe(0);
    expect(galaxy.stdout).toContain('- systemd_service_manager (v1.0.0-4) was installed successfully');
    expect((await playbook('start')).exitCode).toBe(0);
  });

  it('shows version drift: upstream ships 1.9.0, the pin keeps 1.7.0 until it is removed', async () => {
    await publishPlaybookRelease({ playbookRemote: deploy.playbookRemote, tuwunelVersion: '1.9.0' });
    expect((await onDeploy('git pull -q')).exitCode).toBe(0);
    expect(await readFile(join(deploy.playbookDir, TUWUNEL_ROLE_DEFAULTS), 'utf8')).toMatch(
      /^matrix_tuwunel_version: v1\.9\.0$/m,
    );
    const varsPath = join(deploy.playbookDir, deploy.varsFile);
    expect(parse(await readFile(varsPath, 'utf8')).matrix_tuwunel_version).toBe('v1.7.0');
    await writeFile(
      varsPath,
      (await readFile(varsPath, 'utf8')).replace(/^matrix_tuwunel_version: .*\n/m, ''),
    );
    const run = await playbook('install-all,start');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(
      /Ensure Tuwunel container image is pulled\] \*+\nchanged: \[matrix\.lab\.test\]/,
    );
    expect((await readFile(join(homeserverDir, 'state/tuwunel/version'), 'utf8')).trim()).toBe('1.9.0');
    const docker = await runCommand(
      join(homeserverDir, 'bin', 'docker'),
      ['ps', '--filter', 'name=matrix-tuwunel', '--format', '{{.Image}}'],
      {
        env: { ...process.env, LAB_HOST_DIR: homeserverDir },
      },
    );
    expect(docker.stdout.trim()).toBe('ghcr.io/matrix-construct/tuwunel:v1.9.0');
  });

  it('honours the lab’s fault switches (exit and hang)', async () => {
    const faults = createFaults({ homeserver: homeserverDir, deploy: hostDir });
    try {
      faults.exit('deploy', 'ansible-playbook*', 2, 'lab: injected failure\n', 1);
      const failed = await playbook('start');
      expect(failed.exitCode).toBe(2);
      expect(failed.stderr).toBe('lab: injected failure\n');
      faults.hang('deploy', 'ansible-playbook*--tags=stop*', 1);
      const child = spawn(
        'bash',
        ['--noprofile', '--norc', '-c', 'ansible-playbook -i inventory/hosts setup.yml --tags=stop'],
        {
          cwd: deploy.playbookDir,
          env: { LAB_HOST_DIR: hostDir, PATH: `${hostDir}/bin:/usr/bin:/bin` },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        },
      );
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const early = await Promise.race([
        exited,
        new Promise((r) => setTimeout(() => r('still running'), 1500)),
      ]);
      expect(early).toBe('still running');
      process.kill(-(child.pid ?? 0), 'SIGKILL');
      await exited;
      expect(await unitState('matrix-tuwunel')).toBe('active');
    } finally {
      faults.clear();
    }
  });
});

describe("the playbook's tags, pin and checks (matrix-docker-ansible-deploy, systemd_service_manager)", {
  timeout: PLAYS_TIMEOUT_MS,
}, () => {
  const varsPath = () => join(deploy.playbookDir, deploy.varsFile);
  async function withVars<T>(edit: (vars: string) => string, body: () => Promise<T>): Promise<T> {
    const good = await readFile(varsPath(), 'utf8');
    await writeFile(varsPath(), edit(good));
    try {
      return await body();
    } finally {
      await writeFile(varsPath(), good);
    }
  }
  const pin = (version: string) => (vars: string) =>
    /^matrix_tuwunel_version: /m.test(vars)
      ? vars.replace(/^matrix_tuwunel_version: .*$/m, `matrix_tuwunel_version: ${version}`)
      : `${vars}matrix_tuwunel_version: ${version}\n`;
  const running = async () => (await readFile(join(homeserverDir, 'state/tuwunel/version'), 'utf8')).trim();

  it('--tags=restart restarts every service; stop-group and start-group act on the group only', async () => {
    const traefik = await unitMtime('matrix-traefik');
    expect((await playbook('restart')).exitCode).toBe(0);
    expect(await unitMtime('matrix-traefik')).toBeGreaterThan(traefik);
    const stop = await playbook('stop-group --extra-vars group=tuwunel');
    expect(stop.exitCode).toBe(0);
    expect(await unitState('matrix-tuwunel')).toBe('inactive');
    expect(await unitState('matrix-traefik')).toBe('active');
    const traefikAfter = await unitMtime('matrix-traefik');
    expect((await playbook('start-group --extra-vars group=homeservers')).exitCode).toBe(0);
    expect(await unitState('matrix-tuwunel')).toBe('active');
    expect(await unitMtime('matrix-traefik')).toBe(traefikAfter);
  });

  it('install-tuwunel,start-group restarts Tuwunel only when its files or image changed', async () => {
    const before = await unitMtime('matrix-tuwunel');
    const same = await playbook('install-tuwunel,start-group --extra-vars group=tuwunel');
    expect(same.exitCode).toBe(0);
    expect(await unitMtime('matrix-tuwunel')).toBe(before);
    // The admin API label off: labels change, so Tuwunel (and Traefik's view of it) restarts.
    await withVars(
      (v) =>
        v.replace(
          'matrix_tuwunel_container_labels_public_client_synapse_admin_api_enabled: true',
          'matrix_tuwunel_container_labels_public_client_synapse_admin_api_enabled: false',
        ),
      async () => {
        const run = await playbook('install-tuwunel,start-group --extra-vars group=tuwunel');
        expect(run.exitCode).toBe(0);
        expect(run.stdout).toMatch(/Ensure Tuwunel support files installed\] \*+\nchanged: /);
        expect(await readFile(join(homeserverDir, 'state/tuwunel/config/labels'), 'utf8')).not.toContain(
          'synapse-admin-api',
        );
      },
    );
    expect(await unitMtime('matrix-tuwunel')).toBeGreaterThan(before);
    // No apply back to the original labels: the next test's first install-all renders them again, and none
    // of the tests after it reads them.
  });

  it('the matrix_tuwunel_version pin decides the image; a tag the registry lacks fails the pull', async () => {
    const before = await running();
    await withVars(pin('v1.8.1'), async () => {
      expect((await playbook('install-all,start')).exitCode).toBe(0);
      expect(await running()).toBe('1.8.1');
    });
    await withVars(pin('v1.10.0'), async () => {
      const run = await playbook('install-all,start');
      expect(run.exitCode).toBe(2);
      expect(run.stdout).toContain(
        'Error pulling image ghcr.io/matrix-construct/tuwunel:v1.10.0 - 404 Client Error for http+docker://localhost/v1.47/images/create?tag=v1.10.0&fromImage=ghcr.io%2Fmatrix-construct%2Ftuwunel: Not Found (\\"manifest unknown\\")',
      );
      expect(await running()).toBe('1.8.1');
    });
    expect((await playbook('install-all,start')).exitCode).toBe(0);
    expect(await running()).toBe(before);
  });

  it('fails every play until matrix_playbook_migration_validated_version matches (validate_migration_version.yml)', async () => {
    const validated = (v: string) => (vars: string) =>
      vars.replace(
        /^matrix_playbook_migration_validated_version: .*$/m,
        `matrix_playbook_migration_validated_version: ${v}`,
      );
    await withVars(validated('v2026.04.03.0'), async () => {
      const run = await playbook('stop');
      expect(run.exitCode).toBe(2);
      expect(run.stdout).toContain(
        '"msg": "Your validated migration version (v2026.04.03.0) is behind the expected version (v2026.05.18.0).\\n\\nThe following breaking changes have been introduced since your last validation:\\n\\n- v2026.04.24.0: (BC Break) mautrix-telegram',
      );
      expect(run.stdout).toContain(
        'After reviewing the above changes and adapting your setup, update your vars.yml:\\n\\nmatrix_playbook_migration_validated_version: \\"v2026.05.18.0\\""',
      );
      expect(await unitState('matrix-tuwunel')).toBe('active');
    });
    await withVars(validated("''"), async () => {
      const run = await playbook('start');
      expect(run.exitCode).toBe(2);
      expect(run.stdout).toContain(
        "It appears that you haven't configured the `matrix_playbook_migration_validated_version` variable yet.",
      );
    });
  });

  it('refuses registration without a token (validate_config.yml) and reports a service that does not start', async () => {
    await withVars(
      (v) =>
        v.replace(
          /^matrix_tuwunel_config_registration_token: .*$/m,
          "matrix_tuwunel_config_registration_token: ''",
        ),
      async () => {
        const run = await playbook('install-all,start');
        expect(run.exitCode).toBe(2);
        expect(run.stdout).toContain(
          '`matrix_tuwunel_config_allow_registration` is true, but neither `matrix_tuwunel_config_registration_token` nor',
        );
      },
    );
    // A one-off Tuwunel (CLI mode, the service stopped) holds the database: the started service cannot open it.
    await runCommand(join(homeserverDir, 'bin', 'systemctl'), ['stop', 'matrix-tuwunel'], {
      env: { ...process.env, LAB_HOST_DIR: homeserverDir },
    });
    const oneOff = spawn(
      join(homeserverDir, 'bin', 'docker'),
      ['run', '--rm', 'ghcr.io/matrix-construct/tuwunel:v1.7.0', '--maintenance'],
      {
        env: { ...process.env, LAB_HOST_DIR: homeserverDir, LAB_DIR: labDir },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const exited = new Promise((resolve) => oneOff.on('close', resolve));
    try {
      await new Promise((resolve) => oneOff.stdout.on('data', resolve));
      const run = await playbook('start');
      expect(run.exitCode).toBe(2);
      expect(run.stdout).toContain(
        "matrix-tuwunel.service was not detected to be running. It's possible that there's a configuration problem",
      );
    } finally {
      oneOff.kill('SIGTERM');
      await exited;
    }
    expect((await playbook('start')).exitCode).toBe(0);
    expect(await unitState('matrix-tuwunel')).toBe('active');
  });
});

describe('in the full lab (startLab)', () => {
  it('runs the runbook’s deploy line over real ssh, and the public endpoints follow the units', async () => {
    const lab = await startLab({ keyring: false });
    try {
      const ca = await readFile(lab.caCertPath, 'utf8');
      const versionsStatus = () =>
        new Promise<number>((resolve, reject) => {
          get(`${lab.http.publicUrl}/_matrix/client/versions`, { ca }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          }).on('error', reject);
        });
      const runbookLine = (tags: string) =>
        `cd ${lab.repos.playbook} && ansible-playbook -i inventory/hosts setup.yml --tags=${tags} --vault-password-file ${lab.profile.deploy?.vaultPasswordFile}`;
      const ssh = (command: string) =>
        runCommand('ssh', [
          '-i',
          lab.clientKeyPath,
          '-o',
          `UserKnownHostsFile=${lab.knownHostsPath}`,
          '-o',
          'BatchMode=yes',
          '-p',
          String(lab.hosts.deploy.port),
          `root@${lab.hosts.deploy.address}`,
          command,
        ]);

      const stopped = await ssh(runbookLine('stop'));
      expect(stopped.exitCode).toBe(0);
      expect(stopped.stdout).toMatch(PLAY_HEADER);
      expect(await lab.state.unitActive('matrix-tuwunel')).toBe(false);
      expect(await versionsStatus()).toBe(502);

      const started = await ssh(runbookLine('install-all,start'));
      expect(started.exitCode).toBe(0);
      expect(await lab.state.unitActive('matrix-tuwunel')).toBe(true);
      expect(await versionsStatus()).toBe(200);
      expect(lab.hosts.deploy.execLog()).toContain(runbookLine('install-all,start'));
    } finally {
      await lab.stop();
    }
  });
});
