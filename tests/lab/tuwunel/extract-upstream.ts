/**
 * Reads, from a Tuwunel release's source (a tag of matrix-construct/tuwunel), what the lab must answer as
 * that release and writes it where the lab reads it. Run once per release; the output is checked in:
 *
 *   npx tsx tests/lab/tuwunel/extract-upstream.ts /work/.mirror/matrix-construct+tuwunel/repo v1.7.0 …
 *
 * - The admin command grammar (the clap derive enums under src/admin) as a bash file the Tuwunel stand-in
 *   parses commands with: tests/lab/homeserver/lib/grammar/<version>.sh (and .help.sh, clap's help).
 * - What its HTTP side reports, into tests/lab/https/releases.ts: the Synapse admin API endpoints it serves
 *   (the ✅ rows of docs/development/compliance/synapse-admin.md from 1.8.1; before it, the shared-secret
 *   `register` routes in src/api/router.rs), the spec versions and unstable features of
 *   `/_matrix/client/versions` (src/api/client/versions.rs) and the Rust toolchain that builds it
 *   (rust-toolchain.toml, the `compiler` of the version endpoints).
 *
 * What it reads is what clap derives from those enums: subcommand names (kebab-case of the variant, or
 * `name = …`), aliases, hidden commands, arguments (positional or `--long`/`-s`, flag, optional, repeated,
 * required), value types the parser checks (numbers, Matrix IDs, `ValueEnum`s) and the doc comments clap
 * shows in help.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GrammarArg {
  /** The field name (clap's arg id). */
  id: string;
  kind: 'positional' | 'flag' | 'option';
  short?: string;
  long?: string;
  /** SCREAMING_SNAKE of the field, as clap_derive names the value. */
  valueName: string;
  required: boolean;
  multiple: boolean;
  /** What clap's value parser checks: 'string' (anything), 'uint', 'int', a Matrix ID kind, or 'enum'. */
  type: string;
  values?: string[];
  defaultValue?: string;
  hidden: boolean;
  help: string;
}

export interface GrammarNode {
  name: string;
  aliases: string[];
  hidden: boolean;
  about: string;
  /** Present for a group (a `#[command(subcommand)]` variant or the root). */
  children?: GrammarNode[];
  args?: GrammarArg[];
  /** Groups of args of which one is required (`ArgGroup::new(..).required(true).args([..])`). */
  requiredGroups?: string[][];
}

interface Item {
  docs: string[];
  attrs: string[];
  name: string;
  /** `{ … }` of a struct-like variant, `( … )` of a tuple variant. */
  body?: { kind: 'named' | 'tuple'; text: string };
}

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

/** Index of the bracket closing the one at `open`, skipping strings and char literals. */
function closing(text: string, open: number): number {
  const pairs: Record<string, string> = { '{': '}', '(': ')', '[': ']' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    } else if (c === "'" && text[i + 2] === "'") {
      i += 2;
    } else if (pairs[c]) stack.push(pairs[c]);
    else if (c === stack.at(-1)) {
      stack.pop();
      if (stack.length === 0) return i;
    }
  }
  throw new Error(`Unbalanced bracket at ${open}`);
}

/** Removes `//` and `/* */ ` comments but keeps `; ///` doc comments. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^/:"])\/\/(?!\/)[^\n]*/g, '$1');
}

