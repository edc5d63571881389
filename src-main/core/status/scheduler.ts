import { describeError } from '../errors';
import type { HostRole, Profile } from '../profile/schema';
import {
  applyMaintenance,
  applyStaleness,
  isUnderMaintenance,
  type Maintenance,
  mergeResults,
  overallLevel,
} from './aggregate';
import { type AlertKind, type AlertPhase, type AlertState, stepAlert } from './alert-policy';
import { type Clock, systemClock } from './clock';
import { covers, type Mute, type MuteStore, silenced } from './mutes';
import type { HostOutcome, RefreshOutcome, StatusSource } from './service';
import { oneSentence } from './text';
import type { CheckHost, CheckResult, Level } from './types';

/** The check that stands for the refresh itself; it is there only while refreshes break. */
const REFRESH_CHECK = {
  id: 'status:refresh',
  host: 'public',
  group: 'status',
  title: 'Status refresh',
  units: [],
} satisfies Omit<CheckResult, 'level' | 'detail' | 'since' | 'checkedAt'>;

export interface HostStatus {
  /** null until the host was polled once. */
  ok: boolean | null;
  error?: HostOutcome['error'];
  /** Consecutive polls the host could not be reached. */
  failures: number;
  /** ISO time of the next attempt while backing off. */
  nextAttemptAt?: string;
  durationMs?: number;
}

export interface StatusSnapshot {
  profile: string;
  overall: Level;
  results: CheckResult[];
  /** Alert policy phase per check id. */
  alerts: Record<string, AlertPhase>;
  refreshedAt: string | null;
  refreshing: boolean;
  hosts: Partial<Record<HostRole, HostStatus>>;
  maintenance: Maintenance[];
  /** The mutes in force: their checks keep their colour, their alerts are not delivered. */
  mutes: Mute[];
  intervalSeconds: number;
  /** Set when the last refresh itself broke (a bug, not a host problem). */
  error?: { code: string; message: string; nextStep: string };
}

export interface AlertEvent {
  kind: AlertKind;
  check: CheckResult;
  at: string;
}

/** Called with every new snapshot; `alerts` is non-empty only after a poll that raised some. */
export type StatusListener = (snapshot: StatusSnapshot, alerts: AlertEvent[]) => void;

export interface SchedulerSettings {
  profileName: string;
  /** The SSH hosts the source polls (StatusService.polledHosts). */
  hosts: HostRole[];
  intervalSeconds: number;
  failuresBeforeDown: number;
  realertEvery: number;
  /** Each delay is the interval ± this fraction, so several apps (or hosts) do not poll in lockstep. */
  jitter?: number;
  /** Cap of the per-host backoff while a host cannot be reached. */
  maxBackoffSeconds?: number;
  /**
   * After the machine wakes from sleep, how long a failing check stays pending instead of raising "down":
   * the network, the VPN and the SSH connections come back meanwhile. A failure that outlasts it alerts.
   */
  wakeGraceSeconds?: number;
}

export function schedulerSettings(profile: Profile, hosts: HostRole[]): SchedulerSettings {
  return {
    profileName: profile.name,
    hosts,
    intervalSeconds: profile.status.intervalSeconds,
    failuresBeforeDown: profile.status.failuresBeforeDown,
    realertEvery: profile.status.realertEvery,
    wakeGraceSeconds: profile.status.wakeGraceSeconds,
  };
}

/** A pause (the OS said it is going to sleep) lasts at most this much awake time: the wake was missed. */
export const PAUSE_LIMIT_MS = 60_000;
/** A second wake this soon after the first is the same one, told twice (the resume event and the clock). */
const SAME_WAKE_MS = 10_000;
const DEFAULT_WAKE_GRACE_SECONDS = 90;

export interface SchedulerOptions {
  clock?: Clock;
  random?: () => number;
  /** Called on every wake before the first poll after it (the SSH pool drops connections sleep broke). */
  onWake?: () => void;
  /** The profile's mutes (shared through the data folder): muted checks' alerts are not delivered. */
  mutes?: Pick<MuteStore, 'list' | 'release' | 'subscribe'>;
}

const NO_MUTES: NonNullable<SchedulerOptions['mutes']> = {
  list: () => [],
  release: () => false,
  subscribe: () => () => {},
};

/**
 * Polls a status source on an interval with jitter, refreshes on demand (concurrent requests share
 * the poll in flight), backs off per host while a host cannot be reached, runs the alert policy and
 * hands snapshots to subscribers. Sleep and wake: pause() when the OS announces sleep; wake() when it
 * resumes, or by itself when the clock jumps ahead; after a wake, failures get a grace period before they
 * alert. Time and randomness are injected; stop() leaves no timer behind.
 */
