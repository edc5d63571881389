import { z } from 'zod';
import { checkHost, id, time } from './common-schema';

/** The history's views for the dashboard's charts (uptime bars, sparklines, incident timeline). */

export const HISTORY_RANGES = ['24h', '7d', '30d'] as const;
export const historyRange = z.enum(HISTORY_RANGES);
export type HistoryRange = z.infer<typeof historyRange>;

/** A share 0..1 of the time a check was looked at; null when it was not looked at all (no data, or asleep). */
const share = z.number().min(0).max(1).nullable();

export const availabilityRow = z.object({
  /** The check id, or `*` for the server as a whole. */
  check: id,
  title: z.string(),
  host: checkHost,
  group: z.string(),
  /** Up (ok or warn) ÷ (up + down); maintenance and "could not tell" count for neither. */
  availability: z.object({ '24h': share, '7d': share, '30d': share }),
  /** Share of the window that was looked at (the rest: gaps, the app closed, before the first poll). */
  observed: z.object({ '24h': share, '7d': share, '30d': share }),
});
export type AvailabilityRow = z.infer<typeof availabilityRow>;

/**
 * One bar of an uptime strip (Uptime Kuma style). `none`: nobody looked (a gap); `up`; `degraded` (warnings);
 * `partial` (some downtime); `down` (down most of the time looked at); `maintenance`; `unknown` (could not tell).
 */
export const BAR_STATES = ['none', 'up', 'degraded', 'partial', 'down', 'maintenance', 'unknown'] as const;
export const uptimeBar = z.object({
  start: time,
  end: time,
  state: z.enum(BAR_STATES),
  availability: share,
  /** Milliseconds down in the bar, for the tooltip. */
  downMs: z.number().nonnegative(),
});
export type UptimeBar = z.infer<typeof uptimeBar>;

export const uptimeBars = z.object({
  check: id,
  range: historyRange,
  bars: z.array(uptimeBar),
});
export type UptimeBars = z.infer<typeof uptimeBars>;

export const sparkline = z.object({
  check: id,
  range: historyRange,
  /** Mean response time per bucket; null where nothing was measured (drawn as a break). */
  points: z.array(z.object({ at: time, avgMs: z.number().nullable(), maxMs: z.number().nullable() })),
});
export type Sparkline = z.infer<typeof sparkline>;

export const incidentAction = z.object({
  at: time,
  action: z.string(),
  outcome: z.string(),
  /** The outcome sentence the run ended with. */
  sentence: z.string(),
});

export const incidentView = z.object({
  check: id,
  title: z.string(),
  startedAt: time,
  /** null while it lasts. */
  endedAt: time.nullable(),
  /** How it ended: recovered, put into maintenance, or the check no longer exists. */
  endReason: z.enum(['recovered', 'maintenance', 'gone']).nullable(),
  durationMs: z.number().nonnegative(),
  /** What the check said when it went down. */
  detail: z.string(),
  /** What was run on this server between going down and coming back (from the audit trail). */
  actions: z.array(incidentAction),
});
export type IncidentView = z.infer<typeof incidentView>;

export const gapView = z.object({ from: time, to: time });

export const incidentTimeline = z.object({
  incidents: z.array(incidentView),
  /** Stretches nobody looked (asleep, app closed): drawn as gaps on the timeline. */
  gaps: z.array(gapView),
});
export type IncidentTimeline = z.infer<typeof incidentTimeline>;
