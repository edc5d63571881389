import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { replaceFileAtomically, syncFolder } from '../lib/atomic-file';
import { acquireLockFile, lockFileOwner, processStartOf } from '../lib/lock-file';
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

/** The rotation folder of each repository this process has looked up: every status poll reads the journal. */
const folders = new Map<string, string>();

/** Where the rotation folder of `repo` is, without making it (reading needs nothing made). */
async function rotationFolderPath(repo: string, git: GitRunner): Promise<string> {
  const known = folders.get(repo);
  if (known) return known;
  const { stdout } = await git(repo, ['rev-parse', '--absolute-git-dir'], {
    nextStep: 'Point vault.repo in the profile at the git checkout that holds the vault.',
  });
  const dir = join(stdout.trim(), FOLDER);
  folders.set(repo, dir);
  return dir;
}

export async function rotationFolder(repo: string, git: GitRunner): Promise<string> {
  const dir = await rotationFolderPath(repo, git);
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
  /**
   * How far the rotation got: its vault backed up, committed, pushed, pulled by the deploy host's vault
   * checkout, applied (Tuwunel has the new token), or rolled back. Every process reads it: `pushed` and
   * `pulled` mean the vault holds a token the server does not accept yet.
   */
  stage: z.enum(['backed-up', 'committed', 'pushed', 'pulled', 'applied', 'rolled-back']),
  /**
   * The process that wrote it (pid, machine, start time). Absent in journals of earlier versions, which had
   * no stage after `pushed`: theirs cannot tell a rotation that was applied from one that was not.
   */
  writer: z.object({ pid: z.number(), host: z.string(), processStart: z.string().nullable() }).optional(),
});
export type RotationJournal = z.infer<typeof journalSchema>;
export type RotationStage = RotationJournal['stage'];

export async function readJournal(folder: string): Promise<RotationJournal | null> {
  try {
    const parsed = journalSchema.safeParse(JSON.parse(await readFile(join(folder, JOURNAL_FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function writeJournal(folder: string, journal: RotationJournal): Promise<void> {
  const writer = { pid: process.pid, host: hostname(), processStart: processStartOf(process.pid) };
  await replaceFileAtomically(
    join(folder, JOURNAL_FILE),
    `${JSON.stringify({ ...journal, writer }, null, 2)}\n`,
  );
}

/** The last rotation of a repository as every process sees it, and whether a rotation or rollback runs now. */
export interface RotationState {
  journal: RotationJournal | null;
  /** A live process holds the rotation lock: its run is in progress, and speaks for itself. */
  inProgress: boolean;
}

export async function readRotationState(repo: string, git: GitRunner): Promise<RotationState> {
  const folder = await rotationFolderPath(repo, git);
  return {
    journal: await readJournal(folder),
    inProgress: lockFileOwner(join(folder, LOCK_FILE)) !== null,
  };
}

/**
 * Moves the journal of the rotation that pushed `commit` (any pushed one when null) from `from` to `to`:
 * the deploy host pulled it, or the configuration with it was applied. Returns whether it moved.
 */
export async function advanceJournal(
  repo: string,
  git: GitRunner,
  from: readonly RotationStage[],
  to: RotationStage,
  commit: string | null,
): Promise<boolean> {
  const folder = await rotationFolder(repo, git);
  const journal = await readJournal(folder);
  if (!journal || !from.includes(journal.stage)) return false;
  if (commit !== null && journal.commit !== commit) return false;
  await writeJournal(folder, { ...journal, stage: to });
  return true;
}

/**
 * What `token copy` and the Tokens panel say beside the token when the vault holds a rotated token that
 * Tuwunel does not accept yet (the journal says pushed or pulled, not applied); null when it is live as
 * far as the journal knows.
 */
export function notLiveSentence(state: RotationState, applyTitle: string): string | null {
  const journal = state.journal;
  if (!journal?.writer || (journal.stage !== 'pushed' && journal.stage !== 'pulled')) return null;
  const when = state.inProgress ? 'The rotation is still running: ' : '';
  return `${when}this is the new token of rotation ${journal.runId.slice(0, 8)}, pushed but not applied yet: Tuwunel still accepts only the old one, so sign-ups with this one fail until "${applyTitle}" succeeds.`;
}
