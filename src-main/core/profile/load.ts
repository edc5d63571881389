import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CST, Lexer, parse } from 'yaml';
import { ProfileInvalid } from '../errors';
import { type Profile, profileSchema } from './schema';

/** Large enough for any real profile; a bigger file is a mistake, not a profile. */
const MAX_PROFILE_BYTES = 256 * 1024;

export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

/** The profile's paths on this computer (the hosts' paths are remote, relative to the login directory). */
const LOCAL_PATHS = [
  ['caFile'],
  ['knownHostsFile'],
  ['hosts', 'homeserver', 'identityFile'],
  ['hosts', 'deploy', 'identityFile'],
  ['vault', 'repo'],
] as const;

/**
 * A profile (or a draft of one) whose relative local paths are made absolute against `dir`, the folder of the
 * file they were written in: `caFile: ca.pem` beside the profile is that file, whichever directory the app or
 * the command line was started in. `~/…` and absolute paths stay as written.
 */
export function anchorLocalPaths<T>(profile: T, dir: string): T {
  const copy = structuredClone(profile);
  for (const path of LOCAL_PATHS) {
    let parent: unknown = copy;
    for (const key of path.slice(0, -1))
      parent = parent && typeof parent === 'object' ? (parent as Record<string, unknown>)[key] : undefined;
    if (!parent || typeof parent !== 'object') continue;
    const holder = parent as Record<string, unknown>;
    const key = path[path.length - 1] as string;
    const value = holder[key];
    if (
      typeof value === 'string' &&
      value !== '' &&
      value !== '~' &&
      !value.startsWith('~/') &&
      !isAbsolute(value)
    )
      holder[key] = resolve(dir, value);
  }
  return copy;
}

/** Far deeper than a profile (a handful of levels), far shallower than what exhausts the parser's stack. */
const MAX_NESTING = 64;

/** The line breaks in one lexer token (counted without splitting it: this runs for every token of a profile). */
function lineBreaks(token: string): number {
  let breaks = 0;
  for (let at = token.indexOf('\n'); at !== -1; at = token.indexOf('\n', at + 1)) breaks += 1;
  return breaks;
}

/**
 * The line where `text` nests deeper than MAX_NESTING, or null. yaml's parser recurses once per level:
 * deep input exhausts the stack, and after that V8 may abort the whole process on a later parse. So the
 * depth is measured first with yaml's own lexer, which does not recurse (it also knows quotes and
 * comments): open flow collections, block indentation levels, and block indicators (`- - x`) per line.
 */
function tooDeepAt(text: string): number | null {
  let line = 1;
  let flow = 0;
  let onLine = 0;
  let lineStart = true;
  let indent = 0;
  const indents: number[] = [];
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    const breaks = type === 'newline' ? 1 : lineBreaks(token);
    // A newline, or a block scalar's body (lexed as "space", its lines included): the next line starts.
    if (type === 'newline' || (type === 'space' && breaks > 0)) {
      line += breaks;
      onLine = 0;
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart && type === 'space') {
      indent = token.length;
      continue;
    }
    if (lineStart && type !== 'comment' && type !== 'doc-mode' && type !== 'byte-order-mark') {
      lineStart = false;
      if (flow === 0) {
        while ((indents[indents.length - 1] ?? -1) >= indent) indents.pop();
        indents.push(indent);
      }
    }
    if (type === 'flow-seq-start' || type === 'flow-map-start') flow += 1;
    else if (type === 'flow-seq-end' || type === 'flow-map-end') flow = Math.max(0, flow - 1);
    else if (
      flow === 0 &&
      (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind')
    )
      onLine += 1;
    if (indents.length + onLine + flow > MAX_NESTING) return line;
    // Quoted and plain scalars may run over several lines.
    line += breaks;
  }
  return null;
}

/** Parses and validates profile YAML; every problem names its field. */
export function parseProfile(text: string, source = 'profile'): Profile {
  if (Buffer.byteLength(text) > MAX_PROFILE_BYTES) {
    throw new ProfileInvalid(source, [
      { field: '(file)', message: `is larger than ${MAX_PROFILE_BYTES / 1024} KiB` },
    ]);
  }
  const deepAt = tooDeepAt(text);
  if (deepAt !== null) {
    throw new ProfileInvalid(source, [
      {
        field: '(yaml)',
        message: `is nested too deeply at line ${deepAt} (more than ${MAX_NESTING} levels)`,
      },
    ]);
  }
  let data: unknown;
  try {
    // logLevel error: problems come back as this error; warnings (an unknown tag) must not reach stderr.
    data = parse(text, { maxAliasCount: 100, logLevel: 'error' });
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

/** A profile as a core gets it: with the uid its keychain entries are stored under. */
export type ProfileWithUid = Profile & { uid: string };

/** Marks a uid derived from a file rather than given at creation: only such a profile may take over secrets stored under its name by an older version. */
const FILE_UID_PREFIX = 'f-';

/**
 * The uid of a profile file the profile store did not give one (written by hand, by the lab, or before there
 * were uids): derived from where the file is, so every process that loads it finds the same keychain entries.
 */
export async function fileUid(path: string): Promise<string> {
  const where = await realpath(expandHome(path));
  return `${FILE_UID_PREFIX}${createHash('sha256').update(`homeserver-tray profile file\0${where}`).digest('hex').slice(0, 32)}`;
}

export function isFileUid(uid: string): boolean {
  return uid.startsWith(FILE_UID_PREFIX);
}

/**
 * Loads and validates a profile file from anywhere (`--profile FILE`). Its keychain entries are bound to
 * where the file is (fileUid), whatever uid it carries: a uid written in a file counts only in the profile
 * store, which gave it (ProfileStore.load), so a copied or downloaded file never reaches another profile's
 * secrets by carrying its uid.
 */
export async function loadProfile(path: string): Promise<ProfileWithUid> {
  const file = resolve(expandHome(path));
  const profile = anchorLocalPaths(parseProfile(await readFile(file, 'utf8'), path), dirname(file));
  return { ...profile, uid: await fileUid(path) };
}
