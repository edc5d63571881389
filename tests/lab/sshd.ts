import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { alive, descendantsOf, killAll } from './process-sweep';
import { requireTool, run } from './tools';

export interface SshdOptions {
  /** The host's folder; sshd keeps its key, config and log in `<hostDir>/sshd`. */
  hostDir: string;
  address: string;
  /** authorized_keys for root (absolute path). */
  authorizedKeysFile: string;
  /** Environment of every session (SetEnv), e.g. LAB_DIR and LAB_HOST_DIR. HOME must be among them. */
  sessionEnv: Record<string, string>;
  /** Environment of the sshd process itself (the lab's process marker). */
  processEnv: Record<string, string>;
  /** The host key's type. Default ed25519. */
  hostKeyType?: 'ed25519' | 'rsa';
  /** sshd_config HostKeyAlgorithms, e.g. `ssh-rsa` for a server that signs only with SHA-1. Default: OpenSSH's. */
  hostKeyAlgorithms?: string;
  /** DEBUG1 also logs what each connection negotiated (`kex: host key algorithm: …`). Default INFO. */
  logLevel?: 'INFO' | 'DEBUG1';
}

export interface HostKey {
  keyType: string;
  fingerprint: string;
  knownHostsLine: string;
}

export interface Sshd extends HostKey {
  pid: number;
  port: number;
  /** The listener and every process it forked (connections, their sessions). */
  processes(): Promise<number[]>;
  rotateHostKey(): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `'SHA256:' + base64(sha256(blob))` without padding, as `ssh-keygen -lf` prints it. */
export function sshFingerprint(publicKeyBase64: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(publicKeyBase64, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

async function readHostKey(
  pubPath: string,
  address: string,
  port: number,
): Promise<HostKey & { blob: string }> {
  const [keyType = '', blob = ''] = (await readFile(pubPath, 'utf8')).trim().split(/\s+/);
  return {
    keyType,
    blob,
    fingerprint: sshFingerprint(blob),
    knownHostsLine: `[${address}]:${port} ${keyType} ${blob}`,
  };
}

function sshdConfig(o: SshdOptions, port: number, keyPath: string): string {
  const setEnv = Object.entries(o.sessionEnv)
    .map(([k, v]) => {
      if (/[\s"\\]/.test(v)) throw new Error(`SetEnv value for ${k} must not contain spaces or quotes: ${v}`);
      return `${k}=${v}`;
    })
    .join(' ');
  return [
    `ListenAddress ${o.address}:${port}`,
    `HostKey ${keyPath}`,
    ...(o.hostKeyAlgorithms ? [`HostKeyAlgorithms ${o.hostKeyAlgorithms}`] : []),
    `AuthorizedKeysFile ${o.authorizedKeysFile}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'StrictModes no',
    'UsePAM no',
    'PidFile none',
    'AllowTcpForwarding yes',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PermitTTY yes',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'MaxStartups 200:30:400',
    'MaxSessions 200',
    'MaxAuthTries 10',
    'LoginGraceTime 30',
    `LogLevel ${o.logLevel ?? 'INFO'}`,
    'Subsystem sftp internal-sftp',
    // Read by the session's bash instead of root's own rc files (see host/session.bashrc).
    `SetEnv ${setEnv}`,
    '',
  ].join('\n');
}

async function waitForLog(logPath: string, needle: string, since: number, child: ChildProcess, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const log = await readFile(logPath, 'utf8').catch(() => '');
    if (log.slice(since).includes(needle)) return;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(log.slice(since).trim() || 'sshd exited');
    await sleep(10);
  }
  throw new Error(`sshd did not report "${needle}" within ${ms} ms`);
}

/**
 * A real OpenSSH sshd for one lab host, in the foreground (`-D -e`), logging to `<hostDir>/sshd/sshd.log`.
 * It runs under `setpriv --pdeathsig SIGKILL` so that a crashed test worker cannot leave it behind.
 */
export async function startSshd(o: SshdOptions): Promise<Sshd> {
  const sshdPath = await requireTool('/usr/sbin/sshd', 'openssh-server');
  const keygen = await requireTool('ssh-keygen', 'openssh-client');
  const setpriv = await requireTool('setpriv', 'util-linux');
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  const dir = join(o.hostDir, 'sshd');
  await mkdir(dir, { recursive: true });
  const keyType = o.hostKeyType ?? 'ed25519';
  const keyPath = join(dir, `ssh_host_${keyType}_key`);
  const configPath = join(dir, 'sshd_config');
  const logPath = join(dir, 'sshd.log');
  await rm(keyPath, { force: true });
  await rm(`${keyPath}.pub`, { force: true });
  await run(keygen, ['-q', '-t', keyType, '-N', '', '-C', `root@${o.address}`, '-f', keyPath]);

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort(o.address);
    await writeFile(configPath, sshdConfig(o, port, keyPath));
    const logFd = openSync(logPath, 'a');
    const since = (await readFile(logPath, 'utf8').catch(() => '')).length;
    const child = spawn(setpriv, ['--pdeathsig', 'SIGKILL', sshdPath, '-D', '-e', '-f', configPath], {
      stdio: ['ignore', logFd, logFd],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...o.processEnv },
    });
    closeSync(logFd);
    child.on('error', () => {});
    try {
      await waitForLog(logPath, `Server listening on ${o.address} port ${port}.`, since, child, 5000);
    } catch (error) {
      lastError = error;
      child.kill('SIGKILL');
      // Another process took the port between our probe and sshd's bind: try another one.
      if (String(error).includes('Address already in use')) continue;
      throw new Error(
        `sshd on ${o.address}:${port} did not start: ${String((error as Error).message ?? error)}`,
      );
    }
    const pid = child.pid!;
    await writeFile(join(dir, 'listener.pid'), `${pid}\n`);
    const key = await readHostKey(`${keyPath}.pub`, o.address, port);
    const sshd: Sshd = {
      pid,
      port,
      keyType: key.keyType,
      fingerprint: key.fingerprint,
      knownHostsLine: key.knownHostsLine,
      async rotateHostKey() {
        const next = join(dir, 'next_host_key');
        await rm(next, { force: true });
        await rm(`${next}.pub`, { force: true });
        await run(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${o.address}`, '-f', next]);
        await rename(`${next}.pub`, `${keyPath}.pub`);
        await rename(next, keyPath);
        const fresh = await readHostKey(`${keyPath}.pub`, o.address, port);
        const before = (await readFile(logPath, 'utf8')).length;
        // SIGHUP makes sshd re-exec itself on the same address and port, rereading its host keys.
        process.kill(pid, 'SIGHUP');
        await waitForLog(logPath, `Server listening on ${o.address} port ${port}.`, before, child, 5000);
        await waitForServedKey(o.address, port, fresh.blob);
        sshd.keyType = fresh.keyType;
        sshd.fingerprint = fresh.fingerprint;
        sshd.knownHostsLine = fresh.knownHostsLine;
      },
      processes: async () => (alive(pid) ? [pid, ...(await descendantsOf([pid]))] : []),
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        // Open connections live in the listener's children; once it is gone they are orphans no one
        // can tell apart from other sshd processes, so they are collected first.
        const connections = await descendantsOf([pid]);
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(2000)]);
        if (alive(pid)) {
          child.kill('SIGKILL');
          await exited;
        }
        await killAll(connections);
      },
    };
    return sshd;
  }
  throw new Error(`sshd on ${o.address} could not bind a port: ${String(lastError)}`);
}

async function waitForServedKey(address: string, port: number, blob: string): Promise<void> {
  const keyscan = await requireTool('ssh-keyscan', 'openssh-client');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const out = await run(keyscan, ['-T', '2', '-t', 'ed25519', '-p', String(port), address]).catch(() => ({
      stdout: '',
    }));
    if (out.stdout.includes(blob)) return;
    await sleep(20);
  }
  throw new Error(`sshd on ${address}:${port} still serves its old host key`);
}
