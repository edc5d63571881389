import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { replaceFileAtomically, syncFolder } from '../lib/atomic-file';
import { acquireLockFile } from '../lib/lock-file';
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

export async function rotationFolder(repo: string, git: GitRunner): Promise<string> {
  const { stdout } = await git(repo, ['rev-parse', '--absolute-git-dir'], {
    nextStep: 'Point vault.repo in the profile at the git checkout that holds the vault.',
  });
  const dir = join(stdout.trim(), FOLDER);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export interface RotationLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Takes the rotation lock of the repository whose git folder holds `folder`, or throws
 * RotationInProgress naming the live holder. A lock left by a killed process is taken over atomically
 * (lib/lock-file.ts), so two instances that both find it dead cannot both take it.
 */
export async function acquireRotationLock(
  folder: string,
  repo: string,
  runId: string | null,
): Promise<RotationLock> {
  const path = join(folder, LOCK_FILE);
  const result = acquireLockFile(path, { startedAt: new Date().toISOString(), runId });
  if ('busy' in result) {
    const holder = result.busy;
    throw new RotationInProgress(repo, {
      pid: holder?.pid ?? 0,
      startedAt: typeof holder?.startedAt === 'string' ? holder.startedAt : 'at an unknown time',
      runId: typeof holder?.runId === 'string' ? holder.runId : null,
    });
  }
  await syncFolder(folder);
  const lock = result.held;
  return { path, release: async () => lock.release() };
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
