import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dueForecastNotices, forecastView, refreshDomainExpiry } from '../../../src-main/app/forecasts';
import { createHistoryRecorder } from '../../../src-main/app/history-recorder';
import { availabilityView, incidentTimelineView, uptimeBarsView } from '../../../src-main/app/history-views';
import { AlertDispatcher } from '../../../src-main/core/alerts/dispatcher';
import { BOOTSTRAP_CACHE_FILE, refreshBootstrap } from '../../../src-main/core/forecast/rdap';
import { DAY_MS, HistoryStore, HOUR_MS } from '../../../src-main/core/history/history-store';
import { httpRequest } from '../../../src-main/core/lib/http-request';
import { AuditLog } from '../../../src-main/core/runbook/audit';
import type { Clock } from '../../../src-main/core/status/clock';
import { StatusScheduler } from '../../../src-main/core/status/scheduler';
import type { FreshResult, RefreshOutcome, StatusSource } from '../../../src-main/core/status/service';
import type { Level } from '../../../src-main/core/vocab';
import { type Receiver, startReceiver } from '../../lab/receiver';

/**
 * The history as the app will wire it: the real StatusScheduler, its subscribers the history recorder and the
 * off-host dispatcher, a real SQLite file, the audit trail, and the lab receiver for the channels and RDAP. The
 * status source is scripted (levels per poll), the clock is the test's: it can jump like a laptop waking up.
 */

const SERVER = { key: 'p-0123456789', name: 'lab.test' };
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);

/** A clock whose timers fire as it advances; `sleep` moves time on without firing any (the computer slept). */
class TestClock implements Clock {
  private timers = new Map<number, { at: number; fn: () => void }>();
  private id = 0;
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.timers.set(++this.id, { at: this.t + ms, fn });
    return this.id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  /** Wakes are the scheduler's own tests; here a sleep only leaves a gap in the history. */
  watchJumps(): () => void {
    return () => {};
  }
  sleep(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.values()) timer.at = Math.max(timer.at, this.t);
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const next = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > end) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
    await new Promise((r) => setImmediate(r));
  }
}

/** Federation fails while `down` says so; the TLS check reads a certificate ending `certEnd`. */
function scriptedSource(clock: TestClock, state: { down: boolean; certEnd: number }): StatusSource {
  return {
    refresh: async (): Promise<RefreshOutcome> => {
      const checkedAt = new Date(clock.now()).toISOString();
      const result = (id: string, level: Level, extra: Partial<FreshResult> = {}): FreshResult => ({
        id,
        host: 'public',
        group: 'federation',
        title: id === 'http:federation-version' ? 'Federation API' : 'TLS certificate of matrix.lab.test',
        level,
        detail: level === 'fail' ? 'The federation API answers 502; start matrix-tuwunel.' : 'Fine.',
        checkedAt,
        units: ['matrix-tuwunel'],
        ...extra,
      });
      return {
        startedAt: checkedAt,
        durationMs: 40,
        hosts: {},
        results: [
          result('http:federation-version', state.down ? 'fail' : 'ok', { metrics: { responseMs: 40 } }),
          result('tls:public', 'ok', { metrics: { expiresAt: new Date(state.certEnd).toISOString() } }),
        ],
      };
    },
  };
}

let dir: string;
let rx: Receiver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'history-app-'));
  rx = await startReceiver({ rdapDomains: { 'lab.test': '2027-01-10T00:00:00Z' } });
});

