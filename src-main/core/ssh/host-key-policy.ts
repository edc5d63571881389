import {
  type AppError,
  HostKeyChanged,
  HostKeyMismatch,
  HostKeyRevoked,
  HostKeyUnknown,
  InvalidInput,
  Unsupported,
} from '../errors';
import type { HostRole } from '../profile/schema';
import { keyTypeOf, sha256Fingerprint } from './fingerprint';
import {
  appendKnownHost,
  entriesFor,
  type KnownHostsEntry,
  readKnownHostsFile,
  removeKnownHost,
} from './known-hosts';

export interface HostTarget {
  role: HostRole;
  address: string;
  port: number;
  /** The fingerprint the profile pins for this host (hostKeyFingerprint): no other key is accepted. */
  pinned?: string | null;
}

export interface PinnedKey {
  keyType: string;
  fingerprint: string;
  file: string;
  line: number;
}

export type HostKeyVerdict =
  | { status: 'trusted' }
  | { status: 'revoked'; entry: KnownHostsEntry }
  | { status: 'changed'; expected: PinnedKey[] }
  | { status: 'mismatch'; expected: string }
  | { status: 'unknown'; certAuthority: KnownHostsEntry | null };

function pinned(entry: KnownHostsEntry): PinnedKey {
  return {
    keyType: entry.keyType,
    fingerprint: sha256Fingerprint(entry.key),
    file: entry.file,
    line: entry.line,
  };
}

/**
 * OpenSSH's decision, stricter in two places: a host that is pinned only with keys of other types but
 * presents a new type counts as changed (OpenSSH would ask), because the pool already asks the
 * server for the pinned types first — a server that no longer has them was re-keyed; and a host whose
 * profile pins a fingerprint accepts no other key, whatever known_hosts says.
 */
export function judgeHostKey(
  entries: KnownHostsEntry[],
  target: { address: string; port: number; pinned?: string | null },
  key: Buffer,
  trustedOnce: Buffer[] = [],
): HostKeyVerdict {
  const mine = entriesFor(entries, target.address, target.port);
  const revoked = mine.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  if (target.pinned && sha256Fingerprint(key) !== target.pinned)
    return { status: 'mismatch', expected: target.pinned };
  const plain = mine.filter((e) => e.marker === null);
  if (plain.some((e) => e.key.equals(key)) || trustedOnce.some((k) => k.equals(key)))
    return { status: 'trusted' };
  if (plain.length > 0) return { status: 'changed', expected: plain.map(pinned) };
  return { status: 'unknown', certAuthority: mine.find((e) => e.marker === 'cert-authority') ?? null };
}

/**
 * A host as sentences name it: `192.168.1.243`, or `192.168.1.243 port 2222` off port 22 (OpenSSH's
 * `[host]:port` is known_hosts syntax; inside a sentence's parentheses it reads as noise).
 */
export function displayTarget(target: { address: string; port: number }): string {
  const host = target.address.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return target.port === 22 ? host : `${host} port ${target.port}`;
}

export function verdictError(target: HostTarget, key: Buffer, verdict: HostKeyVerdict): AppError | null {
  const keyType = keyTypeOf(key) ?? 'unknown';
  const fingerprint = sha256Fingerprint(key);
  const where = displayTarget(target);
  switch (verdict.status) {
    case 'trusted':
      return null;
    case 'revoked':
      return new HostKeyRevoked(target.role, fingerprint);
    case 'changed':
      return new HostKeyChanged(
        target.role,
        where,
        keyType,
        verdict.expected.map((p) => `${p.keyType} ${p.fingerprint} (${p.file}:${p.line})`),
        fingerprint,
      );
    case 'mismatch':
      return new HostKeyMismatch(
        target.role,
        where,
        keyType,
        fingerprint,
        verdict.expected,
        `hosts.${target.role}.hostKeyFingerprint in the profile`,
      );
    case 'unknown':
      if (verdict.certAuthority) {
        return new Unsupported(
          `The ${target.role} host (${where}) is vouched for by an @cert-authority line in ${verdict.certAuthority.file}:${verdict.certAuthority.line}, but host certificates are not supported.`,
          `Add the host's plain key instead: compare ${keyType} ${fingerprint} with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on that machine, then trust that key.`,
        );
      }
      return new HostKeyUnknown(target.role, where, keyType, fingerprint);
  }
}

export interface HostKeyFiles {
  /** The profile's knownHostsFile (home already expanded); read, never written. */
  profileFile: string | null;
  /** `<dataDir>/known_hosts`: where "trust permanently" writes. */
  appFile: string;
}

