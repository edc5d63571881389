import type { SecretStore } from './types';

/** What the renderer (through IPC) may do with the keychain: write, check, delete — never read. */
export type WriteOnlySecretStore = Pick<SecretStore, 'set' | 'has' | 'delete'>;

/** A frozen object holding only closures, so nothing on it leads back to `get`. */
export function writeOnlySecretStore(store: SecretStore): WriteOnlySecretStore {
  return Object.freeze({
    set: (ref, value) => store.set(ref, value),
    has: (ref) => store.has(ref),
    delete: (ref) => store.delete(ref),
  } satisfies WriteOnlySecretStore);
}
