import type {
  HistoryRange,
  IncidentTimeline,
  IncidentView,
  Sparkline,
  UptimeBar,
} from '../../../src-main/ipc/contract';
import { duration, ms } from './format';

/** What the charts call each range, and each bar of it. */
export const RANGE_TEXT: Record<HistoryRange, { label: string; span: string; bar: string; bars: string }> = {
  '24h': { label: '24 h', span: '24 hours', bar: 'half hour', bars: 'half hours' },
  '7d': { label: '7 d', span: '7 days', bar: '4 hours', bars: '4-hour stretches' },
  '30d': { label: '30 d', span: '30 days', bar: 'day', bars: 'days' },
};

export const BAR_TEXT: Record<UptimeBar['state'], string> = {
  none: 'no data (the computer slept or the app was closed)',
  up: 'up',
  degraded: 'up with warnings',
  partial: 'down part of the time',
  down: 'down most of the time',
  maintenance: 'maintenance',
  unknown: 'could not tell',
};

/**
 * "99.95 %", "100 %", "87.3 %"; "no data" when nothing was looked at; "less than 0.1 %" for a share that is
 * there but would round to nothing (a server watched for minutes of a day is not "0.0 %" watched).
 */
export function percent(share: number | null): string {
  if (share === null) return 'no data';
  const p = share * 100;
  if (p >= 99.995) return '100 %';
  if (p > 0 && p < 0.05) return 'less than 0.1 %';
  return `${p >= 99 ? p.toFixed(2) : p.toFixed(1)} %`;
}

/** "45 ms", "1.2 s". */
export function responseTime(millis: number): string {
  return millis < 1000 ? `${Math.round(millis)} ms` : `${(millis / 1000).toFixed(1)} s`;
}

