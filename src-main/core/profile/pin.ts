import { readFile } from 'node:fs/promises';
import { isMap, parseDocument } from 'yaml';
import { replaceFileAtomically } from '../lib/atomic-file';
import { expandHome } from './load';

/**
 * Writes the Tuwunel version a profile file pins (homeserver.version) after an upgrade, keeping the file's
 * comments and layout: the profile is the app's word on what runs, so every check (and every other process
 * of the profile, at its next load) expects the new release.
 */
export async function writeProfilePin(file: string, version: string): Promise<void> {
  const path = expandHome(file);
  const doc = parseDocument(await readFile(path, 'utf8'));
  if (doc.errors.length > 0 || !isMap(doc.contents))
    throw new Error(`${file} is not a YAML profile; homeserver.version was not changed`);
  doc.setIn(['homeserver', 'version'], version);
  await replaceFileAtomically(path, doc.toString());
}