/** Items of an enum or struct body: doc comments, attributes, a name and an optional `{}`/`()` body. */
function parseItems(body: string, fields: boolean): Item[] {
  const items: Item[] = [];
  let i = 0;
  let docs: string[] = [];
  let attrs: string[] = [];
  while (i < body.length) {
    const rest = body.slice(i);
    const space = rest.match(/^[\s,]+/);
    if (space) {
      i += space[0].length;
      continue;
    }
    if (rest.startsWith('///')) {
      const end = rest.indexOf('\n');
      const line = rest.slice(3, end < 0 ? undefined : end);
      docs.push(line.startsWith(' ') ? line.slice(1) : line);
      i += end < 0 ? rest.length : end;
      continue;
    }
    if (rest.startsWith('#[')) {
      const end = closing(body, i + 1);
      attrs.push(body.slice(i + 2, end).trim());
      i = end + 1;
      continue;
    }
    if (fields) {
      const m = rest.match(/^(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:\s*/);
      if (!m?.[1]) throw new Error(`Unexpected field text: ${rest.slice(0, 60)}`);
      let j = i + m[0].length;
      let depth = 0;
      const start = j;
      for (; j < body.length; j++) {
        const c = body[j];
        if (c === '<' || c === '(' || c === '[') depth++;
        else if (c === '>' || c === ')' || c === ']') depth--;
        else if (c === ',' && depth === 0) break;
      }
      items.push({ docs, attrs, name: m[1], body: { kind: 'tuple', text: body.slice(start, j).trim() } });
      i = j + 1;
    } else {
      const m = rest.match(/^(\w+)\s*/);
      if (!m?.[1]) throw new Error(`Unexpected variant text: ${rest.slice(0, 60)}`);
      i += m[0].length;
      const item: Item = { docs, attrs, name: m[1] };
      if (body[i] === '{' || body[i] === '(') {
        const end = closing(body, i);
        item.body = { kind: body[i] === '{' ? 'named' : 'tuple', text: body.slice(i + 1, end) };
        i = end + 1;
      }
      items.push(item);
    }
    docs = [];
    attrs = [];
  }
  return items;
}

/** `name(a, b = c, d("x"))` → name and its top-level items. */
function parseAttr(attr: string): { name: string; items: string[] } {
  const m = attr.match(/^(\w+)\s*(?:\(([\s\S]*)\))?$/);
  if (!m?.[1]) return { name: attr, items: [] };
  const inner = m[2] ?? '';
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      items.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (inner.slice(start).trim()) items.push(inner.slice(start).trim());
  return { name: m[1], items };
}

/** The value of `key = "v"`, `key("v")`, `key = 'c'`, `key('c')` or `key = true` in an attribute item. */
function attrValue(item: string, key: string): string | undefined {
  const m = item.match(new RegExp(`^${key}\\s*(?:=\\s*([\\s\\S]+)|\\(([\\s\\S]*)\\))$`));
  if (!m) return undefined;
  const raw = (m[1] ?? m[2] ?? '').trim();
  const str = raw.match(/^"((?:[^"\\]|\\.)*)"$/) ?? raw.match(/^'(.)'$/);
  return str ? (str[1] as string).replace(/\\(.)/g, '$1') : raw;
}

function kebab(ident: string): string {
  return ident
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}

/** clap_derive's doc comment handling: paragraphs joined by spaces; `about` is the first paragraph. */
function docParagraphs(docs: string[]): string[] {
  const paragraphs: string[] = [];
  let current: string[] = [];
  for (const line of docs) {
    if (line.trim() === '') {
      if (current.length > 0) paragraphs.push(current.join(' '));
      current = [];
    } else current.push(line.trim());
  }
  if (current.length > 0) paragraphs.push(current.join(' '));
  return paragraphs;
}

function about(docs: string[]): string {
  // clap_derive drops a trailing period of a single-sentence summary.
  const first = docParagraphs(docs)[0] ?? '';
  return first.endsWith('.') && !first.endsWith('..') ? first.slice(0, -1) : first;
}

const ID_TYPES: Record<string, string> = {
  OwnedUserId: 'user_id',
  OwnedRoomId: 'room_id',
  OwnedRoomOrAliasId: 'room_or_alias_id',
  OwnedRoomAliasId: 'room_alias_id',
  OwnedEventId: 'event_id',
  OwnedServerName: 'server_name',
  OwnedDeviceId: 'string',
  OwnedMxcUri: 'mxc',
};

interface Source {
  repo: string;
  tag: string;
  /** path → text of every .rs file under src/admin */
  files: Map<string, string>;
}

function loadSource(repo: string, tag: string): Source {
  const paths = git(repo, 'ls-tree', '-r', '--name-only', tag, 'src/admin')
    .split('\n')
    .filter((p) => p.endsWith('.rs'));
  const files = new Map<string, string>();
  for (const p of paths) files.set(p, stripComments(git(repo, 'show', `${tag}:${p}`)));
  return { repo, tag, files };
}

/** Finds `enum Name {` (or a ValueEnum) nearest to the file that names it. */
function findEnum(
  src: Source,
  name: string,
  fromFile: string,
  pathHint?: string,
): { file: string; body: string } {
  const found: { file: string; body: string }[] = [];
  for (const [file, text] of src.files) {
    const re = new RegExp(`enum\\s+${name}\\s*\\{`, 'g');
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const open = m.index + m[0].length - 1;
      found.push({ file, body: text.slice(open + 1, closing(text, open)) });
    }
  }
  if (found.length === 0) throw new Error(`${src.tag}: enum ${name} not found (named in ${fromFile})`);
  const dir = posix.dirname(fromFile);
  const wanted = pathHint ? posix.join(dir, pathHint) : undefined;
  const score = (file: string) => {
    if (wanted && (file === `${wanted}.rs` || file.startsWith(`${wanted}/`))) return -1000;
    const under = file.startsWith(`${dir}/`);
    return (under ? 0 : 100) + file.split('/').length;
  };
  return found.sort((a, b) => score(a.file) - score(b.file))[0] as { file: string; body: string };
}

