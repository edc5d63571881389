import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { keyTypeOf } from './fingerprint';

/**
 * OpenSSH known_hosts (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 *   [@revoked|@cert-authority] patterns keytype base64-key [comment]
 * patterns is `|1|salt|hash` (HashKnownHosts) or a comma list of host names / `[host]:port`, with `*`, `?` and `!`.
 */

export type KnownHostsMarker = 'revoked' | 'cert-authority' | null;

export type HostPatterns =
  | { kind: 'hashed'; salt: Buffer; hash: Buffer }
  | { kind: 'patterns'; patterns: string[] };

export interface KnownHostsEntry {
  file: string;
  /** 1-based, as `ssh-keygen -F` reports it. */
  line: number;
  marker: KnownHostsMarker;
  hosts: HostPatterns;
  keyType: string;
  key: Buffer;
}

export interface KnownHostsProblem {
  file: string;
  line: number;
  message: string;
}

export interface ParsedKnownHosts {
  entries: KnownHostsEntry[];
  /** Lines OpenSSH would also skip; kept so Settings can point at them. */
  problems: KnownHostsProblem[];
}

const HASH_MAGIC = '|1|';
const SHA1_LENGTH = 20;

function parseHostField(field: string): HostPatterns | string {
  if (field.startsWith(HASH_MAGIC)) {
    const [salt64, hash64, ...rest] = field.slice(HASH_MAGIC.length).split('|');
    if (salt64 === undefined || hash64 === undefined || rest.length > 0) return 'malformed hashed host name';
    const salt = Buffer.from(salt64, 'base64');
    const hash = Buffer.from(hash64, 'base64');
    if (salt.length !== SHA1_LENGTH || hash.length !== SHA1_LENGTH) return 'malformed hashed host name';
    return { kind: 'hashed', salt, hash };
  }
  const patterns = field.split(',');
  if (patterns.some((p) => p === '' || p === '!')) return 'empty host pattern';
  return { kind: 'patterns', patterns };
}

export function parseKnownHosts(text: string, file: string): ParsedKnownHosts {
  const entries: KnownHostsEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/[ \t]+/);
    let marker: KnownHostsMarker = null;
    if (fields[0]?.startsWith('@')) {
      const word = fields.shift();
      if (word === '@revoked') marker = 'revoked';
      else if (word === '@cert-authority') marker = 'cert-authority';
      else {
        problems.push({ file, line, message: `unknown marker ${word}` });
        continue;
      }
    }
    const [hostField, keyType, key64] = fields;
    if (hostField === undefined || keyType === undefined || key64 === undefined) {
      problems.push({ file, line, message: 'fewer than three fields' });
      continue;
    }
    const hosts = parseHostField(hostField);
    if (typeof hosts === 'string') {
      problems.push({ file, line, message: hosts });
      continue;
    }
    if (/^\d+$/.test(keyType)) {
      problems.push({
        file,
        line,
        message: 'an SSH-1 key (`bits exponent modulus`), which OpenSSH no longer reads',
      });
      continue;
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key64)) {
      problems.push({ file, line, message: 'the key is not base64' });
      continue;
    }
    const keyBlob = Buffer.from(key64, 'base64');
    if (keyTypeOf(keyBlob) !== keyType) {
      problems.push({ file, line, message: `the key is not a ${keyType} key` });
      continue;
    }
    entries.push({ file, line, marker, hosts, keyType, key: keyBlob });
  }
  return { entries, problems };
}

/**
 * The name OpenSSH looks up for a connection: the host alone on port 22, `[host]:port` otherwise.
 * Lower-cased like OpenSSH; an IPv6 address loses the brackets the profile writes it with.
 */
export function knownHostsName(address: string, port: number): string {
  const host = address.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's match_pattern: `*` any run, `?` one character, case-insensitive. */
export function matchWildcard(name: string, pattern: string): boolean {
  const source = [...pattern.toLowerCase()]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(name.toLowerCase());
}

/** OpenSSH's match_pattern_list: a matching `!pattern` vetoes the whole list, else any positive match wins. */
export function matchPatternList(name: string, patterns: string[]): boolean {
  let positive = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (matchWildcard(name, pattern.slice(1))) return false;
    } else if (matchWildcard(name, pattern)) {
      positive = true;
    }
  }
  return positive;
}

export function hostsMatch(hosts: HostPatterns, name: string): boolean {
  if (hosts.kind === 'patterns') return matchPatternList(name, hosts.patterns);
  const digest = createHmac('sha1', hosts.salt).update(name).digest();
  return timingSafeEqual(digest, hosts.hash);
}

export function entriesFor(entries: KnownHostsEntry[], address: string, port: number): KnownHostsEntry[] {
  const name = knownHostsName(address, port);
  return entries.filter((e) => hostsMatch(e.hosts, name));
}

/** One known_hosts line for exactly this host and key, in the format OpenSSH writes itself. */
export function knownHostsLine(address: string, port: number, keyBlob: Buffer, comment?: string): string {
  const type = keyTypeOf(keyBlob);
  if (type === null) throw new Error('Not an SSH public key blob.');
  const tail = comment ? ` ${comment.replace(/[\r\n]+/g, ' ')}` : '';
  return `${knownHostsName(address, port)} ${type} ${keyBlob.toString('base64')}${tail}`;
}

/** A missing file is an empty one: a fresh install has no known_hosts yet. */
export async function readKnownHostsFile(path: string): Promise<ParsedKnownHosts> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problems: [] };
    throw e;
  }
  return parseKnownHosts(text, path);
}

/**
 * Appends a trusted key to the app's own file. The line is written in plain, not hashed, form:
 * the host names are already in the profile beside this file, so hashing would hide nothing,
 * and a plain line lets the user see (and `ssh-keygen -R`) what the app pinned.
 */
export async function appendKnownHost(
  path: string,
  address: string,
  port: number,
  keyBlob: Buffer,
  comment?: string,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const existing = await readFile(path, 'utf8');
    if (existing.length > 0 && !existing.endsWith('\n')) prefix = '\n';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await appendFile(path, `${prefix}${knownHostsLine(address, port, keyBlob, comment)}\n`, { mode: 0o600 });
}

/**
 * Removes every line of `path` that trusts a key for this host (plain or hashed). `@revoked`
 * lines stay: removing a revocation is never part of "trust the new key".
 * Returns how many lines went. The file is replaced atomically so a crash cannot truncate it.
 */
export async function removeKnownHost(path: string, address: string, port: number): Promise<number> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  const drop = new Set(
    entriesFor(parseKnownHosts(text, path).entries, address, port)
      .filter((e) => e.marker !== 'revoked')
      .map((e) => e.line),
  );
  if (drop.size === 0) return 0;
  const kept = text.split('\n').filter((_, index) => !drop.has(index + 1));
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, kept.join('\n'), { mode: 0o600 });
  await rename(temp, path);
  return drop.size;
}
