import { type AlertPhase, type CheckHost, LEVELS, type Level, levelRank, SETTINGS_LIMITS } from '../vocab';
import { HistoryUnavailable } from './errors';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema-sql';
import { type Database, firstLine, openDatabase } from './sqlite';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** A gauge (disk usage) is kept at most this often: forecasts look at days, not at polls. */
export const GAUGE_EVERY_MS = 15 * 60_000;
/** Retention runs at most this often (by poll time). */
const PRUNE_EVERY_MS = HOUR_MS;

/**
 * A poll stands for the time since the previous one, but for no more than this: beyond it nobody looked
 * (the computer slept, the app was closed), and that stretch is a gap, not a level. Two intervals leave room
 * for the scheduler's jitter and a slow poll; 30 s more for a poll that ran into its timeouts.
 */
export function gapThresholdMs(intervalMs: number): number {
  return 2 * intervalMs + 30_000;
}

/** One check as one poll saw it. */
export interface PollCheck {
  /** The check's stable id, e.g. `unit:matrix-tuwunel`. */
  id: string;
  title: string;
  host: CheckHost;
  group: string;
  level: Level;
  /** The alert policy's phase: incidents open at `down` and end at `up` or `maintenance`. */
  phase?: AlertPhase;
  /** The check's sentence (kept with an incident: what was wrong when it went down). */
  detail: string;
  responseMs?: number;
}

/** One finished poll of one server. */
export interface PollRecord {
  /** Epoch ms the poll finished. */
  at: number;
  /** The poll interval in force (what "no poll for a while" is measured against). */
  intervalMs: number;
  /** The server's level for this poll: its availability is this level's. */
  overall: Level;
  checks: PollCheck[];
  /** Measured numbers to keep for forecasts, e.g. `disk.usedBytes`. */
  gauges?: Record<string, number>;
}

/** The server a poll belongs to: `key` is stable (the profile's uid), `name` what is shown. */
export interface ServerRef {
  key: string;
  name: string;
}

export interface RetentionSettings {
  retentionDays: number;
  detailDays: number;
}

/** The pseudo-check that holds a server's own level per poll (its availability). */
export const SERVER_CHECK = '*';

/** How long a check spent at each level, in ms. */
export interface LevelDurations {
  ok: number;
  maintenance: number;
  warn: number;
  unknown: number;
  fail: number;
}

export interface CheckAvailability {
  check: string;
  title: string;
  host: CheckHost;
  group: string;
  /** One per requested window, in the order asked. */
  windows: LevelDurations[];
}

export interface Bucket extends LevelDurations {
  /** Epoch ms the bucket starts. */
  start: number;
}

export interface ResponsePoint {
  start: number;
  /** Mean response time in the bucket; null when nothing was measured. */
  avgMs: number | null;
  maxMs: number | null;
}

export type IncidentEnd = 'recovered' | 'maintenance' | 'gone';

export interface Incident {
  id: number;
  check: string;
  title: string;
  startedAt: number;
  endedAt: number | null;
  endReason: IncidentEnd | null;
  /** The check's sentence when it went down. */
  detail: string;
}

export interface Gap {
  from: number;
  to: number;
}

export interface Expiry {
  what: string;
  expiresAt: number;
  checkedAt: number;
  source: string;
}

const LEVEL_COLUMNS = ['ok_ms', 'maint_ms', 'warn_ms', 'unknown_ms', 'fail_ms'] as const;
const ZERO: LevelDurations = { ok: 0, maintenance: 0, warn: 0, unknown: 0, fail: 0 };

function hourOf(t: number): number {
  return t - (((t % HOUR_MS) + HOUR_MS) % HOUR_MS);
}

interface CheckRow {
  id: number;
  serverId: number;
  key: string;
  title: string;
  host: CheckHost;
  group: string;
}

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v ?? 0);

/**
 * The poll history in one SQLite file in the data folder (history.sqlite). One process writes (the app that
 * polls); the window, the tray and the CLI read the same file. Every write of a poll is one transaction.
 */
export class HistoryStore {
  private readonly checks = new Map<string, CheckRow>();
  private readonly checksById = new Map<number, CheckRow>();
  private readonly servers = new Map<string, { id: number; name: string; lastPollAt: number | null }>();
  private readonly openIncidents = new Map<number, number>();
  private readonly lastGauge = new Map<string, number>();
  private lastPrune = Number.NEGATIVE_INFINITY;
  private retention: RetentionSettings;
  private readonly stmt: ReturnType<HistoryStore['prepareAll']>;

