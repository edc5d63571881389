import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { shellQuote } from '../../../src-main/core/ssh/quote';
import { cachedDir } from './artefact-cache';
import { cloneRepo, git, initRepo, publishBare, writeRepoFiles } from './git';
import {
  inventoryHostName,
  inventoryHosts,
  LEGACY_MEDIA_ENVIRONMENT,
  renderedTuwunelToml,
  varsYml,
} from './inventory-files';
import { GALAXY_ROLE, galaxyRoleFiles, playbookRepoFiles, type RepoFiles } from './playbook-files';
import { mustRun } from './run';
import { encryptedVault, VAULT_FILE, vaultPlaintext } from './vault';

export interface DeployHostOptions {
  /** The deploy host's folder (`<lab>/deploy`); its `bin/` comes first on the host's PATH. */
  hostDir: string;
  homeserverDir: string;
  serverName: string;
  /** Without the leading v, e.g. '1.7.0'. */
  tuwunelVersion: string;
  vaultPassword: string;
  registrationToken: string;
  playbookSeconds: number;
  cacheDir: string;
  /** The homeserver's Tuwunel config folder, where the playbook renders tuwunel.toml. */
  tuwunelConfigDir: string;
}

export interface DeployHost {
  playbookDir: string;
  /** Relative to playbookDir. */
  varsFile: string;
  /** Relative to playbookDir. */
  inventory: string;
  vaultPasswordFile: string;
  /** Where the deploy host keeps playbook logs (`… | tee <logDir>/x.log`). */
  logDir: string;
  vaultWorkstation: string;
  vaultRemote: string;
  vaultDeploy: string;
  /** Relative to the vault repositories. */
  vaultFile: string;
  /** The playbook's upstream (bare); publishPlaybookRelease() pushes new releases there. */
  playbookRemote: string;
}

/**
 * Why the REAL ansible-playbook and ansible-galaxy rather than stand-ins: a run of the lab playbook takes
 * about 1.9 s + playbookSeconds here (measured: 1.3 s of that is ansible-core starting), within budget, and
 * every output format, error text and exit code is then Ansible's own — PLAY/TASK/RECAP, a broken vars.yml
 * (exit 4), a missing vault password file (exit 1), a wrong vault password, an unknown role after
 * `rm -rf roles/galaxy`. Only the host the playbook acts on is a stand-in (the lab homeserver folder).
 */
function ansibleWrapper(tool: 'ansible-playbook' | 'ansible-galaxy', hostDir: string): string {
  const ansibleHome = join(hostDir, '.ansible');
  const faults = join(hostDir, 'lib', 'faults.sh');
  return [
    '#!/bin/bash',
    `# The real ${tool} (ansible-core 2.14) behind the lab's fault switches (tests/lab/host/faults.sh, when`,
    "# the host has them); Ansible's own state stays inside this lab host.",
    `export LAB_HOST_DIR=${shellQuote(hostDir)}`,
    `if [[ -r ${shellQuote(faults)} ]]; then`,
    `  . ${shellQuote(faults)}`,
    `  lab_fault_check ${tool} "$@"`,
    'fi',
    `export ANSIBLE_HOME=${shellQuote(ansibleHome)}`,
    `export ANSIBLE_REMOTE_TEMP=${shellQuote(join(ansibleHome, 'tmp'))}`,
    `exec /usr/bin/${tool} "$@"`,
    '',
  ].join('\n');
}