export class StatusScheduler {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly jitter: number;
  private readonly maxBackoffMs: number;
  private readonly wakeGraceMs: number;
  private readonly onWake: () => void;
  private readonly mutes: NonNullable<SchedulerOptions['mutes']>;
  private unwatchMutes: () => void = () => {};
  private readonly listeners = new Set<StatusListener>();
  private readonly maintenance = new Map<string, Maintenance>();
  private readonly alertStates = new Map<string, AlertState>();
  private readonly hostStatus = new Map<HostRole, HostStatus>();
  private results: CheckResult[] = [];
  private refreshedAt: string | null = null;
  private lastError: StatusSnapshot['error'];
  private timer: unknown;
  /** While paused: the wake that comes by itself after PAUSE_LIMIT_MS of awake time. */
  private wakeTimer: unknown;
  private running = false;
  /** Set by pause(): no polls until wake(). */
  private paused = false;
  /** Wall-clock time until which a check that would go down stays pending (after a wake). */
  private graceUntil = 0;
  /** Wall-clock time of the last wake: the resume event and the clock watch may both tell of one wake. */
  private lastWakeAt = Number.NEGATIVE_INFINITY;
  private unwatchJumps: () => void = () => {};
  /** Bumped when a poll is abandoned (stop, pause, wake): a poll that started in an older epoch is discarded. */
  private epoch = 0;
  private inflight: { promise: Promise<StatusSnapshot>; controller: AbortController } | undefined;

  constructor(
    private readonly source: StatusSource,
    private readonly settings: SchedulerSettings,
    options: SchedulerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.onWake = options.onWake ?? (() => {});
    this.mutes = options.mutes ?? NO_MUTES;
    this.jitter = Math.min(Math.max(settings.jitter ?? 0.1, 0), 0.5);
    this.maxBackoffMs = (settings.maxBackoffSeconds ?? 600) * 1000;
    this.wakeGraceMs = (settings.wakeGraceSeconds ?? DEFAULT_WAKE_GRACE_SECONDS) * 1000;
    for (const h of settings.hosts) this.hostStatus.set(h, { ok: null, failures: 0 });
  }

  get isRunning(): boolean {
    return this.running;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Starts polling now, then every interval, and watches the clock for a wake nobody announced. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.paused = false;
    this.unwatchJumps = this.clock.watchJumps(() => this.wake());
    this.unwatchMutes = this.mutes.subscribe(() => this.emit([]));
    this.arm(0);
  }

  /** Stops polling: clears the timers, aborts the poll in flight and waits for it to settle. */
  async stop(): Promise<void> {
    this.running = false;
    this.paused = false;
    this.unwatchJumps();
    this.unwatchJumps = () => {};
    this.unwatchMutes();
    this.unwatchMutes = () => {};
    this.clearWakeTimer();
    const inflight = this.abandonPoll();
    this.disarm();
    await inflight?.catch(() => undefined);
  }

  /**
   * The machine is going to sleep: no polls until wake(), and the poll in flight is dropped (its answers
   * would arrive after the wake, about connections the sleep broke). If no wake comes within PAUSE_LIMIT_MS
   * of awake time, the scheduler wakes itself: the OS did not sleep after all, or its resume went unheard.
   */
  pause(): void {
    if (!this.running || this.paused) return;
    this.paused = true;
    this.abandonPoll();
    this.disarm();
    this.wakeTimer = this.clock.setTimeout(() => {
      this.wakeTimer = undefined;
      this.wake();
    }, PAUSE_LIMIT_MS);
    this.emit([]);
  }

  /**
   * The machine woke (the OS said so, or the clock jumped ahead): the onWake hook runs (the SSH pool
   * drops the connections sleep broke), hosts are tried again without their backoff, and a poll starts
   * now. Until the grace period ends no check raises "down"; one still failing then does.
   */
  wake(): void {
    if (!this.running) return;
    const now = this.clock.now();
    if (!this.paused && now - this.lastWakeAt < SAME_WAKE_MS) return;
    this.paused = false;
    this.clearWakeTimer();
    this.lastWakeAt = now;
    this.graceUntil = now + this.wakeGraceMs;
    for (const [host, status] of this.hostStatus) {
      const { nextAttemptAt: _, ...rest } = status;
      this.hostStatus.set(host, { ...rest, failures: 0 });
    }
    this.abandonPoll();
    try {
      this.onWake();
    } catch {
      // The hook is best effort: the poll below still tells what is up.
    }
    this.arm(0);
  }

  /** A poll of every host now (ignoring backoff), or the one already in flight. */
  refreshNow(): Promise<StatusSnapshot> {
    return this.poll(true);
  }

  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setMaintenance(window: Maintenance): void {
    this.maintenance.set(window.key, window);
    this.emit([]);
  }

  clearMaintenance(key: string): void {
    if (this.maintenance.delete(key)) this.emit([]);
  }

