import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthFailed } from '../../../src-main/core/errors';
import { profileSchema } from '../../../src-main/core/profile/schema';
import type { SecretKind } from '../../../src-main/core/secrets/types';
import { appendKnownHost } from '../../../src-main/core/ssh/known-hosts';
import { SshPool } from '../../../src-main/core/ssh/pool';

/**
 * Password and keyboard-interactive logins, which the lab's sshd does not offer (it takes keys only),
 * against ssh2's own SSH server: it records what the client sent, in order.
 */

const PASSWORD = 'correct horse battery staple';
const dir = mkdtempSync(join(tmpdir(), 'ssh-auth-'));
let server: ssh2.Server;
let port: number;
let allow: 'password' | 'keyboard-interactive' = 'password';
let attempts: { method: string; answer?: string }[] = [];

beforeAll(async () => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client')]);
  server = new ssh2.Server({ hostKeys: [readFileSync(join(dir, 'host'))] }, (client) => {
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password') {
        attempts.push({ method: 'password', answer: ctx.password });
        return ctx.password === PASSWORD && allow === 'password' ? ctx.accept() : ctx.reject([allow]);
      }
      if (ctx.method === 'keyboard-interactive' && allow === 'keyboard-interactive') {
        ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) => {
          attempts.push({ method: 'keyboard-interactive', answer: answers[0] });
          return answers[0] === PASSWORD ? ctx.accept() : ctx.reject([allow]);
        });
        return;
      }
      attempts.push({ method: ctx.method });
      ctx.reject([allow]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const [type, base64] = readFileSync(join(dir, 'host.pub'), 'utf8').split(' ');
  expect(type).toBe('ssh-ed25519');
  await appendKnownHost(join(dir, 'known_hosts'), '127.0.0.1', port, Buffer.from(base64!, 'base64'));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function makePool(secrets: Partial<Record<SecretKind, string>>, identityFile?: string) {
  const handed: Buffer[] = [];
  const profile = profileSchema.parse({
    name: 'auth',
    serverName: 'lab.test',
    publicUrl: 'https://matrix.lab.test',
    hosts: {
      homeserver: { address: '127.0.0.1', port, user: 'admin', agent: false, identityFile },
      deploy: { address: '127.0.0.1', port, user: 'admin', agent: false },
    },
    knownHostsFile: join(dir, 'none'),
    deploy: { varsFile: 'vars.yml' },
  });
  const pool = new SshPool({
    profile,
    appKnownHostsFile: join(dir, 'known_hosts'),
    agentSocket: undefined,
    secret: async (kind) => {
      const value = secrets[kind];
      if (value === undefined) return null;
      const buffer = Buffer.from(value);
      handed.push(buffer);
      return buffer;
    },
  });
  return { pool, handed };
}

describe('logging in with a password from the secrets provider', () => {
  it('tries the key first, then the password, and zeroes the password buffer it was given', async () => {
    allow = 'password';
    attempts = [];
    const { pool, handed } = makePool({ 'ssh-password': PASSWORD }, join(dir, 'client'));
    await pool.connect('homeserver');
    expect(attempts).toEqual([{ method: 'publickey' }, { method: 'password', answer: PASSWORD }]);
    expect(handed).toHaveLength(1);
    expect(handed[0]!.every((b) => b === 0)).toBe(true);
    await pool.disconnect();
  });

  it('answers a keyboard-interactive password prompt when plain password login is off', async () => {
    allow = 'keyboard-interactive';
    attempts = [];
    const { pool } = makePool({ 'ssh-password': PASSWORD }, join(dir, 'client'));
    await pool.connect('homeserver');
    expect(attempts).toEqual([{ method: 'publickey' }, { method: 'keyboard-interactive', answer: PASSWORD }]);
    await pool.disconnect();
  });

  it('fails with AuthFailed naming what was tried, never the password', async () => {
    allow = 'password';
    attempts = [];
    const { pool } = makePool({ 'ssh-password': 'wrong password' });
    const error = await pool.connect('homeserver').then(
      () => null,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(AuthFailed);
    expect(error!.message).toBe(
      'Logging in to the homeserver host as admin failed (tried the stored password).',
    );
    expect(attempts).toEqual([{ method: 'password', answer: 'wrong password' }]);
    await pool.disconnect();
  });

  it('says so when there is nothing to log in with', async () => {
    const { pool } = makePool({});
    const error = await pool.connect('homeserver').then(
      () => null,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(AuthFailed);
    expect(error!.message).toContain('no key is configured and no password is stored');
    await pool.disconnect();
  });
});
