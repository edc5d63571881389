import { isDeepStrictEqual } from 'node:util';
import { type Document, isMap, isScalar, parseDocument, type Scalar } from 'yaml';
import { parseVars, type VarsDocument } from '../lib/vars-yaml';
import { VERSION_KEY } from '../upgrade/playbook-versions';
import { ActionRefused } from './errors';

/**
 * The upgrade's one change to vars.yml: the value of `matrix_tuwunel_version`, spliced in place so every
 * other byte (comments, order, quoting, the deploy's secrets) stays as it was, then re-parsed and checked.
 */

export interface PinEdit {
  /** The pin as vars.yml had it (`v1.7.0`). */
  from: string;
  /** The whole new file. */
  text: string;
  /** Only the pin's line, as a unified diff: vars.yml holds secrets, so no other line is shown. */
  diff: string;
}

function refuse(message: string, nextStep: string): never {
  throw new ActionRefused(message, nextStep);
}

function lineAround(text: string, at: number): string {
  const start = text.lastIndexOf('\n', at - 1) + 1;
  const nl = text.indexOf('\n', at);
  return text.slice(start, nl < 0 ? text.length : nl).replace(/\r$/, '');
}

/** The value written the way the file wrote the old one: plain, 'single' or "double" quoted. */
function render(old: Scalar, version: string): string {
  if (old.type === 'QUOTE_SINGLE') return `'${version}'`;
  if (old.type === 'QUOTE_DOUBLE') return `"${version}"`;
  return version;
}

/** vars.yml as the pin's edit and topLevelString read it: a repeated key is no error (Ansible takes the last). */
export function readVarsForPin(text: string): Document.Parsed {
  return parseDocument(text, { prettyErrors: false, uniqueKeys: false });
}

/**
 * `doc` is `text` as readVarsForPin made it, when the caller reads more from it (it is only read, never
 * changed). The result's `parsed` is the new text as parseVars made it for the check, for the lint of the same
 * text.
 */
export function editVersionPin(
  text: string,
  version: string,
  fileLabel = 'vars.yml',
  doc: Document.Parsed = readVarsForPin(text),
): PinEdit & { parsed: VarsDocument } {
  if (doc.errors.length > 0)
    refuse(
      `${fileLabel} is not valid YAML (${doc.errors[0]?.message.split('\n')[0]}), so the pin was not changed.`,
      'Fix the file on the deploy host, then run the upgrade again.',
    );
  if (!isMap(doc.contents)) refuse(`${fileLabel} is not a YAML mapping of variables.`, 'Check the file.');
  const pairs = doc.contents.items.filter((p) => isScalar(p.key) && p.key.value === VERSION_KEY);
  if (pairs.length !== 1)
    refuse(
      pairs.length === 0
        ? `${fileLabel} does not pin ${VERSION_KEY}, so the playbook deploys its own default; the upgrade pins a version on purpose.`
        : `${fileLabel} sets ${VERSION_KEY} ${pairs.length} times; Ansible takes the last, which is easy to misread.`,
      `Keep exactly one "${VERSION_KEY}: vX.Y.Z" line in ${fileLabel}, then run the upgrade again.`,
    );
  const value = pairs[0]?.value;
  if (!isScalar(value) || typeof value.value !== 'string' || !value.range || value.type === 'BLOCK_LITERAL')
    refuse(
      `${VERSION_KEY} in ${fileLabel} is not a plain version string, so it was not edited.`,
      `Write it as "${VERSION_KEY}: vX.Y.Z" in ${fileLabel}, then run the upgrade again.`,
    );
  const from = value.value.trim();
  if (from.includes('{{'))
    refuse(
      `${VERSION_KEY} in ${fileLabel} is a template (${from.slice(0, 60)}), which the app does not evaluate.`,
      `Pin a version ("${VERSION_KEY}: vX.Y.Z") in ${fileLabel}, then run the upgrade again.`,
    );
  const [start, end] = value.range;
  const newText = `${text.slice(0, start)}${render(value, version)}${text.slice(end)}`;
  const before = doc.toJS() as Record<string, unknown>;
  const parsed = parseVars(newText);
  const after = parsed.toJS() as Record<string, unknown>;
  if (!isDeepStrictEqual(after, { ...before, [VERSION_KEY]: version }))
    refuse(
      `The pin in ${fileLabel} could not be changed without touching other lines, so nothing was written.`,
      `Set ${VERSION_KEY}: ${version} in ${fileLabel} by hand this time.`,
    );
  const diff = [
    `--- ${fileLabel}`,
    `+++ ${fileLabel} (edited)`,
    `@@ ${VERSION_KEY} @@`,
    `-${lineAround(text, start)}`,
    `+${lineAround(newText, start)}`,
    '',
  ].join('\n');
  return { from, text: newText, diff, parsed };
}

/** A top-level scalar of vars.yml (its text, or readVarsForPin's document of it) as a string (null when absent, empty or not a scalar). */
export function topLevelString(vars: string | Document.Parsed, key: string): string | null {
  const doc = typeof vars === 'string' ? readVarsForPin(vars) : vars;
  if (doc.errors.length > 0 || !isMap(doc.contents)) return null;
  const pair = doc.contents.items.filter((p) => isScalar(p.key) && p.key.value === key).at(-1);
  const value = pair?.value;
  if (!isScalar(value) || value.value === null || value.value === '') return null;
  return String(value.value).trim();
}