  snapshot(): StatusSnapshot {
    const now = this.clock.now();
    const windows = [...this.maintenance.values()];
    const view = applyStaleness(
      applyMaintenance(this.results, windows),
      now,
      this.settings.intervalSeconds * 1000,
    );
    const alerts: Record<string, AlertPhase> = {};
    for (const r of view) {
      const phase = this.alertStates.get(r.id)?.phase ?? 'up';
      alerts[r.id] = r.level === 'maintenance' ? 'maintenance' : phase;
    }
    const hosts: Partial<Record<HostRole, HostStatus>> = {};
    for (const [h, s] of this.hostStatus) hosts[h] = { ...s };
    return {
      profile: this.settings.profileName,
      overall: overallLevel(view),
      results: view,
      alerts,
      refreshedAt: this.refreshedAt,
      refreshing: this.inflight !== undefined,
      hosts,
      maintenance: windows,
      mutes: this.mutes.list(),
      intervalSeconds: this.settings.intervalSeconds,
      ...(this.lastError ? { error: this.lastError } : {}),
    };
  }

  /** Aborts the poll in flight and forgets it (its outcome is discarded); returns it to wait for. */
  private abandonPoll(): Promise<StatusSnapshot> | undefined {
    this.epoch++;
    const inflight = this.inflight;
    this.inflight = undefined;
    inflight?.controller.abort();
    return inflight?.promise;
  }

