import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { parse } from 'yaml';
import { ProfileInvalid } from '../errors';
import { type Profile, profileSchema } from './schema';

/** Large enough for any real profile; a bigger file is a mistake, not a profile. */
const MAX_PROFILE_BYTES = 256 * 1024;

export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

/** Parses and validates profile YAML; every problem names its field. */
export function parseProfile(text: string, source = 'profile'): Profile {
  if (Buffer.byteLength(text) > MAX_PROFILE_BYTES) {
    throw new ProfileInvalid(source, [
      { field: '(file)', message: `is larger than ${MAX_PROFILE_BYTES / 1024} KiB` },
    ]);
  }
  let data: unknown;
  try {
    data = parse(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new ProfileInvalid(source, [
      { field: '(yaml)', message: (e as Error).message.split('\n')[0] ?? 'cannot be parsed' },
    ]);
  }
  const result = profileSchema.safeParse(data);
  if (!result.success) {
    throw new ProfileInvalid(
      source,
      result.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message })),
    );
  }
  return result.data;
}

export async function loadProfile(path: string): Promise<Profile> {
  return parseProfile(await readFile(expandHome(path), 'utf8'), path);
}
