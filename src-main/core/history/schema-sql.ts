/**
 * The history's tables. Times are epoch milliseconds (UTC), durations milliseconds, levels their index in
 * LEVELS (vocab.ts). `user_version` is the schema's version: a newer file is refused, never rewritten.
 *
 * - samples: one row per check per poll, for the last `detailDays` (the 24-hour bars, sparklines, incidents).
 *   `covered_ms` is the time before the poll the sample stands for: since the previous poll if that is within the
 *   gap threshold, else 0 (a computer that slept has a gap there, not a level); 0 for a server's first poll.
 * - hourly: per check per hour, how long it was at each level and its response times; written with every poll,
 *   so availability over 30 days reads at most 720 rows per check, and it is what is left after `detailDays`
 *   (the downsampling).
 * - gaps: stretches without any poll (asleep, app closed), shown as gaps.
 * - incidents: down (the alert policy's `down`) until the check was up again or went into maintenance.
 * - gauges: numbers measured by a check (disk usage), at most one per `GAUGE_EVERY_MS`, for forecasts.
 * - expiries, notified: what expires when (certificates, the domain) and which notify-before thresholds were
 *   already sent for that date, shared by every process that uses the data folder.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS servers (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  last_poll_at INTEGER
);
CREATE TABLE IF NOT EXISTS checks (
  id INTEGER PRIMARY KEY,
  server_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  title TEXT NOT NULL,
  host TEXT NOT NULL,
  grp TEXT NOT NULL,
  UNIQUE (server_id, key)
);
CREATE TABLE IF NOT EXISTS samples (
  check_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  level INTEGER NOT NULL,
  covered_ms INTEGER NOT NULL,
  response_ms REAL,
  PRIMARY KEY (check_id, at)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hourly (
  check_id INTEGER NOT NULL,
  hour INTEGER NOT NULL,
  ok_ms INTEGER NOT NULL DEFAULT 0,
  maint_ms INTEGER NOT NULL DEFAULT 0,
  warn_ms INTEGER NOT NULL DEFAULT 0,
  unknown_ms INTEGER NOT NULL DEFAULT 0,
  fail_ms INTEGER NOT NULL DEFAULT 0,
  resp_sum REAL NOT NULL DEFAULT 0,
  resp_n INTEGER NOT NULL DEFAULT 0,
  resp_max REAL,
  PRIMARY KEY (check_id, hour)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS gaps (
  server_id INTEGER NOT NULL,
  from_at INTEGER NOT NULL,
  to_at INTEGER NOT NULL,
  PRIMARY KEY (server_id, from_at)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS incidents (
  id INTEGER PRIMARY KEY,
  check_id INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  end_reason TEXT,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_open ON incidents (check_id) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS incidents_started ON incidents (started_at);
CREATE TABLE IF NOT EXISTS gauges (
  server_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  at INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (server_id, name, at)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS expiries (
  server_id INTEGER NOT NULL,
  what TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  checked_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  PRIMARY KEY (server_id, what)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notified (
  server_id INTEGER NOT NULL,
  what TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  days INTEGER NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (server_id, what, expires_at, days)
) WITHOUT ROWID;
`;
