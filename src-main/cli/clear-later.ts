import { spawn } from 'node:child_process';
import { z } from 'zod';
import { type ClipboardWhat, clearIfUnchanged, type SecretFingerprint } from '../core/token/clipboard';
import { CLIPBOARD_WHATS } from '../core/vocab';
import { type CliClipboardTool, cliClipboardFor, cliClipboardToolSchema } from './cli-clipboard';

/**
 * The command line exits right after copying, so the clear-if-unchanged runs in a small detached
 * process of the same program (`<cli> __clipboard-clear`). It gets, on stdin, a keyed hash of the
 * secret and the key — enough to recognise the secret on the clipboard, not to recover it.
 */
export const CLIPBOARD_CLEAR_COMMAND = '__clipboard-clear';

const hex = z.string().regex(/^[0-9a-f]+$/);
export const clearJobSchema = z
  .object({
    tool: cliClipboardToolSchema,
    what: z.enum(CLIPBOARD_WHATS),
    key: hex,
    digest: hex,
    /**
     * When to clear (epoch ms): the time the copying command told the user. Not a delay from the clearer's
     * start, which on a busy machine comes seconds after the copy.
     */
    clearAt: z.number().int().min(0),
  })
  .strict();
export type ClearJob = z.infer<typeof clearJobSchema>;

export function clearJob(
  tool: CliClipboardTool,
  what: ClipboardWhat,
  print: SecretFingerprint,
  clearAt: number,
): ClearJob {
  return { tool, what, key: print.key.toString('hex'), digest: print.digest.toString('hex'), clearAt };
}

export interface SpawnTarget {
  /** The CLI's entry script (process.argv[1]) and the runtime flags it was started with (tsx's loader). */
  entry: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts the detached clearer; it outlives this process. Resolves with its pid once its job is written to
 * it: this process may exit right after (Ctrl-C), and a job cut short would leave the secret on the clipboard.
 */
export function spawnClearLater(job: ClearJob, target: SpawnTarget): Promise<number | undefined> {
  const child = spawn(
    process.execPath,
    [...(target.execArgv ?? process.execArgv), target.entry, CLIPBOARD_CLEAR_COMMAND],
    {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: target.env ?? process.env,
    },
  );
  child.unref();
  return new Promise((resolve) => {
    const done = () => resolve(child.pid);
    // A clearer that could not start or read its job ends by itself; there is nothing more to wait for.
    child.on('error', done);
    if (!child.stdin) return done();
    child.stdin.on('error', done);
    child.stdin.end(JSON.stringify(job), done);
  });
}

/** The longest a clearer waits: the settings allow no longer delay. */
const MAX_WAIT_MS = 24 * 3600_000;

/** The detached side: waits until the job's time, then clears the clipboard if it still holds the secret. */
export async function runClearJob(
  input: string,
  env: NodeJS.ProcessEnv = process.env,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => number = Date.now,
): Promise<boolean> {
  const job = clearJobSchema.parse(JSON.parse(input));
  await sleep(Math.min(MAX_WAIT_MS, Math.max(0, job.clearAt - now())));
  const clipboard = await cliClipboardFor(job.tool, env);
  return clearIfUnchanged(clipboard, {
    key: Buffer.from(job.key, 'hex'),
    digest: Buffer.from(job.digest, 'hex'),
  });
}
