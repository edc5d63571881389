import type { DatabaseSync } from '@photostructure/sqlite';
import { HistoryUnavailable } from './errors';

export type Database = InstanceType<typeof DatabaseSync>;
type SqliteModule = { DatabaseSync: typeof DatabaseSync };

let loading: Promise<SqliteModule> | undefined;

/**
 * @photostructure/sqlite (node:sqlite's API as a Node-API addon, so one prebuilt binary loads in Node and in
 * Electron without a rebuild) is loaded on first use: code that never opens the history, and its tests, do not
 * need the native module, and a machine where it cannot load still runs the app without history.
 */
function loadSqlite(): Promise<SqliteModule> {
  loading ??= import('@photostructure/sqlite').then(
    (mod: SqliteModule & { default?: SqliteModule }) => mod.default ?? mod,
    (e: unknown) => {
      loading = undefined;
      throw new HistoryUnavailable(`the SQLite module could not load (${firstLine(e)})`);
    },
  );
  return loading;
}

export function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split('\n')[0] ?? '').trim().replace(/\.+$/, '').slice(0, 200);
}

/**
 * Opens (creating) a database file for one process's writes and any number of readers: WAL, so the CLI reads
 * while the tray writes; NORMAL sync, because a poll lost to a power cut is one sample, not worth an fsync per
 * poll; a busy timeout, so two processes wait for each other instead of failing.
 */
export async function openDatabase(file: string): Promise<Database> {
  const { DatabaseSync } = await loadSqlite();
  let db: Database | undefined;
  try {
    db = new DatabaseSync(file);
    db.exec('PRAGMA busy_timeout = 2000');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    return db;
  } catch (e) {
    db?.close();
    throw new HistoryUnavailable(`${file} cannot be opened as a database (${firstLine(e)})`);
  }
}
