import type { CliIo } from './io';

/**
 * The command line's one printer: every byte the CLI writes to a terminal passes through `escapeTerminal`,
 * whatever its source (our sentences, journal lines, unit states, well-known fields, admin-bot replies,
 * remote stderr, token hints). A remote text can then never move the cursor, overwrite a line (`\r`),
 * retitle the window, write the clipboard (OSC 52) or reorder what is shown (bidi overrides): each such
 * character is printed as a visible escape instead. `runCli` wraps whatever io it is given, and this file
 * is the only one in the CLI that touches process.stdout or process.stderr (a unit test greps for it).
 */

/**
 * Characters a terminal acts on rather than shows: C0 controls but tab and newline (ESC starts every
 * CSI/OSC/DCS sequence), DEL, C1 controls (U+009B is a one-character CSI for some terminals), the bidi
 * embeddings, overrides, isolates and marks, and the Unicode line and paragraph separators.
 */
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: naming control characters is the point of this class
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function visible(char: string): string {
  const code = char.charCodeAt(0);
  if (char === '\r') return '\\r';
  // C0 can only come from plain text here (JSON.stringify escapes it itself); the rest uses JSON's own
  // escape, so JSON output stays valid JSON that parses to the same value.
  if (code < 0x20) return `\\x${code.toString(16).padStart(2, '0')}`;
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every character a terminal would act on replaced by a visible escape (`\x1b`, `\r`, `\u202e`). */
export function escapeTerminal(text: string): string {
  // A CRLF line end is a line end (Windows tools, HTTP bodies); only a lone CR could overwrite a line.
  return text.replace(/\r\n/g, '\n').replace(UNSAFE, visible);
}

/** The same io, with stdout and stderr going through the printer. */
export function printing(io: CliIo): CliIo {
  return {
    ...io,
    stdout: (text) => io.stdout(escapeTerminal(text)),
    stderr: (text) => io.stderr(escapeTerminal(text)),
  };
}

/** The streams whose reader went away, and the writer kept for each: one guard per stream, however many ios. */
const writers = new Map<NodeJS.WriteStream, (text: string) => void>();

/**
 * Writes to `stream` until its reader goes away (`homeserver-tray … | head -3`): then the rest is dropped
 * rather than thrown. The command itself goes on to its end, so a running action still does its clean-up and
 * exits with its own code; Node's default would end the process with an EPIPE stack in the terminal.
 */
function writerTo(stream: NodeJS.WriteStream): (text: string) => void {
  const known = writers.get(stream);
  if (known) return known;
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && !closed) throw error;
    closed = true;
  });
  const write = (text: string) => {
    if (!closed) stream.write(text);
  };
  writers.set(stream, write);
  return write;
}

/** This process's terminal, through the printer: what `npm run cli` and the installed command use. */
export function processIo(stop?: AbortSignal): CliIo {
  return printing({
    stdout: writerTo(process.stdout),
    stderr: writerTo(process.stderr),
    stdin: process.stdin,
    ...(stop ? { stop } : {}),
  });
}

/** Resolves once everything printed to this process's stdout and stderr is written (pipes are asynchronous on macOS). */
export function processOutputWritten(): Promise<void> {
  return new Promise((resolve) => process.stdout.write('', () => process.stderr.write('', () => resolve())));
}
