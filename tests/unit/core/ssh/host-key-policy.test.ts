import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  HostKeyChanged,
  HostKeyMismatch,
  HostKeyRevoked,
  HostKeyUnknown,
  InvalidInput,
  Unsupported,
} from '../../../../src-main/core/errors';
import { orderHostKeyAlgorithms, withoutSha1Signatures } from '../../../../src-main/core/ssh/connect';
import { sha256Fingerprint } from '../../../../src-main/core/ssh/fingerprint';
import { HostKeyPolicy, type HostTarget, judgeHostKey } from '../../../../src-main/core/ssh/host-key-policy';
import { parseKnownHosts } from '../../../../src-main/core/ssh/known-hosts';
import { generateKey, type KeyPair, keygenLookup } from './openssh-tools';

let dir: string;
let current: KeyPair;
let rotated: KeyPair;
let ecdsa: KeyPair;
const target: HostTarget = { role: 'homeserver', address: '127.0.0.2', port: 2222 };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'host-key-policy-'));
  current = generateKey(dir, 'current', 'ed25519');
  rotated = generateKey(dir, 'rotated', 'ed25519');
  ecdsa = generateKey(dir, 'ecdsa', 'ecdsa');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (hosts: string, key: KeyPair, marker = '') =>
  `${marker ? `${marker} ` : ''}${hosts} ${key.type} ${key.base64}`;

describe('judgeHostKey', () => {
  const judge = (lines: string[], key: KeyPair, once: Buffer[] = []) =>
    judgeHostKey(parseKnownHosts(lines.join('\n'), 'kh').entries, target, key.blob, once);

  it('trusts a pinned key, including one of several key types for the host', () => {
    expect(judge([entry('[127.0.0.2]:2222', ecdsa), entry('[127.0.0.2]:2222', current)], current)).toEqual({
      status: 'trusted',
    });
  });

  it('calls a different key for a pinned host changed, naming every pinned key', () => {
    const verdict = judge([entry('[127.0.0.2]:2222', current), entry('[127.0.0.2]:2222', ecdsa)], rotated);
    expect(verdict.status).toBe('changed');
    if (verdict.status !== 'changed') return;
    expect(verdict.expected.map((p) => [p.fingerprint, p.line])).toEqual([
      [sha256Fingerprint(current.blob), 1],
      [sha256Fingerprint(ecdsa.blob), 2],
    ]);
  });

  it('does not mix up ports: the same address on port 22 pins nothing for 2222', () => {
    expect(judge([entry('127.0.0.2', current)], rotated).status).toBe('unknown');
  });

  it('refuses a revoked key even when another line trusts it', () => {
    const verdict = judge([entry('[127.0.0.2]:2222', current), entry('*', current, '@revoked')], current);
    expect(verdict.status).toBe('revoked');
  });

  it('reports a cert-authority line for an otherwise unknown host', () => {
    const verdict = judge([entry('[127.0.0.*]:2222', ecdsa, '@cert-authority')], current);
    expect(verdict).toMatchObject({ status: 'unknown', certAuthority: { line: 1 } });
  });

  it('trusts a key trusted once in this session', () => {
    expect(judge([], current, [current.blob]).status).toBe('trusted');
  });
});