afterAll(async () => {
  await rx?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(name: string) {
  const clock = new TestClock(T0);
  const state = { down: false, certEnd: T0 + 30 * DAY_MS };
  const history = await HistoryStore.open(join(dir, `${name}.sqlite`));
  const scheduler = new StatusScheduler(
    scriptedSource(clock, state),
    {
      profileName: 'lab',
      hosts: [],
      intervalSeconds: 30,
      failuresBeforeDown: 2,
      realertEvery: 0,
    },
    { clock, random: () => 0.5 },
  );
  const errors: unknown[] = [];
  scheduler.subscribe(createHistoryRecorder(history, SERVER, (e) => errors.push(e)));
  const dispatcher = new AlertDispatcher({
    channels: () => [
      {
        id: 'hook',
        name: 'Hook',
        type: 'webhook',
        enabled: true,
        events: ['down', 'recovered'],
        url: `${rx.url}/hook/${name}`,
        secretHeader: null,
      },
    ],
    secrets: {
      get: async () => null,
      set: async () => {},
      has: async () => false,
      delete: async () => false,
    },
    now: () => clock.now(),
  });
  const sent: Promise<unknown>[] = [];
  scheduler.subscribe((_snap, alerts) => {
    if (alerts.length) sent.push(dispatcher.notify(SERVER.name, alerts));
  });
  cleanups.push(
    () => scheduler.stop(),
    () => history.close(),
  );
  return { clock, state, history, scheduler, dispatcher, sent, errors };
}

describe('history recorded from the scheduler, shown as views', () => {
  it('records an outage as an incident with the actions run meanwhile, and a sleep as a gap', async () => {
    const { clock, state, history, scheduler, sent, errors } = await setup('outage');
    const audit = new AuditLog(join(dir, 'audit'));
    scheduler.start();
    await clock.advance(HOUR_MS);
    state.down = true;
    await clock.advance(10 * 60_000);
    await audit.append({
      time: new Date(clock.now()).toISOString(),
      profile: 'lab',
      action: 'tuwunel.restart',
      runId: 'r1',
      params: {},
      outcome: 'ok',
      durationMs: 9000,
      failingStep: null,
      sentence: 'Tuwunel restarted.',
    });
    await clock.advance(5 * 60_000);
    state.down = false;
    await clock.advance(10 * 60_000);
    // The lid closes for two hours, then polling goes on.
    clock.sleep(2 * HOUR_MS);
    await clock.advance(30 * 60_000);
    await Promise.all(sent);
    const now = clock.now();
    expect(errors).toEqual([]);

    const timeline = incidentTimelineView(history, SERVER.key, 'lab', await audit.read(), now - DAY_MS, now);
    expect(timeline.incidents.map((i) => i.check)).toEqual(['http:federation-version']);
    const fed = timeline.incidents.find((i) => i.check === 'http:federation-version');
    expect(fed).toMatchObject({
      endReason: 'recovered',
      detail: 'The federation API answers 502; start matrix-tuwunel.',
      actions: [{ action: 'tuwunel.restart', outcome: 'ok', sentence: 'Tuwunel restarted.' }],
    });
    // Down from the second failing poll (failuresBeforeDown 2) to the first good one: 15 min less one poll.
    expect(fed?.durationMs).toBe(15 * 60_000 - 30_000);
    expect(timeline.gaps).toHaveLength(1);
    const gap = timeline.gaps[0];
    // From the last poll before the lid closed to the first poll after it opened.
    expect(gap).toEqual({
      from: new Date(T0 + 85 * 60_000).toISOString(),
      to: new Date(T0 + 85 * 60_000 + 2 * HOUR_MS).toISOString(),
    });

    // Availability: 15 min down of the time looked at; the two asleep hours count for neither.
    const rows = availabilityView(history, SERVER.key, now);
    const fedRow = rows.find((r) => r.check === 'http:federation-version');
    // Looked at: 85 min before the sleep and 30 min after. The first poll after start and the first after waking
    // are points: nobody looked during the interval before them.
    const seen = 115 * 60_000;
    expect(fedRow?.availability['24h']).toBeCloseTo(1 - (15 * 60_000) / seen, 6);
    expect(fedRow?.observed['24h']).toBeCloseTo(seen / DAY_MS, 6);

    const bars = uptimeBarsView(history, SERVER.key, 'http:federation-version', '24h', now);
    expect(bars.bars).toHaveLength(48);
    expect(bars.bars.filter((b) => b.state === 'none').length).toBeGreaterThanOrEqual(40);
    expect(bars.bars.some((b) => b.state === 'partial' || b.state === 'down')).toBe(true);

    // The same outage went off-host: one down, one recovered.
    expect(
      rx
        .requests('hook')
        .filter((r) => r.path === '/outage')
        .map((r) => (r.json as { event: string }).event),
    ).toEqual(['down', 'recovered']);
  });

  it('keeps the certificate end the TLS check read and tells each threshold once, off-host too', async () => {
    const { clock, state, history, scheduler, dispatcher } = await setup('tls');
    state.certEnd = T0 + 13 * DAY_MS;
    scheduler.start();
    await clock.advance(60_000);
    const settings = { expiryNotifyDays: [21, 14, 7], diskFullNotifyDays: 14 };
    const first = dueForecastNotices(history, SERVER, settings, clock.now());
    expect(first).toEqual([
      {
        what: 'tls:public',
        title: 'certificate expires in 12 days',
        text: 'TLS certificate of matrix.lab.test is valid until 2026-12-03; check that automatic renewal works at the edge proxy.',
      },
    ]);
    expect(dueForecastNotices(history, SERVER, settings, clock.now() + HOUR_MS)).toEqual([]);
    // Renewed: a new end date starts over, quietly while it is far away.
    state.certEnd = T0 + 90 * DAY_MS;
    await clock.advance(60_000);
    expect(forecastView(history, SERVER.key, clock.now()).certificates[0]?.daysLeft).toBeGreaterThan(89);
    expect(dueForecastNotices(history, SERVER, settings, clock.now())).toEqual([]);
    for (const n of first) await dispatcher.notifyForecast(SERVER.name, n.title, n.text);
    expect(rx.requests('hook').find((r) => r.path === '/tls')?.json).toMatchObject({
      event: 'forecast',
      title: 'lab.test: certificate expires in 12 days',
    });
  });

  it('reads the domain expiry through RDAP from the registry the bootstrap file names, once a day', async () => {
    const { history } = await setup('rdap');
    const dataDir = join(dir, 'data-rdap');
    // The network copy of IANA's file (here the lab's), newer than the shipped one, replaces it.
    expect(await refreshBootstrap(dataDir, httpRequest, `${rx.url}/rdap/dns.json`)).toEqual({
      publication: '2026-11-30T18:00:01Z',
      updated: true,
    });
    const now = Date.UTC(2026, 11, 1);
    const found = await refreshDomainExpiry(history, SERVER, 'matrix.lab.test', {
      dataDir,
      request: httpRequest,
      now,
    });
    expect(found).toMatchObject({ domain: 'lab.test', expiresAt: Date.parse('2027-01-10T00:00:00Z') });
    // Asked for matrix.lab.test's registered domain: lab.test answered, nothing more was asked.
    expect(rx.requests('rdap').map((r) => r.path)).toEqual(['/dns.json', '/domain/lab.test']);
    await refreshDomainExpiry(history, SERVER, 'matrix.lab.test', {
      dataDir,
      request: httpRequest,
      now: now + HOUR_MS,
    });
    expect(rx.requests('rdap')).toHaveLength(2);
    expect(forecastView(history, SERVER.key, now).domain).toMatchObject({
      what: 'domain',
      title: 'lab.test',
    });
    const notices = dueForecastNotices(
      history,
      SERVER,
      { expiryNotifyDays: [60], diskFullNotifyDays: 14 },
      now,
    );
    expect(notices.map((n) => n.title)).toEqual(['domain registration ends in 40 days']);

    // A registry in trouble, or IANA out of reach: a sentence, and the last reading stays.
    rx.setFault('rdap', { status: 503, times: 1 });
    await expect(
      refreshDomainExpiry(history, SERVER, 'matrix.lab.test', {
        dataDir,
        request: httpRequest,
        now: now + 2 * DAY_MS,
      }),
    ).rejects.toMatchObject({ code: 'RdapLookupFailed', message: expect.stringContaining('answered 503') });
    expect(forecastView(history, SERVER.key, now).domain?.expiresAt).toBe('2027-01-10T00:00:00.000Z');
    await expect(refreshBootstrap(dataDir, httpRequest, 'http://127.0.0.1:9/dns.json')).rejects.toMatchObject(
      {
        code: 'RdapLookupFailed',
        message: expect.stringContaining('could not be fetched (ECONNREFUSED)'),
      },
    );
    expect(await refreshBootstrap(dataDir, httpRequest, `${rx.url}/rdap/dns.json`)).toEqual({
      publication: '2026-11-30T18:00:01Z',
      updated: false,
    });

    await writeFile(join(dataDir, BOOTSTRAP_CACHE_FILE), '{"not":"a bootstrap"}');
    await expect(
      refreshDomainExpiry(history, { key: 'other', name: 'x' }, 'matrix.lab.test', {
        dataDir,
        request: httpRequest,
        now,
      }),
    ).rejects.toMatchObject({
      code: 'RdapLookupFailed',
      message: expect.stringContaining('no RDAP registry serves .test'),
    });
  });
});
