import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cancelled, ConnectionLost, Timeout } from '../../../../src-main/core/errors';
import type { HostRole } from '../../../../src-main/core/profile/schema';
import type { ExecOptions, ExecResult, RemoteExec } from '../../../../src-main/core/ssh/types';

/**
 * RemoteExec over a local bash (no SSH): the runner's unit tests need real processes to time out,
 * cancel and kill, without the lab. Each "host" is a folder whose bin/ holds small stand-ins.
 * `dropNext` makes the next matching command fail the way the SSH pool reports a dropped connection.
 */
export class LocalExec implements RemoteExec {
  readonly log: { host: HostRole; command: string; sudo: boolean; stdin: string | null }[] = [];
  private drops: { pattern: RegExp; afterMs: number }[] = [];

  constructor(readonly root: string) {}

  static async create(): Promise<LocalExec> {
    const root = await mkdtemp(join(tmpdir(), 'runbook-local-'));
    const exec = new LocalExec(root);
    for (const host of ['homeserver', 'deploy'] as const) {
      await mkdir(join(root, host, 'bin'), { recursive: true });
      await mkdir(join(root, host, 'state'), { recursive: true });
    }
    return exec;
  }

  hostDir(host: HostRole): string {
    return join(this.root, host);
  }

  async script(host: HostRole, name: string, body: string): Promise<void> {
    const path = join(this.root, host, 'bin', name);
    await writeFile(path, `#!/bin/bash\n${body}\n`);
    await chmod(path, 0o755);
  }

  async state(host: HostRole, name: string): Promise<string> {
    return readFile(join(this.root, host, 'state', name), 'utf8').catch(() => '');
  }

  async setState(host: HostRole, name: string, value: string): Promise<void> {
    await writeFile(join(this.root, host, 'state', name), value);
  }

  /** The next command matching `pattern` loses its "connection" after `afterMs` (its process is killed). */
  dropNext(pattern: RegExp, afterMs = 0): void {
    this.drops.push({ pattern, afterMs });
  }

  async cleanup(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }

  exec(host: HostRole, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const stdinText = options.stdin === undefined ? null : options.stdin.toString();
    this.log.push({ host, command, sudo: options.sudo === true, stdin: stdinText });
    const dropAt = this.drops.findIndex((d) => d.pattern.test(command));
    const drop = dropAt >= 0 ? this.drops.splice(dropAt, 1)[0] : undefined;
    const label = options.label ?? 'command';
    const started = Date.now();
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new Cancelled(label));
        return;
      }
      const child = spawn('bash', ['--noprofile', '--norc', '-c', command], {
        cwd: this.hostDir(host),
        env: {
          PATH: `${join(this.hostDir(host), 'bin')}:/usr/bin:/bin`,
          STATE: join(this.hostDir(host), 'state'),
          LC_ALL: 'C',
        },
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const onAbort = () => fail(new Cancelled(label));
      const killGroup = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      };
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        for (const t of timers) clearTimeout(t);
        killGroup();
        reject(error);
      };
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
        options.onStdout?.(c);
      });
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
        options.onStderr?.(c);
      });
      child.on('close', (code, signal) => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        for (const t of timers) clearTimeout(t);
        resolve({ exitCode: code, signal, stdout, stderr, durationMs: Date.now() - started });
      });
      if (options.timeoutMs)
        timers.push(setTimeout(() => fail(new Timeout(label, options.timeoutMs ?? 0)), options.timeoutMs));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (drop) {
        const lost = () => fail(new ConnectionLost(host, label.toLowerCase()));
        if (drop.afterMs === 0) lost();
        else timers.push(setTimeout(lost, drop.afterMs));
      }
      child.stdin.on('error', () => {});
      child.stdin.end(stdinText ?? undefined);
    });
  }
}
