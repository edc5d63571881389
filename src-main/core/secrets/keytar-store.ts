import { InvalidInput, SecretStoreUnavailable } from '../errors';
import { SECRET_SERVICE, secretAccount } from './account';
import type { KeychainRef, SecretStore } from './types';
import { decodeSecretValue, encodeSecretValue } from './value-encoding';

type Keytar = Pick<typeof import('keytar'), 'getPassword' | 'setPassword' | 'deletePassword'>;

let keytarLoading: Promise<Keytar> | undefined;

/** Loaded on first use, so code that never touches secrets (and its tests) does not need the native module. */
function loadKeytar(): Promise<Keytar> {
  keytarLoading ??= import('keytar').then(
    (mod: Keytar & { default?: Keytar }) => mod.default ?? mod,
    (e: unknown) => {
      keytarLoading = undefined;
      throw new SecretStoreUnavailable(`the keytar module could not load (${firstLine(e)})`);
    },
  );
  return keytarLoading;
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split('\n')[0] ?? '').trim().replace(/\.+$/, '').slice(0, 200);
}

/**
 * Every keytar failure means the keychain itself does not work (the ref is validated before). The backend's
 * text (libsecret's on Linux) is kept for diagnosis, except when it would echo the value.
 */
function unavailable(e: unknown, value?: string): SecretStoreUnavailable {
  const detail = firstLine(e);
  const said = value && detail.includes(value) ? 'message withheld' : detail;
  if (/autolaunch D-Bus/i.test(detail))
    return new SecretStoreUnavailable(`no D-Bus session bus runs (${said})`);
  if (/ServiceUnknown|org\.freedesktop\.secrets|provided by any \.service/i.test(detail))
    return new SecretStoreUnavailable(`no Secret Service is on the session bus (${said})`);
  if (/collection\/login|locked/i.test(detail))
    return new SecretStoreUnavailable(`the login keyring is missing or locked (${said})`);
  if (/connect|No such file|refused/i.test(detail))
    return new SecretStoreUnavailable(`the D-Bus session bus does not answer (${said})`);
  return new SecretStoreUnavailable(`the keychain failed (${said})`);
}

async function call<T>(run: (keytar: Keytar) => Promise<T>, value?: string): Promise<T> {
  const keytar = await loadKeytar();
  try {
    return await run(keytar);
  } catch (e) {
    throw unavailable(e, value);
  }
}

/**
 * The OS keychain through keytar (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows).
 * There is deliberately no fallback: without a keychain, secrets are not stored at all.
 * keytar only takes JS strings, which cannot be zeroed; the Buffers this store makes are.
 */
export function createKeytarSecretStore(): SecretStore {
  return {
    async get(ref: KeychainRef): Promise<Buffer | null> {
      const account = secretAccount(ref);
      const stored = await call((k) => k.getPassword(SECRET_SERVICE, account));
      return stored === null ? null : decodeSecretValue(stored);
    },

    async set(ref: KeychainRef, value: string | Buffer): Promise<void> {
      const account = secretAccount(ref);
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      try {
        if (bytes.length === 0)
          throw new InvalidInput('secret', 'is empty; delete it instead of storing nothing');
        const encoded = encodeSecretValue(bytes);
        await call((k) => k.setPassword(SECRET_SERVICE, account, encoded), encoded);
      } finally {
        if (bytes !== value) bytes.fill(0);
      }
    },

    async has(ref: KeychainRef): Promise<boolean> {
      const account = secretAccount(ref);
      return (await call((k) => k.getPassword(SECRET_SERVICE, account))) !== null;
    },

    async delete(ref: KeychainRef): Promise<boolean> {
      const account = secretAccount(ref);
      return call((k) => k.deletePassword(SECRET_SERVICE, account));
    },
  };
}
