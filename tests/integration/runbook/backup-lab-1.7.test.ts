import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TUWUNEL_STOPPED_ALERT } from '../../../src-main/core/runbook/catalog';
import { StatusService } from '../../../src-main/core/status';
import { type Harness, startHarness } from './harness';

/**
 * "Back up now" against a lab playing Tuwunel 1.7.0, first without database_backup_path (the playbook's
 * default: Tuwunel refuses, Tuwunel still runs afterwards), then with it: no verify-backup at that release.
 * (A file of its own: the keychain's D-Bus connection lives as long as the test process, one lab a file.)
 */

async function backupStatus(h: Harness) {
  const service = new StatusService({ profile: h.profile, remote: h.pool });
  try {
    const outcome = await service.refresh({ hosts: ['homeserver'] });
    return outcome.results.find((r) => r.id === 'backup:tuwunel');
  } finally {
    service.close();
  }
}

describe('Back up now on 1.7.0', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ tuwunelVersion: '1.7.0' });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('without database_backup_path: says where to set it, and Tuwunel runs again afterwards', async () => {
    expect((await backupStatus(h))?.detail).toMatch(
      /^Tuwunel’s own backups are off \(no database_backup_path in tuwunel\.toml\); to take one before an upgrade, set matrix_tuwunel_config_database_backup_path/,
    );
    const rb = h.runbook();
    const plan = await rb.plan('tuwunel.backup');
    // 1.7.0 has no verify-backup: the one-off does not ask for it.
    expect(plan.steps.find((s) => s.id === 'backup-one-off')?.command).not.toContain('verify-backup');
    const record = await (await rb.start('tuwunel.backup', {}, { confirmed: true })).done;
    expect(record.state).toBe('failed');
    expect(record.sentence).toContain(
      "Tuwunel answered: Command failed with error: There was a problem with the 'database_backup_path' directive in your configuration: Configure path to enable backups (set matrix_tuwunel_config_database_backup_path in vars.yml to a folder under /var/lib/tuwunel",
    );
    expect(record.steps.filter((s) => s.phase === 'finally').map((s) => s.state)).toEqual(['ok', 'ok', 'ok']);
    expect(await h.lab.state.unitActive('matrix-tuwunel')).toBe(true);
    expect(rb.alerts.list()).toEqual([]);
  });

  it('raises the same sticky alert as every CLI-mode stop when Tuwunel cannot be started again', async () => {
    h.lab.faults.exit('homeserver', 'systemctl start*', 1, 'Job for matrix-tuwunel.service failed.\n');
    const rb = h.runbook({ settings: { finallyAttempts: 2, tuwunelReadyTimeoutMs: 600 } });
    const record = await (await rb.start('tuwunel.backup', {}, { confirmed: true })).done;
    expect(record.state).toBe('failed');
    expect(record.alert).toMatchObject({ id: TUWUNEL_STOPPED_ALERT, fixActionId: 'stack.start' });
    expect(record.alert?.message).toMatch(
      /^After backing up Tuwunel, matrix-tuwunel could not be confirmed running/,
    );
    expect(await h.lab.state.unitActive('matrix-tuwunel')).toBe(false);
    h.lab.faults.clear();
    expect((await (await rb.start('stack.start')).done).state).toBe('ok');
    expect(rb.alerts.list()).toEqual([]);
  });

  it('with a backup path, backs up in CLI mode and says 1.7.0 cannot verify it', async () => {
    const toml = join(h.profile.homeserver.configDir, 'tuwunel.toml');
    const text = await readFile(toml, 'utf8');
    // As install-all renders matrix_tuwunel_config_database_backup_path.
    await writeFile(
      toml,
      text.replace('[global]\n', '[global]\ndatabase_backup_path = "/var/lib/tuwunel/backups"\n'),
    );
    const record = await (await h.runbook().start('tuwunel.backup', {}, { confirmed: true })).done;
    expect(record.state).toBe('ok');
    expect(record.sentence).toMatch(
      /^Backup #1 \(.* UTC, \d+ MB in \d+ files\) is made; Tuwunel 1\.7\.0 cannot verify backups \(1\.8\.2 can\), the status check looks at its files \(CLI mode; Tuwunel was stopped for \d+ s and is running again\)\. Tuwunel keeps 1 backup/,
    );
    expect((await backupStatus(h))?.level).toBe('ok');
  });
});