export interface ForgetResult {
  /** Lines removed from the app's own file. */
  removed: number;
  /** Entries in the profile's (read-only) file that still pin this host; the user removes those with `ssh-keygen -R`. */
  stillPinnedBy: PinnedKey[];
}

/**
 * Host keys for one pool: the two files, keys trusted for this session only, and the last key each
 * host presented (what the user is asked to trust). Files are read at every check — a connection is
 * opened rarely, and the user may edit them meanwhile.
 */
export class HostKeyPolicy {
  private readonly trustedOnce = new Map<HostRole, Buffer[]>();
  private readonly presented = new Map<HostRole, Buffer>();
  /** Counts trusts, so a check that judged while one was being written judges again. */
  private trusts = 0;

  constructor(private readonly files: HostKeyFiles) {}

  async entries(): Promise<KnownHostsEntry[]> {
    const [profile, app] = await Promise.all([
      this.files.profileFile ? readKnownHostsFile(this.files.profileFile) : { entries: [] },
      readKnownHostsFile(this.files.appFile),
    ]);
    return [...profile.entries, ...app.entries];
  }

  async judge(target: HostTarget, key: Buffer): Promise<HostKeyVerdict> {
    return judgeHostKey(await this.entries(), target, key, this.trustedOnce.get(target.role));
  }

  /** The ssh2 verifier's decision: error null accepts; otherwise the key is kept for trust(). */
  async check(target: HostTarget, key: Buffer): Promise<{ verdict: HostKeyVerdict; error: AppError | null }> {
    // A connection opened while the user trusted this key (onboarding trusts as the first poll connects)
    // must not keep it as "presented": that would ask the user again about a key already trusted.
    let verdict: HostKeyVerdict;
    let before: number;
    do {
      before = this.trusts;
      verdict = await this.judge(target, key);
    } while (verdict.status !== 'trusted' && before !== this.trusts);
    if (verdict.status !== 'trusted') this.presented.set(target.role, Buffer.from(key));
    return { verdict, error: verdictError(target, key, verdict) };
  }

  /** Key types pinned for this host, to ask the server for those first. */
  async pinnedTypes(target: HostTarget): Promise<string[]> {
    const mine = entriesFor(await this.entries(), target.address, target.port);
    const once = (this.trustedOnce.get(target.role) ?? []).map((k) => keyTypeOf(k) ?? '');
    return [...mine.filter((e) => e.marker === null).map((e) => e.keyType), ...once].filter((t) => t !== '');
  }

  /** The key the host presented last, if it was not trusted. */
  presentedKey(role: HostRole): { keyType: string; fingerprint: string } | null {
    const key = this.presented.get(role);
    return key ? { keyType: keyTypeOf(key) ?? 'unknown', fingerprint: sha256Fingerprint(key) } : null;
  }

  /**
   * Trusts the key the host presented last, if its fingerprint is the one the user confirmed. Only an
   * unknown key can be trusted: a changed one needs forget() first, so no single click overrides a pin.
   */
  async trust(target: HostTarget, fingerprint: string, permanent: boolean): Promise<void> {
    const key = this.presented.get(target.role);
    if (!key || sha256Fingerprint(key) !== fingerprint) {
      throw new InvalidInput(
        'fingerprint',
        `is not the key the ${target.role} host presented last; connect again and compare the fingerprint it shows`,
      );
    }
    const verdict = await this.judge(target, key);
    if (verdict.status === 'trusted') return;
    if (verdict.status !== 'unknown') throw verdictError(target, key, verdict)!;
    if (permanent) {
      await appendKnownHost(
        this.files.appFile,
        target.address,
        target.port,
        key,
        `homeserver-tray ${target.role} ${new Date().toISOString().slice(0, 10)}`,
      );
    } else {
      this.trustedOnce.set(target.role, [...(this.trustedOnce.get(target.role) ?? []), key]);
    }
    this.presented.delete(target.role);
    this.trusts += 1;
  }

  /** Removes this host's pins from the app's own file and this session; reports pins left in the profile's file. */
  async forget(target: HostTarget): Promise<ForgetResult> {
    this.trustedOnce.delete(target.role);
    const removed = await removeKnownHost(this.files.appFile, target.address, target.port);
    const profile = this.files.profileFile
      ? await readKnownHostsFile(this.files.profileFile)
      : { entries: [] };
    const stillPinnedBy = entriesFor(profile.entries, target.address, target.port)
      .filter((e) => e.marker === null)
      .map(pinned);
    return { removed, stillPinnedBy };
  }
}