  private constructor(
    private readonly db: Database,
    retention: RetentionSettings,
  ) {
    this.retention = retention;
    this.stmt = this.prepareAll();
    this.reloadCaches();
  }

  private reloadCaches(): void {
    this.servers.clear();
    this.checks.clear();
    this.checksById.clear();
    this.lastGauge.clear();
    this.openIncidents.clear();
    for (const r of this.db
      .prepare('SELECT id, check_id FROM incidents WHERE ended_at IS NULL')
      .all() as Row[])
      this.openIncidents.set(num(r.check_id), num(r.id));
  }

  /** Opens (or creates) the history file. Throws HistoryUnavailable when it cannot be used. */
  static async open(
    file: string,
    retention: RetentionSettings = {
      retentionDays: SETTINGS_LIMITS.historyRetentionDays.default,
      detailDays: SETTINGS_LIMITS.historyDetailDays.default,
    },
  ): Promise<HistoryStore> {
    const db = await openDatabase(file);
    try {
      const version = num((db.prepare('PRAGMA user_version').get() as Row).user_version);
      if (version > SCHEMA_VERSION)
        throw new HistoryUnavailable(`${file} was written by a newer version of the app (schema ${version})`);
      db.exec(SCHEMA_SQL);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      return new HistoryStore(db, retention);
    } catch (e) {
      db.close();
      if (e instanceof HistoryUnavailable) throw e;
      throw new HistoryUnavailable(`${file} cannot be read (${firstLine(e)})`);
    }
  }

  setRetention(retention: RetentionSettings): void {
    this.retention = retention;
    this.lastPrune = Number.NEGATIVE_INFINITY;
  }

  close(): void {
    this.db.close();
  }

