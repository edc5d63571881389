import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { availabilityView, barState, historySummaryView } from '../../../src-main/app/history-views';
import { HistoryStore, HOUR_MS, type PollRecord } from '../../../src-main/core/history/history-store';
import type { Level } from '../../../src-main/core/vocab';

const d = (p: Partial<Record<'ok' | 'maintenance' | 'warn' | 'unknown' | 'fail', number>>) => ({
  ok: 0,
  maintenance: 0,
  warn: 0,
  unknown: 0,
  fail: 0,
  ...p,
});

describe('uptime bar states', () => {
  it('shows nobody looking as a gap, never as up or down', () => {
    expect(barState(d({}))).toBe('none');
  });

  it('shows any downtime: partial while up most of the time, down from half of it', () => {
    expect(barState(d({ ok: 90, fail: 10 }))).toBe('partial');
    expect(barState(d({ ok: 50, fail: 50 }))).toBe('down');
    expect(barState(d({ fail: 1, maintenance: 99 }))).toBe('down');
  });

  it('keeps maintenance and "could not tell" apart from up, and warnings as degraded', () => {
    expect(barState(d({ maintenance: 60, unknown: 10 }))).toBe('maintenance');
    expect(barState(d({ unknown: 60, maintenance: 10 }))).toBe('unknown');
    expect(barState(d({ ok: 50, warn: 1 }))).toBe('degraded');
    expect(barState(d({ ok: 50, maintenance: 50 }))).toBe('up');
  });
});

describe('availability of a server just added (a real history file)', () => {
  const server = { key: 'uid-new', name: 'new.example' };
  const now = Date.UTC(2026, 10, 2, 12, 10, 0);
  let dir: string;
  let history: HistoryStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'history-views-'));
    history = await HistoryStore.open(join(dir, 'history.sqlite'));
  });
  afterEach(async () => {
    history.close();
    await rm(dir, { recursive: true, force: true });
  });

  const poll = (at: number, level: Level): PollRecord => ({
    at,
    intervalMs: HOUR_MS,
    overall: level,
    checks: [
      {
        id: 'ssh:homeserver',
        title: 'SSH',
        host: 'homeserver',
        group: 'ssh',
        level,
        detail: '',
        responseMs: 40,
      },
    ],
  });

  it('reads "no data" (null), not 0 % or NaN, while its one poll stands for no time', () => {
    history.recordPoll(server, poll(now, 'fail'));
    const rows = availabilityView(history, server.key, now);
    expect(rows.map((r) => [r.check, r.availability, r.observed])).toEqual([
      ['*', { '24h': null, '7d': null, '30d': null }, { '24h': null, '7d': null, '30d': null }],
      ['ssh:homeserver', { '24h': null, '7d': null, '30d': null }, { '24h': null, '7d': null, '30d': null }],
    ]);
    const summary = historySummaryView(history, server.key, '24h', now);
    expect(
      summary.bars.bars.every((b) => b.state === 'none' && b.availability === null && b.downMs === 0),
    ).toBe(true);
  });

  it('counts the hour after a failed first poll as up when the next poll is ok', () => {
    history.recordPolls(server, [poll(now - HOUR_MS, 'fail'), poll(now, 'ok')]);
    const [all] = availabilityView(history, server.key, now);
    expect(all?.availability['24h']).toBe(1);
    expect(historySummaryView(history, server.key, '24h', now).bars.bars.some((b) => b.downMs > 0)).toBe(
      false,
    );
  });
});