function contentKey(files: RepoFiles): string {
  const hash = createHash('sha256');
  for (const [path, f] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b)))
    hash.update(`${path}\0${f.executable ? 'x' : '-'}\0${f.content}\0`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * roles/galaxy as `ansible-galaxy install` leaves it. The first lab on a machine runs the real CLI against
 * the role's lab remote (~1 s); later labs copy that result from the cache.
 */
async function installGalaxyRoles(opts: {
  playbookDir: string;
  roleRemote: string;
  roleKey: string;
  cacheDir: string;
  hostDir: string;
}): Promise<void> {
  const cached = await cachedDir(join(opts.cacheDir, `galaxy-roles-${opts.roleKey}`), async (tmp) => {
    const requirements = join(tmp, 'requirements.yml');
    await writeFile(
      requirements,
      `- src: git+file://${opts.roleRemote}\n  version: ${GALAXY_ROLE.version}\n  name: ${GALAXY_ROLE.name}\n`,
    );
    await mustRun('ansible-galaxy', ['install', '-r', requirements, '-p', join(tmp, 'roles'), '--force'], {
      env: { ...process.env, ANSIBLE_HOME: join(opts.hostDir, '.ansible') },
    });
  });
  await cp(join(cached, 'roles'), join(opts.playbookDir, 'roles', 'galaxy'), { recursive: true });
}

/** Sets up the deploy host (the runbook's CT 104) and the workstation's vault repository. */
export async function setupDeployHost(opts: DeployHostOptions): Promise<DeployHost> {
  const labDir = dirname(opts.hostDir);
  const root = join(opts.hostDir, 'root');
  const remotes = join(labDir, 'remotes');
  const hostName = inventoryHostName(opts.serverName);
  const paths = {
    playbookDir: join(root, 'matrix-deploy'),
    playbookRemote: join(remotes, 'matrix-docker-ansible-deploy.git'),
    roleRemote: join(remotes, 'roles', `${GALAXY_ROLE.name}.git`),
    vaultWorkstation: join(labDir, 'workstation', 'homelab-ansible'),
    vaultRemote: join(remotes, 'homelab-ansible.git'),
    vaultDeploy: join(root, 'homelab-ansible'),
    vaultPasswordFile: join(root, '.vault_pass'),
    logDir: join(root, 'deploy-logs'),
  };
  const varsFile = `inventory/host_vars/${hostName}/vars.yml`;
  const inventory = 'inventory/hosts';

  await mkdir(join(opts.hostDir, 'bin'), { recursive: true });
  await mkdir(root, { recursive: true, mode: 0o700 });

  const vaultReady = (async () => {
    const encrypted = await encryptedVault({
      password: opts.vaultPassword,
      plaintext: vaultPlaintext(opts.registrationToken),
      cacheDir: opts.cacheDir,
    });
    await initRepo(
      paths.vaultWorkstation,
      {
        'README.md': {
          content: '# homelab-ansible\n\nInventory and secrets for the homelab. Secrets: ansible-vault.\n',
        },
        '.gitignore': { content: '.vault_pass\n' },
        'inventory/hosts': {
          content: '[proxmox]\npve.lab.test\n\n[deploy]\nct104.lab.test\n\n[matrix]\nvm111.lab.test\n',
        },
        'inventory/group_vars/all/vars.yml': {
          content: '---\nhomelab_domain: lab.test\nhomelab_timezone: Europe/Berlin\n',
        },
        [VAULT_FILE]: { content: encrypted },
      },
      'Initial homelab inventory and vault',
    );
    await publishBare(paths.vaultWorkstation, paths.vaultRemote);
    await cloneRepo(paths.vaultRemote, paths.vaultDeploy);
    await writeFile(paths.vaultPasswordFile, `${opts.vaultPassword}\n`, { mode: 0o600 });
    await chmod(paths.vaultPasswordFile, 0o600);
  })();

  const playbookReady = (async () => {
    const roleFiles = galaxyRoleFiles();
    const roleWork = await mkdtemp(join(tmpdir(), 'lab-role-'));
    try {
      await initRepo(roleWork, roleFiles, 'Lab edition of systemd_service_manager', GALAXY_ROLE.version);
      await mkdir(dirname(paths.roleRemote), { recursive: true });
      await git(dirname(paths.roleRemote), 'clone', '--quiet', '--bare', roleWork, paths.roleRemote);
    } finally {
      await rm(roleWork, { recursive: true, force: true });
    }

    const playbookWork = await mkdtemp(join(tmpdir(), 'lab-playbook-'));
    try {
      await initRepo(
        playbookWork,
        playbookRepoFiles({ tuwunelVersion: opts.tuwunelVersion, galaxyRoleRemote: paths.roleRemote }),
        `Tuwunel v${opts.tuwunelVersion}`,
      );
      await mkdir(remotes, { recursive: true });
      await git(remotes, 'clone', '--quiet', '--bare', playbookWork, paths.playbookRemote);
    } finally {
      await rm(playbookWork, { recursive: true, force: true });
    }
    await cloneRepo(paths.playbookRemote, paths.playbookDir);

    const inventoryOptions = {
      serverName: opts.serverName,
      tuwunelVersion: opts.tuwunelVersion,
      homeserverDir: opts.homeserverDir,
      tuwunelConfigDir: opts.tuwunelConfigDir,
      playbookSeconds: opts.playbookSeconds,
    };
    await writeRepoFiles(paths.playbookDir, {
      [inventory]: { content: inventoryHosts(inventoryOptions) },
      [varsFile]: { content: varsYml(inventoryOptions) },
    });
    await installGalaxyRoles({
      playbookDir: paths.playbookDir,
      roleRemote: paths.roleRemote,
      roleKey: contentKey(roleFiles),
      cacheDir: opts.cacheDir,
      hostDir: opts.hostDir,
    });
  })();

  const binReady = Promise.all(
    (['ansible-playbook', 'ansible-galaxy'] as const).map(async (tool) => {
      const path = join(opts.hostDir, 'bin', tool);
      await writeFile(path, ansibleWrapper(tool, opts.hostDir));
      await chmod(path, 0o755);
    }),
  );

  // As if the last install-all had run: the homeserver's config matches the inventory and the vault.
  const configReady = writeRepoFiles(opts.tuwunelConfigDir, {
    'tuwunel.toml': {
      content: renderedTuwunelToml({
        serverName: opts.serverName,
        registrationToken: opts.registrationToken,
      }),
    },
    env: { content: LEGACY_MEDIA_ENVIRONMENT },
  });

  await Promise.all([
    vaultReady,
    playbookReady,
    binReady,
    configReady,
    mkdir(paths.logDir, { recursive: true }),
  ]);
  // The playbook reads the vault through the deploy host's checkout of homelab-ansible, so `git pull` there
  // is what brings a rotated token to the next install-all.
  await symlink(
    join(paths.vaultDeploy, VAULT_FILE),
    join(paths.playbookDir, `inventory/host_vars/${hostName}/vault.yml`),
  );

  return {
    playbookDir: paths.playbookDir,
    varsFile,
    inventory,
    vaultPasswordFile: paths.vaultPasswordFile,
    logDir: paths.logDir,
    vaultWorkstation: paths.vaultWorkstation,
    vaultRemote: paths.vaultRemote,
    vaultDeploy: paths.vaultDeploy,
    vaultFile: VAULT_FILE,
    playbookRemote: paths.playbookRemote,
  };
}
