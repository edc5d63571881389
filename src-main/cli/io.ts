import { describeError, HostKeyChanged, HostKeyUnknown } from '../core/errors';
import { exitCodeForError } from './exit-codes';

/** How the command line is invoked in hints (the package script runs src-main/cli/main.ts with tsx). */
export const CLI_NAME = 'npm run cli --';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Answers to confirmations and piped secrets; `isTTY` decides whether the CLI may ask at all. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  /** Aborts on Ctrl-C / SIGTERM: `status --watch` ends, a running action is cancelled (its finally steps still run). */
  stop?: AbortSignal;
}

/** What to type next for a host key the pool refused. */
export function hostKeyHint(error: unknown): string | null {
  if (error instanceof HostKeyUnknown)
    return `If the fingerprint is right, trust it with: ${CLI_NAME} hostkey trust ${error.host}`;
  if (error instanceof HostKeyChanged)
    return `Only after checking the new key on the machine's console: ${CLI_NAME} hostkey forget ${error.host}, then ${CLI_NAME} hostkey trust ${error.host}`;
  return null;
}

/** Prints a typed error as its sentence and next step (never a stack trace) and returns the exit code. */
export function printError(io: Pick<CliIo, 'stderr'>, error: unknown): number {
  const d = describeError(error);
  const hint = hostKeyHint(error);
  io.stderr(`${d.message}\n${d.nextStep}\n${hint ? `${hint}\n` : ''}`);
  return exitCodeForError(error);
}

/** Asks a yes/no question on the terminal; anything but y/yes is no. */
export function confirm(io: CliIo, question: string): Promise<boolean> {
  io.stderr(`${question} [y/N] `);
  return new Promise((resolve) => {
    const stdin = io.stdin;
    let text = '';
    const finish = (answer: string) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
      resolve(/^y(es)?$/i.test(answer.trim()));
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) finish(text.slice(0, nl));
    };
    const onEnd = () => finish(text);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}
