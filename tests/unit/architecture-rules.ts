import { posix } from 'node:path';

/**
 * The layers of docs/architecture.md, enforced on every import of src-main and src-renderer:
 *
 *   core/           imports only core (core/vocab.ts imports nothing at all)
 *   app/            only app and core
 *   ipc/            only ipc, app, and of the core only vocab.ts and errors.ts
 *   desktop/model/  only desktop/model, app/views, the contract's types and the vocabulary
 *   desktop/        (electron/, main.ts, preload.ts, desktop-app.ts) anything but cli/ and the renderer
 *   cli/            only cli, app and core
 *   src-renderer/   only the renderer, the contract's types and the vocabulary
 *
 * Only desktop/electron/, desktop/main.ts and desktop/preload.ts import 'electron', and no two folders
 * import each other, directly or around a circle. Each problem names the file, the import and the rule;
 * tests/unit/architecture.test.ts runs this on the repository and on planted imports.
 */

export interface SourceFile {
  /** Repository-relative, with forward slashes. */
  path: string;
  text: string;
}

interface Import {
  from: string;
  spec: string;
  /** The repository path it resolves to, or the module name for a package or a Node built-in. */
  target: string;
  internal: boolean;
  typeOnly: boolean;
}

type Layer =
  | 'core/vocab'
  | 'core/errors'
  | 'core'
  | 'app/views'
  | 'app'
  | 'ipc/contract'
  | 'ipc'
  | 'desktop/model'
  | 'desktop/electron'
  | 'desktop'
  | 'cli'
  | 'renderer';

export function layerOf(path: string): Layer | null {
  if (path === 'src-main/core/vocab.ts') return 'core/vocab';
  if (path === 'src-main/core/errors.ts') return 'core/errors';
  if (path.startsWith('src-main/core/')) return 'core';
  if (path.startsWith('src-main/app/views/')) return 'app/views';
  if (path.startsWith('src-main/app/')) return 'app';
  if (/^src-main\/ipc\/(contract\.ts|contract\/|channels\.ts)/.test(path)) return 'ipc/contract';
  if (path.startsWith('src-main/ipc/')) return 'ipc';
  if (path.startsWith('src-main/desktop/model/')) return 'desktop/model';
  if (path.startsWith('src-main/desktop/electron/')) return 'desktop/electron';
  if (/^src-main\/desktop\/[^/]+\.ts$/.test(path)) return 'desktop';
  if (path.startsWith('src-main/cli/')) return 'cli';
  if (path.startsWith('src-renderer/')) return 'renderer';
  return null;
}

const CORE: Layer[] = ['core', 'core/vocab', 'core/errors'];
const EVERYTHING: Layer[] = [
  ...CORE,
  'app',
  'app/views',
  'ipc',
  'ipc/contract',
  'desktop',
  'desktop/model',
  'desktop/electron',
];

/** What each layer may import; `typeOnly` layers only with `import type` (nothing of them at runtime). */
const RULES: Record<Layer, { may: Layer[]; typeOnly?: Layer[]; files?: string[]; says: string }> = {
  'core/vocab': { may: [], says: 'core/vocab.ts imports nothing' },
  'core/errors': { may: CORE, says: 'core imports only core' },
  core: { may: CORE, says: 'core imports only core' },
  'app/views': { may: [...CORE, 'app', 'app/views'], says: 'app imports only app and core' },
  app: { may: [...CORE, 'app', 'app/views'], says: 'app imports only app and core' },
  'ipc/contract': {
    may: ['ipc', 'ipc/contract', 'app', 'app/views', 'core/vocab', 'core/errors'],
    says: 'ipc imports only ipc, app and the vocabulary and errors of the core',
  },
  ipc: {
    may: ['ipc', 'ipc/contract', 'app', 'app/views', 'core/vocab', 'core/errors'],
    says: 'ipc imports only ipc, app and the vocabulary and errors of the core',
  },
  'desktop/model': {
    may: ['desktop/model', 'app/views', 'core/vocab'],
    typeOnly: ['ipc/contract'],
    says: 'desktop/model imports only desktop/model, app views, contract types and the vocabulary',
  },
  'desktop/electron': { may: EVERYTHING, says: 'the desktop front imports neither the CLI nor the renderer' },
  desktop: { may: EVERYTHING, says: 'the desktop front imports neither the CLI nor the renderer' },
  cli: {
    may: ['cli', 'app', 'app/views', ...CORE],
    files: ['package.json'],
    says: 'cli imports only cli, app and core',
  },
  renderer: {
    may: ['renderer', 'core/vocab'],
    typeOnly: ['ipc/contract'],
    says: 'the renderer imports only itself, contract types (import type) and the vocabulary',
  },
};

