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
    delayMs: z
      .number()
      .int()
      .min(0)
      .max(24 * 3600_000),
  })
  .strict();
export type ClearJob = z.infer<typeof clearJobSchema>;

export function clearJob(
  tool: CliClipboardTool,
  what: ClipboardWhat,
  print: SecretFingerprint,
  delayMs: number,
): ClearJob {
  return { tool, what, key: print.key.toString('hex'), digest: print.digest.toString('hex'), delayMs };
}

export interface SpawnTarget {
  /** The CLI's entry script (process.argv[1]) and the runtime flags it was started with (tsx's loader). */
  entry: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Starts the detached clearer; it outlives this process. Returns its pid. */
export function spawnClearLater(job: ClearJob, target: SpawnTarget): number | undefined {
  const child = spawn(
    process.execPath,
    [...(target.execArgv ?? process.execArgv), target.entry, CLIPBOARD_CLEAR_COMMAND],
    {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: target.env ?? process.env,
    },
  );
  child.stdin?.on('error', () => {});
  child.stdin?.end(JSON.stringify(job));
  child.unref();
  return child.pid;
}

/** The detached side: waits, then clears the clipboard if it still holds the secret. */
export async function runClearJob(
  input: string,
  env: NodeJS.ProcessEnv = process.env,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<boolean> {
  const job = clearJobSchema.parse(JSON.parse(input));
  await sleep(job.delayMs);
  const clipboard = await cliClipboardFor(job.tool, env);
  return clearIfUnchanged(clipboard, {
    key: Buffer.from(job.key, 'hex'),
    digest: Buffer.from(job.digest, 'hex'),
  });
}
