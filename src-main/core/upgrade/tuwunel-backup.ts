import { compareVersions, parseVersion } from '../lib/version';
import { readAnyReply } from '../matrix/tuwunel-admin';

/**
 * Tuwunel's online backups (src/admin/server and src/database/engine/backup.rs at the tags): the admin
 * commands, and how their replies read in the admin room and in the one-off container's output alike.
 */

export const BACKUP_DATABASE = 'server backup-database';
export const LIST_BACKUPS = 'server list-backups';
export const VERIFY_BACKUP = 'server verify-backup';

/** `verify-backup`, `delete-backups` and `--restore-backup` arrived in 1.8.2. */
const VERIFY_FROM = parseVersion('1.8.2')!;

/** Whether this release can verify and restore its backups (false for a version the app cannot read). */
export function canVerifyBackups(version: string): boolean {
  const v = parseVersion(version);
  return v !== null && compareVersions(v, VERIFY_FROM) >= 0;
}

export type BackupVerdict<T> = { ok: true; value: T; line: string } | { ok: false; line: string };

/** Where to put the backups when Tuwunel says it has none configured (or cannot write the one it has). */
const PATH_HINT =
  'set matrix_tuwunel_config_database_backup_path in vars.yml to a folder under /var/lib/tuwunel (e.g. /var/lib/tuwunel/backups) and apply the configuration';

function failed(text: string): string | null {
  const v = readAnyReply(text);
  if (v.ok) return null;
  return /database_backup_path|Read-only file system/.test(text) ? `${v.line} (${PATH_HINT})` : v.line;
}

/**
 * `Done. Currently have N backups.`; before 1.8.2 a failed backup said `Failed: <error>. Currently have N
 * backups.` and still counted as a reply, so that is a failure here.
 */
export function readBackupReply(text: string): BackupVerdict<{ count: number }> {
  const error = failed(text);
  if (error) return { ok: false, line: error };
  const bad = /Failed: (.*)\. Currently have \d+ backups\./.exec(text);
  if (bad) return { ok: false, line: `Tuwunel could not make the backup: ${bad[1]}` };
  const done = /Done\. Currently have (\d+) backups\./.exec(text);
  if (!done) return { ok: false, line: 'Tuwunel did not answer "Done" to the backup.' };
  return { ok: true, value: { count: Number(done[1]) }, line: done[0] };
}

export interface BackupEntry {
  id: number;
  /** Epoch ms, from the RFC 2822 time Tuwunel prints. */
  at: number;
  bytes: number;
  files: number;
}

/**
 * `#<id> <RFC 2822 time>: <bytes> bytes, <n> files` per backup, oldest first; before 1.8.3 the entries
 * run together on one line, hence a global match rather than lines.
 */
const ENTRY =
  /#(\d+) ((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}): (\d+) bytes, (\d+) files/g;

export function readBackupList(text: string): BackupVerdict<BackupEntry[]> {
  const error = failed(text);
  if (error) return { ok: false, line: error };
  const entries = [...text.matchAll(ENTRY)].map((m) => ({
    id: Number(m[1]),
    at: Date.parse(m[2] as string),
    bytes: Number(m[3]),
    files: Number(m[4]),
  }));
  if (entries.length === 0) return { ok: false, line: 'Tuwunel listed no backups.' };
  return { ok: true, value: entries, line: `${entries.length} backup${entries.length === 1 ? '' : 's'}` };
}

/** `Verified backup #N: all files present with expected sizes.` */
export function readVerifyReply(text: string): BackupVerdict<{ id: number }> {
  const error = failed(text);
  if (error) return { ok: false, line: error };
  const m = /Verified backup #(\d+): all files present with expected sizes\./.exec(text);
  if (!m) return { ok: false, line: 'Tuwunel did not confirm the backup as verified.' };
  return { ok: true, value: { id: Number(m[1]) }, line: m[0] };
}
