import { z } from 'zod';
import { ALERT_PHASES } from '../../core/vocab';
import { checkHost, errorInfo, id, level, time } from './common-schema';

export const check = z.object({
  /** Stable, e.g. `unit:matrix-tuwunel`, `disk:tuwunel-data`, `http:federation-version`. */
  id,
  host: checkHost,
  /** The badge group (service): a unit name, `config`, `ssh`, `tls`, `federation`, `client`, `backup`. */
  group: z.string(),
  title: z.string(),
  level,
  /** One sentence; ends with the next step when not ok. */
  detail: z.string(),
  /** At this level since. */
  since: time,
  checkedAt: time,
  /** What was measured under `maintenance`, or last known under a stale `unknown`. */
  underlying: level.optional(),
  alert: z.enum(ALERT_PHASES),
});
export type Check = z.infer<typeof check>;

export const hostState = z.object({
  host: checkHost,
  /** e.g. "admin@192.168.1.243" or "https://matrix.rampancy.cloud". */
  target: z.string(),
  /** null until polled once. */
  reachable: z.boolean().nullable(),
  /** Why it could not be reached (connection refused, host key unknown…), as a sentence. */
  error: errorInfo.nullable(),
  /** While backing off after failures: when it is tried again. */
  nextAttemptAt: time.nullable(),
});
export type HostState = z.infer<typeof hostState>;

/** Raised by a run, kept until fixed: e.g. "matrix-tuwunel is stopped", with the one click that fixes it. */
export const stickyAlert = z.object({
  id,
  title: z.string(),
  message: z.string(),
  fixActionId: id,
  runId: id,
  raisedAt: time,
});
export type StickyAlert = z.infer<typeof stickyAlert>;

export const statusSnapshot = z.object({
  profileId: id.nullable(),
  /** The profile's name, unique among profiles: what the server switcher and the tray's sections say. */
  profileName: z.string(),
  serverName: z.string(),
  overall: level,
  hosts: z.array(hostState),
  checks: z.array(check),
  lastRefresh: time.nullable(),
  refreshing: z.boolean(),
  intervalSeconds: z.number().positive(),
  /** Maintenance mode (stack.stop … stack.start); a run's own short window does not turn it on. */
  maintenance: z.object({
    on: z.boolean(),
    since: time.nullable(),
    reason: z.string().nullable(),
  }),
  stickyAlerts: z.array(stickyAlert),
  /** A mutating run in progress (the tray shows "busy"). */
  busy: z.object({ runId: id, title: z.string() }).nullable(),
  /** The refresh itself broke (a bug, not a host problem). */
  error: errorInfo.nullable(),
});
export type StatusSnapshot = z.infer<typeof statusSnapshot>;
