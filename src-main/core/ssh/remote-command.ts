import { randomBytes } from 'node:crypto';
import { shellQuote } from './quote';

/**
 * How a command is wrapped before it reaches the remote shell, and how its output is unwrapped.
 *
 * OpenSSH ignores a channel `signal` request for forced-command sessions and there is no pty here,
 * and closing the channel leaves `sleep infinity` (or a hung `docker run … --execute`) running:
 * SIGPIPE only reaches a process that writes. So the wrapper first prints who it is (pid, start
 * time, group and session), and stopping the command means running kill-script.ts from a second exec.
 *
 * With sudo, the prompt is a random marker instead of `-p ''`: the password is written only when
 * sudo asks for it, so a NOPASSWD rule or a cached timestamp cannot turn it into the first line of
 * the command's stdin, and a second prompt means "wrong password" without reading sudo's wording
 * (`badpass_message` and `insults` change it). The caller's stdin is written only after the
 * command itself has printed its own marker, so a failing sudo never reads it as a password.
 */

export type SudoMode = 'none' | 'password' | 'passwordless';

export interface WrappedCommand {
  /** The line handed to the remote login shell. */
  line: string;
  marker: string;
  sudo: SudoMode;
  /** What sudo prints on stderr when it wants the password (no newline). */
  sudoPrompt: string;
}

/** The wrapper process as it reported itself: the root of everything the command starts. */
export interface CommandProcess {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot): with it, a reused pid is not mistaken for ours. */
  startTime: number;
  pgid: number;
  sid: number;
}

export function newMarker(): string {
  return `hst${randomBytes(12).toString('hex')}`;
}

/**
 * The command always runs under /bin/sh: the login shell may be anything (fish, zsh, an rc file that
 * prints), but sh is on every host. `read … </proc/$$/stat` is a builtin, so the wrapper costs no
 * extra process (the hosts are Linux). The wrapper's command name is `sh`, without spaces, so the
 * words of its stat line are fixed: 5 group, 6 session, 22 start time. The prelude stays one line.
 * sudo replaces the wrapper (`exec`): one process less per command, and the wrapper's pid and start
 * time, which the kill script goes by, stay those of the process that runs sudo.
 */
export function wrapCommand(command: string, sudo: SudoMode, marker: string = newMarker()): WrappedCommand {
  const sudoPrompt = `${marker} sudo-pw:`;
  const prelude = `{ read -r _ _ _ _ g s${' _'.repeat(15)} t _ </proc/$$/stat; } 2>/dev/null; echo ${marker} proc $$ $t $g $s`;
  let body = command;
  if (sudo !== 'none') {
    const inner = `echo ${marker} sudo-ok\n${command}`;
    const flags = sudo === 'password' ? `-S -p ${shellQuote(sudoPrompt)}` : '-n';
    body = `exec sudo ${flags} -- /bin/sh -c ${shellQuote(inner)}`;
  }
  return { line: `exec /bin/sh -c ${shellQuote(`${prelude}\n${body}`)}`, marker, sudo, sudoPrompt };
}

export type StdoutEvent = { kind: 'wrapper'; wrapper: CommandProcess | null } | { kind: 'sudo-ok' };

function parseWrapper(words: string[]): CommandProcess | null {
  if (words.length !== 4 || !words.every((w) => /^\d+$/.test(w))) return null;
  const [pid, startTime, pgid, sid] = words.map(Number) as [number, number, number, number];
  return { pid, startTime, pgid, sid };
}

/**
 * The longest marker line the wrapper prints: the marker, a word and four numbers. A longer one is not
 * the wrapper's (the host can read the marker from the command line, so it can print it too).
 */
export const MAX_MARKER_LINE = 256;

/**
 * Takes the wrapper's marker lines out of stdout. Until the last expected marker has been seen, output
 * is searched line by line (an rc file may print before the wrapper runs, even without a newline);
 * after that, chunks pass through untouched. Everything that cannot be part of a marker line is passed
 * on at once, so what is held back is at most a marker line (MAX_MARKER_LINE), whatever the host
 * prints, and each chunk is scanned once.
 */
export class StdoutUnwrapper {
  private pending = '';
  private remaining: number;
  private readonly tag: string;