  private arm(ms: number): void {
    this.disarm();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.poll(false);
    }, ms);
  }

  private clearWakeTimer(): void {
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private nextDelayMs(): number {
    const base = this.settings.intervalSeconds * 1000;
    const delay = Math.round(base * (1 + this.jitter * (2 * this.random() - 1)));
    // A failure the grace holds back is judged when the grace ends, not up to an interval later.
    const graceLeft = this.graceUntil - this.clock.now();
    const heldBack = [...this.alertStates.values()].some((s) => s.phase === 'pending');
    return heldBack && graceLeft > 0 && graceLeft < delay ? graceLeft : delay;
  }

  private inGrace(): boolean {
    return this.clock.now() < this.graceUntil;
  }

  /** The alert policy, except that during the grace after a wake a check that would go down stays pending. */
  private stepAlert(id: string, level: Level): AlertKind | null {
    const prev = this.alertStates.get(id);
    const { state, alert } = stepAlert(prev, level, this.settings);
    if (alert === 'down' && this.inGrace()) {
      // Held back, so not told: only a down that went out earlier is still owed its recovered.
      this.alertStates.set(id, { ...state, phase: 'pending', toldDown: prev?.toldDown ?? false });
      return null;
    }
    this.alertStates.set(id, state);
    return alert;
  }

  private poll(onDemand: boolean): Promise<StatusSnapshot> {
    if (this.inflight) return this.inflight.promise;
    this.disarm();
    const epoch = this.epoch;
    const now = this.clock.now();
    const hosts = this.settings.hosts.filter((h) => {
      const next = this.hostStatus.get(h)?.nextAttemptAt;
      return onDemand || next === undefined || Date.parse(next) <= now;
    });
    const windowsAtStart = [...this.maintenance.values()];
    const controller = new AbortController();
    let refreshing: Promise<RefreshOutcome>;
    try {
      refreshing = this.source.refresh({ hosts, signal: controller.signal });
    } catch (error) {
      refreshing = Promise.reject(error);
    }
    // Never rejects: a refresh (or absorbing it) that breaks is the failing refresh check.
    const promise = refreshing
      .then((outcome) =>
        epoch === this.epoch ? this.absorb(outcome, hosts, windowsAtStart) : this.snapshot(),
      )
      .catch((error: unknown) => (epoch === this.epoch ? this.absorbFailure(error) : this.snapshot()))
      .finally(() => {
        if (this.inflight?.promise === promise) this.inflight = undefined;
        if (this.running && !this.paused && epoch === this.epoch) this.arm(this.nextDelayMs());
      });
    this.inflight = { promise, controller };
    this.emit([]);
    return promise;
  }

  private absorb(outcome: RefreshOutcome, polled: HostRole[], windowsAtStart: Maintenance[]): StatusSnapshot {
    const now = this.clock.now();
    const nowIso = new Date(now).toISOString();
    for (const h of this.settings.hosts) {
      const prev = this.hostStatus.get(h) ?? { ok: null, failures: 0 };
      const o = outcome.hosts[h];
      if (!o) continue;
      if (o.ok) {
        this.hostStatus.set(h, { ok: true, failures: 0, durationMs: o.durationMs });
      } else if (this.inGrace()) {
        // Right after a wake the host is tried every poll: the network may need a moment to come back.
        this.hostStatus.set(h, {
          ok: false,
          failures: 0,
          durationMs: o.durationMs,
          ...(o.error ? { error: o.error } : {}),
        });
      } else {
        const failures = prev.failures + 1;
        const backoff = Math.min(this.settings.intervalSeconds * 1000 * 2 ** failures, this.maxBackoffMs);
        this.hostStatus.set(h, {
          ok: false,
          failures,
          durationMs: o.durationMs,
          nextAttemptAt: new Date(now + backoff).toISOString(),
          ...(o.error ? { error: o.error } : {}),
        });
      }
    }
    // Hosts skipped while backing off keep their last results; they are still what we know, so not stale.
    const skipped = new Set<CheckHost>(this.settings.hosts.filter((h) => !polled.includes(h)));
    const carried = this.results.map((r) => (skipped.has(r.host) ? { ...r, checkedAt: nowIso } : r));
    const covered = new Set<CheckHost>(['public', ...polled]);
    this.results = mergeResults(carried, outcome.results, covered);
    this.refreshedAt = nowIso;
    this.lastError = undefined;

    // Maintenance that started or ended during the poll still covers it: its results may be from either side.
    const windows = [
      ...new Map([...windowsAtStart, ...this.maintenance.values()].map((w) => [w.key, w])).values(),
    ];
    const freshIds = new Set(outcome.results.map((r) => r.id));
    const events: AlertEvent[] = [];
    for (const r of this.results) {
      if (!freshIds.has(r.id)) continue;
      const level = isUnderMaintenance(r, windows) ? 'maintenance' : r.level;
      const alert = this.stepAlert(r.id, level);
      if (alert) events.push({ kind: alert, check: r, at: nowIso });
    }
    const refreshState = this.alertStates.get(REFRESH_CHECK.id);
    if (refreshState) {
      // The refresh check exists only while refreshes break; a working one is its recovery.
      const { alert } = stepAlert(refreshState, 'ok', this.settings);
      const detail = 'The status refresh works again.';
      const check: CheckResult = { ...REFRESH_CHECK, level: 'ok', detail, since: nowIso, checkedAt: nowIso };
      if (alert) events.push({ kind: alert, check, at: nowIso });
    }
    const live = new Set(this.results.map((r) => r.id));
    for (const id of this.alertStates.keys()) if (!live.has(id)) this.alertStates.delete(id);
    this.releaseRecovered();

    this.inflight = undefined;
    const snap = this.snapshot();
    this.deliver(snap, this.unmuted(events));
    return snap;
  }

  /**
   * A refresh that broke as a whole: the hosts' last results stay (and go stale), and the refresh check
   * fails, through the alert policy like any check, so a poll that could not look never reads as OK.
   */
  private absorbFailure(error: unknown): StatusSnapshot {
    const nowIso = new Date(this.clock.now()).toISOString();
    this.lastError = describeError(error);
    const prev = this.results.find((r) => r.id === REFRESH_CHECK.id);
    const failing: CheckResult = {
      ...REFRESH_CHECK,
      level: 'fail',
      detail: `The status refresh itself failed, so nothing was checked: ${oneSentence(this.lastError.message, this.lastError.nextStep)}`,
      since: prev?.level === 'fail' ? prev.since : nowIso,
      checkedAt: nowIso,
    };
    this.results = [...this.results.filter((r) => r.id !== REFRESH_CHECK.id), failing];
    const alert = this.stepAlert(REFRESH_CHECK.id, 'fail');
    this.inflight = undefined;
    const snap = this.snapshot();
    this.deliver(snap, this.unmuted(alert ? [{ kind: alert, check: failing, at: nowIso }] : []));
    return snap;
  }

  /** The alerts no mute silences: a muted check still changes colour and phase, nobody is told. */
  private unmuted(events: AlertEvent[]): AlertEvent[] {
    const mutes = this.mutes.list();
    if (mutes.length === 0) return events;
    const now = this.clock.now();
    return events.filter((e) => !silenced(mutes, e.kind, e.check, now));
  }

  /** Ends the mutes "until it recovers" whose checks are all up again (or in maintenance). */
  private releaseRecovered(): void {
    const done = this.mutes
      .list()
      .filter((m) => m.until === null)
      .filter((m) =>
        this.results
          .filter((r) => covers(m, r))
          .every((r) => {
            const phase = this.alertStates.get(r.id)?.phase ?? 'up';
            return (phase === 'up' || phase === 'maintenance') && r.level !== 'fail';
          }),
      )
      .map((m) => m.key);
    if (done.length > 0) this.mutes.release(done);
  }

  private emit(alerts: AlertEvent[]): void {
    this.deliver(this.snapshot(), alerts);
  }

  private deliver(snapshot: StatusSnapshot, alerts: AlertEvent[]): void {
    for (const l of this.listeners) {
      try {
        l(snapshot, alerts);
      } catch {
        // A broken subscriber (a closed window) must not stop the others or the polling.
      }
    }
  }
}
