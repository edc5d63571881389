import { afterEach, describe, expect, it } from 'vitest';
import type { HostRole } from '../../../../src-main/core/profile/schema';
import {
  type AlertEvent,
  PAUSE_LIMIT_MS,
  StatusScheduler,
  type StatusSnapshot,
} from '../../../../src-main/core/status/scheduler';
import type {
  FreshResult,
  RefreshOptions,
  RefreshOutcome,
  StatusSource,
} from '../../../../src-main/core/status/service';
import type { Level } from '../../../../src-main/core/status/types';
import { FakeClock, settle } from './fake-clock';

/** A status source whose answers the test sets; it records every call and can hold a poll open. */
class ScriptedSource implements StatusSource {
  calls: RefreshOptions[] = [];
  levels: Record<string, Level> = { 'unit:matrix-tuwunel': 'ok', 'http:client-versions': 'ok' };
  unreachable = new Set<HostRole>();
  hold: { release: () => void; promise: Promise<void> } | undefined;
  throwNext: Error | undefined;

  constructor(private readonly clock: FakeClock) {}

  holdNext(): void {
    let release = () => {};
    const promise = new Promise<void>((r) => {
      release = r;
    });
    this.hold = { release, promise };
  }

  async refresh(options: RefreshOptions = {}): Promise<RefreshOutcome> {
    this.calls.push(options);
    const startedAt = new Date(this.clock.now()).toISOString();
    if (this.hold) {
      const { promise } = this.hold;
      this.hold = undefined;
      await Promise.race([
        promise,
        new Promise((_, reject) =>
          options.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
        ),
      ]);
    }
    if (this.throwNext) {
      const e = this.throwNext;
      this.throwNext = undefined;
      throw e;
    }
    const checkedAt = new Date(this.clock.now()).toISOString();
    const results: FreshResult[] = [];
    const hosts: RefreshOutcome['hosts'] = {};
    for (const h of options.hosts ?? ['homeserver']) {
      const up = !this.unreachable.has(h);
      hosts[h] = up
        ? { ok: true, durationMs: 5 }
        : { ok: false, durationMs: 5, error: { code: 'ConnectFailed', message: 'down.', nextStep: 'fix.' } };
      results.push({
        id: 'unit:matrix-tuwunel',
        host: h,
        group: 'matrix-tuwunel',
        title: 'matrix-tuwunel unit',
        level: up ? (this.levels['unit:matrix-tuwunel'] ?? 'ok') : 'unknown',
        detail: 'd.',
        units: ['matrix-tuwunel'],
        checkedAt,
      });
    }
    results.push({
      id: 'http:client-versions',
      host: 'public',
      group: 'matrix-tuwunel',
      title: 'Client API',
      level: this.levels['http:client-versions'] ?? 'ok',
      detail: 'd.',
      units: ['matrix-tuwunel', 'matrix-traefik'],
      checkedAt,
    });
    return { startedAt, durationMs: 0, results, hosts };
  }
}

const settings = {
  profileName: 'lab',
  hosts: ['homeserver'] as HostRole[],
  intervalSeconds: 30,
  failuresBeforeDown: 2,
  realertEvery: 0,
};

let scheduler: StatusScheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

function setup(
  opts: {
    random?: () => number;
    jitter?: number;
    realertEvery?: number;
    maxBackoffSeconds?: number;
    failuresBeforeDown?: number;
    wakeGraceSeconds?: number;
    onWake?: () => void;
  } = {},
) {
  const clock = new FakeClock();
  const source = new ScriptedSource(clock);
  scheduler = new StatusScheduler(
    source,
    {
      ...settings,
      realertEvery: opts.realertEvery ?? 0,
      failuresBeforeDown: opts.failuresBeforeDown ?? 2,
      ...(opts.jitter === undefined ? {} : { jitter: opts.jitter }),
      ...(opts.maxBackoffSeconds === undefined ? {} : { maxBackoffSeconds: opts.maxBackoffSeconds }),
      ...(opts.wakeGraceSeconds === undefined ? {} : { wakeGraceSeconds: opts.wakeGraceSeconds }),
    },
    { clock, random: opts.random ?? (() => 0.5), ...(opts.onWake ? { onWake: opts.onWake } : {}) },
  );
  const snapshots: StatusSnapshot[] = [];
  const alerts: AlertEvent[] = [];
  scheduler.subscribe((s, a) => {
    snapshots.push(s);
    alerts.push(...a);
  });
  return { clock, source, s: scheduler, snapshots, alerts };
}

