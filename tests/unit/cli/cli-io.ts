import { PassThrough } from 'node:stream';
import type { CliIo } from '../../../src-main/cli/io';

/** In-memory terminal for the CLI: what it printed, and a stdin that is a TTY only when asked. */
export function memoryIo(options: { tty?: boolean; input?: string; stop?: AbortSignal } = {}) {
  const out = { stdout: '', stderr: '' };
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty === true });
  if (options.input !== undefined) stdin.end(options.input);
  const io: CliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    stdin,
    ...(options.stop ? { stop: options.stop } : {}),
  };
  return { io, out, stdin };
}
