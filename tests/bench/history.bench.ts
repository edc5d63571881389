// The poll history (core/history) against the naive ways, in the same run.
// history-write: storing one poll of 34 checks (a sample each, the hourly totals, the server's own level) with
//   HistoryStore.recordPoll, beside appending the same poll as one JSON line to a file (as the audit trail does).
//   Goal: median ≤ 1 ms.
// history-query: the 30-day availability of every check of a server whose history holds 90 days of 34 checks
//   polled every 30 s, beside the same answer scanned from every raw sample of those 30 days (what it costs
//   without the hourly totals). Goal: median ≤ 50 ms. The history is what 90 days of polls leave after
//   retention: the last 7 days written poll by poll through the store (samples and hourly totals), the 83 days
//   before as the hourly totals downsampling keeps of them.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from '@photostructure/sqlite';
import {
  DAY_MS,
  HistoryStore,
  HOUR_MS,
  type PollCheck,
  type PollRecord,
} from '../../src-main/core/history/history-store';
import type { Level } from '../../src-main/core/vocab';
import type { Measure } from './run';

const CHECKS = 34;
const INTERVAL_MS = 30_000;
const SERVER = { key: 'bench-server', name: 'bench.example' };
const WRITE_POLLS = 2000;
const QUERY_RUNS = 30;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

/** A poll of 34 checks; every 500th poll has a failing check, so levels vary as in life. */
function poll(at: number, i: number): PollRecord {
  const checks: PollCheck[] = Array.from({ length: CHECKS }, (_, c) => {
    const level: Level = i % 500 === c ? 'fail' : c % 11 === 0 ? 'warn' : 'ok';
    return {
      id: `check:${c}`,
      title: `Check ${c}`,
      host: c < 20 ? 'homeserver' : c < 28 ? 'deploy' : 'public',
      group: `group-${c % 9}`,
      level,
      phase: level === 'fail' ? 'down' : 'up',
      detail: level === 'fail' ? 'Check failed; fix it.' : 'Fine.',
      ...(c >= 28 ? { responseMs: 20 + ((i * 7 + c) % 40) } : {}),
    };
  });
  return {
    at,
    intervalMs: INTERVAL_MS,
    overall: checks.some((c) => c.level === 'fail') ? 'fail' : 'warn',
    checks,
    gauges: { 'disk.usedBytes': 40e9 + i * 1000, 'disk.availableBytes': 20e9 - i * 1000 },
  };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

async function writeBench(dir: string): Promise<Measure> {
  const store = await HistoryStore.open(join(dir, 'write.sqlite'));
  const jsonl = join(dir, 'polls.jsonl');
  const t0 = Date.UTC(2026, 10, 1);
  // Warm up: the first polls create the server and its checks.
  store.recordPolls(SERVER, [poll(t0, 0), poll(t0 + INTERVAL_MS, 1)]);
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let i = 2; i < WRITE_POLLS + 2; i++) {
    const p = poll(t0 + i * INTERVAL_MS, i);
    let start = performance.now();
    store.recordPoll(SERVER, p);
    ours.push(performance.now() - start);
    start = performance.now();
    appendFileSync(jsonl, `${JSON.stringify(p)}\n`);
    baseline.push(performance.now() - start);
  }
  store.close();
  return {
    name: 'history-write',
    median_ms: round(median(ours), 3),
    p95_ms: round(percentile(ours, 0.95), 3),
    goal_ms: 1,
    meets_goal: median(ours) <= 1,
    baseline_jsonl_append_ms: round(median(baseline), 3),
    checks: CHECKS,
    polls: WRITE_POLLS,
  };
}

async function queryBench(dir: string): Promise<Measure> {
  const now = Date.UTC(2026, 11, 1, 12, 0, 0);
  const store = await HistoryStore.open(join(dir, 'query.sqlite'));
  // The last 7 days, poll by poll through the store, a day per transaction.
  const recentFrom = now - 7 * DAY_MS;
  const perDay = DAY_MS / INTERVAL_MS;
  for (let day = 0; day < 7; day++) {
    const polls = Array.from({ length: perDay }, (_, k) => {
      const i = day * perDay + k;
      return poll(recentFrom + (i + 1) * INTERVAL_MS, i);
    });
    store.recordPolls(SERVER, polls);
  }
  store.close();
  // The 83 days before: the hourly totals the store keeps after downsampling (an hour of 120 polls per check).
  const db = new DatabaseSync(join(dir, 'query.sqlite'));
  const oldFrom = now - 90 * DAY_MS;
  db.exec(`WITH RECURSIVE h(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM h WHERE i < ${83 * 24 - 1})
    INSERT INTO hourly (check_id, hour, ok_ms, maint_ms, warn_ms, unknown_ms, fail_ms, resp_sum, resp_n, resp_max)
    SELECT c.id, ${oldFrom - (oldFrom % HOUR_MS)} + h.i * ${HOUR_MS},
      CASE WHEN (h.i + c.id) % 97 = 0 THEN ${HOUR_MS - 4 * INTERVAL_MS} ELSE ${HOUR_MS} END, 0, 0, 0,
      CASE WHEN (h.i + c.id) % 97 = 0 THEN ${4 * INTERVAL_MS} ELSE 0 END, 3000, 120, 60
    FROM h, checks c`);
  const hourlyRows = Number((db.prepare('SELECT count(*) AS n FROM hourly').get() as { n: number }).n);
  const sampleRows = Number((db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }).n);
  db.close();

  const reopened = await HistoryStore.open(join(dir, 'query.sqlite'));
  const window = [30 * DAY_MS];
  const ours: number[] = [];
  let checksAnswered = 0;
  for (let r = 0; r < QUERY_RUNS; r++) {
    const start = performance.now();
    checksAnswered = reopened.availability(SERVER.key, now, window).length;
    ours.push(performance.now() - start);
  }
  reopened.close();

  // The baseline: every raw sample of the 30 days (34 checks every 30 s), summed per check and level.
  const naive = new DatabaseSync(join(dir, 'naive.sqlite'));
  naive.exec('PRAGMA journal_mode = WAL');
  naive.exec(`CREATE TABLE samples (check_id INTEGER NOT NULL, at INTEGER NOT NULL, level INTEGER NOT NULL,
    covered_ms INTEGER NOT NULL, response_ms REAL, PRIMARY KEY (check_id, at)) WITHOUT ROWID`);
  const from30 = now - 30 * DAY_MS;
  naive.exec(`WITH RECURSIVE t(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM t WHERE i < ${30 * perDay}),
      c(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM c WHERE id < ${CHECKS})
    INSERT INTO samples SELECT c.id, ${from30} + t.i * ${INTERVAL_MS},
      CASE WHEN t.i % 500 = c.id THEN 4 ELSE 0 END, ${INTERVAL_MS}, NULL FROM c, t`);
  const scan = naive.prepare(
    'SELECT check_id, level, SUM(covered_ms) AS ms FROM samples WHERE at > ? GROUP BY check_id, level',
  );
  const baseline: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    scan.all(from30);
    baseline.push(performance.now() - start);
  }
  naive.close();

  return {
    name: 'history-query',
    median_ms: round(median(ours), 2),
    goal_ms: 50,
    meets_goal: median(ours) <= 50,
    baseline_raw_scan_ms: round(median(baseline), 1),
    checks: checksAnswered,
    history_days: 90,
    hourly_rows: hourlyRows,
    sample_rows: sampleRows,
  };
}

export default async function bench(): Promise<Measure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'history-bench-'));
  try {
    return [await writeBench(dir), await queryBench(dir)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
