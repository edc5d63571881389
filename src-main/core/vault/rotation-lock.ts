import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, open, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { replaceFileAtomically, syncFolder } from '../lib/atomic-file';
import type { GitRunner } from './git';
import { RotationInProgress } from './token-errors';

/**
 * The lock and the journal of token rotations live in the vault repository's git folder
 * (`.git/homeserver-tray/`): beside the vault, shared by every app instance and the CLI that work on
 * it, and invisible to `git status`. Neither ever holds a secret.
 */

const FOLDER = 'homeserver-tray';
const LOCK_FILE = 'rotation.lock';
const JOURNAL_FILE = 'rotation.json';
/** A takeover of a dead holder's lock that itself died is forgotten after this long. */
const TAKEOVER_STALE_MS = 30_000;

const lockSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  startedAt: z.string(),
  runId: z.string().nullable(),
  /** /proc start time of the holder, so a recycled pid does not look alive. */
  processStart: z.string().nullable(),
});
type LockContent = z.infer<typeof lockSchema>;

export async function rotationFolder(repo: string, git: GitRunner): Promise<string> {
  const { stdout } = await git(repo, ['rev-parse', '--absolute-git-dir'], {
    nextStep: 'Point vault.repo in the profile at the git checkout that holds the vault.',
  });
  const dir = join(stdout.trim(), FOLDER);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function processStart(pid: number): string | null {
  try {
    // Field 22 of /proc/<pid>/stat, counted after the parenthesised command name (which may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(lock: LockContent): boolean {
  if (lock.host !== hostname()) return true;
  try {
    process.kill(lock.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return lock.processStart === null || processStart(lock.pid) === lock.processStart;
}

async function readLock(path: string): Promise<LockContent | null> {
  try {
    const parsed = lockSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface RotationLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Creates the lock file with its content in one step: written to a private temporary file, then
 * hard-linked into place (link fails when the lock exists). Opening the lock itself and writing after
 * left a moment in which another process read an empty lock, took it for a dead holder's, and both ran.
 */
async function create(path: string, content: LockContent): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(content));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Takes the rotation lock of the repository whose git folder holds `folder`, or throws
 * RotationInProgress naming the live holder. A lock left by a killed process is taken over; the
 * takeover itself is guarded by a directory (mkdir is atomic) so two instances cannot both take it.
 */
export async function acquireRotationLock(
  folder: string,
  repo: string,
  runId: string | null,
): Promise<RotationLock> {
  const path = join(folder, LOCK_FILE);
  const mine: LockContent = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    runId,
    processStart: processStart(process.pid),
  };
  const lock: RotationLock = {
    path,
    release: async () => {
      const current = await readLock(path);
      if (current?.pid === mine.pid && current.runId === mine.runId && current.startedAt === mine.startedAt)
        await rm(path, { force: true });
    },
  };
  if (await create(path, mine)) return lock;

  const holder = await readLock(path);
  const refuse = () =>
    new RotationInProgress(repo, {
      pid: holder?.pid ?? 0,
      startedAt: holder?.startedAt ?? 'at an unknown time',
      runId: holder?.runId ?? null,
    });
  if (holder && alive(holder)) throw refuse();

  const guard = `${path}.takeover`;
  try {
    await mkdir(guard);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const since = await stat(guard).then(
      (s) => s.mtimeMs,
      () => Date.now(),
    );
    if (Date.now() - since < TAKEOVER_STALE_MS) throw refuse();
    await rmdir(guard).catch(() => {});
    return acquireRotationLock(folder, repo, runId);
  }
  try {
    const again = await readLock(path);
    if (again && alive(again)) throw refuse();
    await rm(path, { force: true });
    if (!(await create(path, mine))) throw refuse();
    await syncFolder(folder);
    return lock;
  } finally {
    await rmdir(guard).catch(() => {});
  }
}

export const journalSchema = z.object({
  runId: z.string(),
  startedAt: z.string(),
  /** The vault file, absolute. */
  file: z.string(),
  /** The copy of the vault as it was before the rotation. */
  backup: z.string(),
  /** HEAD before the rotation's commit, and the commit (null until made). */
  previousHead: z.string(),
  commit: z.string().nullable(),
  /** `origin/main` style upstream the commit is pushed to. */
  upstream: z.string(),
  stage: z.enum(['backed-up', 'committed', 'pushed', 'rolled-back']),
});
export type RotationJournal = z.infer<typeof journalSchema>;

export async function readJournal(folder: string): Promise<RotationJournal | null> {
  try {
    const parsed = journalSchema.safeParse(JSON.parse(await readFile(join(folder, JOURNAL_FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function writeJournal(folder: string, journal: RotationJournal): Promise<void> {
  await replaceFileAtomically(join(folder, JOURNAL_FILE), `${JSON.stringify(journal, null, 2)}\n`);
}