function valueEnum(src: Source, name: string, fromFile: string): string[] | undefined {
  try {
    const { body } = findEnum(src, name, fromFile);
    return parseItems(body, false).map((v) => kebab(v.name));
  } catch {
    return undefined;
  }
}

function unwrap(type: string, wrapper: string): string | undefined {
  const m = type.replace(/\s+/g, '').match(new RegExp(`^(?:[\\w:]+::)?${wrapper}<(.+)>$`));
  return m?.[1];
}

function parseArg(src: Source, file: string, field: Item): GrammarArg {
  const type = (field.body?.text ?? '').replace(/\s+/g, '');
  const argItems = field.attrs
    .map(parseAttr)
    .filter((a) => a.name === 'arg' || a.name === 'clap')
    .flatMap((a) => a.items);
  const has = (key: string) => argItems.some((i) => i === key || attrValue(i, key) !== undefined);
  const value = (key: string) => argItems.map((i) => attrValue(i, key)).find((v) => v !== undefined);
  const isLong = has('long');
  const isShort = has('short');
  let inner = type;
  let optional = false;
  let multiple = false;
  const opt = unwrap(inner, 'Option');
  if (opt) {
    optional = true;
    inner = opt;
  }
  const vec = unwrap(inner, 'Vec');
  if (vec) {
    multiple = true;
    inner = vec;
  }
  const bool = inner === 'bool' && !optional;
  const defaultValue = value('default_value');
  const explicitRequired = value('required');
  const required =
    explicitRequired !== undefined
      ? explicitRequired === 'true'
      : !optional && !multiple && !bool && defaultValue === undefined;
  const base = inner.replace(/^.*::/, '');
  let argType = 'string';
  let values: string[] | undefined;
  if (/^(usize|u64|u32|u16|u8)$/.test(base)) argType = 'uint';
  else if (/^(isize|i64|i32)$/.test(base)) argType = 'int';
  else if (ID_TYPES[base]) argType = ID_TYPES[base] as string;
  else if (!/^(String|PathBuf|bool|Box<str>)$/.test(base) && !value('value_parser')) {
    values = valueEnum(src, base, file);
    if (values) argType = 'enum';
  }
  const shortValue = value('short');
  const longValue = value('long');
  return {
    id: field.name,
    kind: isLong || isShort ? (bool ? 'flag' : 'option') : 'positional',
    ...(isShort ? { short: shortValue && shortValue.length === 1 ? shortValue : field.name[0] } : {}),
    ...(isLong ? { long: longValue && longValue !== 'true' ? longValue : kebab(field.name) } : {}),
    valueName: field.name.toUpperCase(),
    required,
    multiple,
    type: argType,
    ...(values ? { values } : {}),
    ...(defaultValue !== undefined ? { defaultValue } : {}),
    hidden: argItems.some((i) => i === 'hide' || attrValue(i, 'hide') === 'true'),
    help: value('help') ?? about(field.docs),
  };
}

function included(item: Item): boolean {
  for (const attr of item.attrs.map(parseAttr)) {
    if (attr.name !== 'cfg') continue;
    const cond = attr.items.join(',');
    // The lab stands in for the Linux build of the release image.
    if (cond === 'unix' || cond === 'target_os = "linux"') continue;
    if (cond === 'not(unix)' || cond === 'windows') return false;
    throw new Error(`Unhandled cfg on ${item.name}: ${cond}`);
  }
  return true;
}

function commandItems(item: Item): string[] {
  return item.attrs
    .map(parseAttr)
    .filter((a) => a.name === 'command' || a.name === 'clap')
    .flatMap((a) => a.items);
}

