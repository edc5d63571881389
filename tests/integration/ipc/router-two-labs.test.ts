import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertView } from '../../../src-main/app/views/alert-view';
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
import { type DesktopUnderTest, startDesktop } from '../../e2e/harness/desktop';
import { startLab } from '../../lab/lab';
import type { Lab } from '../../lab/types';

/**
 * Two homeservers watched by one app: two labs (each its own sshd, stand-ins, HTTPS and vault repo; the
 * second started in a folder of its own, so it has its own owner), two profiles, one core each. The
 * window's router and the tray's and notifications' direct calls, checked against the contract.
 */
let d: DesktopUnderTest;
let second: Lab;
let a = '';
let b = '';
const events: ContractEvent[] = [];
const alerts: { server: string; alerts: readonly AlertView[] }[] = [];
const finishedRuns: { server: string; run: RunState }[] = [];

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
  [d, second] = await Promise.all([
    startDesktop({ profile: 'saved' }),
    startLab({ keyring: false, trustHostKeys: false }),
  ]);
  a = (await ok('profiles.list', {})).selectedId as string;
  d.router.subscribe((e) => {
    events.push(e);
    expect(eventChannels[e.channel].safeParse(e.payload).success, e.channel).toBe(true);
  });
  d.service.onAlerts((told, server) => alerts.push({ server: server.profileId, alerts: told }));
  d.service.onRunFinished((run, server) => finishedRuns.push({ server: server.profileId, run }));
}, 240_000);

afterAll(async () => {
  await d?.stop();
  await second?.stop();
});

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
  });

  it('the tray fixes it on its server while the window shows the other; the run is that server’s', async () => {
    const prepared = await d.service.actions.prepare('tuwunel.restart', {}, b);
    const { runId } = await prepared.start(true);
    const finished = await until('the restart on the second server', () =>
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
