import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostBusy } from '../../../../src-main/core/errors';
import type { Profile } from '../../../../src-main/core/profile/schema';
import { HostLocks } from '../../../../src-main/core/ssh/host-lock';
import { testChild } from '../../../support/test-child';

const hosts = {
  homeserver: {
    address: '127.0.0.2',
    port: 2222,
    user: 'root',
    sudo: false,
    agent: false,
    allowSshRsa: false,
  },
  deploy: { address: '127.0.0.3', port: 2222, user: 'root', sudo: false, agent: false, allowSshRsa: false },
} satisfies Profile['hosts'];

const dir = mkdtempSync(join(tmpdir(), 'host-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HostLocks', () => {
  it('refuses a second mutating run on a busy host, naming the running one; other hosts stay free', () => {
    const locks = new HostLocks({ hosts });
    const lock = locks.acquire('homeserver', 'Restart Tuwunel');
    let busy: unknown;
    try {
      locks.acquire('homeserver', 'Update the playbook');
    } catch (e) {
      busy = e;
    }
    expect(busy).toBeInstanceOf(HostBusy);
    expect((busy as HostBusy).running).toBe('Restart Tuwunel');
    expect((busy as HostBusy).message).toBe('The homeserver host is busy with "Restart Tuwunel".');
    expect(locks.holder('homeserver')?.label).toBe('Restart Tuwunel');
    locks.acquire('deploy', 'Pull the playbook').release();
    lock.release();
    lock.release();
    expect(locks.holder('homeserver')).toBeNull();
    locks.acquire('homeserver', 'Update the playbook').release();
  });

  it('keys the lock by machine, so two roles naming the same VM share it', () => {
    const locks = new HostLocks({ hosts: { homeserver: hosts.homeserver, deploy: { ...hosts.homeserver } } });
    const lock = locks.acquire('homeserver', 'Restart Tuwunel');
    expect(() => locks.acquire('deploy', 'Run the playbook')).toThrow(HostBusy);
    lock.release();
  });

  it('lets read-only work run beside a mutating run, and releases after a failing one', async () => {
    const locks = new HostLocks({ hosts });
    let release!: () => void;
    const mutating = locks.run(
      'homeserver',
      { label: 'Stop Tuwunel', mutating: true },
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    await expect(
      locks.run('homeserver', { label: 'Status', mutating: false }, async () => 'read'),
    ).resolves.toBe('read');
    await expect(
      locks.run('homeserver', { label: 'Start Tuwunel', mutating: true }, async () => 1),
    ).rejects.toThrow(HostBusy);
    release();
    await mutating;
    await expect(
      locks.run('homeserver', { label: 'Fails', mutating: true }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(locks.holder('homeserver')).toBeNull();
  });

  it('holds across processes through the lock folder, and clears a lock whose process died', async () => {
    const lockDir = join(dir, 'locks');
    const child = spawn(
      process.execPath,
      [testChild(new URL('host-lock-child.ts', import.meta.url)), lockDir, JSON.stringify(hosts)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      const locks = new HostLocks({ hosts }, lockDir);
      expect(() => locks.acquire('homeserver', 'Tray: stop')).toThrow(
        `"CLI: restart (process ${child.pid})"`,
      );
      expect(locks.holder('homeserver')).toMatchObject({ label: 'CLI: restart', pid: child.pid });
      locks.acquire('deploy', 'Tray: pull').release();
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    // The CLI was killed without releasing: its lock is stale now.
    const locks = new HostLocks({ hosts }, lockDir);
    expect(locks.holder('homeserver')).toBeNull();
    const lock = locks.acquire('homeserver', 'Tray: stop');
    expect(() => new HostLocks({ hosts }, lockDir).acquire('homeserver', 'Other')).toThrow(HostBusy);
    lock.release();
    expect(readdirSync(lockDir)).toEqual([]);
  });

  it('treats a fresh, still empty lock file as a run that is starting, and an old broken one as stale', () => {
    const lockDir = join(dir, 'locks-broken');
    const locks = new HostLocks({ hosts }, lockDir);
    locks.acquire('homeserver', 'first').release();
    const path = join(lockDir, '127.0.0.2-2222.lock');
    writeFileSync(path, '');
    expect(() => locks.acquire('homeserver', 'second')).toThrow('another run that is just starting');
    writeFileSync(path, '{"pid":');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    locks.acquire('homeserver', 'third').release();
  });
});
