import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyTypeOf, sha256Fingerprint } from '../../../../src-main/core/ssh/fingerprint';
import {
  appendKnownHost,
  entriesFor,
  knownHostsName,
  matchPatternList,
  matchWildcard,
  parseKnownHosts,
  readKnownHostsFile,
  removeKnownHost,
} from '../../../../src-main/core/ssh/known-hosts';
import { generateKey, type KeyPair, keygenFingerprint, keygenHash, keygenLookup } from './openssh-tools';

let dir: string;
let ed: KeyPair;
let ec: KeyPair;
let rsa: KeyPair;
let other: KeyPair;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'known-hosts-'));
  ed = generateKey(dir, 'ed', 'ed25519');
  ec = generateKey(dir, 'ec', 'ecdsa');
  rsa = generateKey(dir, 'rsa', 'rsa');
  other = generateKey(dir, 'other', 'ed25519');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function line(hosts: string, key: KeyPair, marker = ''): string {
  return `${marker ? `${marker} ` : ''}${hosts} ${key.type} ${key.base64}`;
}

describe('fingerprints', () => {
  it('match `ssh-keygen -lf` for every key type', () => {
    for (const key of [ed, ec, rsa]) {
      expect(sha256Fingerprint(key.blob)).toBe(keygenFingerprint(key.publicPath));
      expect(sha256Fingerprint(key.blob)).not.toMatch(/=$/);
    }
  });

  it('read the key type from the blob', () => {
    expect(keyTypeOf(ed.blob)).toBe('ssh-ed25519');
    expect(keyTypeOf(ec.blob)).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOf(rsa.blob)).toBe('ssh-rsa');
    expect(keyTypeOf(Buffer.from([0, 0, 0, 200, 1]))).toBeNull();
    expect(keyTypeOf(Buffer.alloc(2))).toBeNull();
  });
});

describe('host names and patterns', () => {
  it('uses the bare host on port 22 and [host]:port otherwise, lower-cased, IPv6 without brackets', () => {
    expect(knownHostsName('Matrix.Example.org', 22)).toBe('matrix.example.org');
    expect(knownHostsName('127.0.0.2', 2222)).toBe('[127.0.0.2]:2222');
    expect(knownHostsName('[::1]', 22)).toBe('::1');
    expect(knownHostsName('[::1]', 2200)).toBe('[::1]:2200');
  });

  it('matches wildcards like OpenSSH: * any run, ? one character, nothing else special', () => {
    expect(matchWildcard('vm1.lan', '*.lan')).toBe(true);
    expect(matchWildcard('vm1.lan', 'vm?.lan')).toBe(true);
    expect(matchWildcard('vm10.lan', 'vm?.lan')).toBe(false);
    expect(matchWildcard('vm1xlan', 'vm1.lan')).toBe(false);
    expect(matchWildcard('[10.0.0.5]:2222', '[10.0.0.*]:2222')).toBe(true);
    expect(matchWildcard('[10.0.0.5]:22', '[10.0.0.*]:2222')).toBe(false);
  });

  it('lets a matching negation veto the whole list', () => {
    expect(matchPatternList('a.lan', ['*.lan', '!b.lan'])).toBe(true);
    expect(matchPatternList('b.lan', ['*.lan', '!b.lan'])).toBe(false);
    expect(matchPatternList('b.lan', ['!b.lan'])).toBe(false);
    expect(matchPatternList('c.lan', ['!b.lan'])).toBe(false);
  });
});

