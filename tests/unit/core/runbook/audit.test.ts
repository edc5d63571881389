import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordAct } from '../../../../src-main/core/lib/acts';
import { AuditLog, type AuditRecord, auditedSecretStore } from '../../../../src-main/core/runbook/audit';
import { ActionRefused } from '../../../../src-main/core/runbook/errors';
import { MASK, Redactor } from '../../../../src-main/core/runbook/redact';
import { MemorySecrets } from './test-profile';

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

  describe('acts on secrets and trust', () => {
    it('records each act, done, failed or refused, without a run and without its value', async () => {
      const log = new AuditLog(dir);
      const acts = log.acts('lab.test');
      expect(
        await recordAct(
          acts,
          { action: 'token.copy', params: { to: 'clipboard' }, done: () => 'Copied.' },
          async () => 42,
        ),
      ).toBe(42);
      await expect(
        recordAct(
          acts,
          { action: 'invite.revoke', params: { invite: 'AAAA…' }, done: () => '' },
          async () => {
            throw new ActionRefused('Not this one.', 'Pick another.');
          },
        ),
      ).rejects.toBeInstanceOf(ActionRefused);
      await expect(
        recordAct(acts, { action: 'invite.issue', params: { uses: 1 }, done: () => '' }, async () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const records = await log.read();
      expect(records.map((r) => [r.action, r.outcome, r.runId, r.failingStep])).toEqual([
        ['token.copy', 'ok', null, null],
        ['invite.revoke', 'refused', null, null],
        ['invite.issue', 'failed', null, null],
      ]);
      expect(records[1]?.sentence).toBe('Not this one.');
      expect(records[2]?.sentence).toMatch(/^Something unexpected went wrong: boom/);
    });

    it('a trail that cannot be written never changes the outcome of the act', async () => {
      const broken = { record: () => Promise.reject(new Error('disk full')) };
      expect(
        await recordAct(broken, { action: 'token.copy', params: {}, done: () => '' }, async () => 'ok'),
      ).toBe('ok');
    });

    it('records every store and delete of a user secret by kind and host; the app’s own entries stay out', async () => {
      const log = new AuditLog(dir);
      const store = auditedSecretStore(new MemorySecrets(), log.acts('lab.test'));
      await store.set(
        { profile: 'lab.test', kind: 'sudo-password', host: 'homeserver' },
        'the-sudo-password',
      );
      await store.set({ profile: 'lab.test', kind: 'issued-invites' }, '{"invites":[]}');
      expect(await store.get({ profile: 'lab.test', kind: 'sudo-password', host: 'homeserver' })).toEqual(
        Buffer.from('the-sudo-password'),
      );
      expect(await store.has({ profile: 'lab.test', kind: 'vault-password' })).toBe(false);
      expect(await store.delete({ profile: 'lab.test', kind: 'vault-password' })).toBe(false);
      expect(await store.delete({ profile: 'lab.test', kind: 'issued-invites' })).toBe(true);
      const records = await log.read();
      expect(records.map((r) => [r.action, r.params, r.sentence])).toEqual([
        [
          'secret.set',
          { kind: 'sudo-password', host: 'homeserver' },
          'Stored the sudo-password for the homeserver host in the keychain.',
        ],
        [
          'secret.delete',
          { kind: 'vault-password', host: null },
          'No vault-password was stored; nothing was deleted.',
        ],
      ]);
      expect(await readFile(log.path, 'utf8')).not.toContain('the-sudo-password');
    });
  });
});
