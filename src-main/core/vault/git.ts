import { spawn } from 'node:child_process';
import { Cancelled, Timeout } from '../errors';
import { GitFailed } from './token-errors';

export interface GitResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Resolve with the exit code instead of throwing GitFailed (for questions like `merge-base --is-ancestor`). */
  allowFailure?: boolean;
  /** The sentence GitFailed suggests. */
  nextStep?: string;
}

/** Runs git. */
export type GitRunner = (repo: string, args: string[], options?: GitOptions) => Promise<GitResult>;

const MAX_OUTPUT = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join(' / ');
}

/**
 * The workstation's own git, with the user's configuration (identity, remotes, credentials). It never
 * prompts — a push that needs a password fails instead of hanging a window that has no terminal — and
 * speaks English so its messages read the same everywhere. Nothing secret is ever an argument: only the
 * encrypted vault goes through git.
 */
export const systemGit: GitRunner = (repo, args, options = {}) =>
  new Promise((resolve, reject) => {
    const what = `git ${args.join(' ')}`;
    if (options.signal?.aborted) {
      reject(new Cancelled(what));
      return;
    }
    const child = spawn('git', args, {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', LANGUAGE: 'C' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += c;
    });
    let stopped: 'timeout' | 'cancel' | null = null;
    const stop = (why: 'timeout' | 'cancel') => {
      stopped = why;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    };
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const onAbort = () => stop('cancel');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(
        new GitFailed(
          what,
          repo,
          null,
          (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'git is not installed' : e.message,
          'Install git (and make sure it is on PATH), then try again.',
        ),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (stopped === 'timeout') return reject(new Timeout(what, timeoutMs));
      if (stopped === 'cancel') return reject(new Cancelled(what));
      const result = { exitCode: code, stdout, stderr };
      if (code !== 0 && !options.allowFailure) {
        reject(new GitFailed(what, repo, code, tail(stderr || stdout), options.nextStep));
        return;
      }
      resolve(result);
    });
  });
