import { readFileSync } from 'node:fs';
import { describeError } from '../../../src-main/core/errors';
import { createKeytarSecretStore } from '../../../src-main/core/secrets/keytar-store';

/**
 * Run in a child process by keytar-store.test.ts: libsecret binds to a bus once per process, so each broken-bus
 * scenario needs a fresh one. Reads the value to store from stdin and prints what each call gave, as JSON,
 * and whether keytar's native module was mapped before and after the first call.
 */
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const value = Buffer.concat(chunks);

const keytarMapped = () => readFileSync('/proc/self/maps', 'utf8').includes('keytar.node');
const store = createKeytarSecretStore();
const loadedBeforeUse = keytarMapped();
const ref = { profile: 'probe', kind: 'vault-password', host: 'deploy' } as const;
const results: Record<string, unknown> = {};
for (const [name, run] of [
  ['set', () => store.set(ref, value)],
  ['has', () => store.has(ref)],
  ['get', () => store.get(ref)],
] as const) {
  try {
    const out = await run();
    results[name] = { ok: true, value: Buffer.isBuffer(out) ? 'buffer' : out };
  } catch (e) {
    results[name] = { ok: false, ...describeError(e) };
  }
}
process.stdout.write(JSON.stringify({ ...results, loadedBeforeUse, loadedAfterUse: keytarMapped() }));
