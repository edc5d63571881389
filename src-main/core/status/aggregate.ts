import type { FreshResult } from './service';
import { type CheckHost, type CheckResult, type Level, worstLevel } from './types';

/**
 * A maintenance window: a runbook action stopping units, or maintenance mode (`stack.stop` until
 * `stack.start`). `units: 'all'` covers every check that depends on any unit.
 */
export interface Maintenance {
  key: string;
  units: string[] | 'all';
  /** What is going on, in words that read inside parentheses: "all services stopped", "restarting Tuwunel". */
  reason: string;
}

/**
 * Folds one poll into the previous results. Hosts the poll covered are replaced whole (a check that
 * no longer exists disappears); the others keep their last results. `since` comes from the source
 * when it knows (systemd), else carries over while the level stays, else is this poll.
 */
export function mergeResults(
  previous: CheckResult[],
  fresh: FreshResult[],
  polled: Set<CheckHost>,
): CheckResult[] {
  const prevById = new Map(previous.map((r) => [r.id, r]));
  const merged: CheckResult[] = previous.filter((r) => !polled.has(r.host));
  for (const f of fresh) {
    const prev = prevById.get(f.id);
    const since = f.since ?? (prev && prev.level === f.level ? prev.since : f.checkedAt);
    merged.push({ ...f, since });
  }
  return merged;
}

export function isUnderMaintenance(result: CheckResult, windows: Maintenance[]): Maintenance | undefined {
  if (result.units.length === 0) return undefined;
  return windows.find((w) => w.units === 'all' || w.units.some((u) => result.units.includes(u)));
}

/** Checks of units under maintenance show `maintenance`, keeping what was measured in `underlying`. */
export function applyMaintenance(results: CheckResult[], windows: Maintenance[]): CheckResult[] {
  if (windows.length === 0) return results;
  return results.map((r) => {
    const w = isUnderMaintenance(r, windows);
    if (!w || r.level === 'maintenance') return r;
    return {
      ...r,
      level: 'maintenance',
      underlying: r.level,
      detail: `Under maintenance (${w.reason}); measured ${r.level}: ${r.detail}`,
    };
  });
}

/** A result older than two intervals says nothing about now: it shows `unknown` until a poll reaches it again. */
export function applyStaleness(results: CheckResult[], nowMs: number, intervalMs: number): CheckResult[] {
  return results.map((r) => {
    const age = nowMs - Date.parse(r.checkedAt);
    if (age <= 2 * intervalMs || r.level === 'unknown') return r;
    return {
      ...r,
      level: 'unknown',
      underlying: r.underlying ?? r.level,
      detail: `No fresh result for ${Math.round(age / 1000)} s (last: ${r.level}); refresh, and check the host's SSH badge if it stays so.`,
    };
  });
}

export function overallLevel(results: CheckResult[]): Level {
  return worstLevel(results.map((r) => r.level));
}
