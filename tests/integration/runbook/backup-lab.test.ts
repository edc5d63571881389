import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StatusService } from '../../../src-main/core/status';
import { type Harness, sentCommands, startHarness } from './harness';

/**
 * "Back up now" against the lab's homeserver: real sshd and sudo, the systemctl and docker stand-ins, the
 * Tuwunel stand-in answering as 1.8.2 (verify-backup exists) or 1.7.0 (it does not), backups laid out in the
 * data folder as RocksDB's backup engine does, and the status check reading that folder.
 */

const TOKEN = (h: Harness) => ({ profile: h.profile.name, kind: 'matrix-admin-token' as const });

function sinceStart(h: Harness, start: number) {
  return sentCommands(h.lab.hosts.homeserver.execLog().slice(start))
    .map((c) => c.command)
    .filter((c) => !/^(pg=\d+\n|kill -TERM)/.test(c) && !c.startsWith('bash --noprofile --norc -c'));
}

async function backupStatus(h: Harness) {
  const service = new StatusService({ profile: h.profile, remote: h.pool });
  try {
    const outcome = await service.refresh({ hosts: ['homeserver'] });
    return outcome.results.find((r) => r.id === 'backup:tuwunel');
  } finally {
    service.close();
  }
}

const adminCommands = (h: Harness) =>
  h.lab
    .adminRoomLog()
    .map((e) => e.content.body)
    .filter((b): b is string => typeof b === 'string' && b.startsWith('!admin server '));

describe('Back up now on 1.8.2 with database_backup_path', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ tuwunelVersion: '1.8.2', databaseBackupPath: '/var/lib/tuwunel/backups' });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });
  let logStart = 0;
  beforeEach(() => {
    logStart = h.lab.hosts.homeserver.execLog().length;
  });

  it('before any backup, the status check asks for one', async () => {
    expect(await backupStatus(h)).toMatchObject({
      level: 'warn',
      detail: expect.stringMatching(/^There is no Tuwunel backup in .*\/backups yet; run "Back up now"\.$/),
    });
  });

  it('through the admin room: backs up, lists and verifies, stopping nothing', async () => {
    await h.secrets.set(TOKEN(h), h.lab.secrets.adminAccessToken);
    const rb = h.runbook();
    const plan = await rb.plan('tuwunel.backup');
    expect(plan.danger).toBe('disruptive');
    expect(plan.steps.map((s) => s.id)).toEqual(['backup-database', 'list-backups', 'verify-backup']);
    const record = await (await rb.start('tuwunel.backup', {}, { confirmed: true })).done;
    expect(record.state).toBe('ok');
    expect(record.sentence).toMatch(
      /^Backup #1 \(\d{4}-\d\d-\d\d \d\d:\d\d UTC, \d+ MB in \d+ files\) is made and verified by Tuwunel \(every file present with its size\) \(through the admin room, no downtime\)\. Tuwunel keeps 1 backup \(database_backups_to_keep\)\.$/,
    );
    expect(adminCommands(h)).toEqual([
      '!admin server backup-database',
      '!admin server list-backups',
      '!admin server verify-backup 1',
    ]);
    expect(sinceStart(h, logStart)).toEqual([]);
    expect(await backupStatus(h)).toMatchObject({
      level: 'ok',
      detail: expect.stringMatching(
        /^1 backup in .*; the newest, #1 \(.* UTC\), is \d+ min old and has all \d+ files/,
      ),
    });
  });

  it('in CLI mode (no admin token): stops Tuwunel, runs one self-ending maintenance container, starts it again', async () => {
    await h.secrets.delete(TOKEN(h));
    const rb = h.runbook();
    const plan = await rb.plan('tuwunel.backup');
    expect(plan.danger).toBe('outage');
    expect(plan.steps.map((s) => `${s.phase} ${s.id}`)).toEqual([
      'main stop-tuwunel',
      'main backup-one-off',
      'finally start-tuwunel',
      'finally confirm-tuwunel',
      'finally wait-server-version',
    ]);
    const record = await (await rb.start('tuwunel.backup', {}, { confirmed: true })).done;
    expect(record.state).toBe('ok');
    expect(record.sentence).toMatch(
      /^Backup #2 .* is made and verified by Tuwunel .* \(CLI mode; Tuwunel was stopped for \d+ s and is running again\)\. Tuwunel keeps 1 backup/,
    );
    const { dataDir, configDir } = h.profile.homeserver;
    expect(sinceStart(h, logStart)).toEqual([
      'systemctl stop matrix-tuwunel',
      `timeout 1800 docker run --rm -v ${dataDir}:/var/lib/tuwunel -v ${configDir}:/etc/tuwunel:ro -e TUWUNEL_CONFIG=/etc/tuwunel/tuwunel.toml ghcr.io/matrix-construct/tuwunel:v1.8.2 --maintenance --execute 'server backup-database' --execute 'server list-backups' --execute 'server verify-backup' --execute 'server shutdown'`,
      'systemctl start matrix-tuwunel',
      'systemctl is-active matrix-tuwunel',
    ]);
    expect(await h.lab.state.unitActive('matrix-tuwunel')).toBe(true);
    // database_backups_to_keep = 1: the first backup is gone from the folder too.
    expect(await readdir(join(dataDir, 'backups', 'meta'))).toEqual(['2']);
  });

  it('a file missing from the newest backup fails the status check and Tuwunel’s verify alike', async () => {
    const dir = join(h.profile.homeserver.dataDir, 'backups');
    const shared = (await readdir(join(dir, 'shared_checksum'))).sort();
    await rm(join(dir, 'shared_checksum', shared[0] as string));
    const status = await backupStatus(h);
    expect(status?.level).toBe('fail');
    expect(status?.detail).toMatch(
      new RegExp(
        `^The newest Tuwunel backup #2 \\(.* UTC\\) in .* is damaged: 1 of its \\d+ files is missing \\(shared_checksum/${shared[0]}\\); do not restore it, run "Back up now"`,
      ),
    );
    await h.secrets.set(TOKEN(h), h.lab.secrets.adminAccessToken);
    // Back up now makes a sound backup #3; Tuwunel keeps one, so the damaged one goes.
    const record = await (await h.runbook().start('tuwunel.backup', {}, { confirmed: true })).done;
    expect(record.state).toBe('ok');
    expect((await backupStatus(h))?.level).toBe('ok');
  });
});
