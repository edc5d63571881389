import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliLab, startCliLab } from './cli-harness';

/**
 * `run tuwunel.upgrade --param version=v1.9.0 --yes` against a 1.7.0 lab (issue 17, "Done when"): real
 * sshd, sudo, git and ansible-playbook; the stand-ins play the one-time migrations of 1.8.0 and 1.9.0 at the
 * first start, the backup commands with their texts, --restore-backup, Docker's health check and the fault
 * switch that makes the new release fail once started: the rollback (one lab per file: keytar keeps its
 * first D-Bus connection).
 */

const vars = (t: CliLab) =>
  readFile(join(t.lab.repos.playbook, t.lab.profile.deploy?.varsFile ?? ''), 'utf8');
const profileText = (t: CliLab) => readFile(t.lab.profilePath, 'utf8');
const running = async (t: CliLab) => {
  const r = await t.lab.client.request('GET', '/_tuwunel/server_version');
  return r.status === 200 ? String(r.json.version) : `HTTP ${r.status}`;
};

async function adminLogin(t: CliLab): Promise<void> {
  const r = await t.cli(['admin', 'login'], {
    input: `${t.lab.secrets.adminUserId}\n${t.lab.secrets.adminPassword}\n`,
  });
  if (r.code !== 0) throw new Error(`admin login failed: ${r.stderr}`);
}

const LAB = {
  tuwunelVersion: '1.7.0',
  // The faulty start fails once its migrations are done: after the play's own check of the unit (the tasks
  // right after the start) even on a loaded machine, so the run fails at its wait for the first start, as a
  // real deploy host does when Tuwunel dies after migrating.
  migrationSeconds: { '1.8.0': 1, '1.9.0': 6 },
  databaseBackupPath: '/var/lib/tuwunel/backups',
  healthCheckSeconds: 1,
  playbookSeconds: 0,
} as const;

describe('upgrade whose new release fails once started: rolled back from the backup', () => {
  let t: CliLab;
  beforeAll(async () => {
    t = await startCliLab(LAB);
    await adminLogin(t);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('ends with 1.7.0 running on the restored backup, the pin back at v1.7.0, and says so', async () => {
    t.lab.faults.tuwunelStartFails('1.9.0');
    const r = await t.cli(['run', 'tuwunel.upgrade', '--param', 'version=v1.9.0', '--yes']);
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).toBe(1);
    expect(out).toContain(
      'Upgrade Tuwunel failed at "Wait for the first start (one-time migrations)": the new release did not start: Critical error running server: I/O error: Address already in use (os error 98).',
    );
    expect(out).toMatch(
      /Rolled back: Tuwunel v1\.7\.0 runs again on backup #1 \(restored\), vars\.yml pins v1\.7\.0 again, and it answers as 1\.7\.0\./,
    );
    for (const step of [
      'Rollback: stop matrix-tuwunel',
      "Rollback: restore this run's backup",
      'Backup #1 is restored.',
      'Rollback: write vars.yml',
      'Rollback: apply the configuration',
      'Rollback: verify the federation version names the previous version',
    ])
      expect(out).toContain(step);
    expect(await running(t)).toBe('1.7.0');
    expect(await vars(t)).toMatch(/^matrix_tuwunel_version: v1\.7\.0$/m);
    expect(await profileText(t)).toMatch(/version: "?v1\.7\.0"?$/m);
    // The restore brought back the database as 1.7.0 left it: without 1.9.0's migrations.
    expect(await t.lab.state.migrations()).not.toContain('fix_short_injectivity');
    const status = JSON.parse((await t.cli(['status', '--json'])).stdout) as { results: { id: string }[] };
    expect(status.results.map((x) => x.id)).not.toContain('alert:upgrade-rollback');
    expect(t.leakedSecrets()).toEqual([]);
  }, 240_000);
});
