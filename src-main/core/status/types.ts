import { z } from 'zod';

/**
 * Severity order, best first. `maintenance` sits between ok and warn: planned downtime is worse than
 * all-green but must never outrank a real problem. `unknown` (we could not tell) outranks warn because
 * a check that cannot run hides whatever it guards; only a measured `fail` is worse.
 */
export const LEVELS = ['ok', 'maintenance', 'warn', 'unknown', 'fail'] as const;
export const levelSchema = z.enum(LEVELS);
export type Level = z.infer<typeof levelSchema>;

/** Where a check looks: over SSH on one of the profile's hosts, or from this workstation at the public URLs. */
export const CHECK_HOSTS = ['homeserver', 'deploy', 'public'] as const;
export const checkHostSchema = z.enum(CHECK_HOSTS);
export type CheckHost = z.infer<typeof checkHostSchema>;

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
}

export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

export function worstLevel(levels: Iterable<Level>): Level {
  let worst: Level = 'ok';
  for (const l of levels) if (levelRank(l) > levelRank(worst)) worst = l;
  return worst;
}
