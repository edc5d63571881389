// upgrade: the downtime users see during `tuwunel.upgrade` 1.7.0 → 1.9.0 against the lab (real sshd, sudo, git,
// ansible-playbook; the stand-ins play 1.9.0's and 1.8.0's one-time migrations at first start), beside, in the same
// run, what the same change costs at the least: a bare restart of Tuwunel plus the migrations' own time. Downtime
// is what a client sees: `/_tuwunel/server_version` polled every 25 ms, from its first non-200 to its first 200
// after. The goal (issue 17.6): downtime ≤ 1.2 × (bare restart + migration), i.e. the backup, the notices, the
// checks and the verification add no stop of their own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileSchema } from '../../src-main/core/profile/schema';
import { MaintenanceStore } from '../../src-main/core/runbook/maintenance';
import { Runbook } from '../../src-main/core/runbook/runner';
import { SshPool } from '../../src-main/core/ssh/pool';
import { startLab } from '../lab/lab';
import type { Lab } from '../lab/types';
import { MemorySecrets } from '../unit/core/runbook/test-profile';
import type { Measure } from './run';

const MIGRATION_SECONDS = { '1.8.0': 1, '1.9.0': 2 };

/** Watches the version endpoint; `outage()` is the longest stretch without a 200 since start(). */
class DowntimeProbe {
  private stopped = false;
  private down: number | null = null;
  private longest = 0;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly lab: Lab) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        const r = await this.lab.client
          .request('GET', '/_tuwunel/server_version')
          .catch(() => ({ status: 0 }));
        const now = performance.now();
        if (r.status !== 200) this.down ??= now;
        else if (this.down !== null) {
          this.longest = Math.max(this.longest, now - this.down);
          this.down = null;
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
  }

  async stop(): Promise<number> {
    this.stopped = true;
    await this.loop;
    if (this.down !== null) throw new Error('Tuwunel did not answer again');
    return this.longest;
  }
}

/** The migrations' span in this start's journal: from the first migration line to the last. */
async function migrationMs(lab: Lab): Promise<number> {
  const r = await lab.hosts.homeserver.sh('journalctl -u matrix-tuwunel -o cat --no-pager');
  const stamps = r.stdout
    .split('\n')
    .filter((l) => /tuwunel_service::migrations/.test(l) && !/Skipping/.test(l))
    .map((l) => Date.parse(l.slice(0, 27)));
  if (stamps.length < 2) throw new Error('the journal shows no migration');
  return stamps.at(-1)! - stamps[0]!;
}

export default async function bench(): Promise<Measure[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-upgrade-'));
  const lab = await startLab({
    keyring: false,
    tuwunelVersion: '1.7.0',
    migrationSeconds: MIGRATION_SECONDS,
    databaseBackupPath: '/var/lib/tuwunel/backups',
    healthCheckSeconds: 1,
    playbookSeconds: 0.2,
  });
  const profile = profileSchema.parse(lab.profile);
  const secrets = new MemorySecrets();
  await secrets.set(
    { profile: profile.name, kind: 'sudo-password', host: 'homeserver' },
    lab.secrets.sudoPassword,
  );
  await secrets.set({ profile: profile.name, kind: 'matrix-admin-token' }, lab.secrets.adminAccessToken);
  const pool = new SshPool({
    profile,
    appKnownHostsFile: join(dataDir, 'known_hosts'),
    agentSocket: undefined,
    secret: (kind, host) => secrets.get({ profile: profile.name, kind, host }),
  });
  try {
    const runbook = new Runbook({
      profile,
      exec: pool,
      maintenance: new MaintenanceStore(),
      secrets,
      settings: { pollIntervalMs: 100 },
    });
    const probe = new DowntimeProbe(lab);
    probe.start();
    const run = await runbook.start('tuwunel.upgrade', { version: 'v1.9.0' }, { confirmed: true });
    const record = await run.done;
    const downtime = await probe.stop();
    if (record.state !== 'ok') throw new Error(`the upgrade did not succeed: ${record.sentence}`);
    const migration = await migrationMs(lab);

    // The same release, restarted bare: what a restart costs without migrations (median of 3).
    const restarts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const bare = new DowntimeProbe(lab);
      bare.start();
      const r = await lab.hosts.homeserver.sh('systemctl restart matrix-tuwunel');
      if (r.exitCode !== 0) throw new Error(`systemctl restart failed: ${r.stderr}`);
      restarts.push(await bare.stop());
    }
    const bareRestart = [...restarts].sort((a, b) => a - b)[1] as number;
    return [
      {
        name: 'upgrade',
        downtime_ms: Math.round(downtime),
        bare_restart_ms: Math.round(bareRestart),
        migration_ms: Math.round(migration),
        ratio: Math.round((downtime / (bareRestart + migration)) * 100) / 100,
        goal_ratio: 1.2,
        run_ms: record.durationMs ?? 0,
      },
    ];
  } finally {
    await pool.disconnect();
    await lab.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