function hhmm(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function day(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** A bar's tooltip: when, and what it was. */
export function barTitle(bar: UptimeBar, range: HistoryRange): string {
  const when = range === '30d' ? day(bar.start) : `${day(bar.start)} ${hhmm(bar.start)}–${hhmm(bar.end)}`;
  const what = BAR_TEXT[bar.state];
  if (bar.state === 'none') return `${when}: ${what}`;
  const down = bar.downMs > 0 ? `, down ${duration(bar.downMs)}` : '';
  return `${when}: ${what} (${percent(bar.availability)} available${down})`;
}

/** The strip in words, for a screen reader: how many bars of each kind. */
export function barsSummary(bars: readonly UptimeBar[], range: HistoryRange): string {
  const count = (pred: (b: UptimeBar) => boolean) => bars.filter(pred).length;
  const down = count((b) => b.state === 'down' || b.state === 'partial');
  const none = count((b) => b.state === 'none');
  const parts = [
    `${bars.length} ${RANGE_TEXT[range].bars}`,
    `${count((b) => b.state === 'up' || b.state === 'degraded')} up`,
    ...(down ? [`${down} with downtime`] : []),
    ...(count((b) => b.state === 'maintenance')
      ? [`${count((b) => b.state === 'maintenance')} in maintenance`]
      : []),
    ...(none ? [`${none} without data`] : []),
  ];
  return `Uptime over the last ${RANGE_TEXT[range].span}: ${parts.join(', ')}.`;
}

export interface SparkGeometry {
  /** SVG path: one `M…L…` run per stretch of measured points; a null point breaks the line. */
  path: string;
  /** Points with no measured neighbour: drawn as dots, or they would not show. */
  dots: { x: number; y: number }[];
  last: { x: number; y: number } | null;
  minMs: number;
  maxMs: number;
  lastMs: number | null;
}

/** Lays the points of a sparkline into a width × height box (y grows down), lowest at the bottom. */
export function sparkGeometry(points: Sparkline['points'], width: number, height: number): SparkGeometry {
  const values = points.map((p) => p.avgMs).filter((v): v is number => v !== null);
  const minMs = values.length ? Math.min(...values) : 0;
  const maxMs = values.length ? Math.max(...values) : 0;
  const pad = 2;
  const spread = maxMs - minMs || 1;
  const step = points.length > 1 ? (width - 2 * pad) / (points.length - 1) : 0;
  const xy = (i: number, v: number) => ({
    x: Math.round((pad + i * step) * 10) / 10,
    // A flat line sits in the middle rather than on the floor.
    y:
      maxMs === minMs
        ? height / 2
        : Math.round((height - pad - ((v - minMs) / spread) * (height - 2 * pad)) * 10) / 10,
  });
  const runs: { x: number; y: number }[][] = [];
  let run: { x: number; y: number }[] = [];
  points.forEach((p, i) => {
    if (p.avgMs === null) {
      if (run.length) runs.push(run);
      run = [];
    } else run.push(xy(i, p.avgMs));
  });
  if (run.length) runs.push(run);
  const lastIndex = points.findLastIndex((p) => p.avgMs !== null);
  const lastPoint = lastIndex >= 0 ? points[lastIndex] : undefined;
  return {
    path: runs
      .filter((r) => r.length > 1)
      .map((r) => r.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x} ${p.y}`).join(' '))
      .join(' '),
    dots: runs.filter((r) => r.length === 1).map((r) => r[0] as { x: number; y: number }),
    last: lastPoint?.avgMs != null ? xy(lastIndex, lastPoint.avgMs) : null,
    minMs,
    maxMs,
    lastMs: lastPoint?.avgMs ?? null,
  };
}

/** One line of an incident's story, in time order. */
export interface IncidentEvent {
  at: string;
  kind: 'down' | 'action' | 'gap' | 'end';
  text: string;
  /** Actions: how the run ended (ok, failed, cancelled, refused). */
  outcome?: string;
}

const END_TEXT: Record<NonNullable<IncidentView['endReason']>, string> = {
  recovered: 'Recovered',
  maintenance: 'Put into maintenance',
  gone: 'The check no longer exists',
};

/** What happened from down to up: the check's sentence, the actions run, the stretches nobody looked. */
export function incidentEvents(
  incident: IncidentView,
  gaps: IncidentTimeline['gaps'],
  actionTitle: (id: string) => string,
  now: number,
): IncidentEvent[] {
  const start = ms(incident.startedAt);
  const end = incident.endedAt ? ms(incident.endedAt) : now;
  const events: IncidentEvent[] = [
    { at: incident.startedAt, kind: 'down', text: `Went down: ${incident.detail}` },
    ...incident.actions.map((a) => ({
      at: a.at,
      kind: 'action' as const,
      text: `${actionTitle(a.action)}: ${a.sentence}`,
      outcome: a.outcome,
    })),
    ...gaps
      .filter((g) => ms(g.to) > start && ms(g.from) < end)
      .map((g) => ({
        at: g.from,
        kind: 'gap' as const,
        text: `No data for ${duration(ms(g.to) - ms(g.from))}: the computer slept or the app was closed.`,
      })),
  ];
  if (incident.endedAt && incident.endReason)
    events.push({ at: incident.endedAt, kind: 'end', text: END_TEXT[incident.endReason] });
  return events.sort((a, b) => ms(a.at) - ms(b.at));
}

/** "Down 7 min, recovered" / "Down for 2 h so far". */
export function incidentHeadline(incident: IncidentView): string {
  const lasted = duration(incident.durationMs);
  if (!incident.endedAt) return `Down for ${lasted} so far`;
  return `Down ${lasted}, ${END_TEXT[incident.endReason ?? 'recovered'].toLowerCase()}`;
}

/** Where a time falls on a strip from `from` to `to`, as a share 0..1 (clamped). */
export function position(iso: string, from: number, to: number): number {
  return Math.min(1, Math.max(0, (ms(iso) - from) / (to - from)));
}
