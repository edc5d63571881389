import { Cancelled, describeError, type ErrorInfo } from '../core/errors';
import { exitCodeForError } from './exit-codes';
import { cliNextStep } from './next-step';

/** How the installed command line is called; in a checkout it is `npm run cli --` (invocationName). */
export const INSTALLED_NAME = 'homeserver-tray';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Answers to confirmations and piped secrets; `isTTY` decides whether the CLI may ask at all. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  /** Aborts on Ctrl-C / SIGTERM: `status --watch` ends, a running action is cancelled (its finally steps still run). */
  stop?: AbortSignal;
  /** How the user runs this command line, for the commands hints name (default INSTALLED_NAME). */
  name?: string;
}

/**
 * The command as the user typed it: `npm run cli --` when npm runs the package script (a checkout), else
 * the installed `homeserver-tray`.
 */
export function invocationName(env: NodeJS.ProcessEnv): string {
  return env.npm_lifecycle_event === 'cli' ? 'npm run cli --' : INSTALLED_NAME;
}

/** The name hints use for this invocation. */
export function cliName(io: Pick<CliIo, 'name'>): string {
  return io.name ?? INSTALLED_NAME;
}

/** An error's sentence and its next step in the command line's words (never a stack trace). */
export function errorText(io: Pick<CliIo, 'name'>, info: ErrorInfo): string {
  return `${info.message}\n${cliNextStep(info, cliName(io))}\n`;
}

/** Prints a typed error as its sentence and next step and returns the exit code. */
export function printError(io: Pick<CliIo, 'stderr' | 'name'>, error: unknown): number {
  io.stderr(errorText(io, describeError(error)));
  return exitCodeForError(error);
}

/**
 * Asks a yes/no question on the terminal; anything but y/yes is no, and so is Ctrl-C (the caller tells
 * the two apart by `io.stop.aborted`).
 */
export function confirm(io: CliIo, question: string): Promise<boolean> {
  io.stderr(`${question} [y/N] `);
  return new Promise((resolve) => {
    const stdin = io.stdin;
    let text = '';
    const finish = (answer: string) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      io.stop?.removeEventListener('abort', onStop);
      stdin.pause();
      resolve(!io.stop?.aborted && /^y(es)?$/i.test(answer.trim()));
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) finish(text.slice(0, nl));
    };
    const onEnd = () => finish(text);
    const onStop = () => {
      io.stderr('\n');
      finish('');
    };
    if (io.stop?.aborted) return finish('');
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    io.stop?.addEventListener('abort', onStop, { once: true });
    stdin.resume();
  });
}

/**
 * `work`, unless Ctrl-C (or SIGTERM) comes first: then Cancelled(what), exit 130, at once. For a step that
 * has no way to be stopped on its way (a request the server may already be answering): the command stops
 * waiting, and whatever the step still does is the caller's to say. Already stopped: it does not start waiting.
 */
export function unlessStopped<T>(io: Pick<CliIo, 'stop'>, what: string, work: Promise<T>): Promise<T> {
  const stop = io.stop;
  if (!stop) return work;
  // Whatever becomes of the abandoned step must not count as unhandled.
  work.catch(() => {});
  if (stop.aborted) return Promise.reject(new Cancelled(what));
  return new Promise<T>((resolve, reject) => {
    const onStop = () => reject(new Cancelled(what));
    stop.addEventListener('abort', onStop, { once: true });
    work.then(
      (value) => {
        stop.removeEventListener('abort', onStop);
        resolve(value);
      },
      (error: unknown) => {
        stop.removeEventListener('abort', onStop);
        reject(error);
      },
    );
  });
}
