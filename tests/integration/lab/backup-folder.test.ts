import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from '../../lab/lab';
import type { Lab } from '../../lab/types';
import { admin } from './admin-room-helper';

/**
 * The lab's Tuwunel keeps its online backups where the real one does: in database_backup_path under the
 * container's /var/lib/tuwunel, i.e. the host's data folder (the profile's dataDir), laid out as RocksDB's
 * BackupEngine writes it. verify-backup and --restore-backup look at those files.
 */

let lab: Lab;
let backups: string;
beforeAll(async () => {
  lab = await startLab({
    keyring: false,
    tuwunelVersion: '1.8.2',
    databaseBackupPath: '/var/lib/tuwunel/backups',
  });
  backups = join(lab.profile.homeserver?.dataDir ?? '', 'backups');
});
afterAll(async () => {
  await lab?.stop();
});

describe('backups in the data folder (lab, 1.8.2)', () => {
  it('backup-database writes meta/<id>, private/<id>/ and shared_checksum/ as the backup engine does', async () => {
    expect((await admin(lab, 'server backup-database')).body).toBe('Done. Currently have 1 backups.');
    expect((await readdir(backups)).sort()).toEqual(['meta', 'private', 'shared_checksum']);
    const meta = (await readFile(join(backups, 'meta', '1'), 'utf8')).split('\n');
    expect(meta[0]).toMatch(/^\d{10}$/);
    expect(meta[1]).toMatch(/^\d+$/);
    const count = Number(meta[2]);
    const files = meta.slice(3).filter(Boolean);
    expect(files).toHaveLength(count);
    for (const line of files)
      expect(line).toMatch(/^(private\/1\/[A-Z]+[-0-9]*|shared_checksum\/\d{6}_s\w+\.sst) crc32 \d+$/);
    const list = String((await admin(lab, 'server list-backups')).body);
    // 1.8.2 runs the entries together; 1.8.3 ends each with a newline.
    expect(list).toMatch(new RegExp(`^#1 .*: \\d+ bytes, ${count} files$`));
  });

  it('a missing file fails verify-backup and a restore with RocksDB’s NotFound', async () => {
    expect((await admin(lab, 'server verify-backup')).body).toBe(
      'Verified backup #1: all files present with expected sizes.',
    );
    await rm(join(backups, 'private', '1', 'CURRENT'));
    expect((await admin(lab, 'server verify-backup 1')).body).toBe(
      'Command failed with error:\n```\nI/O error: NotFound: File missing: /var/lib/tuwunel/backups/private/1/CURRENT\n```',
    );
    await lab.hosts.homeserver.sh('systemctl stop matrix-tuwunel');
    const restore = await lab.hosts.homeserver.sh(
      'docker run --rm ghcr.io/matrix-construct/tuwunel:v1.8.2 --restore-backup=1 --maintenance --execute "server shutdown"',
    );
    expect(restore.exitCode).toBe(1);
    expect(restore.stderr).toBe(
      'Error: I/O error: NotFound: File missing: /var/lib/tuwunel/backups/private/1/CURRENT\n',
    );
    await lab.hosts.homeserver.sh('systemctl start matrix-tuwunel');
  });

  it('keeping fewer backups removes their files', async () => {
    expect((await admin(lab, 'server backup-database')).body).toBe('Done. Currently have 1 backups.');
    expect(await readdir(join(backups, 'meta'))).toEqual(['2']);
    expect(await readdir(join(backups, 'private'))).toEqual(['2']);
    expect((await readdir(join(backups, 'shared_checksum'))).every((f) => f.startsWith('002'))).toBe(true);
  });
});
