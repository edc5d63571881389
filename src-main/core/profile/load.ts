import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Composer, CST, Lexer, Parser, parse } from 'yaml';
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
 * Measures how deep YAML nests, one lexer token at a time. yaml's parser recurses once per level: deep input
 * exhausts the stack, and after that V8 may abort the whole process on a later parse. So the depth is measured
 * on yaml's own lexer tokens (the lexer does not recurse and knows quotes and comments) before the parser sees
 * them: open flow collections, block indentation levels, and block indicators (`- - x`) per line.
 */
class NestingDepth {
  line = 1;
  private flow = 0;
  private onLine = 0;
  private lineStart = true;
  private indent = 0;
  private readonly indents: number[] = [];

  /** Takes the next token; false once the text nests deeper than MAX_NESTING (`line` is where). */
  next(token: string): boolean {
    const type = CST.tokenType(token);
    const breaks = type === 'newline' ? 1 : lineBreaks(token);
    // A newline, or a block scalar's body (lexed as "space", its lines included): the next line starts.
    if (type === 'newline' || (type === 'space' && breaks > 0)) {
      this.line += breaks;
      this.onLine = 0;
      this.lineStart = true;
      this.indent = 0;
      return true;
    }
    if (this.lineStart && type === 'space') {
      this.indent = token.length;
      return true;
    }
    if (this.lineStart && type !== 'comment' && type !== 'doc-mode' && type !== 'byte-order-mark') {
      this.lineStart = false;
      if (this.flow === 0) {
        while ((this.indents[this.indents.length - 1] ?? -1) >= this.indent) this.indents.pop();
        this.indents.push(this.indent);
      }
    }
    if (type === 'flow-seq-start' || type === 'flow-map-start') this.flow += 1;
    else if (type === 'flow-seq-end' || type === 'flow-map-end') this.flow = Math.max(0, this.flow - 1);
    else if (
      this.flow === 0 &&
      (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind')
    )
      this.onLine += 1;
    if (this.indents.length + this.onLine + this.flow > MAX_NESTING) return false;
    // Quoted and plain scalars may run over several lines.
    this.line += breaks;
    return true;
  }
}

/** Thrown out of the parse at the first token that nests too deeply, before the composer recurses into it. */
class TooDeep {
  constructor(readonly line: number) {}
}

/** logLevel error: problems come back as the thrown error; warnings (an unknown tag) must not reach stderr. */
const YAML_OPTIONS = { maxAliasCount: 100, logLevel: 'error' } as const;

/**
 * yaml's parse() of `text` when it holds exactly one document without errors, in one pass with the nesting
 * check: the lexer's tokens are measured on their way to the parser, so the text is lexed once (the check used
 * to lex it again, a fifth of a profile's parse). Null when the text has an error or several documents: the
 * caller then lets parse() itself say which, so every message stays parse()'s. Throws TooDeep.
 */
function parseClean(text: string): { data: unknown } | null {
  const parser = new Parser();
  function* documents() {
    const depth = new NestingDepth();
    for (const token of new Lexer().lex(text)) {
      if (!depth.next(token)) throw new TooDeep(depth.line);
      yield* parser.next(token);
    }
    yield* parser.end();
  }
  // Every document is read, so the whole text is measured (as parse() would need it to be).
  const docs = [...new Composer(YAML_OPTIONS).compose(documents(), true, text.length)];
  const doc = docs[0];
  if (docs.length !== 1 || !doc || doc.errors.length > 0) return null;
  return { data: doc.toJS(YAML_OPTIONS) };
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
    data = (parseClean(text) ?? { data: parse(text, YAML_OPTIONS) }).data;
  } catch (e) {
    if (e instanceof TooDeep)
      throw new ProfileInvalid(source, [
        {
          field: '(yaml)',
          message: `is nested too deeply at line ${e.line} (more than ${MAX_NESTING} levels)`,
        },
      ]);
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
