import type { HistoryStore, PollRecord, ServerRef } from '../core/history/history-store';
import type { StatusSnapshot } from '../core/status/scheduler';

/** The gauges a poll keeps for forecasts, from the disk check's numbers. */
export const DISK_USED_GAUGE = 'disk.usedBytes';
export const DISK_AVAILABLE_GAUGE = 'disk.availableBytes';

/** A finished poll as the history stores it: every check's level, phase and response time, and the gauges. */
export function pollRecord(snapshot: StatusSnapshot, at: number): PollRecord {
  const gauges: Record<string, number> = {};
  for (const r of snapshot.results) {
    const m = r.metrics;
    if (m?.diskUsedBytes !== undefined) gauges[DISK_USED_GAUGE] = m.diskUsedBytes;
    if (m?.diskAvailableBytes !== undefined) gauges[DISK_AVAILABLE_GAUGE] = m.diskAvailableBytes;
  }
  return {
    at,
    intervalMs: snapshot.intervalSeconds * 1000,
    overall: snapshot.overall,
    checks: snapshot.results.map((r) => ({
      id: r.id,
      title: r.title,
      host: r.host,
      group: r.group,
      level: r.level,
      ...(snapshot.alerts[r.id] ? { phase: snapshot.alerts[r.id] } : {}),
      detail: r.detail,
      ...(r.metrics?.responseMs === undefined ? {} : { responseMs: r.metrics.responseMs }),
    })),
    gauges,
  };
}

/**
 * The hook the scheduler's subscribers get (`scheduler.subscribe(recorder)`): every finished poll — a snapshot
 * with a new `refreshedAt` — goes into the history once, with the certificate end dates the TLS checks read.
 * Snapshots of a poll starting, or of maintenance being set, carry no new poll and are skipped. A history that
 * fails to write is told to `onError` once per failing streak; the status goes on without it.
 */
export function createHistoryRecorder(
  history: HistoryStore,
  server: ServerRef,
  onError: (error: unknown) => void = () => {},
): (snapshot: StatusSnapshot) => void {
  let last: string | null = null;
  let failing = false;
  // A certificate's end date changes when it is renewed: written then, not with every poll.
  const expiries = new Map<string, number>();
  return (snapshot) => {
    if (!snapshot.refreshedAt || snapshot.refreshedAt === last) return;
    last = snapshot.refreshedAt;
    const at = Date.parse(snapshot.refreshedAt);
    try {
      history.recordPoll(server, pollRecord(snapshot, at));
      for (const r of snapshot.results) {
        const end = r.metrics?.expiresAt ? Date.parse(r.metrics.expiresAt) : Number.NaN;
        if (Number.isNaN(end) || expiries.get(r.id) === end) continue;
        history.setExpiry(server, { what: r.id, expiresAt: end, checkedAt: at, source: r.title });
        expiries.set(r.id, end);
      }
      failing = false;
    } catch (e) {
      if (!failing) onError(e);
      failing = true;
    }
  };
}
