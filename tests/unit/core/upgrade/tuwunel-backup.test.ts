import { describe, expect, it } from 'vitest';
import {
  answersAs,
  dockerHealth,
  hasHealthCheck,
  readFederationVersion,
  readRunningVersion,
  readServerVersion,
} from '../../../../src-main/core/upgrade/readiness';
import {
  canVerifyBackups,
  readBackupList,
  readBackupReply,
  readVerifyReply,
} from '../../../../src-main/core/upgrade/tuwunel-backup';

const FAILED = (error: string) => `Command failed with error:\n\`\`\`\n${error}\n\`\`\``;

describe('backup replies (src/admin/server at the tags)', () => {
  it('backup-database: "Done", and before 1.8.2 a "Failed:" that still counts', () => {
    expect(readBackupReply('Done. Currently have 3 backups.')).toEqual({
      ok: true,
      value: { count: 3 },
      line: 'Done. Currently have 3 backups.',
    });
    expect(readBackupReply('Failed: IO error: No space left on device. Currently have 1 backups.')).toEqual({
      ok: false,
      line: 'Tuwunel could not make the backup: IO error: No space left on device',
    });
    expect(readBackupReply('Some other answer')).toMatchObject({ ok: false });
  });

  it('an unconfigured or unwritable backup path names the vars.yml key to set', () => {
    const none = readBackupReply(
      FAILED(
        "There was a problem with the 'database_backup_path' directive in your configuration: Configure path to enable backups",
      ),
    );
    expect(none).toMatchObject({ ok: false });
    expect(none.line).toMatch(
      /^Command failed with error: There was a problem .* \(set matrix_tuwunel_config_database_backup_path in vars\.yml to a folder under \/var\/lib\/tuwunel/,
    );
    const readOnly = readBackupReply(
      FAILED('I/O error: IO error: While mkdir if missing: /srv/backups: Read-only file system'),
    );
    expect(readOnly.line).toContain('(set matrix_tuwunel_config_database_backup_path');
  });

  it('list-backups: one a line (1.8.3) or run together (before), in the one-off container’s output too', () => {
    const lines = readBackupList(
      '#1 Sat, 5 Dec 2026 02:00:00 +0000: 180013447 bytes, 51 files\n#2 Mon, 7 Dec 2026 05:25:12 +0000: 180099999 bytes, 44 files\n',
    );
    expect(lines).toEqual({
      ok: true,
      line: '2 backups',
      value: [
        { id: 1, at: Date.UTC(2026, 11, 5, 2, 0, 0), bytes: 180013447, files: 51 },
        { id: 2, at: Date.UTC(2026, 11, 7, 5, 25, 12), bytes: 180099999, files: 44 },
      ],
    });
    const together = readBackupList(
      '2026-12-07T05:25:12.1Z  INFO main: noise\n#1 Sat, 5 Dec 2026 02:00:00 +0000: 1 bytes, 2 files#2 Mon, 7 Dec 2026 05:25:12 +0000: 3 bytes, 4 files\n',
    );
    expect(together.ok && together.value.map((b) => b.id)).toEqual([1, 2]);
    expect(readBackupList(FAILED('No backups found.'))).toEqual({
      ok: false,
      line: 'Command failed with error: No backups found.',
    });
    expect(readBackupList('nothing here')).toEqual({ ok: false, line: 'Tuwunel listed no backups.' });
  });

  it('verify-backup: the verified id, or RocksDB’s error', () => {
    expect(readVerifyReply('Verified backup #7: all files present with expected sizes.')).toMatchObject({
      ok: true,
      value: { id: 7 },
    });
    expect(
      readVerifyReply(
        FAILED('I/O error: NotFound: File missing: /var/lib/tuwunel/backups/private/7/CURRENT'),
      ),
    ).toEqual({
      ok: false,
      line: 'Command failed with error: I/O error: NotFound: File missing: /var/lib/tuwunel/backups/private/7/CURRENT',
    });
    expect(readVerifyReply('Done.')).toMatchObject({ ok: false });
  });

  it('verify-backup and the health check exist from 1.8.2', () => {
    expect(['1.7.0', '1.8.1', 'v1.8.2', '1.9.0', 'junk'].map(canVerifyBackups)).toEqual([
      false,
      false,
      true,
      true,
      false,
    ]);
    expect(['1.8.1', '1.8.2', 'nonsense'].map(hasHealthCheck)).toEqual([false, true, false]);
  });
});

describe('readiness and the running version', () => {
  it('reads the version endpoints, and readiness needs HTTP 200 with a version (the target, when given)', () => {
    const body = '{"name":"Tuwunel","version":"1.9.0"}';
    expect(readServerVersion(body)).toBe('1.9.0');
    expect(readFederationVersion(`{"server":${body}}`)).toBe('1.9.0');
    expect(readServerVersion('{"version":1}')).toBeNull();
    expect(readServerVersion('<html>502 Bad Gateway</html>')).toBeNull();
    expect(answersAs(200, body)).toBe(true);
    expect(answersAs(200, body, 'v1.9.0')).toBe(true);
    expect(answersAs(200, body, '1.8.3')).toBe(false);
    expect(answersAs(502, body)).toBe(false);
  });

  it('tells Docker’s health states apart', () => {
    expect(dockerHealth('Up 3 minutes (healthy)')).toBe('healthy');
    expect(dockerHealth('Up 5 seconds (health: starting)')).toBe('starting');
    expect(dockerHealth('Up 4 minutes (unhealthy)')).toBe('unhealthy');
    expect(dockerHealth('Up 5 days')).toBe('none');
  });

  it('asks /_tuwunel/server_version first, the federation endpoint when that is not routed, and says why neither', async () => {
    const asked: string[] = [];
    const answers: Record<string, { status: number; body: string } | { error: string }> = {
      'https://m.example/_tuwunel/server_version': { status: 404, body: '' },
      'https://m.example/_matrix/federation/v1/version': {
        status: 200,
        body: '{"server":{"name":"Tuwunel","version":"1.8.2"}}',
      },
    };
    const get = async (url: string) => {
      asked.push(url);
      return answers[url] ?? { error: 'refused' };
    };
    expect(await readRunningVersion(get, 'https://m.example')).toEqual({
      ok: true,
      version: '1.8.2',
      source: 'https://m.example/_matrix/federation/v1/version',
    });
    expect(asked).toEqual(Object.keys(answers));
    expect(await readRunningVersion(get, 'https://down.example')).toEqual({
      ok: false,
      reason: '/_tuwunel/server_version: refused; /_matrix/federation/v1/version: refused',
    });
    answers['https://m.example/_matrix/federation/v1/version'] = { status: 200, body: '{}' };
    expect(await readRunningVersion(get, 'https://m.example')).toEqual({
      ok: false,
      reason:
        '/_tuwunel/server_version: HTTP 404; /_matrix/federation/v1/version: HTTP 200 without a version',
    });
  });
});
