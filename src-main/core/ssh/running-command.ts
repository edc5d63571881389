import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import {
  type CommandProcess,
  PromptWatcher,
  StdoutUnwrapper,
  sudoFailureReason,
  type WrappedCommand,
} from './remote-command';
import { TailBuffer } from './tail-buffer';

export type CommandOutcome =
  | { kind: 'exited'; exitCode: number | null; signal: string | null; stdout: string; stderr: string }
  /** The channel closed without an exit status: the connection went away under the command. */
  | { kind: 'lost'; stdout: string; stderr: string }
  | { kind: 'sudo-failed'; reason: string; stderr: string };

export interface RunningCommandOptions {
  /** Written after sudo (if any) has started the command, then stdin is closed. */
  stdin?: string | Buffer;
  /** Written once, when sudo prompts with the marker prompt. Owned: zeroed when the channel closes. */
  sudoPassword: Buffer | null;
  maxOutputChars: number;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

/** One wrapped command on an open exec channel: unwraps its output, answers sudo, reports how it ended. */
export class RunningCommand {
  readonly outcome: Promise<CommandOutcome>;
  private wrapperValue: CommandProcess | null | undefined;
  private readonly wrapperWaiters: ((wrapper: CommandProcess | null) => void)[] = [];
  private closed = false;
  private readonly closeWaiters: (() => void)[] = [];
  private passwordLine: Buffer | null = null;

  constructor(
    private readonly channel: ClientChannel,
    readonly wrapped: WrappedCommand,
    options: RunningCommandOptions,
  ) {
    const stdoutDecoder = new StringDecoder('utf8');
    const stderrDecoder = new StringDecoder('utf8');
    const stdoutTail = new TailBuffer(options.maxOutputChars);
    const stderrTail = new TailBuffer(options.maxOutputChars);
    // sudo's own words, kept apart from the caller's bounded stderr so the failure reason survives.
    const sudoStderr = new TailBuffer(4096);
    const unwrapper = new StdoutUnwrapper(wrapped.marker, wrapped.sudo);
    const prompts = new PromptWatcher(wrapped.sudoPrompt);
    let sudoOk = wrapped.sudo === 'none';
    let exit: { code: number | null; signal: string | null } | null = null;

    const writeStdinAndClose = () => {
      if (options.stdin !== undefined && options.stdin.length > 0) channel.write(options.stdin);
      channel.end();
    };

    const emitStdout = (text: string) => {
      if (text.length === 0) return;
      stdoutTail.push(text);
      options.onStdout?.(text);
    };
    const emitStderr = (text: string) => {
      if (text.length === 0) return;
      stderrTail.push(text);
      if (!sudoOk) sudoStderr.push(text);
      options.onStderr?.(text);
    };

    channel.on('data', (data: Buffer) => {
      const { text, events } = unwrapper.push(stdoutDecoder.write(data));
      emitStdout(text);
      for (const event of events) {
        if (event.kind === 'wrapper') this.setWrapper(event.wrapper);
        else if (event.kind === 'sudo-ok') {
          sudoOk = true;
          writeStdinAndClose();
        }
      }
    });

    channel.stderr.on('data', (data: Buffer) => {
      const decoded = stderrDecoder.write(data);
      if (wrapped.sudo !== 'password' || sudoOk) {
        emitStderr(prompts.flush() + decoded);
        return;
      }
      const { text, prompts: seen } = prompts.push(decoded);
      emitStderr(text);
      if (seen === 0) return;
      if (prompts.count === 1 && options.sudoPassword) {
        this.passwordLine = Buffer.concat([options.sudoPassword, Buffer.from('\n')]);
        channel.write(this.passwordLine);
      } else {
        // Asked again: the stored password was wrong. EOF makes sudo give up instead of waiting for another try.
        channel.end();
      }
    });

    channel.on('exit', (code: number | null, signal?: string) => {
      exit = { code: typeof code === 'number' ? code : null, signal: signal ?? null };
    });
    channel.on('error', () => {
      // A channel error is followed by 'close'; the outcome is decided there.
    });

    if (wrapped.sudo === 'none') writeStdinAndClose();

    this.outcome = new Promise<CommandOutcome>((resolve) => {
      channel.on('close', () => {
        emitStdout(unwrapper.push(stdoutDecoder.end()).text + unwrapper.flush());
        emitStderr(prompts.push(stderrDecoder.end()).text + prompts.flush());
        this.closed = true;
        this.passwordLine?.fill(0);
        options.sudoPassword?.fill(0);
        this.setWrapper(null);
        for (const wake of this.closeWaiters.splice(0)) wake();
        const stdout = stdoutTail.toString();
        const stderr = stderrTail.toString();
        if (exit === null) resolve({ kind: 'lost', stdout, stderr });
        else if (!sudoOk) {
          resolve({
            kind: 'sudo-failed',
            reason: sudoFailureReason(sudoStderr.toString(), prompts.count, options.sudoPassword !== null),
            stderr,
          });
        } else resolve({ kind: 'exited', exitCode: exit.code, signal: exit.signal, stdout, stderr });
      });
    });
  }

  /** The command's wrapper process, once it reported itself. */
  get wrapper(): CommandProcess | null {
    return this.wrapperValue ?? null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private setWrapper(wrapper: CommandProcess | null): void {
    if (this.wrapperValue !== undefined) return;
    this.wrapperValue = wrapper;
    for (const wake of this.wrapperWaiters.splice(0)) wake(wrapper);
  }

  /** The wrapper as it reported itself; null if it never did (the command ended or the wrapper failed). */
  waitForWrapper(ms: number): Promise<CommandProcess | null> {
    if (this.wrapperValue !== undefined) return Promise.resolve(this.wrapperValue);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), ms);
      this.wrapperWaiters.push((wrapper) => {
        clearTimeout(timer);
        resolve(wrapper);
      });
    });
  }

  /** Resolves true once the channel has closed, false if it is still open after `ms`. */
  waitClosed(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  closeChannel(): void {
    if (!this.closed) this.channel.close();
  }
}
