import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from '@photostructure/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DAY_MS,
  GAUGE_EVERY_MS,
  gapThresholdMs,
  HistoryStore,
  HOUR_MS,
  type PollCheck,
  SERVER_CHECK,
} from '../../../../src-main/core/history/history-store';
import type { AlertPhase, Level } from '../../../../src-main/core/vocab';

/** The history against a real SQLite file (the N-API binding the app ships). */

const S = { key: 'uid-1234abcd', name: 'lab.test' };
const I = 30_000;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);

let dir: string;
let store: HistoryStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'history-store-'));
  store = await HistoryStore.open(join(dir, 'history.sqlite'));
});

afterEach(async () => {
  store?.close();
  await rm(dir, { recursive: true, force: true });
});

function check(id: string, level: Level, phase?: AlertPhase, responseMs?: number): PollCheck {
  return {
    id,
    title: `Check ${id}`,
    host: 'public',
    group: 'g',
    level,
    detail: `${id} is ${level}`,
    ...(phase ? { phase } : {}),
    ...(responseMs === undefined ? {} : { responseMs }),
  };
}

/** Polls every 30 s from `from` for `count` polls, each with the levels `at(i)` gives. */
function pollEvery(from: number, count: number, at: (i: number) => PollCheck[]): void {
  store.recordPolls(
    S,
    Array.from({ length: count }, (_, i) => {
      const checks = at(i);
      return {
        at: from + i * I,
        intervalMs: I,
        overall: checks.some((c) => c.level === 'fail') ? ('fail' as const) : ('ok' as const),
        checks,
      };
    }),
  );
}

