import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { fileUid } from '../../../src-main/core/profile/load';
import { type Profile, type ProfileInput, profileSchema } from '../../../src-main/core/profile/schema';
import { AuditLog } from '../../../src-main/core/runbook/audit';
import { CATALOG } from '../../../src-main/core/runbook/catalog';
import { MaintenanceStore } from '../../../src-main/core/runbook/maintenance';
import type { RunRecord } from '../../../src-main/core/runbook/run-record';
import { Runbook } from '../../../src-main/core/runbook/runner';
import type { StickyAlerts } from '../../../src-main/core/runbook/sticky-alerts';
import { createTokenActions } from '../../../src-main/core/runbook/token-actions';
import { createKeytarSecretStore } from '../../../src-main/core/secrets/keytar-store';
import { profileSecretStore } from '../../../src-main/core/secrets/profile-secrets';
import type { SecretStore } from '../../../src-main/core/secrets/types';
import { SshPool } from '../../../src-main/core/ssh/pool';
import { startLab } from '../../lab/lab';
import type { Lab, LabOptions } from '../../lab/types';

/**
 * The app's core against the lab for the token tests: the real keychain (keytar on the lab's
 * gnome-keyring) bound to the profile file's identity as the app binds it (so the command line and
 * createCore on `profilePath` find the same entries), the real SSH pool, the runbook with the token
 * actions, an audit trail in a data folder.
 */
const execFileAsync = promisify(execFile);

export const hermeticGit = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } as const;

export interface TokenLab {
  lab: Lab;
  profile: Profile;
  profilePath: string;
  secrets: SecretStore;
  pool: SshPool;
  dataDir: string;
  runbook(): Runbook;
  /** The sticky alerts of the runbook `run` uses. */
  alerts: StickyAlerts;
  run(actionId: string, params?: Record<string, unknown>): Promise<RunRecord>;
  /**
   * The vault's plaintext as the real ansible-vault CLI decrypts it (password on its stdin); given several
   * files, their plaintexts one after the other.
   */
  view(
    file?: string | readonly string[],
  ): Promise<{ code: number | null; plaintext: string; stderr: string }>;
  stop(): Promise<void>;
}

export async function startTokenLab(
  options: LabOptions = {},
  change: (p: ProfileInput, lab: Lab) => ProfileInput = (p) => p,
): Promise<TokenLab> {
  Object.assign(process.env, hermeticGit);
  const lab = await startLab(options);
  const scratch = await mkdtemp(join(tmpdir(), 'token-lab-'));
  try {
    process.env.DBUS_SESSION_BUS_ADDRESS = lab.env.DBUS_SESSION_BUS_ADDRESS;
    const profile = profileSchema.parse(change(structuredClone(lab.profile), lab));
    const profilePath = join(scratch, 'profile.yaml');
    await writeFile(profilePath, stringify(profile));
    const secrets = profileSecretStore(createKeytarSecretStore(), {
      profile,
      uid: await fileUid(profilePath),
    });
    await secrets.set({ profile: profile.name, kind: 'vault-password' }, lab.secrets.vaultPassword);
    await secrets.set(
      { profile: profile.name, kind: 'sudo-password', host: 'homeserver' },
      lab.secrets.sudoPassword,
    );
    await secrets.set({ profile: profile.name, kind: 'matrix-admin-token' }, lab.secrets.adminAccessToken);
    const dataDir = join(scratch, 'data');
    const pool = new SshPool({
      profile,
      appKnownHostsFile: join(scratch, 'known_hosts'),
      agentSocket: undefined,
      secret: (kind, host) => secrets.get({ profile: profile.name, kind, host }),
    });
    const maintenance = new MaintenanceStore();
    const audit = new AuditLog(dataDir);
    const runbook = () =>
      new Runbook({
        profile,
        exec: pool,
        maintenance,
        secrets,
        audit,
        catalog: [...CATALOG, ...createTokenActions({ secrets, mirrorWaitMs: 3000 })],
        settings: { pollIntervalMs: 200, finallyRetryDelayMs: 200 },
      });
    const shared = runbook();
    return {
      lab,
      profile,
      profilePath,
      secrets,
      pool,
      dataDir,
      runbook,
      alerts: shared.alerts,
      run: async (actionId, params = {}) => (await shared.start(actionId, params, { confirmed: true })).done,
      view: (file) =>
        ansibleVaultView(
          file ?? join(lab.repos.vaultWorkstation, 'inventory/group_vars/all/vault.yml'),
          lab.secrets.vaultPassword,
          scratch,
        ),
      stop: async () => {
        await pool.disconnect();
        await lab.stop();
        await rm(scratch, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await lab.stop();
    await rm(scratch, { recursive: true, force: true });
    throw e;
  }
}

/**
 * `ansible-vault view` of one vault or several in one run (it prints their plaintexts one after the other):
 * a run costs ~0.4 s of CPU, so tests that check many vaults check them together.
 */
export function ansibleVaultView(
  file: string | readonly string[],
  password: string,
  home: string,
): Promise<{ code: number | null; plaintext: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Through `cat`: ansible-vault runs an executable password file as a script, and Node's stdin socket
    // looks executable, while a shell pipe does not.
    const script = 'cat | ansible-vault view --vault-password-file /dev/stdin "$@"';
    const child = spawn('sh', ['-c', script, 'sh', ...(typeof file === 'string' ? [file] : file)], {
      env: { ...process.env, ANSIBLE_HOME: join(home, 'ansible'), PAGER: 'cat' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let plaintext = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      plaintext += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, plaintext, stderr }));
    child.stdin.end(password);
  });
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd, env: { ...process.env, ...hermeticGit } });
  return stdout.trim();
}

/** The token tuwunel.toml on the homeserver holds (what Tuwunel reads at start). */
export async function renderedToken(lab: Lab): Promise<string | null> {
  const { stdout } = await lab.hosts.homeserver.sh('cat "$LAB_HOST_DIR/state/tuwunel/config/tuwunel.toml"');
  const m = /^registration_token = "([^"]*)"$/m.exec(stdout);
  return m ? (m[1] as string) : null;
}