describe('StatusScheduler timing', () => {
  it('polls at once, then every interval, with jitter from the injected randomness', async () => {
    const randoms = [0, 1, 0.5];
    const { clock, source, s } = setup({ random: () => randoms.shift() ?? 0.5 });
    s.start();
    await clock.advance(0);
    expect(source.calls).toHaveLength(1);
    expect(clock.nextTimerIn()).toBe(27_000); // 30 s − 10 %
    await clock.advance(27_000);
    expect(source.calls).toHaveLength(2);
    expect(clock.nextTimerIn()).toBe(33_000); // + 10 %
    await clock.advance(33_000);
    expect(source.calls).toHaveLength(3);
    expect(clock.nextTimerIn()).toBe(30_000);
  });

  it('never overlaps polls and schedules from the end of the last one', async () => {
    const { clock, source, s } = setup();
    source.holdNext();
    s.start();
    await clock.advance(100_000);
    expect(source.calls).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
    source.hold?.release();
    source.hold = undefined;
    await settle();
    expect(clock.pendingTimers).toBe(0);
  });

  it('coalesces concurrent refresh requests into the poll in flight, then re-arms the interval', async () => {
    const { clock, source, s } = setup();
    s.start();
    await clock.advance(0);
    source.holdNext();
    const hold = source.hold!;
    const a = s.refreshNow();
    const b = s.refreshNow();
    const c = s.refreshNow();
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(s.snapshot().refreshing).toBe(true);
    await clock.advance(10);
    hold.release();
    const snap = await a;
    expect(snap.refreshing).toBe(false);
    expect(source.calls).toHaveLength(2);
    expect(clock.nextTimerIn()).toBe(30_000);
  });

  it('refreshes on demand without being started, and leaves no timer', async () => {
    const { clock, source, s } = setup();
    const snap = await s.refreshNow();
    expect(source.calls).toHaveLength(1);
    expect(snap.overall).toBe('ok');
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops cleanly: timer cleared, poll in flight aborted, nothing emitted after', async () => {
    const { clock, source, s, snapshots } = setup();
    s.start();
    await clock.advance(0);
    source.holdNext();
    await clock.advance(30_000);
    expect(source.calls).toHaveLength(2);
    const signal = source.calls[1]!.signal!;
    const emitted = snapshots.length;
    await s.stop();
    expect(signal.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(120_000);
    expect(source.calls).toHaveLength(2);
    expect(snapshots.length).toBe(emitted);
    expect(s.isRunning).toBe(false);
    s.start();
    await clock.advance(0);
    expect(source.calls).toHaveLength(3);
    await s.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('survives a source that throws and a subscriber that throws', async () => {
    const { clock, source, s, snapshots } = setup();
    s.subscribe(() => {
      throw new Error('closed window');
    });
    source.throwNext = new Error('bug');
    s.start();
    await clock.advance(0);
    expect(snapshots.at(-1)?.error?.message).toMatch(/Something unexpected went wrong: bug/);
    await clock.advance(30_000);
    expect(source.calls).toHaveLength(2);
    expect(snapshots.at(-1)?.error).toBeUndefined();
    expect(snapshots.at(-1)?.overall).toBe('ok');
  });
});

describe('StatusScheduler backoff', () => {
  it('skips an unreachable host with growing, capped backoff; a demand refresh tries it anyway', async () => {
    const { clock, source, s } = setup({ maxBackoffSeconds: 120 });
    source.unreachable.add('homeserver');
    s.start();
    await clock.advance(0);
    expect(source.calls[0]!.hosts).toEqual(['homeserver']);
    expect(s.snapshot().hosts.homeserver).toMatchObject({ ok: false, failures: 1 });
    // failure 1 → next attempt in 60 s: the poll at 30 s skips the host, the one at 60 s tries it
    await clock.advance(30_000);
    expect(source.calls[1]!.hosts).toEqual([]);
    await clock.advance(30_000);
    expect(source.calls[2]!.hosts).toEqual(['homeserver']);
    // failure 2 → 120 s (the cap): three skipped polls
    await clock.advance(90_000);
    expect(source.calls.slice(3).map((c) => c.hosts)).toEqual([[], [], []]);
    await s.refreshNow();
    expect(source.calls.at(-1)!.hosts).toEqual(['homeserver']);
    source.unreachable.clear();
    await s.refreshNow();
    expect(s.snapshot().hosts.homeserver).toEqual({ ok: true, failures: 0, durationMs: 5 });
    await clock.advance(30_000);
    expect(source.calls.at(-1)!.hosts).toEqual(['homeserver']);
  });

  it('keeps a skipped host’s results fresh rather than stale', async () => {
    const { clock, source, s } = setup();
    source.unreachable.add('homeserver');
    s.start();
    await clock.advance(0);
    await clock.advance(30_000 * 4);
    const unit = s.snapshot().results.find((r) => r.id === 'unit:matrix-tuwunel')!;
    expect(unit.level).toBe('unknown');
    expect(Date.parse(unit.checkedAt)).toBeGreaterThan(clock.now() - 60_000);
  });
});

describe('StatusScheduler alerts and maintenance', () => {
  it('makes a refresh that breaks as a whole a failing check, raises down through the policy, and recovers', async () => {
    const { clock, source, s, alerts, snapshots } = setup();
    s.start();
    await clock.advance(0);
    source.throwNext = new TypeError('Cannot convert object to primitive value');
    await clock.advance(30_000);
    const broken = snapshots.at(-1)!;
    expect(broken.overall).toBe('fail');
    expect(broken.results.find((r) => r.id === 'status:refresh')).toMatchObject({
      host: 'public',
      level: 'fail',
      detail:
        'The status refresh itself failed, so nothing was checked: Something unexpected went wrong: Cannot convert object to primitive value; try again; if it keeps happening, report it with the audit log.',
    });
    expect(broken.alerts['status:refresh']).toBe('pending');
    expect(alerts).toEqual([]);
    source.throwNext = new Error('again');
    await clock.advance(30_000);
    expect(alerts.map((a) => [a.kind, a.check.id, a.check.level])).toEqual([
      ['down', 'status:refresh', 'fail'],
    ]);
    await clock.advance(30_000);
    expect(alerts.map((a) => [a.kind, a.check.id])).toEqual([
      ['down', 'status:refresh'],
      ['recovered', 'status:refresh'],
    ]);
    const recovered = snapshots.at(-1)!;
    expect(recovered.results.map((r) => r.id)).not.toContain('status:refresh');
    expect(recovered.overall).toBe('ok');
    expect(source.calls).toHaveLength(4);
  });

  it('keeps polling when the source throws before it even returns a promise', async () => {
    const { clock, source, s, snapshots } = setup();
    const refresh = source.refresh.bind(source);
    let throwSync = true;
    source.refresh = (options) => {
      if (throwSync) {
        throwSync = false;
        throw new Error('synchronous');
      }
      return refresh(options);
    };
    s.start();
    await clock.advance(0);
    expect(snapshots.at(-1)?.results.find((r) => r.id === 'status:refresh')?.level).toBe('fail');
    await clock.advance(30_000);
    expect(snapshots.at(-1)?.overall).toBe('ok');
  });

  it('raises down after N failing polls and recovered after, end to end', async () => {
    const { clock, source, s, alerts } = setup();
    s.start();
    await clock.advance(0);
    source.levels['unit:matrix-tuwunel'] = 'fail';
    await clock.advance(30_000);
    expect(alerts).toEqual([]);
    expect(s.snapshot().alerts['unit:matrix-tuwunel']).toBe('pending');
    await clock.advance(30_000);
    expect(alerts.map((a) => [a.kind, a.check.id])).toEqual([['down', 'unit:matrix-tuwunel']]);
    expect(s.snapshot().alerts['unit:matrix-tuwunel']).toBe('down');
    expect(s.snapshot().overall).toBe('fail');
    source.levels['unit:matrix-tuwunel'] = 'ok';
    await clock.advance(30_000);
    expect(alerts.map((a) => a.kind)).toEqual(['down', 'recovered']);
  });

  it('re-alerts every M polls while down', async () => {
    const { clock, source, s, alerts } = setup({ realertEvery: 2 });
    source.levels['http:client-versions'] = 'fail';
    s.start();
    await clock.advance(30_000 * 5);
    expect(alerts.map((a) => a.kind)).toEqual(['down', 'still-down', 'still-down']);
  });

  it('shows maintenance at once, raises nothing during it, and no recovery after', async () => {
    const { clock, source, s, alerts, snapshots } = setup();
    s.start();
    await clock.advance(0);
    s.setMaintenance({ key: 'mode', units: 'all', reason: 'Maintenance stop' });
    const shown = snapshots.at(-1)!;
    expect(shown.results.find((r) => r.id === 'unit:matrix-tuwunel')).toMatchObject({
      level: 'maintenance',
      underlying: 'ok',
    });
    expect(shown.overall).toBe('maintenance');
    expect(shown.alerts['unit:matrix-tuwunel']).toBe('maintenance');
    source.levels['unit:matrix-tuwunel'] = 'fail';
    source.levels['http:client-versions'] = 'fail';
    await clock.advance(30_000 * 4);
    expect(alerts).toEqual([]);
    expect(s.snapshot().results.find((r) => r.id === 'http:client-versions')!.detail).toMatch(
      /^Under maintenance \(Maintenance stop\); measured fail: /,
    );
    source.levels['unit:matrix-tuwunel'] = 'ok';
    source.levels['http:client-versions'] = 'ok';
    s.clearMaintenance('mode');
    await clock.advance(30_000 * 2);
    expect(alerts).toEqual([]);
    expect(s.snapshot().overall).toBe('ok');
  });

  it('covers only the affected units of a maintenance action', async () => {
    const { clock, source, s, alerts } = setup();
    s.start();
    await clock.advance(0);
    s.setMaintenance({ key: 'run-1', units: ['matrix-traefik'], reason: 'Restart Traefik' });
    source.levels['unit:matrix-tuwunel'] = 'fail';
    source.levels['http:client-versions'] = 'fail';
    await clock.advance(60_000);
    expect(alerts.map((a) => a.check.id)).toEqual(['unit:matrix-tuwunel']);
    expect(s.snapshot().alerts['http:client-versions']).toBe('maintenance');
  });

  it('does not count a poll that straddled the end of maintenance as a failure', async () => {
    const { source, s, alerts } = setup({ failuresBeforeDown: 1 });
    s.setMaintenance({ key: 'mode', units: 'all', reason: 'Maintenance stop' });
    source.levels['unit:matrix-tuwunel'] = 'fail';
    source.holdNext();
    const hold = source.hold!;
    const poll = s.refreshNow();
    s.clearMaintenance('mode');
    hold.release();
    await poll;
    expect(alerts).toEqual([]);
    source.levels['unit:matrix-tuwunel'] = 'ok';
    await s.refreshNow();
    expect(alerts).toEqual([]);
    source.levels['unit:matrix-tuwunel'] = 'fail';
    await s.refreshNow();
    expect(alerts.map((a) => a.kind)).toEqual(['down']);
  });

  it('marks results unknown once they are older than two intervals', async () => {
    const { clock, source, s } = setup();
    s.start();
    await clock.advance(0);
    source.holdNext();
    await clock.advance(30_000);
    expect(s.snapshot().results.every((r) => r.level === 'ok')).toBe(true);
    await clock.advance(31_000);
    const stale = s.snapshot().results.find((r) => r.id === 'http:client-versions')!;
    expect(stale).toMatchObject({ level: 'unknown', underlying: 'ok' });
    expect(stale.detail).toMatch(/^No fresh result for 61 s \(last: ok\)/);
    expect(s.snapshot().overall).toBe('unknown');
  });

  it('keeps since while the level holds and moves it when the level changes', async () => {
    const { clock, source, s } = setup();
    s.start();
    await clock.advance(0);
    const first = s.snapshot().results.find((r) => r.id === 'http:client-versions')!.since;
    await clock.advance(30_000);
    expect(s.snapshot().results.find((r) => r.id === 'http:client-versions')!.since).toBe(first);
    source.levels['http:client-versions'] = 'warn';
    await clock.advance(30_000);
    const changed = s.snapshot().results.find((r) => r.id === 'http:client-versions')!;
    expect(changed.since).toBe(new Date(clock.now()).toISOString());
    expect(changed.since).not.toBe(first);
  });
});

describe('StatusScheduler sleep and wake', () => {
  it('polls nothing while paused; wake reconnects first, then polls at once', async () => {
    const order: string[] = [];
    const { clock, source, s } = setup({ onWake: () => order.push('reconnect') });
    const refresh = source.refresh.bind(source);
    source.refresh = (options) => {
      order.push('poll');
      return refresh(options);
    };
    s.start();
    await clock.advance(0);
    s.pause();
    expect(s.isPaused).toBe(true);
    await clock.advance(50_000);
    expect(source.calls).toHaveLength(1);
    await clock.sleep(3_600_000, { noticed: false });
    s.wake();
    await clock.advance(0);
    expect(s.isPaused).toBe(false);
    expect(order).toEqual(['poll', 'reconnect', 'poll']);
    expect(clock.nextTimerIn()).toBe(30_000);
  });

  it('drops the poll in flight when the machine goes to sleep: its answer is about broken connections', async () => {
    const { clock, source, s, snapshots } = setup();
    s.start();
    await clock.advance(0);
    source.holdNext();
    const hold = source.hold!;
    await clock.advance(30_000);
    const signal = source.calls[1]!.signal!;
    s.pause();
    expect(signal.aborted).toBe(true);
    expect(s.snapshot().refreshing).toBe(false);
    hold.release();
    await settle();
    const emitted = snapshots.length;
    await clock.advance(30_000);
    expect(snapshots.length).toBe(emitted);
    expect(source.calls).toHaveLength(2);
  });

  it('notices a wake by itself when the clock jumps ahead, without any resume event', async () => {
    let reconnects = 0;
    const { clock, source, s } = setup({ onWake: () => reconnects++ });
    s.start();
    await clock.advance(0);
    expect(clock.jumpWatchers).toBe(1);
    await clock.sleep(3_600_000, { noticed: true });
    await clock.advance(0);
    expect(reconnects).toBe(1);
    expect(source.calls).toHaveLength(2);
  });

  it('takes the resume event and the clock watch of the same wake as one wake', async () => {
    let reconnects = 0;
    const { clock, source, s } = setup({ onWake: () => reconnects++ });
    s.start();
    await clock.advance(0);
    s.pause();
    await clock.sleep(600_000, { noticed: true });
    s.wake();
    await clock.advance(1_000);
    expect(reconnects).toBe(1);
    expect(source.calls).toHaveLength(2);
    // A later sleep is another wake.
    s.pause();
    s.wake();
    await clock.advance(0);
    expect(reconnects).toBe(2);
  });

  it('wakes by itself after a minute of awake time when the resume event never comes', async () => {
    const { clock, source, s } = setup();
    s.start();
    await clock.advance(0);
    s.pause();
    await clock.sleep(20_000, { noticed: false });
    await clock.advance(PAUSE_LIMIT_MS - 1);
    expect(source.calls).toHaveLength(1);
    await clock.advance(1);
    expect(s.isPaused).toBe(false);
    expect(source.calls).toHaveLength(2);
  });

  it('raises no down alert during the grace after a wake; a failure that outlasts it alerts when it ends', async () => {
    const { clock, source, s, alerts } = setup({ wakeGraceSeconds: 90 });
    s.start();
    await clock.advance(0);
    s.pause();
    await clock.sleep(3_600_000, { noticed: false });
    source.levels['http:client-versions'] = 'fail';
    s.wake();
    await clock.advance(0);
    const wokeAt = clock.now();
    await clock.advance(60_000);
    expect(source.calls).toHaveLength(4);
    expect(alerts).toEqual([]);
    expect(s.snapshot().alerts['http:client-versions']).toBe('pending');
    // The next poll comes when the grace ends, not an interval later.
    expect(clock.nextTimerIn()).toBe(30_000);
    await clock.advance(30_000);
    expect(alerts.map((a) => [a.kind, a.check.id, Date.parse(a.at) - wokeAt])).toEqual([
      ['down', 'http:client-versions', 90_000],
    ]);
  });

  it('stays silent when the failure ends within the grace: no down, and no recovery of what never went down', async () => {
    const { clock, source, s, alerts } = setup({ wakeGraceSeconds: 90 });
    s.start();
    await clock.advance(0);
    s.pause();
    source.unreachable.add('homeserver');
    source.levels['http:client-versions'] = 'fail';
    s.wake();
    await clock.advance(60_000);
    expect(s.snapshot().hosts.homeserver).toMatchObject({ ok: false, failures: 0 });
    // Tried on every poll during the grace: no backoff while the network comes back.
    expect(source.calls.slice(1).map((c) => c.hosts)).toEqual([
      ['homeserver'],
      ['homeserver'],
      ['homeserver'],
    ]);
    source.unreachable.clear();
    source.levels['http:client-versions'] = 'ok';
    await clock.advance(30_000 * 4);
    expect(alerts).toEqual([]);
    expect(s.snapshot().overall).toBe('ok');
  });

  it('forgets the backoff of a host that was unreachable before the sleep', async () => {
    const { clock, source, s } = setup({ maxBackoffSeconds: 600 });
    source.unreachable.add('homeserver');
    s.start();
    await clock.advance(30_000 * 6);
    expect(s.snapshot().hosts.homeserver?.nextAttemptAt).toBeDefined();
    source.unreachable.clear();
    s.pause();
    s.wake();
    await clock.advance(0);
    expect(source.calls.at(-1)!.hosts).toEqual(['homeserver']);
    expect(s.snapshot().hosts.homeserver).toEqual({ ok: true, failures: 0, durationMs: 5 });
  });

  it('ignores pause and wake while stopped, and stop leaves no timer or watcher behind', async () => {
    let reconnects = 0;
    const { clock, source, s } = setup({ onWake: () => reconnects++ });
    s.pause();
    s.wake();
    await clock.advance(60_000);
    expect(source.calls).toHaveLength(0);
    s.start();
    await clock.advance(0);
    s.pause();
    await s.stop();
    expect(clock.pendingTimers).toBe(0);
    expect(clock.jumpWatchers).toBe(0);
    await clock.sleep(3_600_000, { noticed: true });
    await clock.advance(120_000);
    expect(reconnects).toBe(0);
    expect(source.calls).toHaveLength(1);
  });
});
