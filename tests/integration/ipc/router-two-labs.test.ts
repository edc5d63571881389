import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertView } from '../../../src-main/app/views/alert-view';
import type { MonitorNotice } from '../../../src-main/app/views/monitor-notice';
import type { RunState } from '../../../src-main/app/views/run-schema';
import {
  type ContractEvent,
  eventChannels,
  type InvokeChannel,
  invokeChannels,
  type RequestOf,
  type StatusSnapshot,
  type ValueOf,
} from '../../../src-main/ipc/contract';
import { type DesktopUnderTest, FAST_SETTINGS, startDesktop } from '../../e2e/harness/desktop';
import { startLab } from '../../lab/lab';
import { type Receiver, startReceiver } from '../../lab/receiver';
import type { Lab } from '../../lab/types';

/**
 * Two homeservers watched by one app: two labs (each its own sshd, stand-ins, HTTPS and vault repo; the
 * second started in a folder of its own, so it has its own owner), two profiles, one core each. The
 * window's router and the tray's and notifications' direct calls, checked against the contract. Both servers
 * are monitored: their polls recorded in the history, their alerts sent to the off-host channel (a webhook of
 * the lab receiver), their mutes their own.
 */
let d: DesktopUnderTest;
let second: Lab;
let rx: Receiver;
let a = '';
let b = '';
const events: ContractEvent[] = [];
const alerts: { server: string; alerts: readonly AlertView[] }[] = [];
const finishedRuns: { server: string; run: RunState }[] = [];
const notices: MonitorNotice[] = [];

async function ok<C extends InvokeChannel>(channel: C, request: RequestOf<C>): Promise<ValueOf<C>> {
  const r = await d.router.handle(channel, request);
  if (!r.ok) throw new Error(`${channel} failed: ${r.error.code}: ${r.error.message}`);
  expect(invokeChannels[channel].result.safeParse(r.value).success, channel).toBe(true);
  return r.value as ValueOf<C>;
}

async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const healthy = (s: StatusSnapshot | undefined) =>
  s?.checks.every((c) => c.level === 'ok' || c.level === 'warn') === true;
const serverOf = (servers: StatusSnapshot[], id: string) => servers.find((s) => s.profileId === id);

beforeAll(async () => {
  // Both labs serve lab.test: its registration ends in 10 days (past the 14-day threshold) for both servers.
  rx = await startReceiver({
    rdapDomains: { 'lab.test': new Date(Date.now() + 10 * 86_400_000).toISOString() },
  });
  const hook = {
    id: 'ops',
    name: 'Ops webhook',
    type: 'webhook' as const,
    enabled: true,
    events: ['down' as const, 'recovered' as const],
    url: `${rx.url}/hook/alerts`,
    secretHeader: null,
  };
  [d, second] = await Promise.all([
    startDesktop({
      profile: 'saved',
      settings: { ...FAST_SETTINGS, alertChannels: [hook] },
      monitoring: { bootstrapUrl: `${rx.url}/rdap/dns.json`, retryDelayMs: 50 },
    }),
    startLab({ keyring: false, trustHostKeys: false }),
  ]);
  a = (await ok('profiles.list', {})).selectedId as string;
  d.router.subscribe((e) => {
    events.push(e);
    expect(eventChannels[e.channel].safeParse(e.payload).success, e.channel).toBe(true);
  });
  d.service.onAlerts((told, server) => alerts.push({ server: server.profileId, alerts: told }));
  d.service.onRunFinished((run, server) => finishedRuns.push({ server: server.profileId, run }));
  d.service.onNotice((n) => notices.push(n));
}, 240_000);

afterAll(async () => {
  await d?.stop();
  await second?.stop();
  await rx?.close();
});

/** What the webhook received: one body per delivery. */
const hookBodies = () =>
  rx.requests('hook').map((r) => r.json as { event: string; alerts: { check: { id: string } }[] });
const toldOffHost = (event: string, check: string) =>
  hookBodies().find((b) => b.event === event && b.alerts.some((a) => a.check.id === check));

