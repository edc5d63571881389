import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { acquireLockFile } from './lock-file';

/**
 * A small JSON file that several processes (the tray app, the CLI, `status --watch`) read and change: each
 * change is a read-modify-write under a lock file (lib/lock-file.ts, so a killed writer's lock is taken
 * over), and the new content replaces the old whole (temp file, fsync, rename), so a reader never sees half
 * of it. Synchronous: the files are a few kilobytes, and callers in one process cannot interleave.
 */

/** How long a change waits for another process's change to finish before it gives up. */
const LOCK_WAIT_MS = 2_000;
const LOCK_RETRY_MS = 5;

const pause = new Int32Array(new SharedArrayBuffer(4));

/** The file's text, or null when it does not exist. */
export function readShared(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Replaces the file whole, for a file only one process writes (its own run's record). */
export function writeShared(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeWhole(path, text);
}

function writeWhole(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

/**
 * Changes the file: `change` gets its current text (null when there is none) and returns the new text, or
 * null to leave it as it is. Returns the text the file holds afterwards. Throws when another process holds
 * the file's lock for longer than a change takes (LOCK_WAIT_MS).
 */
export function updateShared(path: string, change: (current: string | null) => string | null): string | null {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const lockPath = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const lock = acquireLockFile(lockPath, { file: basename(path) });
    if ('held' in lock) {
      try {
        const current = readShared(path);
        const next = change(current);
        if (next === null || next === current) return current;
        writeWhole(path, next);
        return next;
      } finally {
        lock.held.release();
      }
    }
    if (Date.now() > deadline)
      throw new Error(
        `${path} stayed locked by process ${lock.busy?.pid ?? 'unknown'} for ${LOCK_WAIT_MS} ms`,
      );
    Atomics.wait(pause, 0, 0, LOCK_RETRY_MS);
  }
}
