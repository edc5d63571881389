import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HostBusy } from '../errors';
import { acquireLockFile, type LockOwner, lockFileOwner } from '../lib/lock-file';
import type { HostConfig, HostRole } from '../profile/schema';

export interface HostLockHolder {
  label: string;
  startedAt: Date;
  /** Set when another process (the CLI beside the tray app) holds it. */
  pid?: number;
}

export interface HostLock {
  readonly host: HostRole;
  readonly label: string;
  release(): void;
}

/**
 * One mutating run per host at a time. Read-only work never takes the lock. The lock is keyed by the
 * machine (address and port), not the role, so two profiles naming the same VM share it; with a
 * lock folder it also holds across processes, because the tray app and the CLI run the same actions.
 */
export class HostLocks {
  private readonly held = new Map<string, HostLockHolder>();

  constructor(
    private readonly profile: { hosts: Record<HostRole, Pick<HostConfig, 'address' | 'port'>> },
    private readonly lockDir?: string,
  ) {}

  private key(host: HostRole): string {
    const { address, port } = this.profile.hosts[host];
    return `${address.replace(/[^A-Za-z0-9.-]/g, '_')}-${port}`;
  }

  private lockPath(host: HostRole): string | null {
    return this.lockDir ? join(this.lockDir, `${this.key(host)}.lock`) : null;
  }

  /** Who holds the lock of `host`, in this process or another; null when free. */
  holder(host: HostRole): HostLockHolder | null {
    const own = this.held.get(this.key(host));
    if (own) return own;
    const path = this.lockPath(host);
    const owner = path ? lockFileOwner(path) : null;
    return owner ? holderOf(owner) : null;
  }

  /** Takes the lock or throws HostBusy naming the run that holds it. Synchronous, so two calls cannot interleave. */
  acquire(host: HostRole, label: string): HostLock {
    const key = this.key(host);
    const own = this.held.get(key);
    if (own) throw new HostBusy(host, own.label);
    const path = this.lockPath(host);
    const file = path ? this.createLockFile(host, path, label) : null;
    const holder = { label, startedAt: new Date() };
    this.held.set(key, holder);
    let released = false;
    return {
      host,
      label,
      release: () => {
        if (released) return;
        released = true;
        if (this.held.get(key) === holder) this.held.delete(key);
        file?.release();
      },
    };
  }

  private createLockFile(host: HostRole, path: string, label: string) {
    mkdirSync(this.lockDir!, { recursive: true, mode: 0o700 });
    const result = acquireLockFile(path, { label, startedAt: new Date().toISOString() });
    if ('held' in result) return result.held;
    const other = result.busy ? holderOf(result.busy) : null;
    throw new HostBusy(
      host,
      other ? `${other.label} (process ${other.pid})` : 'another run that is just starting',
    );
  }

  /** Runs `fn` holding the host's lock when `mutating`; read-only work runs alongside anything. */
  async run<T>(host: HostRole, work: { label: string; mutating: boolean }, fn: () => Promise<T>): Promise<T> {
    if (!work.mutating) return fn();
    const lock = this.acquire(host, work.label);
    try {
      return await fn();
    } finally {
      lock.release();
    }
  }
}

function holderOf(owner: LockOwner): HostLockHolder {
  const label = typeof owner.label === 'string' ? owner.label : 'another run';
  const startedAt = typeof owner.startedAt === 'string' ? new Date(owner.startedAt) : new Date(Number.NaN);
  return { label, startedAt, pid: owner.pid };
}
