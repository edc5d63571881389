import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HostBusy } from '../errors';
import type { HostRole, Profile } from '../profile/schema';

const lockFileSchema = z.object({ pid: z.number().int(), label: z.string(), startedAt: z.string() });
type LockFile = z.infer<typeof lockFileSchema>;
const FRESH_LOCK_MS = 2_000;

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One mutating run per host at a time. Read-only work never takes the lock. The lock is keyed by the
 * machine (address and port), not the role, so two profiles naming the same VM share it; with a
 * lock folder it also holds across processes, because the tray app and the CLI run the same actions.
 */
export class HostLocks {
  private readonly held = new Map<string, HostLockHolder>();

  constructor(
    private readonly profile: Pick<Profile, 'hosts'>,
    private readonly lockDir?: string,
  ) {}

  private key(host: HostRole): string {
    const { address, port } = this.profile.hosts[host];
    return `${address.replace(/[^A-Za-z0-9.-]/g, '_')}-${port}`;
  }

  private lockPath(host: HostRole): string | null {
    return this.lockDir ? join(this.lockDir, `${this.key(host)}.lock`) : null;
  }

  private readLockFile(path: string): LockFile | null {
    try {
      const parsed = lockFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /** Who holds the lock of `host`, in this process or another; null when free. */
  holder(host: HostRole): HostLockHolder | null {
    const own = this.held.get(this.key(host));
    if (own) return own;
    const path = this.lockPath(host);
    const file = path ? this.readLockFile(path) : null;
    if (!file || !alive(file.pid)) return null;
    return { label: file.label, startedAt: new Date(file.startedAt), pid: file.pid };
  }

  /** Takes the lock or throws HostBusy naming the run that holds it. Synchronous, so two calls cannot interleave. */
  acquire(host: HostRole, label: string): HostLock {
    const key = this.key(host);
    const own = this.held.get(key);
    if (own) throw new HostBusy(host, own.label);
    const path = this.lockPath(host);
    if (path) this.createLockFile(host, path, label);
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
        if (path && this.readLockFile(path)?.pid === process.pid) {
          try {
            unlinkSync(path);
          } catch {
            // Already gone: nothing to release.
          }
        }
      },
    };
  }

  private createLockFile(host: HostRole, path: string, label: string): void {
    mkdirSync(this.lockDir!, { recursive: true, mode: 0o700 });
    const content = JSON.stringify({ pid: process.pid, label, startedAt: new Date().toISOString() });
    // Two tries: the second after clearing a lock whose process is gone (crashed app, killed CLI).
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, 'wx', 0o600);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const other = this.readLockFile(path);
        if (other && alive(other.pid)) throw new HostBusy(host, `${other.label} (process ${other.pid})`);
        // An unreadable file this young belongs to a process between creating and writing it.
        if (!other && Date.now() - this.mtimeMs(path) < FRESH_LOCK_MS) {
          throw new HostBusy(host, 'another run that is just starting');
        }
        try {
          unlinkSync(path);
        } catch {
          // Someone else cleared it first; the next open decides.
        }
        continue;
      }
      writeSync(fd, content);
      closeSync(fd);
      return;
    }
    throw new HostBusy(host, 'another run that is just starting');
  }

  private mtimeMs(path: string): number {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return 0;
    }
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
