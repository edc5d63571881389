import { createHash } from 'node:crypto';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { shellQuote } from '../../../src-main/core/ssh/quote';
import { cachedDir } from './artefact-cache';
import { cloneRepo, compactRepo, copyRepos, git, initRepo, publishBare, writeRepoFiles } from './git';
import {
  inventoryHostName,
  inventoryHosts,
  LEGACY_MEDIA_ENVIRONMENT,
  renderedLabels,
  renderedTuwunelToml,
  varsYml,
} from './inventory-files';
import { GALAXY_ROLE, galaxyRoleFiles, playbookRepoFiles, type RepoFiles } from './playbook-files';
import { publishPlaybookRelease } from './playbook-upstream';
import { mustRun } from './run';
import { encryptedVault, VAULT_FILE, vaultPlaintext } from './vault';

export interface DeployHostOptions {
  /** The deploy host's folder (`<lab>/deploy`); its `bin/` comes first on the host's PATH. */
  hostDir: string;
  homeserverDir: string;
  serverName: string;
  /** Without the leading v, e.g. '1.7.0': the version vars.yml pins and the homeserver runs. */
  tuwunelVersion: string;
  /** The version the checkout's Tuwunel role defaults to (its defaults/main.yml). Default tuwunelVersion. */
  playbookTuwunelVersion?: string;
  /** Whether vars.yml routes /_synapse/admin to Tuwunel (Traefik labels). Default true. */
  synapseAdminApiRouted?: boolean;
  vaultPassword: string;
  registrationToken: string;
  playbookSeconds: number;
  cacheDir: string;
  /** The homeserver's Tuwunel config folder, where the playbook renders tuwunel.toml. */
  tuwunelConfigDir: string;
  /** matrix_tuwunel_config_auto_join_rooms in vars.yml (and the rendered tuwunel.toml). */
  autoJoinRooms?: readonly string[];
  /** matrix_tuwunel_config_database_backup_path in vars.yml (and the rendered tuwunel.toml). */
  databaseBackupPath?: string;
  /**
   * The playbook's upstream is one release ahead of the checkout: its Tuwunel role defaults name this version
   * (without v), so `git pull` on the deploy host (deploy.update) brings a newer default.
   */
  upstreamTuwunelVersion?: string;
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
  return [
    '#!/bin/bash',
    `# The real ${tool} (ansible-core 2.14) behind the lab's fault switches (tests/lab/host/faults.sh);`,
    "# Ansible's own state stays inside this lab host.",
    `export LAB_HOST_DIR=${shellQuote(hostDir)}`,
    '. "$LAB_HOST_DIR/lib/faults.sh"',
    `lab_fault_check ${tool} "$@"`,
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

// Bumping this retires every cached repository set (after changing how they are built).
const REPOS_CACHE_VERSION = 'v5';

/**
 * The galaxy role's upstream (bare), made once per role content. It lives in the cache, not in each lab:
 * the playbook's requirements.yml names it by absolute path, and a path shared by every lab is what lets
 * the playbook repositories be cached too. Labs only ever read it (`ansible-galaxy install`).
 */
async function galaxyRoleRemote(cacheDir: string, roleFiles: RepoFiles): Promise<string> {
  const dir = await cachedDir(
    join(
      cacheDir,
      `galaxy-role-remote-${REPOS_CACHE_VERSION}-${GALAXY_ROLE.version}-${contentKey(roleFiles)}`,
    ),
    async (tmp) => {
      const work = join(tmp, 'work');
      await initRepo(work, roleFiles, 'Lab edition of systemd_service_manager', GALAXY_ROLE.version);
      await git(tmp, 'clone', '--quiet', '--bare', work, join(tmp, `${GALAXY_ROLE.name}.git`));
      await rm(work, { recursive: true, force: true });
    },
  );
  return join(dir, `${GALAXY_ROLE.name}.git`);
}

/**
 * The playbook's upstream (`remote.git`) and a checkout of it with roles/galaxy as `ansible-galaxy
 * install` leaves it (`checkout`), made once per playbook content with the real git and ansible-galaxy
 * (~1 s); labs copy them.
 */
async function playbookRepos(opts: {
  cacheDir: string;
  files: RepoFiles;
  tuwunelVersion: string;
}): Promise<{ remote: string; checkout: string }> {
  const dir = await cachedDir(
    join(opts.cacheDir, `playbook-repos-${REPOS_CACHE_VERSION}-${contentKey(opts.files)}`),
    async (tmp) => {
      const work = join(tmp, 'work');
      const checkout = join(tmp, 'checkout');
      await initRepo(work, opts.files, `Tuwunel v${opts.tuwunelVersion}`);
      await git(tmp, 'clone', '--quiet', '--bare', work, join(tmp, 'remote.git'));
      await rm(work, { recursive: true, force: true });
      await cloneRepo(join(tmp, 'remote.git'), checkout);
      // The runbook's reinstall line, against the checkout's own requirements.yml.
      await mustRun(
        'ansible-galaxy',
        ['install', '-r', 'requirements.yml', '-p', 'roles/galaxy/', '--force'],
        { cwd: checkout, env: { ...process.env, ANSIBLE_HOME: join(tmp, 'ansible') } },
      );
      await rm(join(tmp, 'ansible'), { recursive: true, force: true });
      await Promise.all([compactRepo(join(tmp, 'remote.git')), compactRepo(checkout)]);
    },
  );
  return { remote: join(dir, 'remote.git'), checkout: join(dir, 'checkout') };
}

/** The vault repository as the workstation, its bare remote and the deploy host's clone, made once per content. */
async function vaultRepos(
  cacheDir: string,
  files: RepoFiles,
): Promise<{ workstation: string; remote: string; deploy: string }> {
  const dir = await cachedDir(
    join(cacheDir, `vault-repos-${REPOS_CACHE_VERSION}-${contentKey(files)}`),
    async (tmp) => {
      await initRepo(join(tmp, 'workstation'), files, 'Initial homelab inventory and vault');
      await publishBare(join(tmp, 'workstation'), join(tmp, 'remote.git'));
      await cloneRepo(join(tmp, 'remote.git'), join(tmp, 'deploy'));
      await Promise.all(['workstation', 'remote.git', 'deploy'].map((r) => compactRepo(join(tmp, r))));
    },
  );
  return {
    workstation: join(dir, 'workstation'),
    remote: join(dir, 'remote.git'),
    deploy: join(dir, 'deploy'),
  };
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
    const cached = await vaultRepos(opts.cacheDir, {
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
    });
    await Promise.all([
      copyRepos([
        { from: cached.workstation, to: paths.vaultWorkstation, origin: paths.vaultRemote },
        { from: cached.remote, to: paths.vaultRemote, origin: paths.vaultWorkstation },
        { from: cached.deploy, to: paths.vaultDeploy, origin: paths.vaultRemote },
      ]),
      writeFile(paths.vaultPasswordFile, `${opts.vaultPassword}\n`, { mode: 0o600 }).then(() =>
        chmod(paths.vaultPasswordFile, 0o600),
      ),
    ]);
  })();