function parseEnum(src: Source, name: string, fromFile: string, pathHint?: string): GrammarNode[] {
  const { file, body } = findEnum(src, name, fromFile, pathHint);
  return parseItems(body, false)
    .filter(included)
    .map((variant): GrammarNode => {
      const cmd = commandItems(variant);
      const attr = (key: string) => cmd.map((i) => attrValue(i, key)).filter((v) => v !== undefined);
      const aliases = [...attr('alias'), ...attr('visible_alias')].filter((a): a is string => !!a);
      for (const list of attr('aliases'))
        aliases.push(...(list?.match(/"([^"]+)"/g) ?? []).map((s) => s.slice(1, -1)));
      const node: GrammarNode = {
        name: attr('name')[0] ?? kebab(variant.name),
        aliases,
        hidden: cmd.some((i) => i === 'hide' || attrValue(i, 'hide') === 'true'),
        about: attr('about')[0] ?? about(variant.docs),
      };
      if (cmd.includes('subcommand')) {
        const target = (variant.body?.text ?? '').trim();
        const path = target.split('::');
        const enumName = path.pop() as string;
        node.children = parseEnum(src, enumName, file, path.length > 0 ? path.join('/') : undefined);
      } else if (variant.body?.kind === 'named') {
        node.args = parseItems(variant.body.text, true).map((f) => parseArg(src, file, f));
        const groups = cmd
          .filter((i) => i.startsWith('group('))
          .filter((g) => /\.required\(true\)/.test(g))
          .map((g) =>
            (g.match(/\.args\(\[([^\]]*)\]\)/)?.[1]?.match(/"([^"]+)"/g) ?? []).map((s) => s.slice(1, -1)),
          );
        if (groups.length > 0) node.requiredGroups = groups;
      } else if (variant.body?.kind === 'tuple') {
        throw new Error(
          `${src.tag}: tuple variant ${variant.name} without #[command(subcommand)] in ${file}`,
        );
      } else node.args = [];
      return node;
    });
}

export function extractGrammar(repo: string, tag: string): GrammarNode {
  const src = loadSource(repo, tag);
  return {
    name: 'admin',
    aliases: [],
    hidden: false,
    about: '',
    children: parseEnum(src, 'AdminCommand', 'src/admin/admin.rs'),
  };
}

// ---------------------------------------------------------------- clap's usage and help texts

function argUsage(a: GrammarArg, required: boolean): string {
  if (a.kind === 'positional') {
    const v = required ? `<${a.valueName}>` : `[${a.valueName}]`;
    return a.multiple ? `${v}...` : v;
  }
  const flag = a.long ? `--${a.long}` : `-${a.short}`;
  return a.kind === 'flag' ? flag : `${flag} <${a.valueName}>${a.multiple ? '...' : ''}`;
}

function usage(path: string[], node: GrammarNode): string {
  const words = ['admin', ...path];
  if (node.children) return `${words.join(' ')} <COMMAND>`;
  const args = node.args ?? [];
  const inGroup = new Set((node.requiredGroups ?? []).flat());
  const options = args.filter((a) => a.kind !== 'positional' && !a.hidden);
  if (options.some((a) => !a.required && !inGroup.has(a.id))) words.push('[OPTIONS]');
  for (const a of options.filter((o) => o.required)) words.push(argUsage(a, true));
  for (const g of node.requiredGroups ?? []) {
    const members = g.map((id) => args.find((a) => a.id === id)).filter((a): a is GrammarArg => !!a);
    words.push(
      `<${members.map((a) => (a.kind === 'positional' ? a.valueName : argUsage(a, true))).join('|')}>`,
    );
  }
  for (const a of args.filter((p) => p.kind === 'positional' && !p.hidden && !inGroup.has(p.id)))
    words.push(argUsage(a, a.required));
  return words.join(' ');
}

/** clap's two-column help list: `  name<pad>  text`, names padded to the longest. */
function twoColumns(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => (r ? `  ${l.padEnd(width)}  ${r}` : `  ${l}`).trimEnd()).join('\n');
}

function optionLabel(a: GrammarArg): string {
  const short = a.short ? `-${a.short}` : '    ';
  const long = a.long ? `--${a.long}` : '';
  const names = a.short && a.long ? `${short}, ${long}` : a.short ? short : `    ${long}`;
  return a.kind === 'flag' ? names : `${names} <${a.valueName}>${a.multiple ? '...' : ''}`;
}