describe('two lab servers in one app', () => {
  it('a second profile saved beside the first is watched at once; onboarding it goes through the window', async () => {
    ({ id: b } = await ok('profiles.save', { id: null, draft: { ...second.profile, name: 'Lab two' } }));
    // Saved beside the one in use: the window still shows the first server…
    expect((await ok('profiles.list', {})).selectedId).toBe(a);
    // …but the second has its core and polls.
    expect(d.app.servers().map((s) => s.id)).toContain(b);
    // The window onboards it as it would: select, trust its keys, store its secrets.
    await ok('profiles.select', { id: b });
    const core = d.app.core();
    for (const host of ['homeserver', 'deploy'] as const) {
      await core?.pool.scanHostKey(host);
      await ok('hostkey.trust', { host, fingerprint: second.hosts[host].fingerprint, permanent: true });
    }
    await ok('secrets.set', {
      kind: 'sudo-password',
      host: 'homeserver',
      value: second.secrets.sudoPassword,
    });
    await ok('secrets.set', { kind: 'vault-password', host: null, value: second.secrets.vaultPassword });
    await ok('profiles.select', { id: a });

    // Healthy: the lab's only warning is the runbook's unanchored allowlist, which it keeps on purpose.
    const all = await until('both servers healthy', async () => {
      const { servers } = await ok('status.all', {});
      return servers.length === 2 && servers.every((s) => s.lastRefresh !== null && healthy(s)) && servers;
    });
    expect(all.map((s) => s.profileId).sort()).toEqual([a, b].sort());
    // Each server's own hosts: the second lab's sshd, not the first's.
    expect(serverOf(all, b)?.hosts.find((h) => h.host === 'homeserver')?.target).toContain(
      String(second.hosts.homeserver.port),
    );
  });

  it("a failure on the second server: its alert names it, its status.changed says so; the first one's view is untouched", async () => {
    alerts.length = 0;
    await second.hosts.homeserver.sh('systemctl stop matrix-tuwunel');
    const down = await until('the second server to alert', () =>
      alerts.find((x) => x.alerts.some((al) => al.kind === 'down' && al.check.id === 'unit:matrix-tuwunel')),
    );
    expect(down.server).toBe(b);
    expect(alerts.every((x) => x.server === b)).toBe(true);
    const failing = events.filter(
      (e): e is Extract<ContractEvent, { channel: 'status.changed' }> =>
        e.channel === 'status.changed' && e.payload.profileId === b && e.payload.overall === 'fail',
    );
    expect(failing.length).toBeGreaterThan(0);
    // The window shows the first server: status.get is its, still healthy.
    const first = await ok('status.get', {});
    expect(first.profileId).toBe(a);
    expect(healthy(first)).toBe(true);
    expect(serverOf((await ok('status.all', {})).servers, b)?.overall).toBe('fail');
    // The second server is monitored although the window shows the first: its down goes off-host too.
    await until('the down at the webhook', () => toldOffHost('down', 'unit:matrix-tuwunel'));
  });

  it('the tray fixes it on its server while the window shows the other; the run is that server’s', async () => {
    // The fix the unit's finding names for a stopped unit (Start stack). Not tuwunel.restart: its maintenance
    // window covers the run, and a poll that lands in it (on a loaded machine, most do) ends the incident as
    // maintenance and recovers silently, by design (alert-policy.ts).
    const prepared = await d.service.actions.prepare('stack.start', {}, b);
    const { runId } = await prepared.start(true);
    const finished = await until('the start on the second server', () =>
      finishedRuns.find((f) => f.run.runId === runId),
    );
    expect(finished).toMatchObject({ server: b, run: { state: 'ok' } });
    // The window shows the first server: the run is not among its runs, and its events did not reach it.
    expect((await ok('runs.list', {})).runs.map((r) => r.runId)).not.toContain(runId);
    expect(events.some((e) => e.channel === 'run.finished' && e.payload.runId === runId)).toBe(false);
    await until('the second server to recover', async () =>
      healthy(serverOf((await ok('status.all', {})).servers, b)),
    );
    expect(alerts.some((x) => x.server === b && x.alerts.some((al) => al.kind === 'recovered'))).toBe(true);
    await until('the recovery at the webhook', () => toldOffHost('recovered', 'unit:matrix-tuwunel'));
  });

  it("each server's history answers for it: the second's incident with its start, none on the first", async () => {
    // The window asks for the server it shows by its id; without one, the selected (first) server's.
    const theirs = await ok('history.incidents', { days: 1, profileId: b });
    const incident = theirs.incidents.find((i) => i.check === 'unit:matrix-tuwunel');
    expect(incident).toMatchObject({ endReason: 'recovered' });
    expect(incident?.actions.map((x) => [x.action, x.outcome])).toContainEqual(['stack.start', 'ok']);
    for (const mine of [
      await ok('history.incidents', { days: 1 }),
      await ok('history.incidents', { days: 1, profileId: a }),
    ])
      expect(mine.incidents.filter((i) => i.check === 'unit:matrix-tuwunel')).toEqual([]);
    // Tuwunel's availability: below 1 on the second server, which was down; whole on the first.
    const tuwunel = async (profileId: string) =>
      (await ok('history.summary', { range: '24h', profileId })).checks.find(
        (c) => c.check === 'unit:matrix-tuwunel',
      )?.availability['24h'];
    expect(await tuwunel(b)).toBeLessThan(1);
    expect(await tuwunel(a)).toBe(1);
    const strip = await ok('history.check', { check: 'unit:matrix-tuwunel', range: '24h', profileId: b });
    expect(strip.bars.bars.some((bar) => bar.state === 'down' || bar.state === 'partial')).toBe(true);
    expect(
      await d.router.handle('history.summary', { range: '24h', profileId: 'no-such-server' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'InvalidInput', field: 'profile' },
    });
  });

  it('each server is forecast: its domain notice names it by profile id, so a click opens the window on it', async () => {
    const forecasts = await until('a domain forecast for each server', () => {
      const told = notices.filter((n) => n.kind === 'forecast' && n.title.includes('domain registration'));
      return new Set(told.map((n) => n.profileId)).size === 2 && told;
    });
    expect(new Set(forecasts.map((n) => n.profileId))).toEqual(new Set([a, b]));
    for (const n of forecasts)
      expect(n.title).toMatch(/^lab\.test: domain registration ends in (9|10) days$/);
  });

  it('a mute is the server’s it names: the second muted, the first still alerts and shows no mute', async () => {
    const { mute } = await ok('mutes.set', { target: { kind: 'server' }, duration: '1h', profileId: b });
    expect(mute.key).toBe('server');
    const servers = (await ok('status.all', {})).servers;
    expect(serverOf(servers, b)?.mutes.map((m) => m.key)).toEqual(['server']);
    expect(serverOf(servers, a)?.mutes).toEqual([]);
    expect((await ok('status.get', {})).mutes).toEqual([]);

    // Muted, the second server's outage reaches neither the desktop nor the webhook; its status still fails.
    alerts.length = 0;
    const sent = hookBodies().length;
    await second.hosts.homeserver.sh('systemctl stop matrix-tuwunel');
    try {
      await until('the second server to fail, muted', async () => {
        const s = serverOf((await ok('status.all', {})).servers, b);
        return s?.checks.some((c) => c.id === 'unit:matrix-tuwunel' && c.alert === 'down' && c.muted) && s;
      });
      expect(alerts.filter((x) => x.alerts.some((al) => al.kind === 'down'))).toEqual([]);
      expect(
        hookBodies()
          .slice(sent)
          .filter((x) => x.event === 'down'),
      ).toEqual([]);
      // The tray's unmute of that section, as main.ts wires it: the second server's mute ends.
      expect(await d.service.mutes.clear('server', b)).toEqual({ cleared: true });
      expect(serverOf((await ok('status.all', {})).servers, b)?.mutes).toEqual([]);
    } finally {
      await second.hosts.homeserver.sh('systemctl start matrix-tuwunel');
    }
    await until('the second server healthy again', async () =>
      healthy(serverOf((await ok('status.all', {})).servers, b)),
    );
  });

  it('switching shows what the other core kept: its status at once, its runs; the first keeps polling', async () => {
    const restart = finishedRuns.at(-1)?.run.runId as string;
    const before = (await ok('status.get', {})).lastRefresh;
    await ok('profiles.select', { id: b });
    const shown = await ok('status.get', {});
    expect(shown.profileId).toBe(b);
    expect(shown.lastRefresh).not.toBeNull();
    expect((await ok('runs.list', {})).runs.map((r) => r.runId)).toContain(restart);
    expect((await ok('runs.get', { runId: restart })).state).toBe('ok');
    // The first server was not closed by the switch: it polls on.
    await until('the first server to poll again', async () => {
      const first = serverOf((await ok('status.all', {})).servers, a);
      return first?.lastRefresh !== before && first;
    });
    await ok('profiles.select', { id: a });
    expect((await ok('runs.list', {})).runs.map((r) => r.runId)).not.toContain(restart);
  });
});
