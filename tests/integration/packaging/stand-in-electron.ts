import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/**
 * A folder electron-builder takes for an unpacked Electron (`-c.electronDist`): just the `electron`
 * executable with Electron's fuse wire, which electron-builder flips at package time. Offline packing
 * (`--linux dir`) needs nothing else, as TOOLCHAIN.md describes.
 */

export const ELECTRON_VERSION = (
  JSON.parse(readFileSync('node_modules/electron/package.json', 'utf8')) as { version: string }
).version;

/**
 * Electron's fuse wire as its binary carries it: a sentinel, the wire version, the number of fuses, one byte
 * per fuse ('0' off, '1' on). Names and defaults from build/fuses/fuses.json5 of electron/electron (45).
 */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
export const FUSES = [
  ['runAsNode', '1'],
  ['enableCookieEncryption', '0'],
  ['enableNodeOptionsEnvironmentVariable', '1'],
  ['enableNodeCliInspectArguments', '1'],
  ['enableEmbeddedAsarIntegrityValidation', '0'],
  ['onlyLoadAppFromAsar', '0'],
  ['loadBrowserProcessSpecificV8Snapshot', '0'],
  ['grantFileProtocolExtraPrivileges', '1'],
  ['wasmTrapHandlers', '1'],
] as const;

export function standInElectron(dir: string): void {
  const wire = Buffer.concat([
    Buffer.from('#!/bin/sh\n# Stand-in for the Electron binary: it only carries the fuse wire.\nexit 1\n'),
    Buffer.from(SENTINEL),
    Buffer.from([1, FUSES.length]),
    Buffer.from(FUSES.map(([, d]) => d).join('')),
  ]);
  writeFileSync(join(dir, 'electron'), wire, { mode: 0o755 });
}

export function readFuses(binary: string): Record<string, boolean> {
  const data = readFileSync(binary);
  const at = data.indexOf(SENTINEL) + SENTINEL.length;
  expect(at, `no fuse wire in ${binary}`).toBeGreaterThan(SENTINEL.length - 1);
  expect(data[at], 'fuse wire version').toBe(1);
  const fuses: Record<string, boolean> = {};
  FUSES.forEach(([name], i) => {
    fuses[name] = data[at + 2 + i] === '1'.charCodeAt(0);
  });
  return fuses;
}
