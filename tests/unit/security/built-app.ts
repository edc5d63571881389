import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * What the security tests read: the TypeScript sources (comments removed, so a comment may name what is
 * not done) and the bundles electron-vite built into out/, which are what ships.
 */
export function sources(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => {
      const file = join(e.parentPath, e.name);
      return { file: relative('.', file), text: withoutComments(readFileSync(file, 'utf8')) };
    });
}

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** A file electron-vite built; failing with the command to run when it is missing. */
export function built(file: string): string {
  const path = join('out', file);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npx electron-vite build\` first.`);
  return readFileSync(path, 'utf8');
}

/**
 * How a bundle reaches the electron module: the names of its `import { … } from "electron"`, and any
 * other access (namespace or default import, require, dynamic import) that would reach every API at once.
 */
export function electronAccess(bundle: string): { named: string[]; other: string[] } {
  const named = [...bundle.matchAll(/import\s*\{([^}]*)\}\s*from\s*["']electron["']/g)].flatMap((m) =>
    (m[1] as string)
      .split(',')
      .map((s) => s.trim().split(/\s+as\s+/)[0] as string)
      .filter(Boolean),
  );
  const other = [
    ...bundle.matchAll(
      /import\s+\*\s*as\s+\w+\s+from\s*["']electron["']|import\s+[\w$]+\s*(?:,\s*\{[^}]*\})?\s*from\s*["']electron["']|require\(\s*["']electron["']\s*\)|import\(\s*["']electron["']\s*\)/g,
    ),
  ].map((m) => m[0]);
  return { named, other };
}

/** The CSP as directive → sources. */
export function cspDirectives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name as string, values]),
  );
}
