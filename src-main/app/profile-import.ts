import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InvalidInput } from '../core/errors';
import { anchorLocalPaths } from '../core/profile/load';
import type { FieldIssue } from './views/common-schema';
import type { ProfileDraft } from './views/profile-schema';

/** A profile is a few kB; anything this large is not one. */
export const MAX_IMPORT_BYTES = 1_000_000;

export interface ImportedDraft {
  draft: ProfileDraft;
  issues: FieldIssue[];
}

function plainDraft(data: unknown): ProfileDraft | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  // Through JSON: what YAML can hold beyond it (dates, maps with odd keys) must not reach the window.
  return JSON.parse(JSON.stringify(data)) as ProfileDraft;
}

/** A profile YAML as a draft for the editor (not saved), with the real schema's issues per field. */
export function draftFromYaml(text: string, validate: (draft: ProfileDraft) => FieldIssue[]): ImportedDraft {
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    return {
      draft: {},
      issues: [{ field: '(yaml)', message: (e as Error).message.split('\n')[0] ?? 'cannot be parsed' }],
    };
  }
  const draft = plainDraft(data);
  if (!draft)
    return { draft: {}, issues: [{ field: '(root)', message: 'is not a mapping of profile keys' }] };
  return { draft, issues: validate(draft) };
}

/**
 * A profile file the user chose, read as draftFromYaml reads text; refused when it cannot be a profile. Its
 * relative local paths (caFile, identityFile, …) become absolute against the file's folder: the saved copy
 * lives elsewhere, in the data folder.
 */
export async function draftFromFile(
  file: string,
  validate: (draft: ProfileDraft) => FieldIssue[],
): Promise<ImportedDraft> {
  if ((await stat(file)).size > MAX_IMPORT_BYTES)
    throw new InvalidInput(
      'file',
      `is larger than ${MAX_IMPORT_BYTES / 1_000_000} MB; a profile is a few kB`,
    );
  const imported = draftFromYaml(await readFile(file, 'utf8'), validate);
  if (Object.keys(imported.draft).length === 0) return imported;
  const draft = anchorLocalPaths(imported.draft, dirname(resolve(file)));
  return { draft, issues: validate(draft) };
}