/** The files that may import the Electron module. */
function mayImportElectron(path: string): boolean {
  return (
    path.startsWith('src-main/desktop/electron/') ||
    path === 'src-main/desktop/main.ts' ||
    path === 'src-main/desktop/preload.ts'
  );
}

// ─────────────────────────────── reading imports ───────────────────────────────

const STATIC = /^(import|export)(\s+type\b)?([^;]*?)\bfrom\s*['"]([^'"]+)['"]/gm;
const BARE = /^import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every type name in `{ type A, type B }`, and nothing else: a runtime import of nothing. */
function onlyTypes(clause: string): boolean {
  const braces = /^\s*\{([^}]*)\}\s*$/.exec(clause);
  if (!braces) return false;
  const names = (braces[1] ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  return names.length > 0 && names.every((n) => n.startsWith('type '));
}

function resolve(from: string, spec: string, exists: (path: string) => boolean): string | null {
  const base = posix.normalize(posix.join(posix.dirname(from), spec));
  for (const p of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`])
    if (exists(p)) return p;
  return null;
}

export function importsOf(file: SourceFile, exists: (path: string) => boolean): Import[] {
  const found: { spec: string; typeOnly: boolean }[] = [];
  for (const m of file.text.matchAll(STATIC))
    found.push({ spec: m[4] as string, typeOnly: Boolean(m[2]) || onlyTypes(m[3] as string) });
  for (const m of file.text.matchAll(BARE)) found.push({ spec: m[1] as string, typeOnly: false });
  for (const m of file.text.matchAll(DYNAMIC)) found.push({ spec: m[1] as string, typeOnly: false });
  return found.map(({ spec, typeOnly }) => {
    if (!spec.startsWith('.')) return { from: file.path, spec, target: spec, internal: false, typeOnly };
    const target = resolve(file.path, spec, exists);
    return { from: file.path, spec, target: target ?? `(unresolved) ${spec}`, internal: true, typeOnly };
  });
}

// ─────────────────────────────── the checks ───────────────────────────────

/** What breaks the layers: one sentence per offending import, naming the file, the import and the rule. */
export function layerViolations(files: SourceFile[], exists: (path: string) => boolean): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const layer = layerOf(file.path);
    if (!layer) {
      problems.push(`${file.path}: is in no layer (see docs/architecture.md for where files go)`);
      continue;
    }
    const rule = RULES[layer];
    for (const imp of importsOf(file, exists)) {
      const say = (why: string) =>
        problems.push(`${file.path}: import '${imp.spec}' (${imp.target}): ${why}`);
      if (!imp.internal) {
        if (layer === 'core/vocab') say(rule.says);
        else if (imp.target === 'electron' && !mayImportElectron(file.path))
          say("only desktop/electron/, desktop/main.ts and desktop/preload.ts import 'electron'");
        continue;
      }
      if (imp.target.startsWith('(unresolved)')) {
        say('cannot be resolved to a file');
        continue;
      }
      if (rule.files?.includes(imp.target)) continue;
      const to = layerOf(imp.target);
      if (to && rule.may.includes(to)) continue;
      if (to && rule.typeOnly?.includes(to)) {
        if (!imp.typeOnly) say(`${rule.says}; ${to} only with import type`);
        continue;
      }
      say(rule.says);
    }
  }
  return problems;
}

/** The folder a file belongs to, for the cycle check: src-main/<layer>/<folder>, or the renderer's folder. */
function folderOf(path: string): string {
  const parts = path.split('/');
  return parts.slice(0, Math.min(parts.length - 1, 3)).join('/');
}

/** Folders that import each other, directly or around a circle, each with the imports that close it. */
export function folderCycles(files: SourceFile[], exists: (path: string) => boolean): string[] {
  const edges = new Map<string, Map<string, string>>();
  for (const file of files) {
    for (const imp of importsOf(file, exists)) {
      if (!imp.internal || imp.target.startsWith('(unresolved)')) continue;
      const a = folderOf(file.path);
      const b = folderOf(imp.target);
      if (a === b) continue;
      const out = edges.get(a) ?? new Map<string, string>();
      if (!out.has(b)) out.set(b, `${file.path} imports '${imp.spec}'`);
      edges.set(a, out);
    }
  }
  // Tarjan's strongly connected components: a component of more than one folder is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length < 2) return;
    const inside = new Set(component);
    const how = component.flatMap((a) =>
      [...(edges.get(a) ?? [])].filter(([b]) => inside.has(b)).map(([, why]) => why),
    );
    cycles.push(`${component.sort().join(' ⇄ ')}: ${how.sort().join('; ')}`);
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}