describe('HistoryStore', () => {
  it('counts the time between polls at the level each poll saw, per check and for the server', () => {
    // One hour: 120 polls, the last 30 of them failing. The first is a point: 119 intervals between them.
    pollEvery(T0 + I, 120, (i) => [check('a', i >= 90 ? 'fail' : 'ok')]);
    const [server, a] = store.availability(S.key, T0 + HOUR_MS, [DAY_MS]);
    expect(server?.check).toBe(SERVER_CHECK);
    expect(a?.windows[0]).toEqual({ ok: 89 * I, maintenance: 0, warn: 0, unknown: 0, fail: 30 * I });
    expect(server?.windows[0]?.fail).toBe(30 * I);
  });

  it('keeps a stretch without polls (asleep) as a gap, not as downtime or uptime', () => {
    pollEvery(T0 + I, 10, () => [check('a', 'fail')]);
    // The lid closes for 3 hours. The gap runs from the last poll before it to the first poll after wake, which
    // is a point: nobody looked during the interval before it.
    const wake = T0 + 10 * I + 3 * HOUR_MS;
    pollEvery(wake, 10, () => [check('a', 'ok')]);
    const [, a] = store.availability(S.key, wake + HOUR_MS, [DAY_MS]);
    expect(a?.windows[0]).toEqual({ ok: 9 * I, maintenance: 0, warn: 0, unknown: 0, fail: 9 * I });
    expect(store.gaps(S.key, T0, wake + HOUR_MS)).toEqual([{ from: T0 + 10 * I, to: wake }]);
  });

  it('counts no downtime for a first poll that failed: nobody looked during the interval before it', () => {
    // A new server polled hourly; its first poll fails (the sudo password is not stored yet), then all is well.
    const H = { key: 'uid-hourly', name: 'hourly.test' };
    const poll = (at: number, level: Level) => ({
      at,
      intervalMs: HOUR_MS,
      overall: level,
      checks: [check('ssh', level)],
    });
    const first = T0 + 10 * 60_000;
    store.recordPoll(H, poll(first, 'fail'));
    const none = { ok: 0, maintenance: 0, warn: 0, unknown: 0, fail: 0 };
    expect(store.availability(H.key, first, [DAY_MS]).map((r) => r.windows[0])).toEqual([none, none]);
    store.recordPolls(H, [poll(first + HOUR_MS, 'ok'), poll(first + 2 * HOUR_MS, 'ok')]);
    const up = { ...none, ok: 2 * HOUR_MS };
    expect(store.availability(H.key, first + 2 * HOUR_MS, [DAY_MS]).map((r) => r.windows[0])).toEqual([
      up,
      up,
    ]);
    expect(store.buckets(H.key, SERVER_CHECK, T0, T0 + 3 * HOUR_MS, HOUR_MS).map((b) => b.fail)).toEqual([
      0, 0, 0,
    ]);
    expect(store.gaps(H.key, T0, first + 2 * HOUR_MS)).toEqual([]);
  });

  it('counts nothing for the first poll after a gap, and ends the gap at that poll', () => {
    pollEvery(T0 + I, 3, () => [check('a', 'ok')]);
    // The app was closed for an hour; the first poll after it fails, the next one is fine again.
    const back = T0 + 3 * I + HOUR_MS;
    pollEvery(back, 2, (i) => [check('a', i === 0 ? 'fail' : 'ok')]);
    expect(store.gaps(S.key, T0, back + I)).toEqual([{ from: T0 + 3 * I, to: back }]);
    expect(store.availability(S.key, back + I, [DAY_MS])[1]?.windows[0]).toEqual({
      ok: 2 * I + I,
      maintenance: 0,
      warn: 0,
      unknown: 0,
      fail: 0,
    });
    // The failing poll stands for no time; the one after it for the interval since it.
    const minutes = store.buckets(S.key, 'a', back - I, back + I, I);
    expect(minutes.map((b) => [b.ok, b.fail])).toEqual([
      [0, 0],
      [I, 0],
    ]);
  });

  it('counts a poll late by less than the gap threshold as looked at', () => {
    pollEvery(T0 + I, 1, () => [check('a', 'ok')]);
    const late = T0 + I + gapThresholdMs(I) - 1000;
    pollEvery(late, 1, () => [check('a', 'ok')]);
    expect(store.gaps(S.key, T0, late)).toEqual([]);
    expect(store.availability(S.key, late, [DAY_MS])[1]?.windows[0]?.ok).toBe(late - (T0 + I));
  });

  it('splits a poll that stands for time in two hours between them', () => {
    const at = T0 + HOUR_MS + 10_000;
    pollEvery(at - I, 2, () => [check('a', 'ok')]);
    const buckets = store.buckets(S.key, 'a', T0, T0 + 2 * HOUR_MS, HOUR_MS);
    // The first poll (20 s before the hour) is a point; the second stands for 20 s before the hour, 10 s after.
    expect(buckets.map((b) => b.ok)).toEqual([20_000, 10_000]);
  });

  it('opens an incident when the policy says down and ends it at up, at maintenance, or when the check is gone', () => {
    pollEvery(T0 + I, 6, (i) => [
      check(
        'a',
        i === 0 ? 'ok' : i < 4 ? 'fail' : 'ok',
        i === 0 ? 'up' : i < 2 ? 'pending' : i < 4 ? 'down' : 'up',
      ),
      check('b', i < 2 ? 'fail' : 'maintenance', i < 2 ? 'down' : 'maintenance'),
      ...(i < 3 ? [check('c', 'fail', 'down')] : []),
    ]);
    const incidents = store.incidents(S.key, T0);
    expect(incidents.map((i) => [i.check, i.startedAt - T0, (i.endedAt ?? 0) - T0, i.endReason])).toEqual([
      ['a', 3 * I, 5 * I, 'recovered'],
      ['c', 1 * I, 4 * I, 'gone'],
      ['b', 1 * I, 3 * I, 'maintenance'],
    ]);
    expect(incidents[0]?.detail).toBe('a is fail');
  });

  it('keeps an incident open across a restart of the app (a new store on the same file)', async () => {
    pollEvery(T0 + I, 2, () => [check('a', 'fail', 'down')]);
    store.close();
    store = await HistoryStore.open(join(dir, 'history.sqlite'));
    pollEvery(T0 + 3 * I, 2, (i) => [check('a', i === 0 ? 'fail' : 'ok', i === 0 ? 'pending' : 'up')]);
    expect(store.incidents(S.key, T0).map((i) => [i.startedAt - T0, (i.endedAt ?? 0) - T0])).toEqual([
      [I, 4 * I],
    ]);
  });

  it('downsamples after the detail days and forgets after the retention days', () => {
    store.setRetention({ retentionDays: 10, detailDays: 2 });
    for (let day = 0; day < 12; day++)
      pollEvery(T0 + day * DAY_MS + I, 4, () => [check('a', 'ok', 'up', 50)]);
    const now = T0 + 11 * DAY_MS + 4 * I;
    store.prune(now);
    const db = new DatabaseSync(join(dir, 'history.sqlite'));
    const oldest = (table: string, col: string) =>
      Number((db.prepare(`SELECT min(${col}) AS m FROM ${table}`).get() as { m: number }).m);
    expect(oldest('samples', 'at')).toBeGreaterThanOrEqual(now - 2 * DAY_MS);
    expect(oldest('hourly', 'hour')).toBeGreaterThanOrEqual(now - 10 * DAY_MS - HOUR_MS);
    db.close();
    // The hours of a day whose samples are gone still answer (the downsampling), with their response times.
    // Each day's first poll comes after a gap (a point): 3 intervals a day.
    const day5 = T0 + 5 * DAY_MS;
    expect(store.buckets(S.key, 'a', day5, day5 + DAY_MS, DAY_MS)[0]?.ok).toBe(3 * I);
    expect(store.responseTimes(S.key, 'a', day5, day5 + DAY_MS, DAY_MS)[0]).toMatchObject({
      avgMs: 50,
      maxMs: 50,
    });
  });

  it('buckets samples below an hour and averages response times', () => {
    pollEvery(T0 + I, 120, (i) => [check('a', i % 60 < 10 ? 'warn' : 'ok', 'up', i < 60 ? 10 : 30)]);
    const halfHours = store.buckets(S.key, 'a', T0, T0 + HOUR_MS, 30 * 60_000);
    // The first poll (a warning) is a point.
    expect(halfHours.map((b) => [b.ok, b.warn])).toEqual([
      [50 * I, 9 * I],
      [50 * I, 10 * I],
    ]);
    const points = store.responseTimes(S.key, 'a', T0, T0 + HOUR_MS, 30 * 60_000);
    expect(points.map((p) => p.avgMs)).toEqual([10, 30]);
  });

  it('keeps a gauge at most every 15 minutes', () => {
    store.recordPolls(
      S,
      Array.from({ length: 120 }, (_, i) => ({
        at: T0 + i * I,
        intervalMs: I,
        overall: 'ok' as const,
        checks: [],
        gauges: { 'disk.usedBytes': 1000 + i },
      })),
    );
    const values = store.gauge(S.key, 'disk.usedBytes', T0);
    expect(values.map((v) => v.at - T0)).toEqual([0, GAUGE_EVERY_MS, 2 * GAUGE_EVERY_MS, 3 * GAUGE_EVERY_MS]);
  });

  it('claims a notification once, whichever store asks', async () => {
    expect(store.claimNotification(S, 'tls:public', T0, 14, T0)).toBe(true);
    const other = await HistoryStore.open(join(dir, 'history.sqlite'));
    try {
      expect(other.claimNotification(S, 'tls:public', T0, 14, T0)).toBe(false);
      expect(other.claimNotification(S, 'tls:public', T0 + DAY_MS, 14, T0)).toBe(true);
    } finally {
      other.close();
    }
  });

  it('ignores a poll recorded twice', () => {
    pollEvery(T0 + I, 2, () => [check('a', 'ok')]);
    pollEvery(T0 + 2 * I, 1, () => [check('a', 'fail', 'down')]);
    expect(store.availability(S.key, T0 + HOUR_MS, [DAY_MS])[1]?.windows[0]).toMatchObject({
      ok: I,
      fail: 0,
    });
    expect(store.incidents(S.key, T0)).toEqual([]);
  });

  it('refuses a file of a newer schema and a file that is no database, with a sentence', async () => {
    store.close();
    const db = new DatabaseSync(join(dir, 'history.sqlite'));
    db.exec('PRAGMA user_version = 99');
    db.close();
    await expect(HistoryStore.open(join(dir, 'history.sqlite'))).rejects.toMatchObject({
      code: 'HistoryUnavailable',
      message: expect.stringContaining('was written by a newer version of the app (schema 99)'),
    });
    await writeFile(
      join(dir, 'junk.sqlite'),
      'this is not a database, just text that is long enough to be read',
    );
    await expect(HistoryStore.open(join(dir, 'junk.sqlite'))).rejects.toMatchObject({
      code: 'HistoryUnavailable',
    });
    store = await HistoryStore.open(join(dir, 'fresh.sqlite'));
  });

  it('answers nothing for a server it has never seen', () => {
    expect(store.availability('nobody', T0, [DAY_MS])).toEqual([]);
    expect(store.incidents('nobody', T0)).toEqual([]);
    expect(store.buckets('nobody', 'a', T0, T0 + HOUR_MS, HOUR_MS).every((b) => b.ok === 0)).toBe(true);
    expect(store.serverList()).toEqual([]);
  });
});
