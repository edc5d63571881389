import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { Client, type ClientChannel } from 'ssh2';
import type { LabHost } from '../../lab/types';

export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** An ssh2 connection that accepts only the pinned fingerprint. */
export function connect(
  host: Pick<LabHost, 'address' | 'port'>,
  opts: { keyPath: string; pinned: string; passphrase?: string; sock?: NodeJS.ReadableStream },
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on('ready', () => {
        client.setNoDelay(true);
        resolve(client);
      })
      .on('error', reject)
      .connect({
        host: host.address,
        port: host.port,
        username: 'root',
        privateKey: readFileSync(opts.keyPath),
        passphrase: opts.passphrase,
        sock: opts.sock as never,
        readyTimeout: 10_000,
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) =>
          verify(fingerprintOf(key) === opts.pinned),
      });
  });
}

export interface ExecResult {
  code: number | null;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

export function exec(client: Client, command: string, stdin?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      collect(stream).then(resolve, reject);
      if (stdin !== undefined) stream.end(stdin);
    });
  });
}

export function collect(stream: ClientChannel): Promise<ExecResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stream.on('data', (c: Buffer) => out.push(c));
    stream.stderr.on('data', (c: Buffer) => err.push(c));
    stream.on('close', (code: number | null, signal?: string) =>
      resolve({
        code: code ?? null,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

export function openExec(client: Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) =>
    client.exec(command, (err, stream) => (err ? reject(err) : resolve(stream))),
  );
}

export function httpsStatus(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, method: 'GET', timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds, failing with `what` after `ms`. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`Timed out waiting for ${what}`);
}
