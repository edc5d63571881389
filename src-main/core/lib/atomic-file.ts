import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Durable file replacement: a temp file in the same folder, fsync, rename over the target, fsync the
 * folder. A crash at any point leaves either the old file or the new one, never a mix, and never an
 * empty file after a power cut (the data is on disk before the rename is).
 */

const TEMP_TAG = '.homeserver-tray-';

export type AtomicWriteEvent = 'temp-synced' | 'renamed' | 'folder-synced';

/** Opening a folder to fsync it is a POSIX thing; Windows refuses it and makes renames durable itself. */
export async function syncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}${TEMP_TAG}${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes `data` to a new file (refusing to overwrite) and fsyncs it and its folder. */
export async function writeNewFileDurably(path: string, data: Buffer | string, mode = 0o600): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncFolder(dirname(path));
}

async function currentMode(path: string): Promise<number> {
  try {
    return (await stat(path)).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0o600;
    throw e;
  }
}

/**
 * Replaces (or creates) `path` with `data` atomically, keeping the permission bits it had.
 * `beforeRename` runs while the temp file is written and synced, and must succeed for the rename to
 * happen (a check of the data that should gate replacing the old file).
 */
export async function replaceFileAtomically(
  path: string,
  data: Buffer | string,
  onEvent: (event: AtomicWriteEvent) => void = () => {},
  beforeRename: () => Promise<void> = async () => {},
): Promise<void> {
  const mode = await currentMode(path);
  const temp = tempPathFor(path);
  const check = beforeRename();
  // Awaited below; until then a failure must not count as unhandled.
  check.catch(() => {});
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    onEvent('temp-synced');
    await check;
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  onEvent('renamed');
  await syncFolder(dirname(path));
  onEvent('folder-synced');
}

/**
 * Temp files a killed process left beside `path`. They only ever hold ciphertext, but they are clutter;
 * call this only while holding the lock that rules out a writer in progress.
 */
export async function removeStaleTemps(path: string): Promise<string[]> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}${TEMP_TAG}`;
  const stale = (await readdir(dir)).filter((f) => f.startsWith(prefix) && f.endsWith('.tmp'));
  await Promise.all(stale.map((f) => rm(join(dir, f), { force: true })));
  return stale;
}
