import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthFailed,
  Cancelled,
  ConnectFailed,
  ConnectionLost,
  HostKeyChanged,
  HostKeyUnknown,
  SudoFailed,
  Timeout,
} from '../../../src-main/core/errors';
import { type HostRole, type ProfileInput, profileSchema } from '../../../src-main/core/profile/schema';
import type { SecretKind } from '../../../src-main/core/secrets/types';
import { Disconnected } from '../../../src-main/core/ssh/errors';
import { SshPool, type SshPoolOptions } from '../../../src-main/core/ssh/pool';
import { startLab } from '../../lab/lab';
import type { Lab } from '../../lab/types';
import { type LabProcess, liveProcessesOf } from './lab-processes';

/** Real sshd, bash and stand-ins of the lab (tests/lab); the pool under test is the real one. */

const scratch = mkdtempSync(join(tmpdir(), 'ssh-pool-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Harness {
  pool: SshPool;
  secretCalls: { kind: SecretKind; host: HostRole }[];
  appKnownHosts: string;
}

const pools: SshPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.disconnect()));
});

function makePool(
  lab: Lab,
  options: {
    profile?: (p: ProfileInput) => ProfileInput;
    secrets?: Partial<Record<SecretKind, string>>;
    appKnownHosts?: string;
    pool?: Partial<SshPoolOptions>;
  } = {},
): Harness {
  const profile = profileSchema.parse((options.profile ?? ((p) => p))(structuredClone(lab.profile)));
  const secretCalls: Harness['secretCalls'] = [];
  const secrets = options.secrets ?? { 'sudo-password': lab.secrets.sudoPassword };
  const appKnownHosts = options.appKnownHosts ?? join(mkdtempSync(join(scratch, 'data-')), 'known_hosts');
  const pool = new SshPool({
    profile,
    appKnownHostsFile: appKnownHosts,
    agentSocket: undefined,
    secret: async (kind, host) => {
      secretCalls.push({ kind, host });
      const value = secrets[kind];
      return value === undefined ? null : Buffer.from(value);
    },
    ...options.pool,
  });
  pools.push(pool);
  return { pool, secretCalls, appKnownHosts };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function withHost(role: HostRole, change: Partial<ProfileInput['hosts']['homeserver']>) {
  return (p: ProfileInput): ProfileInput => ({
    ...p,
    hosts: { ...p.hosts, [role]: { ...p.hosts[role], ...change } },
  });
}

describe('host keys (lab without pinned keys)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ trustHostKeys: false });
  });
  afterAll(() => lab?.stop());

  it('trust on first use: unknown key → typed error with the SHA256 fingerprint, nothing sent; trusted permanently it sticks', async () => {
    const { pool, secretCalls, appKnownHosts } = makePool(lab);
    const before = lab.hosts.homeserver.execLog().length;
    const error = await rejection(pool.exec('homeserver', 'true', { sudo: true }));
    expect(error).toBeInstanceOf(HostKeyUnknown);
    const unknown = error as HostKeyUnknown;
    expect(unknown.fingerprint).toBe(lab.hosts.homeserver.fingerprint);
    expect(unknown.keyType).toBe(lab.hosts.homeserver.keyType);
    expect(unknown.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(secretCalls).toEqual([]);
    expect(lab.hosts.homeserver.execLog().length).toBe(before);
    expect(pool.presentedHostKey('homeserver')).toEqual({
      keyType: unknown.keyType,
      fingerprint: unknown.fingerprint,
    });

    await pool.trustHostKey('homeserver', unknown.fingerprint, true);
    expect((await pool.exec('homeserver', 'echo hi')).stdout).toBe('hi\n');
    const line = readFileSync(appKnownHosts, 'utf8').trim();
    expect(line.startsWith(lab.hosts.homeserver.knownHostsLine.trim())).toBe(true);

    // A second pool (the CLI, the next app start) reads the same file and needs no prompt.
    const again = makePool(lab, { appKnownHosts });
    expect((await again.pool.exec('homeserver', 'echo again')).stdout).toBe('again\n');
  });

  it('trusting once lasts for this pool only', async () => {
    const { pool, appKnownHosts } = makePool(lab);
    const unknown = (await rejection(pool.exec('deploy', 'true'))) as HostKeyUnknown;
    expect(unknown).toBeInstanceOf(HostKeyUnknown);
    await pool.trustHostKey('deploy', unknown.fingerprint, false);
    expect((await pool.exec('deploy', 'echo once')).stdout).toBe('once\n');
    expect(() => readFileSync(appKnownHosts)).toThrow();
    const other = makePool(lab, { appKnownHosts });
    expect(await rejection(other.pool.exec('deploy', 'true'))).toBeInstanceOf(HostKeyUnknown);
  });

  it('scans a host key without logging in', async () => {
    const { pool, secretCalls } = makePool(lab);
    const scan = await pool.scanHostKey('homeserver');
    expect(scan).toMatchObject({
      status: 'unknown',
      keyType: lab.hosts.homeserver.keyType,
      fingerprint: lab.hosts.homeserver.fingerprint,
    });
    expect(scan.error).toBeInstanceOf(HostKeyUnknown);
    expect(secretCalls).toEqual([]);
    await pool.trustHostKey('homeserver', scan.fingerprint, false);
    expect((await pool.scanHostKey('homeserver')).status).toBe('trusted');
  });

  it('a changed host key is refused hard; only forget-then-trust lets the new one in', async () => {
    const { pool, secretCalls } = makePool(lab);
    const first = (await rejection(pool.exec('deploy', 'true'))) as HostKeyUnknown;
    await pool.trustHostKey('deploy', first.fingerprint, true);
    await pool.exec('deploy', 'true');
    const oldFingerprint = lab.hosts.deploy.fingerprint;

    await lab.hosts.deploy.rotateHostKey();
    expect(lab.hosts.deploy.fingerprint).not.toBe(oldFingerprint);
    await pool.disconnect();
    await pool.connect('deploy').catch(() => {});
    const callsBefore = secretCalls.length;
    const changed = await rejection(pool.exec('deploy', 'true'));
    expect(changed).toBeInstanceOf(HostKeyChanged);
    expect((changed as HostKeyChanged).received).toBe(lab.hosts.deploy.fingerprint);
    expect((changed as HostKeyChanged).expected.join(' ')).toContain(oldFingerprint);
    expect(secretCalls.length).toBe(callsBefore);

    await expect(pool.trustHostKey('deploy', lab.hosts.deploy.fingerprint, true)).rejects.toBeInstanceOf(
      HostKeyChanged,
    );
    await expect(pool.trustHostKey('deploy', lab.hosts.deploy.fingerprint, false)).rejects.toBeInstanceOf(
      HostKeyChanged,
    );
    expect(await pool.forgetHostKey('deploy')).toEqual({ removed: 1, stillPinnedBy: [] });
    await pool.trustHostKey('deploy', lab.hosts.deploy.fingerprint, true);
    expect((await pool.exec('deploy', 'echo new key')).stdout).toBe('new key\n');
  });
});