/** The short help (`-h`), as clap 4.6 renders it with its default template. */
function help(path: string[], node: GrammarNode, root: boolean): string {
  const parts: string[] = [];
  if (node.about) parts.push(node.about, '');
  parts.push(`Usage: ${usage(path, node)}`, '');
  if (node.children) {
    const rows: [string, string][] = node.children.filter((c) => !c.hidden).map((c) => [c.name, c.about]);
    rows.push(['help', 'Print this message or the help of the given subcommand(s)']);
    parts.push('Commands:', twoColumns(rows), '');
  }
  const positionals = (node.args ?? []).filter((a) => a.kind === 'positional' && !a.hidden);
  if (positionals.length > 0) {
    parts.push('Arguments:', twoColumns(positionals.map((a) => [argUsage(a, a.required), a.help])), '');
  }
  const options: [string, string][] = (node.args ?? [])
    .filter((a) => a.kind !== 'positional' && !a.hidden)
    .map((a) => [
      optionLabel(a),
      a.defaultValue !== undefined ? `${a.help} [default: ${a.defaultValue}]`.trim() : a.help,
    ]);
  options.push(['-h, --help', 'Print help']);
  if (root) options.push(['-V, --version', 'Print version']);
  parts.push('Options:', twoColumns(options));
  return `${parts.join('\n')}\n`;
}

// ---------------------------------------------------------------- bash output

function bashString(s: string): string {
  return `$'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\t/g, '\\t')}'`;
}

function argSpec(a: GrammarArg): string {
  // kind,short,long,VALUE,required,multiple,type,values,default,hidden — one `|`-separated entry per arg.
  return [
    a.kind,
    a.short ?? '',
    a.long ?? '',
    a.valueName,
    a.required ? 1 : 0,
    a.multiple ? 1 : 0,
    a.type,
    (a.values ?? []).join(' '),
    a.defaultValue ?? '',
    a.hidden ? 1 : 0,
  ].join(',');
}

export function grammarBash(tag: string, root: GrammarNode): { grammar: string; help: string } {
  const grammar: string[] = [];
  const helps: string[] = [];
  const walk = (path: string[], node: GrammarNode, isRoot: boolean) => {
    // Bash refuses an empty key: the root is `@`.
    const key = path.join(' ') || '@';
    helps.push(`G_HELP[${bashString(key)}]=${bashString(help(path, node, isRoot))}`);
    grammar.push(`G_USAGE[${bashString(key)}]=${bashString(usage(path, node))}`);
    if (node.children) {
      grammar.push(`G_SUBS[${bashString(key)}]=${bashString(node.children.map((c) => c.name).join(' '))}`);
      for (const c of node.children) {
        for (const alias of c.aliases)
          grammar.push(`G_ALIAS[${bashString([...path, alias].join(' '))}]=${bashString(c.name)}`);
        walk([...path, c.name], c, false);
      }
    } else {
      grammar.push(`G_ARGS[${bashString(key)}]=${bashString((node.args ?? []).map(argSpec).join('|'))}`);
      if (node.requiredGroups)
        grammar.push(
          `G_GROUPS[${bashString(key)}]=${bashString(node.requiredGroups.map((g) => g.join(',')).join('|'))}`,
        );
    }
  };
  walk([], root, true);
  const header = [
    `# Tuwunel ${tag}'s admin command grammar, read from matrix-construct/tuwunel ${tag}:src/admin/**`,
    '# (the clap derive enums) by tests/lab/tuwunel/extract-upstream.ts. Generated: do not edit.',
    '# Keys are command paths ("users deactivate"), the root is "@".',
    '# G_SUBS[group]: subcommands; G_ALIAS["group alias"]: the name it stands for; G_USAGE[path]: clap\'s usage;',
    '# G_ARGS[leaf]: kind,short,long,VALUE,required,multiple,type,values,default,hidden per argument, `|`-separated;',
    '# G_GROUPS[leaf]: argument ids of which one is required, `|`-separated groups.',
  ];
  return {
    grammar: `${[...header, ...grammar].join('\n')}\n`,
    help: `${[`# clap's short help for every command of Tuwunel ${tag} (see grammar file ${tag.replace(/^v/, '')}.sh).`, ...helps].join('\n')}\n`,
  };
}

// ---------------------------------------------------------------- the Synapse admin API

