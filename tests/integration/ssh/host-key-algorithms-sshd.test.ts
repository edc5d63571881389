import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectFailed, HostKeyMismatch } from '../../../src-main/core/errors';
import { type HostConfig, type ProfileInput, profileSchema } from '../../../src-main/core/profile/schema';
import { SshPool } from '../../../src-main/core/ssh/pool';
import { type Sshd, startSshd } from '../../lab/sshd';
import { generateKey } from '../../unit/core/ssh/openssh-tools';

/**
 * Host key algorithms against real OpenSSH sshd with RSA host keys: one as OpenSSH ships it (RSA signed with
 * rsa-sha2-512/256), one configured as an old server that signs only with `ssh-rsa` (SHA-1). The sshd log
 * (LogLevel DEBUG1) says which algorithm each connection negotiated. Also the profile's host key pin.
 */

let dir: string;
let modern: Sshd;
let sha1Only: Sshd;
let clientKey: string;
const pools: SshPool[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'host-key-algorithms-'));
  clientKey = generateKey(dir, 'client', 'ed25519').privatePath;
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, await readFile(`${clientKey}.pub`));
  const home = join(dir, 'home');
  await mkdir(home);
  const sshd = (name: string, hostKeyAlgorithms?: string) =>
    startSshd({
      hostDir: join(dir, name),
      address: '127.0.0.1',
      authorizedKeysFile: authorizedKeys,
      sessionEnv: { HOME: home },
      processEnv: { HOST_KEY_ALGORITHMS_TEST: dir },
      hostKeyType: 'rsa',
      logLevel: 'DEBUG1',
      ...(hostKeyAlgorithms ? { hostKeyAlgorithms } : {}),
    });
  [modern, sha1Only] = await Promise.all([sshd('modern'), sshd('sha1-only', 'ssh-rsa')]);
  await writeFile(join(dir, 'known_hosts'), `${modern.knownHostsLine}\n${sha1Only.knownHostsLine}\n`);
}, 60_000);

afterAll(async () => {
  await Promise.all([modern?.stop(), sha1Only?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.disconnect()));
});

function pool(homeserver: Sshd, host: Partial<HostConfig> = {}): SshPool {
  const entry = (s: Sshd) => ({
    address: '127.0.0.1',
    port: s.port,
    user: 'root',
    identityFile: clientKey,
    agent: false,
  });
  const profile: ProfileInput = {
    name: 'rsa',
    serverName: 'lab.test',
    publicUrl: 'https://matrix.lab.test',
    hosts: { homeserver: { ...entry(homeserver), ...host }, deploy: entry(modern) },
    knownHostsFile: join(dir, 'known_hosts'),
    deploy: { varsFile: 'vars.yml' },
  };
  const p = new SshPool({
    profile: profileSchema.parse(profile),
    appKnownHostsFile: join(dir, 'app_known_hosts'),
    agentSocket: undefined,
    secret: async () => null,
  });
  pools.push(p);
  return p;
}

/** The sshd's log after the first `since` characters. */
const logOf = async (s: Sshd, since = 0) =>
  (await readFile(join(dir, s === modern ? 'modern' : 'sha1-only', 'sshd', 'sshd.log'), 'utf8')).slice(since);
const logLength = async (s: Sshd) => (await logOf(s)).length;

/**
 * The host key algorithm of every connection the sshd logged after `since`. A refused connection logs
 * "(no match)", sometimes after the next test has begun: it is not a negotiated algorithm.
 */
async function negotiated(s: Sshd, since: number): Promise<string[]> {
  return [...(await logOf(s, since)).matchAll(/kex: host key algorithm: ([\w@.-]+)/g)].map(
    (m) => m[1] as string,
  );
}

describe('ssh-rsa (SHA-1) only where the profile allows it', () => {
  it('an RSA host key works without the flag, signed with rsa-sha2-512', async () => {
    expect(modern.keyType).toBe('ssh-rsa');
    const since = await logLength(modern);
    const r = await pool(modern).exec('homeserver', 'echo ok');
    expect(r.stdout).toBe('ok\n');
    expect(await negotiated(modern, since)).toEqual(['rsa-sha2-512']);
  });

  it('a server that signs only with ssh-rsa is refused, naming the flag; nothing logs in', async () => {
    const since = await logLength(sha1Only);
    const p = pool(sha1Only);
    const error = await p.exec('homeserver', 'echo ok').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectFailed);
    expect((error as Error).message).toBe(
      `Could not reach the homeserver host at 127.0.0.1:${sha1Only.port}: the server offers no host key algorithm the app accepts; if it offers only ssh-rsa (SHA-1 signatures), give it an ed25519 key, or set allowSshRsa: true for this host in the profile.`,
    );
    // A host key scan (hostkey trust) meets the same refusal.
    await expect(p.scanHostKey('homeserver')).rejects.toBeInstanceOf(ConnectFailed);
    const log = await logOf(sha1Only, since);
    expect(log).toContain('no matching host key type found');
    expect(log).not.toContain('Accepted publickey');
  });

  it('with allowSshRsa: true for that host, it connects with ssh-rsa; the other host still uses rsa-sha2', async () => {
    const [sinceOld, sinceModern] = [await logLength(sha1Only), await logLength(modern)];
    const p = pool(sha1Only, { allowSshRsa: true });
    expect((await p.exec('homeserver', 'echo ok')).stdout).toBe('ok\n');
    expect((await p.exec('deploy', 'echo ok')).stdout).toBe('ok\n');
    expect(await negotiated(sha1Only, sinceOld)).toEqual(['ssh-rsa']);
    expect(await negotiated(modern, sinceModern)).toEqual(['rsa-sha2-512']);
  });
});

describe('a host key pinned in the profile (hostKeyFingerprint)', () => {
  it('connects when the host presents the pinned key', async () => {
    const p = pool(modern, { hostKeyFingerprint: modern.fingerprint });
    expect((await p.exec('homeserver', 'echo ok')).stdout).toBe('ok\n');
  });

  it('refuses any other key before logging in, though known_hosts trusts it, and cannot be trusted past', async () => {
    const since = await logLength(modern);
    const p = pool(modern, { hostKeyFingerprint: sha1Only.fingerprint });
    const error = await p.exec('homeserver', 'echo ok').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyMismatch);
    expect((error as Error).message).toBe(
      `The homeserver host (127.0.0.1 port ${modern.port}) presented ssh-rsa key ${modern.fingerprint}, not ${sha1Only.fingerprint} (hosts.homeserver.hostKeyFingerprint in the profile). This can mean someone is intercepting the connection; nothing was sent and nothing was trusted.`,
    );
    expect(await p.scanHostKey('homeserver')).toMatchObject({
      fingerprint: modern.fingerprint,
      status: 'mismatch',
    });
    await expect(p.trustHostKey('homeserver', modern.fingerprint, true)).rejects.toBeInstanceOf(
      HostKeyMismatch,
    );
    const log = await logOf(modern, since);
    expect(log).not.toContain('Accepted publickey');
  });
});