describe('commands (lab with pinned keys)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(() => lab?.stop());

  it('runs commands with exit code, stdout, stderr and stdin, streaming output as it comes', async () => {
    const { pool } = makePool(lab);
    const chunks: string[] = [];
    const result = await pool.exec(
      'homeserver',
      'cat; echo warn >&2; for i in 1 2; do echo line$i; sleep 0.05; done; exit 3',
      {
        stdin: 'from stdin\n',
        onStdout: (c) => chunks.push(c),
      },
    );
    expect(result).toMatchObject({
      exitCode: 3,
      signal: null,
      stdout: 'from stdin\nline1\nline2\n',
      stderr: 'warn\n',
    });
    expect(chunks.join('')).toBe(result.stdout);
    expect(chunks.length).toBeGreaterThan(1);
    expect(result.durationMs).toBeGreaterThanOrEqual(100);
  });

  it('keeps the tail of output beyond the buffer', async () => {
    const { pool } = makePool(lab, { pool: { maxOutputChars: 1000 } });
    const result = await pool.exec('homeserver', 'seq 1 100000');
    expect(result.stdout.length).toBe(1000);
    expect(result.stdout.endsWith('99999\n100000\n')).toBe(true);
  });

  it('reads known_hosts hashed by `ssh-keygen -H`', async () => {
    const hashed = join(mkdtempSync(join(scratch, 'hashed-')), 'known_hosts');
    copyFileSync(lab.knownHostsPath, hashed);
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    expect(readFileSync(hashed, 'utf8')).not.toContain(lab.hosts.homeserver.address);
    const { pool } = makePool(lab, { profile: (p) => ({ ...p, knownHostsFile: hashed }) });
    expect((await pool.exec('homeserver', 'echo hashed')).stdout).toBe('hashed\n');
    expect((await pool.exec('deploy', 'echo hashed')).stdout).toBe('hashed\n');
  });

  it('a warm exec of `true` is fast', async () => {
    const { pool } = makePool(lab);
    await pool.exec('homeserver', 'true');
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await pool.exec('homeserver', 'true');
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    console.log(`warm exec of true: median ${times[10]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms`);
    expect(times[10]).toBeLessThan(100);
  });

  it('sudo with the stored password runs as root and still passes the caller’s stdin; the password is never on a command line', async () => {
    const { pool, secretCalls } = makePool(lab);
    const result = await pool.exec('homeserver', 'id -u; cat', { sudo: true, stdin: 'payload\n' });
    expect(result).toMatchObject({ exitCode: 0, stdout: '0\npayload\n', stderr: '' });
    expect(secretCalls).toContainEqual({ kind: 'sudo-password', host: 'homeserver' });
    expect(lab.hosts.homeserver.execLog().join('\n')).not.toContain(lab.secrets.sudoPassword);
  });

  it('sudo with a wrong password fails with SudoFailed, without feeding the caller’s stdin to sudo', async () => {
    const { pool } = makePool(lab, { secrets: { 'sudo-password': 'not-the-password' } });
    const error = await rejection(
      pool.exec('homeserver', 'cat', {
        sudo: true,
        stdin: `${lab.secrets.sudoPassword}\n`,
        label: 'Restart Tuwunel',
      }),
    );
    expect(error).toBeInstanceOf(SudoFailed);
    expect(error.message).toBe(
      'sudo on the homeserver host refused: the stored sudo password was not accepted.',
    );
    expect(error.message).not.toContain('not-the-password');
  });

  it('sudo without a stored password uses -n and says a password is needed', async () => {
    const { pool } = makePool(lab, { secrets: {} });
    const error = await rejection(pool.exec('homeserver', 'true', { sudo: true }));
    expect(error).toBeInstanceOf(SudoFailed);
    expect(error.message).toContain('it needs a password and none is stored');
    expect(lab.hosts.homeserver.execLog().at(-1)).toContain('sudo -n');
  });

  it('a hung `tuwunel --execute "rooms list"` is killed by the timeout, leaving nothing running', async () => {
    const { pool } = makePool(lab);
    await lab.state.setUnitActive('matrix-tuwunel', false);
    try {
      const started = performance.now();
      const error = await rejection(
        pool.exec(
          'homeserver',
          `docker run --rm --network matrix -v /matrix/tuwunel/data:/var/lib/tuwunel ghcr.io/matrix-construct/tuwunel:v1.7.0 --execute 'rooms list'`,
          { timeoutMs: 1500, sudo: true, label: 'Listing rooms' },
        ),
      );
      expect(error).toBeInstanceOf(Timeout);
      expect(error.message).toBe('Listing rooms did not finish within 2 s and was stopped.');
      expect(performance.now() - started).toBeLessThan(5000);
      expect(liveProcessesOf(lab.hosts.homeserver.dir)).toEqual([]);
    } finally {
      await lab.state.setUnitActive('matrix-tuwunel', true);
    }
    expect((await pool.exec('homeserver', 'echo still usable')).stdout).toBe('still usable\n');
  });

  it('stops a hung `timeout 60 docker run … --execute` through sudo, though `timeout` leaves the wrapper’s process group', async () => {
    const { pool } = makePool(lab, { pool: { killGraceMs: 2000 } });
    await lab.state.setUnitActive('matrix-tuwunel', false);
    try {
      let running: LabProcess[] = [];
      const started = performance.now();
      const error = await rejection(
        pool.exec(
          'homeserver',
          `timeout 60 docker run --rm -v /matrix/tuwunel/data:/var/lib/tuwunel ghcr.io/matrix-construct/tuwunel:v1.7.0 --execute 'rooms list'`,
          {
            // Long enough for the stand-in to start on a loaded machine, far below `timeout`'s 60 s.
            timeoutMs: 3000,
            sudo: true,
            label: 'Listing rooms',
            onStdout: (chunk) => {
              if (chunk.includes('Opened database')) running = liveProcessesOf(lab.hosts.homeserver.dir);
            },
          },
        ),
      );
      expect(error).toBeInstanceOf(Timeout);
      const timeout = running.find((p) => p.command.startsWith('timeout 60 docker run'));
      // The premise: `timeout` and docker are in a group of their own, not the wrapper's (the session's).
      expect(timeout).toBeDefined();
      expect(timeout?.pgid).toBe(timeout?.pid);
      expect(timeout?.pgid).not.toBe(timeout?.sid);
      expect(running.filter((p) => p.pgid === timeout?.pid && p.pid !== timeout?.pid)).not.toEqual([]);
      // Settled within the grace period (the stand-in's Tuwunel shuts down on TERM), not when `timeout` runs out.
      expect(performance.now() - started).toBeLessThan(3000 + 2000);
      expect(liveProcessesOf(lab.hosts.homeserver.dir)).toEqual([]);
    } finally {
      await lab.state.setUnitActive('matrix-tuwunel', true);
    }
  });

  it('after a dropped connection, the next one stops a left-behind `timeout … sleep` with its own group', async () => {
    const { pool } = makePool(lab);
    await pool.exec('homeserver', 'true');
    const left = pool.exec('homeserver', 'echo started; timeout 60 sleep 30', {
      sudo: true,
      label: 'Waiting',
    });
    await until(() =>
      liveProcessesOf(lab.hosts.homeserver.dir).some((p) => p.command === 'timeout 60 sleep 30'),
    );
    lab.faults.cut('homeserver', 'systemctl*', 1);
    expect(await rejection(pool.exec('homeserver', 'systemctl is-active matrix-tuwunel'))).toBeInstanceOf(
      ConnectionLost,
    );
    expect(await rejection(left)).toBeInstanceOf(ConnectionLost);
    // Nothing told `sleep 30` (it never writes); the next connection stops it.
    expect(liveProcessesOf(lab.hosts.homeserver.dir).map((p) => p.command)).toEqual(
      expect.arrayContaining(['timeout 60 sleep 30', 'sleep 30']),
    );
    expect((await pool.exec('homeserver', 'echo reconnected')).stdout).toBe('reconnected\n');
    await until(() => liveProcessesOf(lab.hosts.homeserver.dir).length === 0);
  });

  it('kills what ignores SIGTERM, SIGPIPE and SIGHUP too (sleep infinity in a trap-all shell)', async () => {
    const { pool } = makePool(lab, { pool: { killGraceMs: 1000 } });
    const started = performance.now();
    const error = await rejection(
      pool.exec(
        'homeserver',
        "trap '' TERM PIPE HUP; sleep infinity & bash -c \"trap '' TERM; sleep infinity\" & wait",
        {
          timeoutMs: 1000,
        },
      ),
    );
    expect(error).toBeInstanceOf(Timeout);
    expect(liveProcessesOf(lab.hosts.homeserver.dir)).toEqual([]);
    // Timeout, then the TERM grace, then KILL.
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
    expect(performance.now() - started).toBeLessThan(4000);
  });

  it('abort cancels a running command and kills it', async () => {
    const { pool } = makePool(lab);
    const controller = new AbortController();
    const output: string[] = [];
    const running = pool.exec('homeserver', 'echo started; sleep infinity', {
      signal: controller.signal,
      onStdout: (c) => {
        output.push(c);
        controller.abort();
      },
    });
    const error = await rejection(running);
    expect(error).toBeInstanceOf(Cancelled);
    expect(output.join('')).toBe('started\n');
    expect(liveProcessesOf(lab.hosts.homeserver.dir)).toEqual([]);
    const already = new AbortController();
    already.abort();
    expect(await rejection(pool.exec('homeserver', 'true', { signal: already.signal }))).toBeInstanceOf(
      Cancelled,
    );
  });

  it('a connection cut mid-command is ConnectionLost; the next exec reconnects', async () => {
    const { pool } = makePool(lab);
    await pool.exec('homeserver', 'true');
    lab.faults.cut('homeserver', 'systemctl*', 1);
    const error = await rejection(
      pool.exec('homeserver', 'systemctl is-active matrix-tuwunel', { label: 'Checking units' }),
    );
    expect(error).toBeInstanceOf(ConnectionLost);
    expect(error.message).toBe('The connection to the homeserver host dropped during checking units.');
    const after = await pool.exec('homeserver', 'systemctl is-active matrix-tuwunel');
    expect(after.stdout).toBe('active\n');
    expect(pool.state('homeserver')).toBe('connected');
  });

  it('disconnect() stops reconnects until connect()', async () => {
    const { pool } = makePool(lab);
    await pool.exec('deploy', 'true');
    const running = pool.exec('deploy', 'sleep infinity');
    await new Promise((r) => setTimeout(r, 200));
    await pool.disconnect();
    expect(await rejection(running)).toBeInstanceOf(Cancelled);
    expect(liveProcessesOf(lab.hosts.deploy.dir)).toEqual([]);
    const logged = lab.hosts.deploy.execLog().length;
    expect(await rejection(pool.exec('deploy', 'true'))).toBeInstanceOf(Disconnected);
    expect(pool.state('deploy')).toBe('disconnected');
    expect(lab.hosts.deploy.execLog().length).toBe(logged);
    await pool.connect('deploy');
    expect((await pool.exec('deploy', 'echo back')).stdout).toBe('back\n');
  });

  it('reconnect() after a sleep: idle connections are replaced at once, busy ones and closed hosts are left', async () => {
    const { pool } = makePool(lab);
    const client = async (role: HostRole) => (await pool.exec(role, 'echo "$SSH_CONNECTION"')).stdout;
    const before = await client('homeserver');
    expect(await client('homeserver')).toBe(before);
    await pool.exec('deploy', 'true');
    await pool.disconnect('deploy');
    const busy = pool.exec('homeserver', 'sleep 1; echo "$SSH_CONNECTION"');
    await new Promise((r) => setTimeout(r, 300));
    pool.reconnect();
    // The running command's connection stays, and the command finishes on it.
    expect(await client('homeserver')).toBe(before);
    expect((await busy).stdout).toBe(before);
    expect(await rejection(pool.exec('deploy', 'true'))).toBeInstanceOf(Disconnected);

    pool.reconnect();
    expect(pool.state('homeserver')).toBe('idle');
    const after = await client('homeserver');
    expect(after).not.toBe(before);
    expect(after.split(' ')[2]).toBe(before.split(' ')[2]);
    expect(pool.state('homeserver')).toBe('connected');
  });

  it('reconnect() does not wait for a command being stopped (a poll abandoned at the wake): the next exec opens a fresh connection, and the command is killed all the same', async () => {
    const { pool } = makePool(lab);
    const before = (await pool.exec('homeserver', 'echo "$SSH_CONNECTION"')).stdout;
    const abandon = new AbortController();
    const abandoned = pool.exec('homeserver', 'echo started; sleep 30', { signal: abandon.signal });
    await until(() => liveProcessesOf(lab.hosts.homeserver.dir).some((p) => p.command.includes('sleep 30')));
    abandon.abort();
    pool.reconnect();
    expect(pool.state('homeserver')).toBe('idle');
    expect(await rejection(abandoned)).toBeInstanceOf(Cancelled);
    expect((await pool.exec('homeserver', 'echo "$SSH_CONNECTION"')).stdout).not.toBe(before);
    await until(() => !liveProcessesOf(lab.hosts.homeserver.dir).some((p) => p.command.includes('sleep 30')));
  });

  it('logs in with a passphrase-protected key, with the passphrase from the secrets provider', async () => {
    const passphraseKey = withHost('homeserver', { identityFile: lab.passphraseKeyPath, agent: false });
    const good = makePool(lab, {
      profile: passphraseKey,
      secrets: { 'ssh-key-passphrase': lab.keyPassphrase },
    });
    expect((await good.pool.exec('homeserver', 'echo in')).stdout).toBe('in\n');
    expect(good.secretCalls).toEqual([{ kind: 'ssh-key-passphrase', host: 'homeserver' }]);

    const missing = makePool(lab, { profile: passphraseKey, secrets: {} });
    const noPassphrase = await rejection(missing.pool.exec('homeserver', 'true'));
    expect(noPassphrase).toBeInstanceOf(AuthFailed);
    expect(noPassphrase.message).toContain('needs its passphrase and none is stored');

    const wrong = makePool(lab, { profile: passphraseKey, secrets: { 'ssh-key-passphrase': 'wrong' } });
    const badPassphrase = await rejection(wrong.pool.exec('homeserver', 'true'));
    expect(badPassphrase).toBeInstanceOf(AuthFailed);
    expect(badPassphrase.message).toContain('the stored passphrase does not open the key');
  });

  it('opens a passphrase-protected key before the handshake: a slow keychain does not count against the ready timeout', async () => {
    // The keychain answers after the handshake's whole ready timeout (a prompt to unlock it, a busy machine):
    // opening the key is not network time.
    const { pool } = makePool(lab, {
      profile: withHost('homeserver', { identityFile: lab.passphraseKeyPath, agent: false }),
      pool: {
        readyTimeoutMs: 4_000,
        secret: async (kind) => {
          await new Promise((r) => setTimeout(r, 4_500));
          return kind === 'ssh-key-passphrase' ? Buffer.from(lab.keyPassphrase) : null;
        },
      },
    });
    expect((await pool.exec('homeserver', 'echo in')).stdout).toBe('in\n');
  });

  it('tries the ssh-agent first', async () => {
    const agentDir = mkdtempSync(join(scratch, 'agent-'));
    const socket = join(agentDir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50; i++) {
        try {
          execFileSync('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
          break;
        } catch (e) {
          // Exit 1 is "no identities": the agent answers.
          if ((e as { status?: number }).status === 1) break;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      execFileSync('ssh-add', [lab.clientKeyPath], { env: { SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const { pool, secretCalls } = makePool(lab, {
        profile: withHost('homeserver', { identityFile: lab.passphraseKeyPath, agent: true }),
        pool: { agentSocket: socket },
      });
      expect((await pool.exec('homeserver', 'echo agent')).stdout).toBe('agent\n');
      // The agent's key got in, so the passphrase of the key file was never asked for.
      expect(secretCalls).toEqual([]);
    } finally {
      agent.kill();
    }
  });

  it('maps a rejected login to AuthFailed and a closed port to ConnectFailed', async () => {
    const stranger = makePool(lab, {
      profile: withHost('homeserver', { identityFile: join(scratch, 'missing-key') }),
    });
    const auth = await rejection(stranger.pool.exec('homeserver', 'true'));
    expect(auth).toBeInstanceOf(AuthFailed);
    expect(auth.message).toContain('cannot be read');

    const closed = makePool(lab, {
      profile: withHost('deploy', { port: 1 }),
      pool: { reconnectDelayMs: { initial: 400, max: 1000 } },
    });
    const connect = await rejection(closed.pool.exec('deploy', 'true'));
    expect(connect).toBeInstanceOf(ConnectFailed);
    expect(connect.message).toContain('refused');
    // The next attempt waits out the backoff instead of hammering the host.
    const started = performance.now();
    expect(await rejection(closed.pool.exec('deploy', 'true'))).toBeInstanceOf(ConnectFailed);
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
    expect(closed.pool.state('deploy')).toBe('failed');
  });

  it('gives up on a server that never speaks SSH after the ready timeout', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as { port: number }).port;
      const { pool } = makePool(lab, {
        profile: withHost('deploy', { address: '127.0.0.1', port }),
        pool: { readyTimeoutMs: 500 },
      });
      const error = await rejection(pool.exec('deploy', 'true'));
      expect(error).toBeInstanceOf(ConnectFailed);
      expect(error.message).toContain('no SSH answer within 1 s');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('queues commands beyond the per-connection limit instead of failing them', async () => {
    const { pool } = makePool(lab, { pool: { maxConcurrentCommands: 2 } });
    await pool.exec('homeserver', 'true');
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => pool.exec('homeserver', `sleep 0.2; echo ${i}`)),
    );
    expect(results.map((r) => r.stdout)).toEqual(['0\n', '1\n', '2\n', '3\n', '4\n', '5\n']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('reports a command killed by a signal', async () => {
    const { pool } = makePool(lab);
    expect(await pool.exec('homeserver', 'kill -TERM $$')).toMatchObject({
      exitCode: null,
      signal: 'SIGTERM',
    });
  });
});

describe('jump host (lab with jumpThroughDeploy)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ jumpThroughDeploy: true });
  });
  afterAll(() => lab?.stop());

  it('reaches the homeserver through the deploy host’s connection', async () => {
    const { pool } = makePool(lab);
    expect(profileSchema.parse(lab.profile).hosts.homeserver.jump).toBe('deploy');
    expect((await pool.exec('homeserver', 'echo hi')).stdout).toBe('hi\n');
    expect(pool.state('deploy')).toBe('connected');
    expect(pool.state('homeserver')).toBe('connected');

    // Cutting the deploy connection takes the homeserver's down with it: it is carried inside.
    const onHomeserver = pool.exec('homeserver', 'echo started; sleep 30', { label: 'Waiting' });
    await new Promise((r) => setTimeout(r, 300));
    lab.faults.cut('deploy', 'git status*', 1);
    expect(await rejection(pool.exec('deploy', 'git status'))).toBeInstanceOf(ConnectionLost);
    expect(await rejection(onHomeserver)).toBeInstanceOf(ConnectionLost);
    // Nothing told the homeserver's `sleep 30`; the next connection stops it.
    expect(
      liveProcessesOf(lab.hosts.homeserver.dir)
        .map((p) => p.command)
        .join(),
    ).toContain('sleep 30');
    expect((await pool.exec('homeserver', 'echo reconnected')).stdout).toBe('reconnected\n');
    await until(() => liveProcessesOf(lab.hosts.homeserver.dir).length === 0);

    await pool.disconnect('deploy');
    expect(pool.state('homeserver')).toBe('disconnected');
    expect(await rejection(pool.exec('homeserver', 'true'))).toBeInstanceOf(Disconnected);
    await pool.connect('homeserver');
    expect((await pool.exec('homeserver', 'echo again')).stdout).toBe('again\n');
  });

  it('reconnect() keeps the jump host while a command runs through it', async () => {
    const { pool } = makePool(lab);
    const through = await pool.exec('homeserver', 'echo "$SSH_CONNECTION"');
    const running = pool.exec('homeserver', 'sleep 1; echo still here');
    await new Promise((r) => setTimeout(r, 300));
    pool.reconnect();
    expect(pool.state('deploy')).toBe('connected');
    expect((await running).stdout).toBe('still here\n');
    pool.reconnect();
    expect(pool.state('deploy')).toBe('idle');
    expect((await pool.exec('homeserver', 'echo "$SSH_CONNECTION"')).stdout).not.toBe(through.stdout);
  });

  it('kills a hung command on the far side of the jump', async () => {
    const { pool } = makePool(lab);
    const error = await rejection(pool.exec('homeserver', 'sleep infinity', { timeoutMs: 1000 }));
    expect(error).toBeInstanceOf(Timeout);
    expect(liveProcessesOf(lab.hosts.homeserver.dir)).toEqual([]);
  });
});
