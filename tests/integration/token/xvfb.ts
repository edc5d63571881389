import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface Xvfb {
  display: string;
  stop(): Promise<void>;
}

/** A private X server (Debian's Xvfb) on a free display number, which it reports on fd 3 (-displayfd). */
export function startXvfb(): Promise<Xvfb> {
  return new Promise((resolve, reject) => {
    const child = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '640x480x24'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const fd3 = child.stdio[3] as Readable;
    let buffered = '';
    fd3.setEncoding('utf8').on('data', (c: string) => {
      buffered += c;
      if (!buffered.includes('\n')) return;
      const display = `:${buffered.trim()}`;
      resolve({
        display,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) =>
      reject(new Error(`Xvfb exited with ${code} before it was ready: ${stderr}`)),
    );
    child.once('error', reject);
  });
}

/**
 * Reads the X clipboard with `read` until `settled` holds, for at most 5 s, and returns the last read.
 * xclip's copy exits before its background process owns the selection (Xlib sends the ownership request
 * with that process's first flush), so a read right after a copy may still get the previous owner's text.
 */
export async function readSettled(
  read: () => Promise<string>,
  settled: (text: string) => boolean,
): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const text = await read();
    if (settled(text) || Date.now() >= deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
