import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../src-main/core/errors';
import { SECRET_SERVICE, secretAccount } from '../../../src-main/core/secrets/account';
import { createKeytarSecretStore } from '../../../src-main/core/secrets/keytar-store';
import type { SecretRef } from '../../../src-main/core/secrets/types';
import { writeOnlySecretStore } from '../../../src-main/core/secrets/write-only';
import { type Keyring, startKeyring } from '../../lab/keyring';
import { testChild } from '../../support/test-child';
import { startBus } from './private-bus';

/**
 * The keytar store against a real gnome-keyring in a private D-Bus session, checked with libsecret's own
 * `secret-tool`. libsecret binds to DBUS_SESSION_BUS_ADDRESS at its first call, so it is set before any, and
 * the broken-bus cases run in child processes.
 */
const execFileAsync = promisify(execFile);

let dir: string;
let keyring: Keyring;
const store = createKeytarSecretStore();

async function secretTool(...args: string[]): Promise<string> {
  const { stdout, stderr } = await execFileAsync('secret-tool', args, {
    env: { ...process.env, ...keyring.env },
  });
  return stdout + stderr;
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keytar-store-'));
  keyring = await startKeyring(join(dir, 'keyring'));
  process.env.DBUS_SESSION_BUS_ADDRESS = keyring.env.DBUS_SESSION_BUS_ADDRESS;
});

afterAll(async () => {
  await keyring?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('keytar SecretStore on gnome-keyring', () => {
  it('round-trips text and binary values exactly, then deletes them', async () => {
    const values: Record<string, Buffer> = {
      ascii: Buffer.from('hunter2'),
      utf8: Buffer.from('pässwörd 🔑 日本'),
      bom: Buffer.from('\ufeffstarts with a BOM'),
      nul: Buffer.from('before\0after'),
      invalidUtf8: Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41]),
      markerLookalike: Buffer.from('homeserver-tray:base64:aGVsbG8='),
      whitespace: Buffer.from('  padded\n'),
      large: randomBytes(8192),
    };
    for (const [name, value] of Object.entries(values)) {
      const ref: SecretRef = { profile: 'roundtrip', kind: 'ssh-key-passphrase', host: name };
      await store.set(ref, value);
      expect(await store.has(ref)).toBe(true);
      expect((await store.get(ref))?.equals(value), name).toBe(true);
      expect(await store.delete(ref)).toBe(true);
      expect(await store.has(ref)).toBe(false);
      expect(await store.get(ref)).toBeNull();
      expect(await store.delete(ref)).toBe(false);
    }
  });

  it('takes a string as UTF-8 and overwrites on a second set', async () => {
    const ref: SecretRef = { profile: 'overwrite', kind: 'matrix-admin-token' };
    await store.set(ref, 'first ✓');
    await store.set(ref, 'second ✓');
    expect((await store.get(ref))?.toString('utf8')).toBe('second ✓');
    await store.delete(ref);
  });

  it('keeps profiles, kinds and hosts apart, "/" in names included', async () => {
    const refs: SecretRef[] = [
      { profile: 'one', kind: 'ssh-password', host: 'homeserver' },
      { profile: 'one', kind: 'ssh-password', host: 'deploy' },
      { profile: 'one', kind: 'ssh-password' },
      { profile: 'one', kind: 'sudo-password', host: 'homeserver' },
      { profile: 'two', kind: 'ssh-password', host: 'homeserver' },
      // Without escaping, these two would both be "x/sudo-password/ssh-password".
      { profile: 'x/sudo-password', kind: 'ssh-password' },
      { profile: 'x', kind: 'sudo-password', host: 'ssh-password' },
      { profile: 'x%2Fsudo-password', kind: 'ssh-password' },
    ];
    for (const [i, ref] of refs.entries()) await store.set(ref, `value-${i}`);
    for (const [i, ref] of refs.entries()) expect((await store.get(ref))?.toString()).toBe(`value-${i}`);
    for (const ref of refs) expect(await store.delete(ref)).toBe(true);
  });

  it('names accounts <profile>/<kind>[/<host>], as secret-tool sees them', async () => {
    expect(secretAccount({ profile: 'lab.test', kind: 'ssh-password', host: 'homeserver' })).toBe(
      'lab.test/ssh-password/homeserver',
    );
    expect(secretAccount({ profile: 'lab.test', kind: 'vault-password' })).toBe('lab.test/vault-password');
    expect(secretAccount({ profile: 'a/b%c', kind: 'vault-password', host: 'd/e' })).toBe(
      'a%2Fb%25c/vault-password/d%2Fe',
    );

    await store.set({ profile: 'lab.test', kind: 'sudo-password', host: 'homeserver' }, 'sudo-secret');
    await store.set({ profile: 'lab.test', kind: 'vault-password' }, Buffer.from([0, 1, 2]));
    const found = await secretTool('search', '--all', 'service', SECRET_SERVICE);
    expect(found).toContain('attribute.service = homeserver-tray');
    expect(found).toContain('attribute.account = lab.test/sudo-password/homeserver');
    expect(found).toContain('attribute.account = lab.test/vault-password');
    expect(found).toContain('label = homeserver-tray/lab.test/sudo-password/homeserver');
    // Text is stored as is (Seahorse shows the real secret); bytes that are not text are stored as base64.
    expect(
      await secretTool('lookup', 'service', SECRET_SERVICE, 'account', 'lab.test/sudo-password/homeserver'),
    ).toBe('sudo-secret');
    expect(await secretTool('lookup', 'service', SECRET_SERVICE, 'account', 'lab.test/vault-password')).toBe(
      'homeserver-tray:base64:AAEC',
    );
    await store.delete({ profile: 'lab.test', kind: 'sudo-password', host: 'homeserver' });
    await store.delete({ profile: 'lab.test', kind: 'vault-password' });
    expect(await secretTool('search', '--all', 'service', SECRET_SERVICE)).not.toContain('lab.test');
  });

  it('refuses invalid refs and empty values with InvalidInput, storing nothing', async () => {
    const bad = [
      { profile: '', kind: 'ssh-password' },
      { profile: 'p', kind: 'ssh-password', host: '' },
      { profile: 'p', kind: 'root-password' },
      { profile: 'p\nq', kind: 'ssh-password' },
    ] as SecretRef[];
    for (const ref of bad) {
      expect(await failure(store.set(ref, 'v'))).toBeInstanceOf(InvalidInput);
      expect(await failure(store.has(ref))).toBeInstanceOf(InvalidInput);
    }
    const ref: SecretRef = { profile: 'p', kind: 'ssh-password' };
    expect(await failure(store.set(ref, ''))).toBeInstanceOf(InvalidInput);
    expect(await failure(store.set(ref, Buffer.alloc(0)))).toBeInstanceOf(InvalidInput);
    expect(await store.has(ref)).toBe(false);
  });

  it('gives the renderer set/has/delete and no way to read', async () => {
    const view = writeOnlySecretStore(store);
    expect(Object.keys(view).sort()).toEqual(['delete', 'has', 'set']);
    expect('get' in view).toBe(false);
    expect(Object.isFrozen(view)).toBe(true);
    const ref: SecretRef = { profile: 'ui', kind: 'matrix-admin-token' };
    await view.set(ref, 'from-the-window');
    expect(await view.has(ref)).toBe(true);
    expect((await store.get(ref))?.toString()).toBe('from-the-window');
    expect(await view.delete(ref)).toBe(true);
    expect(await view.has(ref)).toBe(false);
  });
});

