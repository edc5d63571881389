import { Cancelled, InvalidInput } from '../core/errors';
import type { CliIo } from './io';

/**
 * Secrets come in on stdin, never as arguments: typed at a terminal without echo, or piped. Each reader
 * returns a Buffer the caller zeroes after use, and zeroes every copy it made on the way.
 */

export const MAX_SECRET_BYTES = 64 * 1024;

/**
 * Reads a line from a terminal without echoing it (raw mode). Ctrl-C is a Cancelled (exit 130), Ctrl-D on
 * an empty line an InvalidInput; backspace and Ctrl-U edit as a shell does.
 */
export function readHidden(io: CliIo, prompt: string, what: string): Promise<Buffer> {
  const stdin = io.stdin;
  return new Promise((resolve, reject) => {
    const bytes = Buffer.alloc(MAX_SECRET_BYTES);
    let length = 0;
    // Raw mode before the prompt: nothing typed after seeing it may reach the terminal's echo.
    stdin.setRawMode?.(true);
    io.stderr(prompt);
    const finish = (error: Error | null) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr('\n');
      if (error) {
        bytes.fill(0);
        reject(error);
        return;
      }
      const value = Buffer.from(bytes.subarray(0, length));
      bytes.fill(0);
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      for (const byte of data) {
        if (byte === 0x0d || byte === 0x0a) return finish(null);
        if (byte === 0x03) return finish(new Cancelled(`Typing the ${what}`));
        if (byte === 0x04 && length === 0)
          return finish(new InvalidInput('input', 'ended before a value was typed'));
        if (byte === 0x7f || byte === 0x08) {
          // One character back, UTF-8 continuation bytes included.
          while (length > 0 && ((bytes[length - 1] as number) & 0xc0) === 0x80) length--;
          if (length > 0) length--;
        } else if (byte === 0x15) {
          length = 0;
        } else if (length < MAX_SECRET_BYTES) {
          bytes[length++] = byte;
        }
      }
      if (typeof chunk !== 'string') chunk.fill(0);
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** A copy without one final `\n` or `\r\n` (what `echo value |` adds). */
export function withoutLineEnd(raw: Buffer): Buffer {
  let end = raw.length;
  if (raw[end - 1] === 0x0a) end--;
  if (end < raw.length && raw[end - 1] === 0x0d) end--;
  return Buffer.from(raw.subarray(0, end));
}

/** All of a piped stdin, refused beyond MAX_SECRET_BYTES. */
export async function readAll(stdin: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    size += b.length;
    chunks.push(b);
    if (size > MAX_SECRET_BYTES) {
      for (const c of chunks) c.fill(0);
      throw new InvalidInput('input', `is longer than ${MAX_SECRET_BYTES / 1024} KiB`);
    }
  }
  const all = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  return all;
}

/**
 * Reads piped lines one at a time (`printf '%s\n%s\n' "$USER" "$PW" |`), each a Buffer the caller zeroes;
 * null when stdin ended before the line. Reads the whole input first (it is bounded).
 */
export async function pipedLines(stdin: NodeJS.ReadableStream, count: number): Promise<(Buffer | null)[]> {
  const all = await readAll(stdin);
  const lines: (Buffer | null)[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    if (start >= all.length) {
      lines.push(null);
      continue;
    }
    const nl = all.indexOf(0x0a, start);
    const next = nl < 0 ? all.length : nl + 1;
    // The line without its end: `\n`, `\r\n`, or none on the last line.
    lines.push(withoutLineEnd(Buffer.from(all.subarray(start, next))));
    start = next;
  }
  all.fill(0);
  return lines;
}

/**
 * Reads one line typed at a terminal with echo (a user name, not a secret), after `prompt`. Ctrl-C (the
 * `stop` signal) is a Cancelled; the end of input before a line, an InvalidInput.
 */
export function readLine(io: CliIo, prompt: string, what: string): Promise<string> {
  const stdin = io.stdin;
  io.stderr(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (result: string | Error) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      io.stop?.removeEventListener('abort', onStop);
      stdin.pause();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) finish(text.slice(0, nl).replace(/\r$/, ''));
      else if (text.length > MAX_SECRET_BYTES) finish(new InvalidInput(what, 'is too long'));
    };
    const onEnd = () => finish(new InvalidInput('input', `ended before the ${what} was typed`));
    const onStop = () => {
      io.stderr('\n');
      finish(new Cancelled(`Typing the ${what}`));
    };
    if (io.stop?.aborted) return onStop();
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    io.stop?.addEventListener('abort', onStop, { once: true });
    stdin.resume();
  });
}
