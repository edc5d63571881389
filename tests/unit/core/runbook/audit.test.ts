import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, type AuditRecord } from '../../../../src-main/core/runbook/audit';
import { MASK, Redactor } from '../../../../src-main/core/runbook/redact';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (n: number, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  time: new Date(Date.UTC(2026, 10, 26, 12, 0, n)).toISOString(),
  profile: 'lab.test',
  action: 'user.make-admin',
  runId: `run-${n}`,
  params: { user: `@u${n}:lab.test` },
  outcome: 'ok',
  durationMs: 1200,
  failingStep: null,
  sentence: `@u${n}:lab.test is now a server admin.`,
  ...extra,
});

describe('AuditLog', () => {
  it('appends one JSON object per line, in order, even when appends race', async () => {
    const log = new AuditLog(dir);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(record(i))));
    const lines = (await readFile(log.path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(50);
    expect(lines.map((l) => (JSON.parse(l) as AuditRecord).runId)).toEqual(
      Array.from({ length: 50 }, (_, i) => `run-${i}`),
    );
    expect((await stat(log.path)).mode & 0o777).toBe(0o600);
    expect(await log.read()).toHaveLength(50);
  });

  it('never writes a secret, wherever it hides', async () => {
    const log = new AuditLog(dir);
    await log.append(
      record(1, { params: { command: 'x tok-123' }, sentence: 'failed: tok-123 refused' }),
      new Redactor(['tok-123']),
    );
    const text = await readFile(log.path, 'utf8');
    expect(text).not.toContain('tok-123');
    expect(text).toContain(MASK);
  });

  it('rotates before the file would pass the limit, keeping exactly one previous file', async () => {
    const log = new AuditLog(dir, 2000);
    for (let i = 0; i < 40; i++) await log.append(record(i));
    const current = await readFile(log.path, 'utf8');
    const previous = await readFile(`${log.path}.1`, 'utf8');
    expect(Buffer.byteLength(current)).toBeLessThanOrEqual(2000);
    expect(Buffer.byteLength(previous)).toBeLessThanOrEqual(2000);
    const ids = [...previous.trimEnd().split('\n'), ...current.trimEnd().split('\n')].map(
      (l) => (JSON.parse(l) as AuditRecord).runId,
    );
    expect(ids.at(-1)).toBe('run-39');
    expect(ids).toEqual([...ids].sort((a, b) => Number(String(a).slice(4)) - Number(String(b).slice(4))));
    expect((await import('node:fs/promises').then((fs) => fs.readdir(dir))).sort()).toEqual([
      'audit.jsonl',
      'audit.jsonl.1',
    ]);
  });

  it('reads nothing when there is no trail yet', async () => {
    expect(await new AuditLog(join(dir, 'missing')).read()).toEqual([]);
  });
});