  const playbookReady = (async () => {
    const roleRemote = await galaxyRoleRemote(opts.cacheDir, galaxyRoleFiles());
    const cached = await playbookRepos({
      cacheDir: opts.cacheDir,
      files: playbookRepoFiles({
        tuwunelVersion: opts.playbookTuwunelVersion ?? opts.tuwunelVersion,
        galaxyRoleRemote: roleRemote,
      }),
      tuwunelVersion: opts.playbookTuwunelVersion ?? opts.tuwunelVersion,
    });
    await copyRepos([
      { from: cached.remote, to: paths.playbookRemote },
      { from: cached.checkout, to: paths.playbookDir, origin: paths.playbookRemote },
    ]);
    if (opts.upstreamTuwunelVersion)
      await publishPlaybookRelease({
        playbookRemote: paths.playbookRemote,
        tuwunelVersion: opts.upstreamTuwunelVersion,
      });
    const inventoryOptions = {
      serverName: opts.serverName,
      tuwunelVersion: opts.tuwunelVersion,
      synapseAdminApiRouted: opts.synapseAdminApiRouted ?? true,
      homeserverDir: opts.homeserverDir,
      tuwunelConfigDir: opts.tuwunelConfigDir,
      playbookSeconds: opts.playbookSeconds,
      autoJoinRooms: opts.autoJoinRooms,
      databaseBackupPath: opts.databaseBackupPath,
    };
    await writeRepoFiles(paths.playbookDir, {
      [inventory]: { content: inventoryHosts(inventoryOptions) },
      [varsFile]: { content: varsYml(inventoryOptions) },
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
        autoJoinRooms: opts.autoJoinRooms,
        databaseBackupPath: opts.databaseBackupPath,
      }),
    },
    labels: {
      content: renderedLabels({
        serverName: opts.serverName,
        synapseAdminApiRouted: opts.synapseAdminApiRouted ?? true,
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