/** `[method, path]` of every endpoint a release serves under /_synapse/admin. */
export function synapseAdminEndpoints(repo: string, tag: string): [string, string][] {
  let doc: string;
  try {
    doc = git(repo, 'show', `${tag}:docs/development/compliance/synapse-admin.md`);
  } catch {
    const router = git(repo, 'show', `${tag}:src/api/router.rs`);
    return router.includes('admin_register_route')
      ? [
          ['GET', '/_synapse/admin/v1/register'],
          ['POST', '/_synapse/admin/v1/register'],
        ]
      : [];
  }
  const served: [string, string][] = [];
  let columns: string[] = [];
  for (const line of doc.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.includes('Method') && cells.includes('URL')) {
      columns = cells;
      continue;
    }
    if (columns.length === 0 || cells[0]?.startsWith('---')) continue;
    const cell = (name: string) => cells[columns.indexOf(name)] ?? '';
    if (cell('Status') !== '✅') continue;
    const path = cell('URL').replace(/`/g, '');
    for (const method of cell('Method')
      .split(',')
      .map((m) => m.trim()))
      served.push([method, path]);
  }
  return served;
}

/** `static NAME: [&str; N] = [ "…", … ];` of a Rust source, comments skipped. */
function rustStrings(source: string, name: string): string[] {
  const start = source.indexOf(`static ${name}:`);
  if (start < 0) throw new Error(`static ${name} not found`);
  const open = source.indexOf('= [', start) + 2;
  const body = stripComments(source.slice(open, closing(source, open)));
  return [...body.matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
}

export interface ClientApi {
  versions: string[];
  unstableFeatures: string[];
  rustc: string;
}

export function clientApi(repo: string, tag: string): ClientApi {
  const source = git(repo, 'show', `${tag}:src/api/client/versions.rs`);
  const toolchain = git(repo, 'show', `${tag}:rust-toolchain.toml`).match(/^channel\s*=\s*"([^"]+)"/m)?.[1];
  if (!toolchain) throw new Error(`${tag}: no channel in rust-toolchain.toml`);
  return {
    versions: rustStrings(source, 'VERSIONS'),
    unstableFeatures: rustStrings(source, 'UNSTABLE_FEATURES'),
    rustc: toolchain,
  };
}

function releasesModule(
  endpoints: Record<string, [string, string][]>,
  client: Record<string, ClientApi>,
): string {
  const list = (items: string[]) => `[${items.map((i) => `'${i}'`).join(', ')}]`;
  const lines = [
    '/**',
    ' * What each Tuwunel release serves, generated by tests/lab/tuwunel/extract-upstream.ts from the tag. Do not',
    ' * edit. SYNAPSE_ADMIN_ENDPOINTS: the ✅ rows of docs/development/compliance/synapse-admin.md (before 1.8.1,',
    ' * the shared-secret `register` routes of src/api/router.rs). CLIENT_API: VERSIONS and UNSTABLE_FEATURES of',
    ' * src/api/client/versions.rs, and the rust-toolchain.toml channel that builds the release.',
    ' */',
    'export const SYNAPSE_ADMIN_ENDPOINTS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {',
  ];
  for (const [version, list2] of Object.entries(endpoints)) {
    lines.push(`  '${version}': [`);
    for (const [method, path] of list2) lines.push(`    ['${method}', '${path}'],`);
    lines.push('  ],');
  }
  lines.push('};', '');
  lines.push(
    'export const CLIENT_API: Readonly<',
    '  Record<string, { versions: readonly string[]; unstableFeatures: readonly string[]; rustc: string }>',
    '> = {',
  );
  for (const [version, api] of Object.entries(client)) {
    lines.push(`  '${version}': {`);
    lines.push(`    versions: ${list(api.versions)},`);
    lines.push(`    unstableFeatures: ${list(api.unstableFeatures)},`);
    lines.push(`    rustc: '${api.rustc}',`);
    lines.push('  },');
  }
  lines.push('};', '');
  return lines.join('\n');
}

function main(): void {
  const [repo, ...tags] = process.argv.slice(2);
  if (!repo || tags.length === 0) {
    process.stderr.write('Usage: tsx tests/lab/tuwunel/extract-upstream.ts <tuwunel repo> <tag>...\n');
    process.exit(2);
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const outDir = join(here, '..', 'homeserver', 'lib', 'grammar');
  mkdirSync(outDir, { recursive: true });
  const endpoints: Record<string, [string, string][]> = {};
  const client: Record<string, ClientApi> = {};
  for (const tag of tags) {
    endpoints[tag.replace(/^v/, '')] = synapseAdminEndpoints(repo, tag);
    client[tag.replace(/^v/, '')] = clientApi(repo, tag);
  }
  writeFileSync(join(here, '..', 'https', 'releases.ts'), releasesModule(endpoints, client));
  for (const tag of tags) {
    const { grammar, help: helpText } = grammarBash(tag, extractGrammar(repo, tag));
    const version = tag.replace(/^v/, '');
    writeFileSync(join(outDir, `${version}.sh`), grammar);
    writeFileSync(join(outDir, `${version}.help.sh`), helpText);
    process.stdout.write(`${tag}: ${grammar.split('\n').length} lines\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
