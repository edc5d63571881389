import { DAY_MS, type HistoryStore, HOUR_MS, type LevelDurations } from '../core/history/history-store';
import type { AuditRecord } from '../core/runbook/audit';
import type {
  AvailabilityRow,
  HistoryRange,
  IncidentTimeline,
  Sparkline,
  UptimeBar,
  UptimeBars,
} from './views/history-schema';

/** The charts' time ranges: span and bucket (bars and sparkline points). */
export const RANGES: Record<HistoryRange, { spanMs: number; bucketMs: number }> = {
  '24h': { spanMs: DAY_MS, bucketMs: 30 * 60_000 },
  '7d': { spanMs: 7 * DAY_MS, bucketMs: 4 * HOUR_MS },
  '30d': { spanMs: 30 * DAY_MS, bucketMs: DAY_MS },
};

const iso = (ms: number) => new Date(ms).toISOString();

function availabilityOf(d: LevelDurations): number | null {
  const up = d.ok + d.warn;
  return up + d.fail === 0 ? null : up / (up + d.fail);
}

function observedOf(d: LevelDurations, spanMs: number): number | null {
  const seen = d.ok + d.warn + d.fail + d.maintenance + d.unknown;
  return seen === 0 ? null : Math.min(1, seen / spanMs);
}

/** Availability of every check and of the server (`*`) over 24 h, 7 d and 30 d, to the hour. */
export function availabilityView(history: HistoryStore, serverKey: string, now: number): AvailabilityRow[] {
  const ranges = ['24h', '7d', '30d'] as const;
  const rows = history.availability(
    serverKey,
    now,
    ranges.map((r) => RANGES[r].spanMs),
  );
  return rows.map((r) => {
    const [d24, d7, d30] = r.windows as [LevelDurations, LevelDurations, LevelDurations];
    return {
      check: r.check,
      title: r.title,
      host: r.host,
      group: r.group,
      availability: { '24h': availabilityOf(d24), '7d': availabilityOf(d7), '30d': availabilityOf(d30) },
      observed: {
        '24h': observedOf(d24, RANGES['24h'].spanMs),
        '7d': observedOf(d7, RANGES['7d'].spanMs),
        '30d': observedOf(d30, RANGES['30d'].spanMs),
      },
    };
  });
}

/** What one bar shows: gaps stay gaps, any downtime shows, maintenance is its own colour. */
export function barState(d: LevelDurations): UptimeBar['state'] {
  const seen = d.ok + d.warn + d.fail + d.maintenance + d.unknown;
  if (seen === 0) return 'none';
  if (d.fail > 0) return d.fail * 2 >= d.ok + d.warn + d.fail ? 'down' : 'partial';
  if (d.ok + d.warn === 0) return d.maintenance >= d.unknown ? 'maintenance' : 'unknown';
  if (d.warn > 0) return 'degraded';
  return 'up';
}

/** The range's start, aligned so buckets fall on whole hours (or half hours) and the last one holds `now`. */
function rangeStart(range: HistoryRange, now: number): number {
  const { spanMs, bucketMs } = RANGES[range];
  const end = now - (now % bucketMs) + bucketMs;
  return end - spanMs;
}

/** The uptime strip of a check (or the server, `*`) over a range: one bar per bucket, oldest first. */
export function uptimeBarsView(
  history: HistoryStore,
  serverKey: string,
  check: string,
  range: HistoryRange,
  now: number,
): UptimeBars {
  const { spanMs, bucketMs } = RANGES[range];
  const from = rangeStart(range, now);
  const buckets = history.buckets(serverKey, check, from, from + spanMs, bucketMs);
  return {
    check,
    range,
    bars: buckets.map((b) => ({
      start: iso(b.start),
      end: iso(b.start + bucketMs),
      state: barState(b),
      availability: availabilityOf(b),
      downMs: b.fail,
    })),
  };
}

/** Response times of a check over a range, one point per bucket, for a sparkline. */
export function sparklineView(
  history: HistoryStore,
  serverKey: string,
  check: string,
  range: HistoryRange,
  now: number,
): Sparkline {
  const { spanMs, bucketMs } = RANGES[range];
  const from = rangeStart(range, now);
  return {
    check,
    range,
    points: history
      .responseTimes(serverKey, check, from, from + spanMs, bucketMs)
      .map((p) => ({ at: iso(p.start), avgMs: p.avgMs, maxMs: p.maxMs })),
  };
}

/**
 * Incidents of the server since `since`, newest first, each with the runbook actions run on this profile between
 * its start and its end (or now) — from the audit trail, which is where "what did we do about it" is written —
 * and the gaps in the same stretch.
 */
export function incidentTimelineView(
  history: HistoryStore,
  serverKey: string,
  profileName: string,
  audit: readonly AuditRecord[],
  since: number,
  now: number,
): IncidentTimeline {
  const runs = audit
    .filter((a) => a.profile === profileName)
    .map((a) => ({ a, at: Date.parse(a.time) }))
    .filter((x) => !Number.isNaN(x.at));
  return {
    incidents: history.incidents(serverKey, since).map((i) => {
      const end = i.endedAt ?? now;
      return {
        check: i.check,
        title: i.title,
        startedAt: iso(i.startedAt),
        endedAt: i.endedAt === null ? null : iso(i.endedAt),
        endReason: i.endReason,
        durationMs: Math.max(0, end - i.startedAt),
        detail: i.detail,
        actions: runs
          .filter((x) => x.at >= i.startedAt && x.at <= end)
          .map(({ a }) => ({ at: a.time, action: a.action, outcome: a.outcome, sentence: a.sentence })),
      };
    }),
    gaps: history.gaps(serverKey, since, now).map((g) => ({ from: iso(g.from), to: iso(g.to) })),
  };
}