describe('parseKnownHosts', () => {
  it('reads plain, bracketed, listed, wildcard and marker lines and skips what OpenSSH skips', () => {
    const text = [
      '# a comment',
      '',
      line('vm.lan,192.168.1.243', ed),
      line('vm.lan', ec),
      `${line('[deploy.lan]:2222', rsa)} root@deploy`,
      line('*.lan,!evil.lan', other, '@revoked'),
      line('*.corp', other, '@cert-authority'),
      line('x.lan', ed, '@weird'),
      'old.lan 1024 35 1234567',
      `x.lan ssh-rsa ${ed.base64}`,
      `${line('crlf.lan', ed)}\r`,
      'lonely.lan ssh-ed25519',
      'x.lan ssh-ed25519 not*base64',
    ].join('\n');
    const { entries, problems } = parseKnownHosts(text, 'kh');
    expect(entries.map((e) => [e.line, e.marker, e.keyType])).toEqual([
      [3, null, 'ssh-ed25519'],
      [4, null, 'ecdsa-sha2-nistp256'],
      [5, null, 'ssh-rsa'],
      [6, 'revoked', 'ssh-ed25519'],
      [7, 'cert-authority', 'ssh-ed25519'],
      [11, null, 'ssh-ed25519'],
    ]);
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [8, 'unknown marker @weird'],
      [9, 'an SSH-1 key (`bits exponent modulus`), which OpenSSH no longer reads'],
      [10, 'the key is not a ssh-rsa key'],
      [12, 'fewer than three fields'],
      [13, 'the key is not base64'],
    ]);
    expect(entries[0]!.key.equals(ed.blob)).toBe(true);
  });

  it('finds the same lines as `ssh-keygen -F`, plain and after `ssh-keygen -H`', () => {
    const plain = join(dir, 'lookup-plain');
    const text = [
      line('vm.lan,192.168.1.243', ed),
      line('vm.lan', ec),
      line('[vm.lan]:2222', rsa),
      line('[10.0.0.*]:2222', other),
      line('*.lan,!evil.lan', other, '@revoked'),
      line('*.corp', other, '@cert-authority'),
      line('db?.lan', other),
    ].join('\n');
    writeFileSync(plain, `${text}\n`);
    const hashed = join(dir, 'lookup-hashed');
    writeFileSync(hashed, `${text}\n`);
    keygenHash(hashed);
    expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);

    const lookups: [string, number][] = [
      ['vm.lan', 22],
      ['VM.LAN', 22],
      ['192.168.1.243', 22],
      ['vm.lan', 2222],
      ['vm.lan', 2200],
      ['10.0.0.7', 2222],
      ['10.0.0.7', 22],
      ['evil.lan', 22],
      ['good.lan', 22],
      ['build.corp', 22],
      ['db1.lan', 22],
      ['db10.lan', 22],
      ['unknown.example', 22],
    ];
    for (const file of [plain, hashed]) {
      const { entries, problems } = parseKnownHosts(readFileSync(file, 'utf8'), file);
      expect(problems).toEqual([]);
      for (const [address, port] of lookups) {
        const ours = entriesFor(entries, address, port).map((e) => e.line);
        expect({ file, address, port, lines: ours }).toEqual({
          file,
          address,
          port,
          lines: keygenLookup(file, knownHostsName(address, port)),
        });
      }
    }
  });

  it('treats a malformed hashed name as a problem, not a match', () => {
    const { entries, problems } = parseKnownHosts(`|1|c2FsdA==|aGFzaA== ${ed.type} ${ed.base64}`, 'kh');
    expect(entries).toEqual([]);
    expect(problems[0]!.message).toBe('malformed hashed host name');
  });
});

describe('the app file', () => {
  it('reads a missing file as empty', async () => {
    expect(await readKnownHostsFile(join(dir, 'nope', 'known_hosts'))).toEqual({ entries: [], problems: [] });
  });

  it('appends lines OpenSSH finds, [addr]:port off port 22, creating the folder with private modes', async () => {
    const file = join(dir, 'app-append', 'data', 'known_hosts');
    await appendKnownHost(file, '127.0.0.2', 2222, ed.blob, 'homeserver-tray homeserver 2026-11-26');
    await appendKnownHost(file, 'Deploy.LAN', 22, ec.blob);
    expect(readFileSync(file, 'utf8')).toBe(
      `[127.0.0.2]:2222 ssh-ed25519 ${ed.base64} homeserver-tray homeserver 2026-11-26\ndeploy.lan ecdsa-sha2-nistp256 ${ec.base64}\n`,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'app-append', 'data')).mode & 0o777).toBe(0o700);
    expect(keygenLookup(file, '[127.0.0.2]:2222')).toEqual([1]);
    expect(keygenLookup(file, 'deploy.lan')).toEqual([2]);
  });

  it('starts a new line when the file does not end with one', async () => {
    const file = join(dir, 'app-no-newline');
    writeFileSync(file, line('a.lan', ed));
    await appendKnownHost(file, 'b.lan', 22, ec.blob);
    expect(parseKnownHosts(readFileSync(file, 'utf8'), file).entries.map((e) => e.line)).toEqual([1, 2]);
  });

  it('removes plain and hashed lines of one host, keeping other hosts and @revoked lines', async () => {
    const file = join(dir, 'app-remove');
    writeFileSync(
      file,
      `${[
        line('[127.0.0.2]:2222', ed),
        line('[127.0.0.3]:2222', ed),
        line('[127.0.0.2]:2222', other, '@revoked'),
        '# kept comment',
      ].join('\n')}\n`,
    );
    keygenHash(file);
    await appendKnownHost(file, '127.0.0.2', 2222, ec.blob);
    expect(keygenLookup(file, '[127.0.0.2]:2222')).toEqual([1, 3, 5]);

    expect(await removeKnownHost(file, '127.0.0.2', 2222)).toBe(2);
    expect(keygenLookup(file, '[127.0.0.2]:2222')).toEqual([2]);
    const left = parseKnownHosts(readFileSync(file, 'utf8'), file).entries;
    expect(left.map((e) => e.marker)).toEqual([null, 'revoked']);
    expect(keygenLookup(file, '[127.0.0.3]:2222')).toEqual([1]);
    expect(readFileSync(file, 'utf8')).toContain('# kept comment');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await removeKnownHost(file, '127.0.0.2', 2222)).toBe(0);
    expect(await removeKnownHost(join(dir, 'missing'), '127.0.0.2', 2222)).toBe(0);
  });
});
