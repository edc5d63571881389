import { randomBytes } from 'node:crypto';
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * A lock held across processes by a file whose content names its owner (pid, machine, process start time).
 * A lock whose owner has died is taken over, and the takeover is atomic: it happens under a second lock (the
 * guard, `<path>.takeover`, the same kind of lock, so a guard whose owner died is taken over the same way),
 * and only after checking, under that guard, that the file still holds the very content that was judged
 * dead. Two processes that both saw the dead owner therefore cannot both replace it: the second one finds
 * the first one's lock instead. Every lock file is written whole before it appears (a private temporary
 * file, hard-linked into place), so no reader ever sees an empty or half-written one.
 */

const ownerSchema = z
  .object({
    pid: z.number().int().positive(),
    /** Absent in locks written before the machine was recorded: taken as this machine. */
    host: z.string().optional(),
    /** /proc start time of the owner, so a recycled pid does not look alive; null where /proc is not. */
    processStart: z.string().nullable().optional(),
  })
  .passthrough();
export type LockOwner = z.infer<typeof ownerSchema>;

/** A file that cannot be read as a lock and is younger than this belongs to a writer of another kind still at work. */
const FRESH_UNREADABLE_MS = 2_000;
/** The guard of a guard is as deep as a takeover goes: it needs two owners to die mid-takeover in a row. */
const MAX_GUARD_DEPTH = 2;

export interface HeldLockFile {
  readonly path: string;
  /** Removes the file if it is still this lock's (idempotent). */
  release(): void;
}

export type LockFileResult =
  | { held: HeldLockFile }
  /** `owner`: the live holder; null when the file cannot be read yet or another process is taking it over. */
  | { busy: LockOwner | null };

/** Field 22 of /proc/<pid>/stat, counted after the parenthesised command name (which may hold spaces). */
export function processStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Another machine's process cannot be checked: it counts as alive. */
export function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== undefined && owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !owner.processStart || processStartOf(owner.pid) === owner.processStart;
}

function readRaw(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function parseOwner(raw: string): LockOwner | null {
  try {
    const parsed = ownerSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Creates `path` holding `content`, or answers false when it exists. */
function createWhole(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(temp, { force: true });
  }
}

function held(path: string, content: string): HeldLockFile {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      // While this process lives nobody takes its lock over, so the content read here stays ours until unlinked.
      if (readRaw(path) !== content) return;
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    },
  };
}

function acquireAt(path: string, content: string, depth: number): LockFileResult {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createWhole(path, content)) return { held: held(path, content) };
    const seen = readRaw(path);
    if (seen === null) continue;
    const owner = parseOwner(seen);
    if (owner && ownerAlive(owner)) return { busy: owner };
    if (!owner && ageMs(path) < FRESH_UNREADABLE_MS) return { busy: null };
    if (depth >= MAX_GUARD_DEPTH) return { busy: null };
    const guard = acquireAt(`${path}.takeover`, ownerContent({ takeover: true }), depth + 1);
    if (!('held' in guard)) return { busy: null };
    try {
      // Only the content judged dead may be replaced; anything else is a lock someone took meanwhile.
      if (readRaw(path) !== seen) continue;
      unlinkSync(path);
      if (createWhole(path, content)) return { held: held(path, content) };
    } finally {
      guard.held.release();
    }
  }
  const now = readRaw(path);
  const owner = now === null ? null : parseOwner(now);
  return { busy: owner && ownerAlive(owner) ? owner : null };
}

/** This process as a lock's owner, with the caller's fields and a nonce that makes every lock's content unique. */
function ownerContent(fields: Record<string, unknown>): string {
  return JSON.stringify({
    ...fields,
    pid: process.pid,
    host: hostname(),
    processStart: processStartOf(process.pid),
    nonce: randomBytes(9).toString('base64url'),
  });
}

/**
 * Takes the lock at `path` for this process (its folder must exist), taking over a dead owner's lock.
 * `fields` are stored beside the owner, for whoever is refused (what runs, since when). Synchronous, so
 * that callers in one process cannot interleave.
 */
export function acquireLockFile(path: string, fields: Record<string, unknown>): LockFileResult {
  return acquireAt(path, ownerContent(fields), 0);
}

/** The live owner of the lock at `path` (with its fields), or null when it is free or its owner is gone. */
export function lockFileOwner(path: string): LockOwner | null {
  const raw = readRaw(path);
  const owner = raw === null ? null : parseOwner(raw);
  return owner && ownerAlive(owner) ? owner : null;
}
