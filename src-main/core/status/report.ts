import { CHECK_HOSTS } from '../vocab';
import { type CheckResult, type Level, worstLevel } from './types';

/**
 * The command line's contract: 0 all ok, 1 any warn (maintenance included), 2 any fail or unknown, and 2
 * when nothing was measured: a status that could not look is never OK.
 */
export function statusExitCode(results: CheckResult[]): 0 | 1 | 2 {
  if (results.length === 0) return 2;
  const worst = worstLevel(results.map((r) => r.level));
  if (worst === 'ok') return 0;
  if (worst === 'fail' || worst === 'unknown') return 2;
  return 1;
}

/** `3 min`, `5 h`, `2 d`: how long a check has been at its level. */
export function sinceText(sinceIso: string, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - Date.parse(sinceIso)) / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

const LEVEL_TEXT: Record<Level, string> = {
  ok: 'OK',
  maintenance: 'MAINT',
  warn: 'WARN',
  unknown: 'UNKNOWN',
  fail: 'FAIL',
};

/**
 * A plain-text table (host, check, level, since, detail) for a terminal: levels as words so nothing
 * depends on colour, the long detail last so narrow terminals wrap only it.
 */
export function formatStatusTable(results: CheckResult[], nowMs: number): string {
  const rows = [...results]
    .sort(
      (a, b) => CHECK_HOSTS.indexOf(a.host) - CHECK_HOSTS.indexOf(b.host) || a.group.localeCompare(b.group),
    )
    .map((r) => [r.host, r.title, LEVEL_TEXT[r.level], sinceText(r.since, nowMs), r.detail]);
  const header = ['HOST', 'CHECK', 'LEVEL', 'SINCE', 'DETAIL'];
  const widths = header
    .slice(0, -1)
    .map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < widths.length ? c.padEnd(widths[i] ?? 0) : c))
      .join('  ')
      .trimEnd();
  const overall =
    results.length === 0
      ? `${LEVEL_TEXT.unknown} (no check has a result: nothing could be looked at)`
      : LEVEL_TEXT[worstLevel(results.map((r) => r.level))];
  return `${[line(header), ...rows.map(line)].join('\n')}\n\nOverall: ${overall}\n`;
}
