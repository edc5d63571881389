import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sources } from './built-app';

/**
 * Electronegativity over the sources (scripts/electronegativity.mjs: offline, src-main + src-renderer +
 * package.json). A finding of MEDIUM severity or more must be fixed, or carry an inline
 * `eng-disable CHECK_NAME` comment with its reason.
 */

interface Finding {
  id: string;
  severity: string;
  failing: boolean;
  status: 'open' | 'justified' | 'settled';
  file: string;
  line: number;
  source: string;
}
interface Report {
  checks: { atomic: number; global: number };
  parseErrors: { file: string; message: string }[];
  findings: Finding[];
}

function scan(input?: string): { status: number | null; report: Report; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['scripts/electronegativity.mjs', '--json', ...(input ? ['--input', input] : [])],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.stdout.trim() === '')
    throw new Error(`Electronegativity did not run (exit ${r.status}): ${r.stderr}`);
  return { status: r.status, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

const show = (f: Finding) => `${f.severity} ${f.id} ${f.file}:${f.line}  ${f.source}`;

describe('Electronegativity over the sources', () => {
  let result: ReturnType<typeof scan>;
  beforeAll(() => {
    result = scan();
  }, 60_000);

  it('no finding of MEDIUM severity or more is left open', () => {
    const open = result.report.findings.filter((f) => f.failing && f.status === 'open');
    expect(open.map(show), 'fix these, or justify each with an inline eng-disable comment').toEqual([]);
    expect(result.status).toBe(0);
  });

  it('every check ran and every source file was parsed (a file it cannot parse is a file not checked)', () => {
    expect(result.report.checks.atomic).toBeGreaterThanOrEqual(30);
    expect(result.report.checks.global).toBeGreaterThanOrEqual(5);
    expect(result.report.parseErrors).toEqual([]);
  });

  it('each justification is an eng-disable comment on the reported line (or the first line) with its reason', () => {
    for (const f of result.report.findings.filter((x) => x.status === 'justified')) {
      const lines = readFileSync(f.file, 'utf8').split('\n');
      const at = (lines[f.line - 1] ?? '').includes('eng-disable') ? f.line - 1 : 0;
      const directive = lines[at] ?? '';
      expect(directive, show(f)).toMatch(new RegExp(`eng-disable[\\w \\t]*\\b${f.id}\\b`));
      const sameLine = /eng-disable[\w \t]+:\s*(.*)$/.exec(directive)?.[1] ?? '';
      const above = at > 0 ? /^\s*\/\/\s*(.*)$/.exec(lines[at - 1] ?? '')?.[1] : '';
      expect(`${sameLine}${above ?? ''}`.length, `the reason for ${show(f)}`).toBeGreaterThanOrEqual(20);
    }
  });

  it('every eng-disable comment in the sources still covers a finding (none is left stale)', () => {
    const justified = result.report.findings.filter((f) => f.status === 'justified');
    for (const { file } of [...sources('src-main'), ...sources('src-renderer')])
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const names = /eng-disable[ \t]+([\w \t]+)/.exec(line)?.[1]?.trim().split(/\s+/);
          for (const name of names ?? [])
            expect(
              justified.some((f) => f.file === file && f.id === name && (i === 0 || f.line === i + 1)),
              `${file}:${i + 1} disables ${name}, which reports nothing there`,
            ).toBe(true);
        });
  });
});

describe('the scan itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'electronegativity-fixture-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails on a window without context isolation and sandbox', () => {
    const electron = (
      JSON.parse(readFileSync('package.json', 'utf8')) as { devDependencies: { electron: string } }
    ).devDependencies.electron;
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'fixture', devDependencies: { electron } }),
    );
    writeFileSync(
      join(dir, 'main.ts'),
      "import { BrowserWindow } from 'electron';\nexport const w = new BrowserWindow({ webPreferences: { contextIsolation: false, sandbox: false } });\n",
    );
    const { status, report } = scan(dir);
    expect(status).toBe(1);
    const open = report.findings.filter((f) => f.failing && f.status === 'open').map((f) => f.id);
    expect(open).toEqual(expect.arrayContaining(['CONTEXT_ISOLATION_JS_CHECK', 'SANDBOX_JS_CHECK']));
  }, 60_000);
});
