import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../src-renderer');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : /\.(tsx?|css|html)$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

const files = sources(ROOT).map((path) => ({
  path: path.slice(ROOT.length + 1),
  text: readFileSync(path, 'utf8'),
}));

describe('renderer boundaries', () => {
  it('imports nothing from src-main but types from ipc/contract.ts and the vocabulary (core/vocab.ts)', () => {
    const offending: string[] = [];
    for (const { path, text } of files) {
      for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)) {
        const [, isType, from = ''] = m;
        if (!from.includes('src-main') || from.endsWith('src-main/core/vocab')) continue;
        if (!isType || !from.endsWith('src-main/ipc/contract'))
          offending.push(`${path}: ${m[0].split('\n')[0]}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('has no inline styles, HTML injection, console output or title changes (CSP and the token rule)', () => {
    const offending = files
      .filter(({ path }) => !path.endsWith('.css'))
      .flatMap(({ path, text }) =>
        [
          /\bstyle=\{/,
          /dangerouslySetInnerHTML/,
          /\.innerHTML\s*=/,
          /\bconsole\./,
          /document\.title/,
          /<style/,
        ]
          .filter((re) => re.test(text))
          .map((re) => `${path}: ${re}`),
      );
    expect(offending).toEqual([]);
  });

  it('keeps the CSP in index.html strict', () => {
    const html = files.find((f) => f.path === 'index.html')?.text ?? '';
    const csp = /Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-');
  });
});