  private prepareAll() {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      serverByKey: p('SELECT id, name, last_poll_at FROM servers WHERE key = ?'),
      insertServer: p('INSERT INTO servers (key, name) VALUES (?, ?)'),
      updateServer: p('UPDATE servers SET name = ?, last_poll_at = ? WHERE id = ?'),
      checksOf: p('SELECT id, key, title, host, grp FROM checks WHERE server_id = ?'),
      insertCheck: p('INSERT INTO checks (server_id, key, title, host, grp) VALUES (?, ?, ?, ?, ?)'),
      updateCheck: p('UPDATE checks SET title = ?, host = ?, grp = ? WHERE id = ?'),
      insertSample: p(
        'INSERT OR IGNORE INTO samples (check_id, at, level, covered_ms, response_ms) VALUES (?, ?, ?, ?, ?)',
      ),
      addHourly:
        p(`INSERT INTO hourly (check_id, hour, ok_ms, maint_ms, warn_ms, unknown_ms, fail_ms, resp_sum, resp_n, resp_max)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (check_id, hour) DO UPDATE SET
          ok_ms = ok_ms + excluded.ok_ms, maint_ms = maint_ms + excluded.maint_ms,
          warn_ms = warn_ms + excluded.warn_ms, unknown_ms = unknown_ms + excluded.unknown_ms,
          fail_ms = fail_ms + excluded.fail_ms, resp_sum = resp_sum + excluded.resp_sum,
          resp_n = resp_n + excluded.resp_n,
          resp_max = max(coalesce(resp_max, excluded.resp_max), coalesce(excluded.resp_max, resp_max))`),
      insertGap: p('INSERT OR IGNORE INTO gaps (server_id, from_at, to_at) VALUES (?, ?, ?)'),
      openIncident: p('INSERT INTO incidents (check_id, started_at, detail) VALUES (?, ?, ?)'),
      closeIncident: p('UPDATE incidents SET ended_at = ?, end_reason = ? WHERE id = ?'),
      lastGauge: p('SELECT max(at) AS at FROM gauges WHERE server_id = ? AND name = ?'),
      insertGauge: p('INSERT OR REPLACE INTO gauges (server_id, name, at, value) VALUES (?, ?, ?, ?)'),
    };
  }

  // ------------------------------------------------------------------ writing

  /** Stores one finished poll: a sample per check, the hourly totals, gaps, incidents and gauges. */
  recordPoll(server: ServerRef, poll: PollRecord): void {
    this.recordPolls(server, [poll]);
  }

  /** Several polls, oldest first, in one transaction (catching up, an import, seeding a benchmark). */
  recordPolls(server: ServerRef, polls: readonly PollRecord[]): void {
    const valid = polls.filter((p) => Number.isFinite(p.at) && p.intervalMs > 0);
    const last = valid[valid.length - 1];
    if (!last) return;
    this.db.exec('BEGIN');
    try {
      for (const poll of valid) this.write(server, poll);
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      // What was cached during the transaction may not be in the file: read it again when needed.
      this.reloadCaches();
      throw e;
    }
    if (last.at - this.lastPrune >= PRUNE_EVERY_MS) this.prune(last.at);
  }

  private write(server: ServerRef, poll: PollRecord): void {
    const s = this.server(server);
    const prev = s.lastPollAt;
    // A poll tells the level from the previous poll up to itself: only then was someone looking all along.
    // The first poll of a server, and the first after a gap, have no previous poll to count from, so they are a
    // point (covered 0): nobody looked during the interval before them, and a first poll that failed (the
    // password not stored yet, a host key to accept) would otherwise stand for up to an hour of downtime.
    // A gap runs from the last poll before it to the poll after it.
    let covered = 0;
    if (prev !== null) {
      if (poll.at - prev > gapThresholdMs(poll.intervalMs)) this.stmt.insertGap.run(s.id, prev, poll.at);
      else covered = Math.max(0, poll.at - prev);
    }
    s.lastPollAt = prev === null ? poll.at : Math.max(poll.at, prev);
    this.stmt.updateServer.run(server.name, s.lastPollAt, s.id);

    const seen = new Set<number>();
    const serverCheck: PollCheck = {
      id: SERVER_CHECK,
      title: server.name,
      host: 'public',
      group: 'server',
      level: poll.overall,
      detail: '',
    };
    for (const c of [serverCheck, ...poll.checks]) {
      const row = this.check(s.id, c);
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      const inserted = this.stmt.insertSample.run(
        row.id,
        poll.at,
        levelRank(c.level),
        covered,
        c.responseMs ?? null,
      );
      if (Number(inserted.changes) === 0) continue;
      this.addToHours(row.id, poll.at, covered, c.level, c.responseMs);
      this.followIncident(row.id, poll.at, c);
    }
    for (const [checkId, incidentId] of this.openIncidents) {
      if (seen.has(checkId) || this.checksById.get(checkId)?.serverId !== s.id) continue;
      this.stmt.closeIncident.run(poll.at, 'gone', incidentId);
      this.openIncidents.delete(checkId);
    }
    for (const [name, value] of Object.entries(poll.gauges ?? {})) {
      if (!Number.isFinite(value)) continue;
      const key = `${s.id}:${name}`;
      let last = this.lastGauge.get(key);
      if (last === undefined) {
        const r = this.stmt.lastGauge.get(s.id, name) as Row;
        last = r.at === null || r.at === undefined ? Number.NEGATIVE_INFINITY : num(r.at);
      }
      if (poll.at - last < GAUGE_EVERY_MS) continue;
      this.stmt.insertGauge.run(s.id, name, poll.at, value);
      this.lastGauge.set(key, poll.at);
    }
  }

  /** Adds the covered time to the hours it falls in (it may straddle one), and the response to `at`'s hour. */
  private addToHours(checkId: number, at: number, covered: number, level: Level, responseMs?: number): void {
    const column = levelRank(level);
    const hasResponse = responseMs !== undefined && Number.isFinite(responseMs);
    let end = at;
    let remaining = covered;
    let first = true;
    do {
      const hour = hourOf(end - (remaining > 0 ? 1 : 0));
      const part = Math.min(remaining, end - hour);
      const levels = [0, 0, 0, 0, 0];
      levels[column] = part;
      const resp = first && hasResponse;
      this.stmt.addHourly.run(
        checkId,
        hour,
        ...levels,
        resp ? responseMs : 0,
        resp ? 1 : 0,
        resp ? responseMs : null,
      );
      first = false;
      end -= part;
      remaining -= part;
    } while (remaining > 0);
  }

  private followIncident(checkId: number, at: number, c: PollCheck): void {
    const open = this.openIncidents.get(checkId);
    if (c.phase === 'down' && open === undefined) {
      const r = this.stmt.openIncident.run(checkId, at, c.detail);
      this.openIncidents.set(checkId, Number(r.lastInsertRowid));
    } else if (open !== undefined && (c.phase === 'up' || c.phase === 'maintenance')) {
      this.stmt.closeIncident.run(at, c.phase === 'up' ? 'recovered' : 'maintenance', open);
      this.openIncidents.delete(checkId);
    }
  }

  private server(ref: ServerRef): { id: number; name: string; lastPollAt: number | null } {
    let s = this.servers.get(ref.key);
    if (s) return s;
    const row = this.stmt.serverByKey.get(ref.key) as Row | undefined;
    if (row) {
      s = {
        id: num(row.id),
        name: String(row.name),
        lastPollAt: row.last_poll_at === null ? null : num(row.last_poll_at),
      };
    } else {
      const r = this.stmt.insertServer.run(ref.key, ref.name);
      s = { id: Number(r.lastInsertRowid), name: ref.name, lastPollAt: null };
    }
    this.servers.set(ref.key, s);
    this.loadChecks(s.id);
    return s;
  }

  private loadChecks(serverId: number): void {
    for (const r of this.stmt.checksOf.all(serverId) as Row[]) {
      const row: CheckRow = {
        id: num(r.id),
        serverId,
        key: String(r.key),
        title: String(r.title),
        host: String(r.host) as CheckHost,
        group: String(r.grp),
      };
      this.checks.set(`${serverId}\n${row.key}`, row);
      this.checksById.set(row.id, row);
    }
  }

  private check(serverId: number, c: PollCheck): CheckRow {
    const key = `${serverId}\n${c.id}`;
    const known = this.checks.get(key);
    if (known) {
      if (known.title !== c.title || known.host !== c.host || known.group !== c.group) {
        this.stmt.updateCheck.run(c.title, c.host, c.group, known.id);
        Object.assign(known, { title: c.title, host: c.host, group: c.group });
      }
      return known;
    }
    const r = this.stmt.insertCheck.run(serverId, c.id, c.title, c.host, c.group);
    const row: CheckRow = {
      id: Number(r.lastInsertRowid),
      serverId,
      key: c.id,
      title: c.title,
      host: c.host,
      group: c.group,
    };
    this.checks.set(key, row);
    this.checksById.set(row.id, row);
    return row;
  }

  /**
   * Retention: samples older than `detailDays` go (their hours stay: the downsampling), and everything older
   * than `retentionDays`. Runs by itself at most once an hour of polls.
   */
  prune(now: number): void {
    this.lastPrune = now;
    const detail = now - this.retention.detailDays * DAY_MS;
    const keep = now - this.retention.retentionDays * DAY_MS;
    this.db.exec('BEGIN');
    try {
      this.db.prepare('DELETE FROM samples WHERE at < ?').run(detail);
      this.db.prepare('DELETE FROM hourly WHERE hour < ?').run(hourOf(keep));
      this.db.prepare('DELETE FROM gaps WHERE to_at < ?').run(keep);
      this.db.prepare('DELETE FROM incidents WHERE ended_at IS NOT NULL AND ended_at < ?').run(keep);
      this.db.prepare('DELETE FROM gauges WHERE at < ?').run(keep);
      this.db.prepare('DELETE FROM notified WHERE expires_at < ?').run(keep);
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  // ------------------------------------------------------------------ expiries

  /** What expires when (a certificate, the domain), as last checked; one row per `what`. */
  setExpiry(server: ServerRef, expiry: Expiry): void {
    const s = this.server(server);
    this.db
      .prepare(
        'INSERT OR REPLACE INTO expiries (server_id, what, expires_at, checked_at, source) VALUES (?, ?, ?, ?, ?)',
      )
      .run(s.id, expiry.what, expiry.expiresAt, expiry.checkedAt, expiry.source);
  }

  expiries(serverKey: string): Expiry[] {
    const id = this.serverId(serverKey);
    if (id === null) return [];
    return (
      this.db
        .prepare(
          'SELECT what, expires_at, checked_at, source FROM expiries WHERE server_id = ? ORDER BY what',
        )
        .all(id) as Row[]
    ).map((r) => ({
      what: String(r.what),
      expiresAt: num(r.expires_at),
      checkedAt: num(r.checked_at),
      source: String(r.source),
    }));
  }

  /**
   * Claims the notification for a threshold of one expiry date: true the first time only, in any process, so a
   * threshold is announced once however many polls (or apps) see it.
   */
  claimNotification(server: ServerRef, what: string, expiresAt: number, days: number, now: number): boolean {
    const s = this.server(server);
    const r = this.db
      .prepare(
        'INSERT OR IGNORE INTO notified (server_id, what, expires_at, days, at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(s.id, what, expiresAt, days, now);
    return Number(r.changes) === 1;
  }

  // ------------------------------------------------------------------ reading

  private serverId(key: string): number | null {
    const cached = this.servers.get(key);
    if (cached) return cached.id;
    const row = this.stmt.serverByKey.get(key) as Row | undefined;
    return row ? num(row.id) : null;
  }

  private checkRows(serverId: number): CheckRow[] {
    return (this.stmt.checksOf.all(serverId) as Row[]).map((r) => ({
      id: num(r.id),
      serverId,
      key: String(r.key),
      title: String(r.title),
      host: String(r.host) as CheckHost,
      group: String(r.grp),
    }));
  }

  private checkId(serverKey: string, checkKey: string): number | null {
    const sid = this.serverId(serverKey);
    if (sid === null) return null;
    const row = this.db.prepare('SELECT id FROM checks WHERE server_id = ? AND key = ?').get(sid, checkKey) as
      | Row
      | undefined;
    return row ? num(row.id) : null;
  }

  /** The servers the history knows, by key. */
  serverList(): ServerRef[] {
    return (this.db.prepare('SELECT key, name FROM servers ORDER BY name').all() as Row[]).map((r) => ({
      key: String(r.key),
      name: String(r.name),
    }));
  }

  /**
   * Time at each level per check (the server itself as SERVER_CHECK) in each window ending `now`, from the
   * hourly totals: a window starts at the top of the hour it begins in. One pass over the longest window.
   */
  availability(serverKey: string, now: number, windowsMs: number[]): CheckAvailability[] {
    const sid = this.serverId(serverKey);
    if (sid === null || windowsMs.length === 0) return [];
    const starts = windowsMs.map((w) => hourOf(now - w));
    const sums = starts.flatMap((_, i) =>
      LEVEL_COLUMNS.map((c) => `SUM(CASE WHEN hour >= ?${i + 2} THEN ${c} ELSE 0 END) AS w${i}_${c}`),
    );
    const sql = `SELECT check_id, ${sums.join(', ')} FROM hourly
      WHERE check_id IN (SELECT id FROM checks WHERE server_id = ?1) AND hour >= ?${starts.length + 2} AND hour <= ?${starts.length + 3}
      GROUP BY check_id`;
    const rows = this.db.prepare(sql).all(sid, ...starts, Math.min(...starts), now) as Row[];
    const byId = new Map(rows.map((r) => [num(r.check_id), r]));
    return this.checkRows(sid).map((c) => {
      const r = byId.get(c.id);
      return {
        check: c.key,
        title: c.title,
        host: c.host,
        group: c.group,
        windows: starts.map((_, i) =>
          r
            ? {
                ok: num(r[`w${i}_ok_ms`]),
                maintenance: num(r[`w${i}_maint_ms`]),
                warn: num(r[`w${i}_warn_ms`]),
                unknown: num(r[`w${i}_unknown_ms`]),
                fail: num(r[`w${i}_fail_ms`]),
              }
            : { ...ZERO },
        ),
      };
    });
  }

  /**
   * Time at each level of one check in buckets of `bucketMs` from `from` to `to`: from the hourly totals when
   * buckets are whole hours from the top of an hour, else from the samples (kept for `detailDays`), each sample
   * counted in the bucket it was taken in.
   */
  buckets(serverKey: string, checkKey: string, from: number, to: number, bucketMs: number): Bucket[] {
    const n = Math.max(0, Math.ceil((to - from) / bucketMs));
    const out: Bucket[] = Array.from({ length: n }, (_, i) => ({ start: from + i * bucketMs, ...ZERO }));
    const id = this.checkId(serverKey, checkKey);
    if (id === null || n === 0) return out;
    if (bucketMs % HOUR_MS === 0 && from % HOUR_MS === 0) {
      const rows = this.db
        .prepare(
          `SELECT CAST((hour - ?2) / ?3 AS INTEGER) AS b, SUM(ok_ms) AS ok, SUM(maint_ms) AS m, SUM(warn_ms) AS w, SUM(unknown_ms) AS u, SUM(fail_ms) AS f
           FROM hourly WHERE check_id = ?1 AND hour >= ?2 AND hour < ?4 GROUP BY b`,
        )
        .all(id, from, bucketMs, to) as Row[];
      for (const r of rows) {
        const b = out[num(r.b)];
        if (!b) continue;
        Object.assign(b, {
          ok: num(r.ok),
          maintenance: num(r.m),
          warn: num(r.w),
          unknown: num(r.u),
          fail: num(r.f),
        });
      }
      return out;
    }
    const rows = this.db
      .prepare(
        `SELECT CAST((at - ?2 - 1) / ?3 AS INTEGER) AS b, level, SUM(covered_ms) AS ms FROM samples
         WHERE check_id = ?1 AND at > ?2 AND at <= ?4 GROUP BY b, level`,
      )
      .all(id, from, bucketMs, to) as Row[];
    for (const r of rows) {
      const b = out[num(r.b)];
      const level = LEVELS[num(r.level)];
      if (b && level) b[level] += num(r.ms);
    }
    return out;
  }

  /** Mean and highest response time of one check per bucket (hourly totals or samples, as `buckets`). */
  responseTimes(
    serverKey: string,
    checkKey: string,
    from: number,
    to: number,
    bucketMs: number,
  ): ResponsePoint[] {
    const n = Math.max(0, Math.ceil((to - from) / bucketMs));
    const out: ResponsePoint[] = Array.from({ length: n }, (_, i) => ({
      start: from + i * bucketMs,
      avgMs: null,
      maxMs: null,
    }));
    const id = this.checkId(serverKey, checkKey);
    if (id === null || n === 0) return out;
    const hourly = bucketMs % HOUR_MS === 0 && from % HOUR_MS === 0;
    const rows = this.db
      .prepare(
        hourly
          ? `SELECT CAST((hour - ?2) / ?3 AS INTEGER) AS b, SUM(resp_sum) AS s, SUM(resp_n) AS n, MAX(resp_max) AS mx
             FROM hourly WHERE check_id = ?1 AND hour >= ?2 AND hour < ?4 AND resp_n > 0 GROUP BY b`
          : `SELECT CAST((at - ?2 - 1) / ?3 AS INTEGER) AS b, SUM(response_ms) AS s, COUNT(response_ms) AS n, MAX(response_ms) AS mx
             FROM samples WHERE check_id = ?1 AND at > ?2 AND at <= ?4 AND response_ms IS NOT NULL GROUP BY b`,
      )
      .all(id, from, bucketMs, to) as Row[];
    for (const r of rows) {
      const p = out[num(r.b)];
      if (!p || num(r.n) === 0) continue;
      p.avgMs = num(r.s) / num(r.n);
      p.maxMs = num(r.mx);
    }
    return out;
  }

  /** Incidents that were open at any time since `since`, newest first. */
  incidents(serverKey: string, since: number): Incident[] {
    const sid = this.serverId(serverKey);
    if (sid === null) return [];
    const rows = this.db
      .prepare(
        `SELECT i.id, c.key, c.title, i.started_at, i.ended_at, i.end_reason, i.detail
         FROM incidents i JOIN checks c ON c.id = i.check_id
         WHERE c.server_id = ? AND (i.ended_at IS NULL OR i.ended_at >= ?)
         ORDER BY i.started_at DESC, i.id DESC`,
      )
      .all(sid, since) as Row[];
    return rows.map((r) => ({
      id: num(r.id),
      check: String(r.key),
      title: String(r.title),
      startedAt: num(r.started_at),
      endedAt: r.ended_at === null ? null : num(r.ended_at),
      endReason: r.end_reason === null ? null : (String(r.end_reason) as IncidentEnd),
      detail: String(r.detail),
    }));
  }

  /** Stretches without polls that overlap [from, to]. */
  gaps(serverKey: string, from: number, to: number): Gap[] {
    const sid = this.serverId(serverKey);
    if (sid === null) return [];
    return (
      this.db
        .prepare(
          'SELECT from_at, to_at FROM gaps WHERE server_id = ? AND to_at >= ? AND from_at <= ? ORDER BY from_at',
        )
        .all(sid, from, to) as Row[]
    ).map((r) => ({ from: num(r.from_at), to: num(r.to_at) }));
  }

  /** A gauge's values since `since`, oldest first. */
  gauge(serverKey: string, name: string, since: number): { at: number; value: number }[] {
    const sid = this.serverId(serverKey);
    if (sid === null) return [];
    return (
      this.db
        .prepare('SELECT at, value FROM gauges WHERE server_id = ? AND name = ? AND at >= ? ORDER BY at')
        .all(sid, name, since) as Row[]
    ).map((r) => ({ at: num(r.at), value: num(r.value) }));
  }
}