describe('HostKeyPolicy', () => {
  let profileFile: string;
  let appFile: string;
  let policy: HostKeyPolicy;

  beforeEach(() => {
    const sub = mkdtempSync(join(dir, 'case-'));
    profileFile = join(sub, 'profile_known_hosts');
    appFile = join(sub, 'data', 'known_hosts');
    writeFileSync(profileFile, '');
    policy = new HostKeyPolicy({ profileFile, appFile });
  });

  it('an unknown key fails with HostKeyUnknown carrying type and SHA256 fingerprint; trusting it permanently writes the app file', async () => {
    const { error } = await policy.check(target, current.blob);
    expect(error).toBeInstanceOf(HostKeyUnknown);
    const unknown = error as HostKeyUnknown;
    expect(unknown.keyType).toBe('ssh-ed25519');
    expect(unknown.fingerprint).toBe(sha256Fingerprint(current.blob));
    expect(unknown.address).toBe('127.0.0.2 port 2222');
    expect(unknown.message).toBe(
      `The homeserver host (127.0.0.2 port 2222) presented ssh-ed25519 key ${unknown.fingerprint}, which is not trusted yet.`,
    );
    expect(policy.presentedKey('homeserver')).toEqual({
      keyType: 'ssh-ed25519',
      fingerprint: unknown.fingerprint,
    });

    await policy.trust(target, unknown.fingerprint, true);
    expect(keygenLookup(appFile, '[127.0.0.2]:2222')).toEqual([1]);
    expect(readFileSync(profileFile, 'utf8')).toBe('');
    expect((await policy.check(target, current.blob)).error).toBeNull();
    expect(policy.presentedKey('homeserver')).toBeNull();
    // Another pool reading the same files trusts it too.
    expect((await new HostKeyPolicy({ profileFile, appFile }).check(target, current.blob)).error).toBeNull();
  });

  it('connections checked while the key is being trusted leave no question behind about it', async () => {
    // Onboarding trusts the keys while the first poll connects: that poll must not ask about a trusted key.
    for (let i = 0; i < 40; i++) {
      const sub = mkdtempSync(join(dir, 'race-'));
      const app = join(sub, 'known_hosts');
      const racing = new HostKeyPolicy({ profileFile, appFile: app });
      await racing.check(target, current.blob);
      let trusted = false;
      const trust = racing.trust(target, sha256Fingerprint(current.blob), true).then(() => {
        trusted = true;
      });
      const checks: Promise<unknown>[] = [];
      while (!trusted) {
        checks.push(racing.check(target, current.blob));
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all([trust, ...checks]);
      expect(racing.presentedKey('homeserver')).toBeNull();
      expect((await racing.check(target, current.blob)).error).toBeNull();
    }
  });

  it('trusting once lasts for this policy only and writes nothing', async () => {
    await policy.check(target, current.blob);
    await policy.trust(target, sha256Fingerprint(current.blob), false);
    expect((await policy.check(target, current.blob)).error).toBeNull();
    expect(() => readFileSync(appFile)).toThrow();
    expect(
      (await new HostKeyPolicy({ profileFile, appFile }).check(target, current.blob)).error,
    ).toBeInstanceOf(HostKeyUnknown);
  });

  it('only trusts the key the host presented, under the fingerprint the user confirmed', async () => {
    await expect(policy.trust(target, sha256Fingerprint(current.blob), true)).rejects.toBeInstanceOf(
      InvalidInput,
    );
    await policy.check(target, current.blob);
    await expect(policy.trust(target, sha256Fingerprint(rotated.blob), true)).rejects.toBeInstanceOf(
      InvalidInput,
    );
  });

  it('a changed key is refused and cannot be trusted until the old pin is removed explicitly', async () => {
    await policy.check(target, current.blob);
    await policy.trust(target, sha256Fingerprint(current.blob), true);

    const { error } = await policy.check(target, rotated.blob);
    expect(error).toBeInstanceOf(HostKeyChanged);
    const changed = error as HostKeyChanged;
    expect(changed.received).toBe(sha256Fingerprint(rotated.blob));
    expect(changed.expected.join()).toContain(sha256Fingerprint(current.blob));
    await expect(policy.trust(target, sha256Fingerprint(rotated.blob), true)).rejects.toBeInstanceOf(
      HostKeyChanged,
    );
    await expect(policy.trust(target, sha256Fingerprint(rotated.blob), false)).rejects.toBeInstanceOf(
      HostKeyChanged,
    );

    expect(await policy.forget(target)).toEqual({ removed: 1, stillPinnedBy: [] });
    await policy.trust(target, sha256Fingerprint(rotated.blob), true);
    expect((await policy.check(target, rotated.blob)).error).toBeNull();
    expect((await policy.check(target, current.blob)).error).toBeInstanceOf(HostKeyChanged);
  });

  it("forget reports pins in the profile's read-only file and leaves that file alone", async () => {
    writeFileSync(profileFile, `${entry('[127.0.0.2]:2222', current)}\n`);
    expect((await policy.check(target, rotated.blob)).error).toBeInstanceOf(HostKeyChanged);
    const result = await policy.forget(target);
    expect(result.removed).toBe(0);
    expect(result.stillPinnedBy).toEqual([
      { keyType: 'ssh-ed25519', fingerprint: sha256Fingerprint(current.blob), file: profileFile, line: 1 },
    ]);
    expect(readFileSync(profileFile, 'utf8')).toBe(`${entry('[127.0.0.2]:2222', current)}\n`);
    await expect(policy.trust(target, sha256Fingerprint(rotated.blob), true)).rejects.toBeInstanceOf(
      HostKeyChanged,
    );
  });

  it('refuses a revoked key with HostKeyRevoked and never lets it be trusted', async () => {
    writeFileSync(profileFile, `${entry('*', current, '@revoked')}\n`);
    const { error } = await policy.check(target, current.blob);
    expect(error).toBeInstanceOf(HostKeyRevoked);
    await expect(policy.trust(target, sha256Fingerprint(current.blob), true)).rejects.toBeInstanceOf(
      HostKeyRevoked,
    );
  });

  it('explains that host certificates are not supported, with adding the plain key as the next step', async () => {
    writeFileSync(profileFile, `${entry('[127.0.0.*]:*', ecdsa, '@cert-authority')}\n`);
    const { error } = await policy.check(target, current.blob);
    expect(error).toBeInstanceOf(Unsupported);
    expect(error!.message).toContain('host certificates are not supported');
    expect((error as Unsupported).nextStep).toContain(sha256Fingerprint(current.blob));
    await policy.trust(target, sha256Fingerprint(current.blob), true);
    expect((await policy.check(target, current.blob)).error).toBeNull();
  });

  it('lists the pinned key types so the server is asked for those first', async () => {
    writeFileSync(profileFile, `${entry('[127.0.0.2]:2222', ecdsa)}\n`);
    const types = await policy.pinnedTypes(target);
    expect(types).toEqual(['ecdsa-sha2-nistp256']);
    expect(orderHostKeyAlgorithms(types, false)[0]).toBe('ecdsa-sha2-nistp256');
    expect(orderHostKeyAlgorithms(['ssh-rsa'], true).slice(0, 3)).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
    expect(orderHostKeyAlgorithms([], false)[0]).toBe('ssh-ed25519');
    expect(new Set(orderHostKeyAlgorithms(['ssh-rsa'], true)).size).toBe(
      orderHostKeyAlgorithms([], true).length,
    );
  });

  it('offers ssh-rsa (SHA-1) only where the profile allows it; an RSA pin still asks for rsa-sha2 first', () => {
    expect(orderHostKeyAlgorithms([], false)).not.toContain('ssh-rsa');
    expect(orderHostKeyAlgorithms(['ssh-rsa'], false).slice(0, 2)).toEqual(['rsa-sha2-512', 'rsa-sha2-256']);
    expect(orderHostKeyAlgorithms(['ssh-rsa'], false)).not.toContain('ssh-rsa');
    expect(orderHostKeyAlgorithms([], true).at(-1)).toBe('ssh-rsa');
  });

  it('an RSA login key of a host without allowSshRsa refuses to sign with SHA-1, and signs with SHA-2', () => {
    const rsa = generateKey(dir, 'login-rsa', 'rsa');
    const key = ssh2.utils.parseKey(readFileSync(rsa.privatePath)) as ParsedKey;
    const guarded = withoutSha1Signatures(key);
    expect(guarded.type).toBe('ssh-rsa');
    expect(guarded.getPublicSSH().equals(key.getPublicSSH())).toBe(true);
    const data = Buffer.from('session id and userauth request');
    const refused = guarded.sign(data, 'sha1') as unknown;
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toContain('ssh-rsa (SHA-1) signature, which is off for this host');
    const signed = guarded.sign(data, 'sha256');
    expect(key.verify(data, signed, 'sha256')).toBe(true);
    expect(key.sign(data, 'sha1')).toBeInstanceOf(Buffer);
  });

  it('accepts only the key a profile pins, even one known_hosts trusts, and trusts no other', async () => {
    writeFileSync(profileFile, `${entry('[127.0.0.2]:2222', current)}\n`);
    const pinned = { ...target, pinned: sha256Fingerprint(current.blob) };
    expect((await policy.check(pinned, current.blob)).error).toBeNull();
    const other = { ...target, pinned: sha256Fingerprint(ecdsa.blob) };
    const { verdict, error } = await policy.check(other, current.blob);
    expect(verdict).toEqual({ status: 'mismatch', expected: sha256Fingerprint(ecdsa.blob) });
    expect(error).toBeInstanceOf(HostKeyMismatch);
    expect(error!.message).toBe(
      `The homeserver host (127.0.0.2 port 2222) presented ssh-ed25519 key ${sha256Fingerprint(current.blob)}, not ${sha256Fingerprint(ecdsa.blob)} (hosts.homeserver.hostKeyFingerprint in the profile). This can mean someone is intercepting the connection; nothing was sent and nothing was trusted.`,
    );
    await expect(policy.trust(other, sha256Fingerprint(current.blob), true)).rejects.toBeInstanceOf(
      HostKeyMismatch,
    );
  });
});