type ProbeResult = { ok: boolean; code?: string; message?: string; nextStep?: string };

describe('keytar SecretStore without a working Secret Service', () => {
  const CANARY = `canary-${randomBytes(8).toString('hex')}`;
  const PROBE = testChild(new URL('keychain-probe-child.ts', import.meta.url));

  async function filesUnder(root: string): Promise<string[]> {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  }

  /** Runs keychain-probe-child.ts in a fresh process with only `env` (plus PATH) and the canary on stdin. */
  async function probe(home: string, env: Record<string, string>) {
    await mkdir(join(home, 'run'), { recursive: true, mode: 0o700 });
    const run = execFileAsync(process.execPath, [PROBE], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        XDG_RUNTIME_DIR: join(home, 'run'),
        ...env,
      },
      timeout: 30_000,
    });
    run.child.stdin?.end(CANARY);
    const { stdout, stderr } = await run;
    expect(stdout + stderr).not.toContain(CANARY);
    for (const file of await filesUnder(home)) expect(await readFile(file, 'latin1')).not.toContain(CANARY);
    return JSON.parse(stdout) as Record<'set' | 'has' | 'get', ProbeResult> & {
      loadedBeforeUse: boolean;
      loadedAfterUse: boolean;
    };
  }

  function expectUnavailable(result: ProbeResult, said: string) {
    expect(result.ok).toBe(false);
    expect(result.code).toBe('SecretStoreUnavailable');
    expect(result.message).toContain(said);
    expect(result.message).toMatch(/^No keychain answers: .*\.$/);
    expect(result.nextStep).toContain('gnome-keyring');
    expect(result.nextStep).toContain('KWallet');
  }

  it('names what to install, for a dead bus, no bus, no Secret Service and no login keyring', async () => {
    const noServices = await startBus(join(dir, 'bare-bus'), { services: false });
    const noLogin = await startBus(join(dir, 'activating-bus'), { services: true });
    try {
      const [dead, none, unknown, locked] = await Promise.all([
        probe(join(dir, 'dead'), {
          DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'dead', 'no-such-bus')}`,
        }),
        probe(join(dir, 'none'), {}),
        probe(join(dir, 'unknown'), { DBUS_SESSION_BUS_ADDRESS: noServices.address }),
        // gnome-keyring started by D-Bus activation, never unlocked: no login collection to write to.
        probe(join(dir, 'locked'), { DBUS_SESSION_BUS_ADDRESS: noLogin.address }),
      ]);
      for (const op of ['set', 'has', 'get'] as const) {
        expectUnavailable(dead[op], 'Could not connect');
        expectUnavailable(none[op], 'Cannot autolaunch D-Bus without X11 $DISPLAY');
        expectUnavailable(unknown[op], 'org.freedesktop.secrets was not provided');
      }
      expectUnavailable(locked.set, 'Object does not exist at path');
      // Creating the store costs nothing native; the first call loads keytar.
      expect(dead.loadedBeforeUse).toBe(false);
      expect(dead.loadedAfterUse).toBe(true);
    } finally {
      await noServices.stop();
      await noLogin.stop();
    }
  });
});
