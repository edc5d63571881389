import { isDeepStrictEqual } from 'node:util';
import { type Document, isMap, isScalar, isSeq, parseDocument, type Scalar, type YAMLSeq } from 'yaml';
import { parseVars, type VarsDocument } from '../lib/vars-yaml';
import { ActionRefused } from './errors';

/** The playbook variable that renders Tuwunel's `allowed_remote_server_names_experimental`. */
export const ALLOWLIST_KEY = 'matrix_tuwunel_config_allowed_remote_server_names';

export type AllowlistOp = 'allow' | 'disallow';

export interface AllowlistEdit {
  changed: boolean;
  /** The whole new file (equal to the input when nothing changed). */
  text: string;
  /** Only the allowlist's lines, as a unified diff: vars.yml holds secrets, so no other line is shown. */
  diff: string;
  entriesBefore: string[];
  entriesAfter: string[];
  /** One sentence for the run's output. */
  message: string;
  /** Things the admin should know (e.g. unanchored entries that also match look-alike names). */
  warnings: string[];
  /** The new text as parseVars made it for the edit's check, for the lint of the same text (when changed). */
  parsed?: VarsDocument;
}

/** `chat.example.org` → `^chat\.example\.org$`: Tuwunel matches entries as unanchored regexes. */
export function serverRegex(server: string): string {
  return `^${server.replace(/[\\^$.|?*+()[\]{}]/g, (c) => `\\${c}`)}$`;
}

/** Whether Tuwunel would let `server` through because of `entry` (an unanchored regex). */
export function entryMatches(entry: string, server: string): boolean {
  let source = entry;
  let flags = '';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags = 'i';
  }
  try {
    return new RegExp(source, flags).test(server);
  } catch {
    return entry === server;
  }
}

/** The entries that name exactly this server, in the forms people write them. */
function namesExactly(entry: string, server: string): boolean {
  const escaped = serverRegex(server).slice(1, -1);
  return [server, escaped, `^${escaped}$`, `^${escaped}`, `${escaped}$`, `^${server}$`].includes(entry);
}

function refuse(message: string, nextStep: string): never {
  throw new ActionRefused(message, nextStep);
}

interface Located {
  /** The parsed file: the edit's check reads the values before the edit from it. */
  doc: Document.Parsed;
  seq: YAMLSeq<Scalar<string>>;
  entries: string[];
  /** Where the line holding the key starts: the diff shows from there. */
  keyLineStart: number;
}

function locate(text: string, fileLabel: string): Located | null {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    refuse(
      `${fileLabel} is not valid YAML (${doc.errors[0]?.message.split('\n')[0]}), so it was not edited.`,
      'Fix the file on the deploy host (or run config.apply to see Ansible’s view of it), then try again.',
    );
  }
  if (!isMap(doc.contents)) refuse(`${fileLabel} is not a YAML mapping of variables.`, 'Check the file.');
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === ALLOWLIST_KEY);
  if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null)) return null;
  const seq = pair.value;
  if (!isSeq(seq)) {
    refuse(
      `${ALLOWLIST_KEY} in ${fileLabel} is not a list.`,
      'Make it a YAML list of server names and try again.',
    );
  }
  const entries: string[] = [];
  for (const item of seq.items) {
    if (!isScalar(item) || typeof item.value !== 'string' || !item.range) {
      refuse(
        `${ALLOWLIST_KEY} in ${fileLabel} holds an entry that is not a plain string.`,
        'Edit that entry by hand so every entry is a string.',
      );
    }
    entries.push(item.value);
  }
  const keyStart = (pair.key as Scalar).range?.[0] ?? 0;
  return { doc, seq: seq as YAMLSeq<Scalar<string>>, entries, keyLineStart: lineStart(text, keyStart) };
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

function lineEndAfter(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl + 1;
}

