import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { VaultKeyMissing, VaultNotEditable } from './token-errors';

/**
 * One top-level key of a vars file, edited as bytes: the rotation must leave every other byte of the
 * decrypted vault as it was (comments, quoting, order, line endings), which a YAML round trip would not.
 * PyYAML (what Ansible reads the vault with) speaks YAML 1.1, so checks parse it as 1.1 too.
 */

interface Line {
  start: number;
  /** End of the content, before `\r\n` or `\n`. */
  contentEnd: number;
  /** After the line terminator. */
  end: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;

function splitLines(text: Buffer): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== LF) continue;
    lines.push({ start, contentEnd: i > start && text[i - 1] === CR ? i - 1 : i, end: i + 1 });
    start = i + 1;
  }
  if (start < text.length) lines.push({ start, contentEnd: text.length, end: text.length });
  return lines;
}

function isBlank(text: Buffer, line: Line): boolean {
  for (let i = line.start; i < line.contentEnd; i++) if (text[i] !== SPACE && text[i] !== TAB) return false;
  return true;
}

function isIndented(text: Buffer, line: Line): boolean {
  return line.start < line.contentEnd && (text[line.start] === SPACE || text[line.start] === TAB);
}

/** `key:`, `"key":` or `'key':` at column 0, followed by a blank or the end of the line. */
function isKeyLine(text: Buffer, line: Line, key: string): boolean {
  let i = line.start;
  const quote = text[i] === 0x22 || text[i] === 0x27 ? text[i] : null;
  if (quote !== null) i++;
  if (text.toString('latin1', i, i + key.length) !== key) return false;
  i += key.length;
  if (quote !== null) {
    if (text[i] !== quote) return false;
    i++;
  }
  while (i < line.contentEnd && (text[i] === SPACE || text[i] === TAB)) i++;
  if (text[i] !== COLON || i >= line.contentEnd) return false;
  i++;
  return i === line.contentEnd || text[i] === SPACE || text[i] === TAB;
}

interface KeyBlock {
  /** Byte range of the key line and its indented continuation lines (block scalars, nested values). */
  start: number;
  end: number;
  /** The key line's own terminator, reused for the line that replaces it. */
  eol: Buffer;
}

/** Every top-level occurrence of `key` (PyYAML accepts duplicates; the last one wins). */
function keyBlocks(text: Buffer, key: string): KeyBlock[] {
  const lines = splitLines(text);
  const blocks: KeyBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as Line;
    if (!isKeyLine(text, line, key)) continue;
    let last = i;
    for (let j = i + 1; j < lines.length; j++) {
      const next = lines[j] as Line;
      if (isBlank(text, next)) continue;
      if (!isIndented(text, next)) break;
      last = j;
    }
    const lastLine = lines[last] as Line;
    blocks.push({
      start: line.start,
      end: lastLine.end,
      eol: Buffer.from(text.subarray(line.contentEnd, line.end)),
    });
    i = last;
  }
  return blocks;
}

function dominantEol(text: Buffer): Buffer {
  const lf = text.indexOf(LF);
  return Buffer.from(lf > 0 && text[lf - 1] === CR ? '\r\n' : '\n');
}

/** Where an appended key goes: before a final `...` document-end marker, else at the end. */
function appendOffset(text: Buffer): number {
  const lines = splitLines(text);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as Line;
    if (isBlank(text, line) || text[line.start] === 0x23) continue;
    const content = text.toString('latin1', line.start, line.contentEnd);
    return /^\.\.\.(\s+#.*|\s*)$/.test(content) ? line.start : text.length;
  }
  return text.length;
}

/**
 * Replaces the first top-level `key` (with its continuation lines) by `line`, removes later duplicates,
 * or appends `line` when the key is absent. `line` has no terminator; the file's own is used.
 */
export function replaceTopLevelKey(plaintext: Buffer, key: string, line: Buffer): Buffer {
  const blocks = keyBlocks(plaintext, key);
  const parts: Buffer[] = [];
  if (blocks.length === 0) {
    const at = appendOffset(plaintext);
    const eol = dominantEol(plaintext);
    const head = plaintext.subarray(0, at);
    parts.push(head);
    if (head.length > 0 && head[head.length - 1] !== LF) parts.push(eol);
    parts.push(line, eol, plaintext.subarray(at));
    return Buffer.concat(parts);
  }
  let from = 0;
  for (const [n, block] of blocks.entries()) {
    parts.push(plaintext.subarray(from, block.start));
    if (n === 0) parts.push(line, block.eol);
    from = block.end;
  }
  parts.push(plaintext.subarray(from));
  return Buffer.concat(parts);
}

type YamlMap = Record<string, unknown>;

function parseVars(text: string, source: string): YamlMap {
  let doc: unknown;
  try {
    doc = parse(text, { version: '1.1', uniqueKeys: false, logLevel: 'silent', maxAliasCount: 1000 });
  } catch (e) {
    throw new VaultNotEditable(
      source,
      `it is not YAML this app can read (${(e as Error).message.split('\n')[0]})`,
    );
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new VaultNotEditable(source, 'its content is not a mapping of variables');
  return doc as YamlMap;
}

function scalarText(value: unknown, key: string, source: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new VaultNotEditable(
    source,
    `${key} holds a ${Array.isArray(value) ? 'list' : 'mapping'}, not a token`,
  );
}

/** The value of a top-level key, as Ansible would read it; null when the key is absent or empty. */
export function readTopLevelKey(plaintext: Buffer, key: string, source = 'the vault'): string | null {
  const blocks = keyBlocks(plaintext, key);
  const last = blocks.at(-1);
  if (!last) return null;
  try {
    const snippet = parse(plaintext.toString('utf8', last.start, last.end), {
      version: '1.1',
      logLevel: 'silent',
    }) as YamlMap | null;
    return scalarText(snippet?.[key], key, source);
  } catch (e) {
    if (e instanceof VaultNotEditable) throw e;
    // An alias to an anchor elsewhere in the file: only the whole document resolves it.
    return scalarText(parseVars(plaintext.toString('utf8'), source)[key], key, source);
  }
}

/** Like readTopLevelKey, but a missing key is an error that says which file and key. */
export function requireTopLevelKey(plaintext: Buffer, key: string, source: string): string {
  const value = readTopLevelKey(plaintext, key, source);
  if (value === null || value === '') throw new VaultKeyMissing(source, key);
  return value;
}

/**
 * Checks an edit before anything is written: the result is YAML that Ansible reads with `key` set to
 * `expected`, and every other variable is what it was (when the original could be read at all).
 */
export function checkKeyEdit(
  before: Buffer,
  after: Buffer,
  key: string,
  expected: string,
  source: string,
): void {
  const next = parseVars(after.toString('utf8'), source);
  if (next[key] !== expected)
    throw new VaultNotEditable(source, `${key} would not read back as the new token after the edit`);
  let previous: YamlMap;
  try {
    previous = parseVars(before.toString('utf8'), source);
  } catch {
    return;
  }
  const { [key]: _old, ...restBefore } = previous;
  const { [key]: _new, ...restAfter } = next;
  if (!isDeepStrictEqual(restBefore, restAfter))
    throw new VaultNotEditable(source, `the edit would change variables other than ${key}`);
}