  constructor(marker: string, sudo: SudoMode) {
    this.remaining = sudo === 'none' ? 1 : 2;
    this.tag = `${marker} `;
  }

  get done(): boolean {
    return this.remaining === 0;
  }

  /** Returns the caller's part of `chunk` and the wrapper events found in it. */
  push(chunk: string): { text: string; events: StdoutEvent[] } {
    if (this.done) return { text: chunk, events: [] };
    const events: StdoutEvent[] = [];
    const rest = this.pending + chunk;
    let text = '';
    let from = 0;
    while (!this.done && from < rest.length) {
      const newline = rest.indexOf('\n', from);
      const lineEnd = newline < 0 ? rest.length : newline;
      const at = rest.slice(from, lineEnd).indexOf(this.tag);
      if (at < 0) {
        if (newline >= 0) {
          text += rest.slice(from, newline + 1);
          from = newline + 1;
          continue;
        }
        // No newline yet: hold back only a tail that could be the start of the marker.
        const keep = Math.max(from, rest.length - (this.tag.length - 1));
        text += rest.slice(from, keep);
        from = keep;
        break;
      }
      const start = from + at;
      // Text before the marker on its line is the caller's (an rc file that printed no newline).
      text += rest.slice(from, start);
      from = start;
      const cut = start + MAX_MARKER_LINE;
      if (newline < 0 && rest.length <= cut) break;
      const end = Math.min(lineEnd, cut);
      this.markerLine(rest.slice(start + this.tag.length, end), events);
      from = end === newline ? newline + 1 : end;
    }
    this.pending = rest.slice(from);
    if (this.done) {
      text += this.pending;
      this.pending = '';
    }
    return { text, events };
  }

  private markerLine(line: string, events: StdoutEvent[]): void {
    // trim: a pty on the way (sudo's use_pty) would turn the newline into CRLF.
    const [word, ...values] = line.trim().split(' ');
    if (word === 'proc') {
      events.push({ kind: 'wrapper', wrapper: parseWrapper(values) });
    } else if (word === 'sudo-ok') {
      events.push({ kind: 'sudo-ok' });
    }
    this.remaining -= 1;
  }

  /** What is still held back when the stream ends (a last line without a newline). */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }
}

/** Takes sudo's marker prompt out of stderr and counts how often it appeared. */
export class PromptWatcher {
  private carry = '';
  count = 0;

  constructor(private readonly prompt: string) {}

  push(chunk: string): { text: string; prompts: number } {
    let buffer = this.carry + chunk;
    let text = '';
    let prompts = 0;
    let at = buffer.indexOf(this.prompt);
    while (at >= 0) {
      text += buffer.slice(0, at);
      buffer = buffer.slice(at + this.prompt.length);
      prompts += 1;
      at = buffer.indexOf(this.prompt);
    }
    // Hold back a tail that could be the start of a prompt split across chunks.
    let keep = Math.min(buffer.length, this.prompt.length - 1);
    while (keep > 0 && !this.prompt.startsWith(buffer.slice(buffer.length - keep))) keep -= 1;
    this.carry = buffer.slice(buffer.length - keep);
    text += buffer.slice(0, buffer.length - keep);
    this.count += prompts;
    return { text, prompts };
  }

  flush(): string {
    const rest = this.carry;
    this.carry = '';
    return rest;
  }
}

/** Why sudo did not start the command, from what it printed (it never prints the password). */
export function sudoFailureReason(stderr: string, prompts: number, hadPassword: boolean): string {
  if (prompts >= 2 || /incorrect password attempt|Sorry, try again/i.test(stderr)) {
    return 'the stored sudo password was not accepted';
  }
  if (/a password is required/i.test(stderr)) {
    return hadPassword
      ? 'it asked for a password in a way the app cannot answer'
      : 'it needs a password and none is stored';
  }
  if (/not in the sudoers file|is not allowed to (run|execute)|may not run sudo/i.test(stderr)) {
    return 'this user may not run commands with sudo';
  }
  if (/sudo: (command )?not found|sudo: No such file/i.test(stderr))
    return 'sudo is not installed on the host';
  const last = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .at(-1);
  return last ? `it said "${last.slice(0, 200)}"` : 'it ended before running the command';
}
