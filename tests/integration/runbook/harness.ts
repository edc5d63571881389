import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeServer } from '../../../src-main/core/matrix/server-facts';
import { expandHome } from '../../../src-main/core/profile/load';
import { type Profile, profileSchema } from '../../../src-main/core/profile/schema';
import { AuditLog } from '../../../src-main/core/runbook/audit';
import { MaintenanceStore } from '../../../src-main/core/runbook/maintenance';
import { Runbook, type RunbookOptions } from '../../../src-main/core/runbook/runner';
import type { RunbookSettings } from '../../../src-main/core/runbook/types';
import { createKeytarSecretStore } from '../../../src-main/core/secrets/keytar-store';
import { profileSecretStore } from '../../../src-main/core/secrets/profile-secrets';
import type { SecretStore } from '../../../src-main/core/secrets/types';
import { HostLocks } from '../../../src-main/core/ssh/host-lock';
import { SshPool } from '../../../src-main/core/ssh/pool';
import { startLab } from '../../lab/lab';
import type { Lab, LabOptions } from '../../lab/types';
import { wordsOf } from '../reliability/shell-records';

/** Short limits: the lab answers in milliseconds, and tests must not wait out the runbook's minutes. */
export const FAST: Partial<RunbookSettings> = {
  cliExecuteTimeoutSeconds: 2,
  unitCommandTimeoutMs: 15_000,
  unitsSettleTimeoutMs: 5_000,
  tuwunelReadyTimeoutMs: 8_000,
  playbookTimeoutMs: 60_000,
  deployCommandTimeoutMs: 60_000,
  adminReplyTimeoutMs: 5_000,
  pollIntervalMs: 200,
  finallyAttempts: 4,
  finallyRetryDelayMs: 300,
};

export interface Harness {
  lab: Lab;
  profile: Profile;
  pool: SshPool;
  secrets: SecretStore;
  maintenance: MaintenanceStore;
  audit: AuditLog;
  locks: HostLocks;
  dataDir: string;
  runbook(extra?: Partial<RunbookOptions> & { settings?: Partial<RunbookSettings> }): Runbook;
  stop(): Promise<void>;
}

/**
 * The lab (real sshd, bash, ansible, gnome-keyring) with the real SSH pool and keychain in front of it:
 * the runbook under test sees exactly what the app would.
 */
export async function startHarness(options: LabOptions = {}): Promise<Harness> {
  const lab = await startLab(options);
  const dataDir = await mkdtemp(join(tmpdir(), 'runbook-it-'));
  try {
    if (lab.env.DBUS_SESSION_BUS_ADDRESS)
      process.env.DBUS_SESSION_BUS_ADDRESS = lab.env.DBUS_SESSION_BUS_ADDRESS;
    const profile = profileSchema.parse(lab.profile);
    // Bound to a profile identity, as the app's core binds its keychain (a uid as the profile store gives one).
    const secrets = profileSecretStore(createKeytarSecretStore(), { profile, uid: randomUUID() });
    await secrets.set(
      { profile: profile.name, kind: 'sudo-password', host: 'homeserver' },
      lab.secrets.sudoPassword,
    );
    const pool = new SshPool({
      profile,
      appKnownHostsFile: join(dataDir, 'known_hosts'),
      agentSocket: undefined,
      secret: (kind, host) => secrets.get({ profile: profile.name, kind, host }),
    });
    const maintenance = new MaintenanceStore(join(dataDir, 'maintenance.json'));
    const audit = new AuditLog(dataDir);
    const locks = new HostLocks(profile, join(dataDir, 'locks'));
    return {
      lab,
      profile,
      pool,
      secrets,
      maintenance,
      audit,
      locks,
      dataDir,
      runbook: (extra = {}) =>
        new Runbook({
          profile,
          exec: pool,
          maintenance,
          secrets,
          audit,
          locks,
          // As the app's core asks: the release the server runs and whether its admin API answers.
          server: async () =>
            probeServer({
              profile,
              ca: profile.caFile ? await readFile(expandHome(profile.caFile)) : undefined,
            }),
          ...extra,
          settings: { ...FAST, ...extra.settings },
        }),
      stop: async () => {
        await pool.disconnect();
        await lab.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await lab.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The command the runbook sent, from a line of a lab host's exec log: the SSH pool wraps it as
 * `exec /bin/sh -c '<prelude>\n<command>'`, with sudo as `exec sudo -S -p '<prompt>' -- /bin/sh -c
 * '<marker line>\n<command>'`. Unwrapped by bash's own word splitting, not by pattern matching.
 */
export function sentCommands(execLog: string[]): { command: string; sudo: boolean }[] {
  // Other lines are not the pool's (e.g. a nested `bash -c` that the lab's bashrc also logs).
  const wrapped = execLog.filter((l) => l.startsWith("exec /bin/sh -c '"));
  const scripts = wordsOf(wrapped).map((w) => (w[0] === 'exec' && w[2] === '-c' ? (w[3] ?? '') : ''));
  const bodies = scripts.map((s) => s.slice(s.indexOf('\n') + 1));
  const sudoWords = wordsOf(bodies.map((b) => (b.startsWith('exec sudo ') ? b : 'x')));
  return bodies.map((body, i) => {
    if (!body.startsWith('exec sudo ')) return { command: body, sudo: false };
    const inner = sudoWords[i]?.at(-1) ?? '';
    return { command: inner.slice(inner.indexOf('\n') + 1), sudo: true };
  });
}
