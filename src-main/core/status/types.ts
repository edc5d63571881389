import { z } from 'zod';
import { CHECK_HOSTS, type CheckHost, LEVELS, type Level, levelRank, worstLevel } from '../vocab';

/** Levels and their order (the severity) are the vocabulary's: core/vocab.ts. */
export { CHECK_HOSTS, type CheckHost, LEVELS, type Level, levelRank, worstLevel };
export const levelSchema = z.enum(LEVELS);
export const checkHostSchema = z.enum(CHECK_HOSTS);

/** Numbers a check measured, for the history and its forecasts (core/history, core/forecast). */
export const checkMetricsSchema = z
  .object({
    /** How long the request or the host's status script took. */
    responseMs: z.number().nonnegative().optional(),
    /** ISO 8601: when the certificate the check read stops being valid. */
    expiresAt: z.string().optional(),
    /** The file system holding the data folder, as df reports it. */
    diskUsedBytes: z.number().nonnegative().optional(),
    diskAvailableBytes: z.number().nonnegative().optional(),
  })
  .strict();
export type CheckMetrics = z.infer<typeof checkMetricsSchema>;

export const checkResultSchema = z.object({
  /** Stable across polls, e.g. `unit:matrix-tuwunel`, `http:federation-version`. */
  id: z.string(),
  host: checkHostSchema,
  /** Service the badge is grouped under on the dashboard (usually a unit name). */
  group: z.string(),
  title: z.string(),
  level: levelSchema,
  /** One sentence; when the level is not ok it ends with what to do next. */
  detail: z.string(),
  /** ISO 8601: since when the check has been at this level (from the source when it knows, else first seen). */
  since: z.string(),
  /** ISO 8601: when this result was measured. */
  checkedAt: z.string(),
  /** Profile units this check depends on; maintenance of any of them turns the check into `maintenance`. */
  units: z.array(z.string()),
  /** The measured level hidden under `maintenance` or `unknown` (stale), kept for the detail view. */
  underlying: levelSchema.optional(),
  metrics: checkMetricsSchema.optional(),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

/** What a parser decides; the service stamps host, times and the rest. */
export interface Finding {
  id: string;
  group: string;
  title: string;
  level: Level;
  detail: string;
  units: string[];
  /** Epoch ms when the source itself knows since when (systemd's StateChangeTimestamp). */
  sinceMs?: number;
  metrics?: CheckMetrics;
}
