import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Mute, MuteStore, muteKey, silenced } from '../../../../src-main/core/status/mutes';
import { type AlertEvent, StatusScheduler } from '../../../../src-main/core/status/scheduler';
import type { FreshResult, RefreshOutcome, StatusSource } from '../../../../src-main/core/status/service';
import type { Level } from '../../../../src-main/core/status/types';
import { FakeClock } from './fake-clock';

const dir = mkdtempSync(join(tmpdir(), 'hst-mutes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3_600_000;
const tuwunel = { id: 'unit:matrix-tuwunel', units: ['matrix-tuwunel'] };
const client = { id: 'http:client-versions', units: ['matrix-tuwunel', 'matrix-traefik'] };
const tls = { id: 'tls:cert', units: [] };

describe('MuteStore', () => {
  it('one truth across processes: a mute one store writes, another reads at reload, and an unmute too', () => {
    let now = Date.UTC(2026, 11, 7, 6);
    const file = join(dir, 'shared.json');
    const tray = new MuteStore(file, () => now);
    const cli = new MuteStore(file, () => now);
    const seen: Mute[][] = [];
    tray.subscribe((m) => seen.push(m));
    const mute = cli.mute({ kind: 'unit', unit: 'matrix-tuwunel' }, '1h');
    expect(mute).toEqual({
      key: 'unit:matrix-tuwunel',
      target: { kind: 'unit', unit: 'matrix-tuwunel' },
      since: '2026-12-07T06:00:00.000Z',
      until: '2026-12-07T07:00:00.000Z',
    });
    expect(tray.list()).toEqual([]);
    expect(tray.reload()).toBe(true);
    expect(tray.list()).toEqual([mute]);
    expect(seen).toEqual([[mute]]);
    expect(tray.reload()).toBe(false);
    // Muting the same target again replaces it; the file holds one entry per target.
    now += 60_000;
    const longer = tray.mute({ kind: 'unit', unit: 'matrix-tuwunel' }, '8h');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([longer]);
    expect(cli.release([longer.key])).toBe(true);
    expect(cli.release([longer.key])).toBe(false);
    tray.reload();
    expect(tray.list()).toEqual([]);
  });

  it('a timed mute ends by itself, and the next change drops it from the file', () => {
    let now = Date.UTC(2026, 11, 7, 6);
    const file = join(dir, 'expiry.json');
    const store = new MuteStore(file, () => now);
    store.mute({ kind: 'server' }, '1h');
    now += HOUR - 1;
    expect(store.list().map((m) => m.key)).toEqual(['server']);
    now += 1;
    expect(store.list()).toEqual([]);
    store.mute({ kind: 'check', checkId: 'tls:cert' }, 'recovered');
    expect(JSON.parse(readFileSync(file, 'utf8')).map((m: Mute) => m.key)).toEqual(['check:tls:cert']);
    expect(store.list()[0]?.until).toBeNull();
  });

  it('a broken file or entry mutes nothing', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{not json');
    expect(new MuteStore(file).list()).toEqual([]);
    writeFileSync(
      file,
      JSON.stringify([{ key: 'server', target: { kind: 'everything' }, since: 'x', until: null }]),
    );
    expect(new MuteStore(file).list()).toEqual([]);
  });

  it('covers a check, the checks of a unit, or every check; a mute until recovery lets the recovery through', () => {
    const now = Date.UTC(2026, 11, 7, 6);
    const store = new MuteStore(undefined, () => now);
    const unit = store.mute({ kind: 'unit', unit: 'matrix-traefik' }, '1h');
    expect(silenced([unit], 'down', client, now)).toBe(true);
    expect(silenced([unit], 'down', tuwunel, now)).toBe(false);
    expect(silenced([unit], 'recovered', client, now)).toBe(true);
    expect(silenced([unit], 'down', client, now + HOUR)).toBe(false);
    const check = store.mute({ kind: 'check', checkId: 'tls:cert' }, 'recovered');
    expect(silenced([check], 'still-down', tls, now)).toBe(true);
    expect(silenced([check], 'recovered', tls, now)).toBe(false);
    expect(silenced([store.mute({ kind: 'server' }, '8h')], 'down', tls, now)).toBe(true);
    expect(muteKey({ kind: 'check', checkId: 'tls:cert' })).toBe('check:tls:cert');
  });
});

/** Answers each poll with the levels the test sets. */
class Source implements StatusSource {
  levels: Record<string, Level> = { 'unit:matrix-tuwunel': 'ok', 'http:client-versions': 'ok' };
  constructor(private readonly clock: FakeClock) {}
  async refresh(): Promise<RefreshOutcome> {
    const checkedAt = new Date(this.clock.now()).toISOString();
    const result = (c: { id: string; units: string[] }, host: 'homeserver' | 'public'): FreshResult => ({
      id: c.id,
      host,
      group: 'g',
      title: c.id,
      level: this.levels[c.id] ?? 'ok',
      detail: 'd.',
      units: c.units,
      checkedAt,
    });
    return {
      startedAt: checkedAt,
      durationMs: 0,
      results: [result(tuwunel, 'homeserver'), result(client, 'public')],
      hosts: { homeserver: { ok: true, durationMs: 1 } },
    };
  }
}

describe('the scheduler with mutes', () => {
  function setup() {
    const clock = new FakeClock();
    const source = new Source(clock);
    const mutes = new MuteStore(join(dir, `scheduler-${Math.random()}.json`), () => clock.now());
    const scheduler = new StatusScheduler(
      source,
      {
        profileName: 'lab',
        hosts: ['homeserver'],
        intervalSeconds: 30,
        failuresBeforeDown: 1,
        realertEvery: 2,
      },
      { clock, random: () => 0.5, mutes },
    );
    const alerts: AlertEvent[] = [];
    let snapshots = 0;
    scheduler.subscribe((_s, a) => {
      snapshots++;
      alerts.push(...a);
    });
    const poll = async () => {
      await clock.advance(30_000);
    };
    return { clock, source, mutes, scheduler, alerts, poll, snapshots: () => snapshots };
  }

  it('a muted check still changes colour and phase; nobody is told; the unmuted one alerts as before', async () => {
    const { source, mutes, scheduler, alerts, poll, clock } = setup();
    scheduler.start();
    await clock.advance(0);
    mutes.mute({ kind: 'unit', unit: 'matrix-traefik' }, '1h');
    source.levels = { 'unit:matrix-tuwunel': 'fail', 'http:client-versions': 'fail' };
    await poll();
    const snap = scheduler.snapshot();
    expect(snap.results.find((r) => r.id === client.id)?.level).toBe('fail');
    expect(snap.alerts[client.id]).toBe('down');
    expect(snap.mutes.map((m) => m.key)).toEqual(['unit:matrix-traefik']);
    expect(alerts.map((a) => [a.kind, a.check.id])).toEqual([['down', tuwunel.id]]);
    await poll();
    await poll();
    expect(alerts.map((a) => [a.kind, a.check.id])).toEqual([
      ['down', tuwunel.id],
      ['still-down', tuwunel.id],
    ]);
    await scheduler.stop();
  });

  it('until it recovers: quiet while down, the recovery is told and ends the mute', async () => {
    const { source, mutes, scheduler, alerts, poll, clock } = setup();
    scheduler.start();
    source.levels = { 'unit:matrix-tuwunel': 'fail' };
    await clock.advance(0);
    expect(alerts.map((a) => a.kind)).toEqual(['down']);
    mutes.mute({ kind: 'check', checkId: tuwunel.id }, 'recovered');
    await poll();
    await poll();
    await poll();
    expect(alerts.map((a) => a.kind)).toEqual(['down']);
    expect(mutes.list()).toHaveLength(1);
    source.levels = {};
    await poll();
    expect(alerts.map((a) => a.kind)).toEqual(['down', 'recovered']);
    expect(mutes.list()).toEqual([]);
    await scheduler.stop();
  });

  it('a mute or unmute from any process reaches subscribers at once; stop() stops listening', async () => {
    const { mutes, scheduler, clock, snapshots } = setup();
    scheduler.start();
    await clock.advance(0);
    const before = snapshots();
    mutes.mute({ kind: 'server' }, '8h');
    expect(snapshots()).toBe(before + 1);
    expect(scheduler.snapshot().mutes.map((m) => m.key)).toEqual(['server']);
    await scheduler.stop();
    mutes.release(['server']);
    expect(snapshots()).toBe(before + 1);
  });
});