function quoteSingle(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The values of every top-level variable, to prove an edit touched nothing but the allowlist. */
function variables(doc: Document.Parsed): Record<string, unknown> {
  return doc.toJS({ maxAliasCount: 1000 }) as Record<string, unknown>;
}

/**
 * Adds or removes one server in the allowlist of vars.yml, as a text splice so every other byte
 * (comments, order, quoting, secrets) stays as it was; the result is re-parsed and checked.
 */
export function editAllowlist(
  text: string,
  op: AllowlistOp,
  server: string,
  ownServer: string,
  fileLabel = 'vars.yml',
): AllowlistEdit {
  const located = locate(text, fileLabel);
  if (!located || located.entries.length === 0) {
    refuse(
      `${fileLabel} has no ${ALLOWLIST_KEY} entries, which means federation is not in allowlist mode; editing it here would change who can federate with the server.`,
      `Set up the allowlist by hand in ${fileLabel} (keep ${ownServer} in it), then use allow/disallow.`,
    );
  }
  const { doc, seq, entries, keyLineStart } = located;
  const keyLine = lineText(text, keyLineStart, lineEndAfter(text, keyLineStart));
  const own = ownServer.toLowerCase();
  const warnings: string[] = [];
  const unanchored = entries.filter((e) => !e.startsWith('^') || !e.endsWith('$'));
  if (unanchored.length > 0) {
    warnings.push(
      `${unanchored.map((e) => `"${e}"`).join(', ')} ${unanchored.length === 1 ? 'is' : 'are'} not anchored: Tuwunel matches entries anywhere in a server name, so look-alike names (e.g. "evil${unanchored[0]}") pass too; ^…$ entries do not.`,
    );
  }
  if (!entries.some((e) => entryMatches(e, ownServer))) {
    warnings.push(
      `The allowlist does not let ${ownServer} itself through; before Tuwunel 1.8.0 that silently drops your own users' messages (runbook lesson #1).`,
    );
  }
  const unchanged = (message: string): AllowlistEdit => ({
    changed: false,
    text,
    diff: '',
    entriesBefore: entries,
    entriesAfter: entries,
    message,
    warnings,
  });

  let newText: string;
  let diffBody: string[];
  let entriesAfter: string[];
  let removed: string[] = [];
  if (op === 'allow') {
    const exact = entries.find((e) => namesExactly(e, server));
    if (exact !== undefined)
      return unchanged(`${server} is already in the allowlist (as "${exact}"); nothing changed.`);
    const covering = entries.find((e) => entryMatches(e, server));
    if (covering !== undefined) {
      return unchanged(`${server} is already allowed by the entry "${covering}"; nothing changed.`);
    }
    const entry = serverRegex(server);
    entriesAfter = [...entries, entry];
    ({ newText, diffBody } = spliceAdd(text, seq, entry, keyLine, keyLineStart));
  } else {
    if (server.toLowerCase() === own) {
      refuse(
        `Refusing to remove ${ownServer} from the allowlist: the allowlist applies to every sender, your own server included, so its users' messages would be dropped (runbook lesson #1).`,
        `Keep ${ownServer} in ${ALLOWLIST_KEY}; remove other servers only.`,
      );
    }
    const doomed = new Set(seq.items.filter((item) => namesExactly(item.value, server)));
    if (doomed.size === 0) {
      const covering = entries.find((e) => entryMatches(e, server));
      if (covering !== undefined) {
        refuse(
          `${server} is allowed by the entry "${covering}", which also covers other servers, so it cannot be removed on its own.`,
          `Edit ${ALLOWLIST_KEY} in ${fileLabel} by hand to narrow that entry.`,
        );
      }
      return unchanged(`${server} is not in the allowlist; nothing changed.`);
    }
    entriesAfter = seq.items.filter((item) => !doomed.has(item)).map((item) => item.value);
    const stillCovering = entriesAfter.find((e) => entryMatches(e, server));
    if (stillCovering !== undefined) {
      refuse(
        `${server} would still be allowed by the entry "${stillCovering}" after removing it, so nothing was changed.`,
        `Edit ${ALLOWLIST_KEY} in ${fileLabel} by hand to narrow that entry.`,
      );
    }
    if (entriesAfter.length === 0) {
      refuse(
        `Removing ${server} would leave the allowlist empty, which Tuwunel reads as "federate with everyone".`,
        `Keep at least ${ownServer} in ${ALLOWLIST_KEY}.`,
      );
    }
    if (
      entries.some((e) => entryMatches(e, ownServer)) &&
      !entriesAfter.some((e) => entryMatches(e, ownServer))
    ) {
      refuse(
        `Removing ${server} would drop the only entry that lets ${ownServer} itself through (runbook lesson #1).`,
        `Keep an entry for ${ownServer} in ${ALLOWLIST_KEY}.`,
      );
    }
    removed = [...doomed].map((i) => i.value);
    ({ newText, diffBody } = spliceRemove(text, seq, doomed, keyLine, keyLineStart));
  }

  const before = variables(doc);
  const parsed = parseVars(newText);
  const after = variables(parsed);
  const expected = { ...before, [ALLOWLIST_KEY]: entriesAfter };
  if (!isDeepStrictEqual(after, expected)) {
    refuse(
      `The edit of ${fileLabel} could not be made without touching other lines, so nothing was written.`,
      `Edit ${ALLOWLIST_KEY} in ${fileLabel} by hand this time.`,
    );
  }
  const diff = [`--- ${fileLabel}`, `+++ ${fileLabel} (edited)`, `@@ ${ALLOWLIST_KEY} @@`, ...diffBody]
    .join('\n')
    .concat('\n');
  return {
    changed: true,
    text: newText,
    diff,
    entriesBefore: entries,
    entriesAfter,
    message:
      op === 'allow'
        ? `Added ${serverRegex(server)} to the allowlist.`
        : `Removed ${removed.map((e) => `"${e}"`).join(', ')} from the allowlist.`,
    warnings,
    parsed,
  };
}

/** Source lines of a block sequence item: from its line start through the end of its value's line. */
function itemLines(text: string, item: Scalar<string>): { start: number; end: number; dash: string } | null {
  const [valueStart, valueEnd] = item.range as [number, number, number];
  const start = lineStart(text, valueStart);
  const dash = text.slice(start, valueStart);
  if (!/^[ \t]*-[ \t]+$/.test(dash)) return null;
  return { start, end: lineEndAfter(text, valueEnd), dash };
}

function lineText(text: string, start: number, end: number): string {
  return text.slice(start, end).replace(/\r?\n$/, '');
}

interface Splice {
  newText: string;
  diffBody: string[];
}

function spliceAdd(
  text: string,
  seq: YAMLSeq<Scalar<string>>,
  entry: string,
  keyLine: string,
  keyLineStart: number,
): Splice {
  const rendered = quoteSingle(entry);
  if (seq.flow) {
    return spliceFlow(text, seq, [...seq.items.map((i) => sourceOf(text, i)), rendered], keyLineStart);
  }
  const lines = seq.items.map((i) => itemLines(text, i));
  const last = lines.at(-1);
  if (!last || lines.some((l) => l === null)) return notSpliceable();
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const needsNl = last.end === text.length && !text.endsWith('\n');
  const newLine = `${last.dash}${rendered}`;
  const newText = `${text.slice(0, last.end)}${needsNl ? eol : ''}${newLine}${eol}${text.slice(last.end)}`;
  const diffBody = [
    ` ${keyLine}`,
    ...lines.map((l) => ` ${lineText(text, (l as { start: number }).start, (l as { end: number }).end)}`),
    `+${newLine}`,
  ];
  return { newText, diffBody };
}

function spliceRemove(
  text: string,
  seq: YAMLSeq<Scalar<string>>,
  doomed: Set<Scalar<string>>,
  keyLine: string,
  keyLineStart: number,
): Splice {
  if (seq.flow) {
    return spliceFlow(
      text,
      seq,
      seq.items.filter((i) => !doomed.has(i)).map((i) => sourceOf(text, i)),
      keyLineStart,
    );
  }
  const lines = seq.items.map((i) => itemLines(text, i));
  if (lines.some((l) => l === null)) return notSpliceable();
  let newText = text;
  const diffBody: string[] = [];
  for (const [index, item] of [...seq.items.entries()].reverse()) {
    const l = lines[index] as { start: number; end: number };
    const shown = lineText(text, l.start, l.end);
    if (doomed.has(item)) {
      newText = newText.slice(0, l.start) + newText.slice(l.end);
      diffBody.unshift(`-${shown}`);
    } else {
      diffBody.unshift(` ${shown}`);
    }
  }
  diffBody.unshift(` ${keyLine}`);
  return { newText, diffBody };
}

function sourceOf(text: string, item: Scalar<string>): string {
  const [start, end] = item.range as [number, number, number];
  return text.slice(start, end);
}

/** A flow list `[a, b]` is rewritten whole; the diff shows its lines from the key on. */
function spliceFlow(
  text: string,
  seq: YAMLSeq<Scalar<string>>,
  items: string[],
  keyLineStart: number,
): Splice {
  const [start, end] = seq.range as [number, number, number];
  const replacement = `[${items.join(', ')}]`;
  const newText = text.slice(0, start) + replacement + text.slice(end);
  const oldRegion = lineText(text, keyLineStart, lineEndAfter(text, end));
  const newRegion = lineText(newText, keyLineStart, lineEndAfter(newText, start + replacement.length));
  return {
    newText,
    diffBody: [
      ...oldRegion.split(/\r?\n/).map((l) => `-${l}`),
      ...newRegion.split(/\r?\n/).map((l) => `+${l}`),
    ],
  };
}

function notSpliceable(): never {
  refuse(
    `${ALLOWLIST_KEY} is laid out in a way this edit does not handle (items sharing lines with other text), so nothing was written.`,
    'Edit the list by hand, one "- entry" per line, then use allow/disallow.',
  );
}
