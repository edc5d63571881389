import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileStateDir } from '../../../src-main/app/session';
import type { MonitorNotice } from '../../../src-main/app/views/monitor-notice';
import { BOOTSTRAP_CACHE_FILE } from '../../../src-main/core/forecast/rdap';
import { MAINTENANCE_MODE_KEY, MaintenanceStore } from '../../../src-main/core/runbook/maintenance';
import { StickyAlerts } from '../../../src-main/core/runbook/sticky-alerts';
import { MuteStore } from '../../../src-main/core/status/mutes';
import {
  type ContractEvent,
  type EventChannel,
  eventChannels,
  type InvokeChannel,
  invokeChannels,
  type PayloadOf,
  type RequestOf,
  type Result,
  type ValueOf,
} from '../../../src-main/ipc/contract';
import { type DesktopUnderTest, FAST_SETTINGS, startDesktop } from '../../e2e/harness/desktop';
import { type Receiver, startReceiver } from '../../lab/receiver';

/**
 * The router over a real core (openApp → createCore) on the lab: sshd, bash stand-ins, git, ansible-vault,
 * gnome-keyring. Every invoke channel at least once, on the path a window takes: first run, a profile,
 * trusted keys, secrets, status, runs, logs, the token, invites, the admin's Matrix session. Every answer
 * and every event is checked against the contract's own zod schemas.
 */
let d: DesktopUnderTest;
let rx: Receiver;
const events: ContractEvent[] = [];
const notices: MonitorNotice[] = [];
const HOOK_SECRET = 'lab-hook-secret-router';
/** lab.test's registration, as the lab receiver's RDAP registry answers it: ends in 10 days. */
const DOMAIN_ENDS = new Date(Date.now() + 10 * 86_400_000).toISOString();

/** A webhook at the lab receiver, with its secret in a header. */
function hookChannel() {
  return {
    id: 'ops',
    name: 'Ops webhook',
    type: 'webhook' as const,
    enabled: true,
    events: ['down', 'still-down', 'recovered'] as ('down' | 'still-down' | 'recovered')[],
    url: `${rx.url}/hook/alerts`,
    secretHeader: 'X-Alert-Secret',
  };
}
const called = new Set<string>();

async function call<C extends InvokeChannel>(channel: C, request: RequestOf<C>): Promise<Result<ValueOf<C>>> {
  called.add(channel);
  const r = (await d.router.handle(channel, request)) as Result<ValueOf<C>>;
  expect(r.ok ? invokeChannels[channel].result.safeParse(r.value).success : true, channel).toBe(true);
  return r;
}

async function ok<C extends InvokeChannel>(channel: C, request: RequestOf<C>): Promise<ValueOf<C>> {
  const r = await call(channel, request);
  if (!r.ok) throw new Error(`${channel} failed: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function refused<C extends InvokeChannel>(channel: C, request: unknown) {
  called.add(channel);
  const r = await d.router.handle(channel, request);
  if (r.ok) throw new Error(`${channel} answered ok to ${JSON.stringify(request)}`);
  return r.error;
}

function eventsOf<E extends EventChannel>(channel: E): PayloadOf<E>[] {
  return events.filter((e) => e.channel === channel).map((e) => e.payload as PayloadOf<E>);
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function finished(runId: string) {
  return until(`run ${runId}`, () => eventsOf('run.finished').find((r) => r.runId === runId), 60_000);
}

beforeAll(async () => {
  rx = await startReceiver({
    hookSecret: { header: 'X-Alert-Secret', value: HOOK_SECRET },
    rdapDomains: { 'lab.test': DOMAIN_ENDS },
  });
  // The channel and its secret are there from the first poll on: a forecast (told once) finds it.
  d = await startDesktop({
    profile: 'none',
    settings: { ...FAST_SETTINGS, alertChannels: [hookChannel()] },
    monitoring: { bootstrapUrl: `${rx.url}/rdap/dns.json`, retryDelayMs: 50 },
  });
  const stored = await d.router.handle('alerts.setSecret', { channelId: 'ops', value: HOOK_SECRET });
  if (!stored.ok) throw new Error(`storing the channel secret failed: ${stored.error.message}`);
  d.service.onNotice((n) => notices.push(n));
  d.router.subscribe((e) => {
    events.push(e);
    expect(eventChannels[e.channel].safeParse(e.payload).success, e.channel).toBe(true);
  });
});

afterAll(async () => {
  await d?.stop();
  await rx?.close();
});

describe('first run (no profile)', () => {
  it('says first run, and answers channels that need a profile with NoProfile', async () => {
    expect(await ok('app.info', {})).toEqual({
      version: '0.0.0-e2e',
      platform: process.platform,
      firstRun: true,
    });
    expect(await ok('profiles.list', {})).toEqual({ profiles: [], selectedId: null });
    const e = await refused('status.get', {});
    expect(e).toMatchObject({ code: 'NoProfile' });
    expect(e.nextStep).toMatch(/profile/);
  });

  it('offers the example profile and validates drafts with the real schema', async () => {
    const { draft } = await ok('profiles.example', {});
    expect(draft).toMatchObject({ serverName: 'rampancy.cloud' });
    expect(await ok('profiles.validate', { draft })).toEqual({ issues: [] });
    const { issues } = await ok('profiles.validate', {
      draft: { ...draft, hosts: { homeserver: { address: 'bad host', user: 'admin' } } },
    });
    expect(issues.map((i) => i.field)).toContain('hosts.homeserver.address');
  });

  it('imports YAML (pasted or from the file dialog) without saving it', async () => {
    const bad = await ok('profiles.importYaml', { yaml: 'name: [unclosed' });
    expect(bad.issues[0]?.field).toBe('(yaml)');
    const notMap = await ok('profiles.importYaml', { yaml: '- a\n- b\n' });
    expect(notMap.issues).toEqual([{ field: '(root)', message: 'is not a mapping of profile keys' }]);

    d.hooks.nextProfileFile = null;
    expect(await ok('profiles.importFile', {})).toEqual({ draft: null, issues: [] });
    d.hooks.nextProfileFile = d.lab.profilePath;
    const imported = await ok('profiles.importFile', {});
    expect(imported.issues).toEqual([]);
    expect(imported.draft).toMatchObject({ serverName: 'lab.test' });
    const big = join(d.dataDir, 'big.yaml');
    await writeFile(big, `name: x\n# ${'x'.repeat(1_100_000)}\n`);
    d.hooks.nextProfileFile = big;
    expect(await refused('profiles.importFile', {})).toMatchObject({ code: 'InvalidInput', field: 'file' });
    expect((await ok('profiles.list', {})).profiles).toEqual([]);
  });

  it('refuses an invalid profile with every issue, then saves, selects and reads back the lab one', async () => {
    const e = await refused('profiles.save', { id: null, draft: { name: 'x' } });
    expect(e.code).toBe('ProfileInvalid');
    expect(e.issues?.map((i) => i.field)).toEqual(
      expect.arrayContaining(['serverName', 'publicUrl', 'hosts']),
    );

    const yaml = await readFile(d.lab.profilePath, 'utf8');
    const { draft } = await ok('profiles.importYaml', { yaml });
    const { id } = await ok('profiles.save', { id: null, draft });
    expect(id).toBe('lab-lab.test');
    await until('profiles.changed', () => eventsOf('profiles.changed').find((p) => p.selectedId === id));
    expect((await ok('profiles.get', { id })).draft).toMatchObject({ name: 'Lab (lab.test)' });
    expect(await ok('profiles.select', { id })).toMatchObject({ selectedId: id });
    expect((await ok('app.info', {})).firstRun).toBe(false);
    expect(await refused('profiles.get', { id: 'nope' })).toMatchObject({ code: 'InvalidInput' });
  });
});

describe('hosts and secrets', () => {
  it('meets the unknown host key, refuses a wrong fingerprint, trusts the right one', async () => {
    const e = await refused('onboarding.testHost', { host: 'homeserver' });
    expect(e.code).toBe('HostKeyUnknown');
    const lab = d.lab.hosts.homeserver;
    expect(e.hostKey).toEqual({
      host: 'homeserver',
      address: lab.address,
      port: lab.port,
      keyType: lab.keyType,
      fingerprint: lab.fingerprint,
    });
    const wrong = await refused('hostkey.trust', {
      host: 'homeserver',
      fingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      permanent: true,
    });
    expect(wrong).toMatchObject({ code: 'InvalidInput', field: 'fingerprint' });
    expect(
      await ok('hostkey.trust', { host: 'homeserver', fingerprint: lab.fingerprint, permanent: true }),
    ).toEqual({
      trusted: true,
    });
    // Asked twice (a poll re-opened the dialog): the key is already trusted, so that is an answer too.
    expect(
      await ok('hostkey.trust', { host: 'homeserver', fingerprint: lab.fingerprint, permanent: true }),
    ).toEqual({
      trusted: true,
    });
    const test = await ok('onboarding.testHost', { host: 'homeserver' });
    expect(test).toMatchObject({ host: 'homeserver', sudo: 'password-missing' });
    expect(test.sentence).toMatch(/^Logged in as root; sudo asks for a password/);

    const deploy = d.lab.hosts.deploy;
    const scanned = await refused('onboarding.testHost', { host: 'deploy' });
    expect(scanned.hostKey?.fingerprint).toBe(deploy.fingerprint);
    await ok('hostkey.trust', { host: 'deploy', fingerprint: deploy.fingerprint, permanent: false });
    expect(await ok('onboarding.testHost', { host: 'deploy' })).toMatchObject({ sudo: 'not-needed' });
  });

  it('stores secrets write-only: set, has, list, delete — and there is no channel to read one', async () => {
    const listed = await ok('secrets.list', {});
    const slots = listed.secrets;
    // A profile made by this version: no earlier name-keyed secrets to report.
    expect(listed.migration).toBeNull();
    expect(slots).toContainEqual({ kind: 'sudo-password', host: 'homeserver', stored: false });
    expect(slots).toContainEqual({ kind: 'vault-password', host: null, stored: false });
    expect(slots.some((s) => s.kind === 'sudo-password' && s.host === 'deploy')).toBe(false);

    expect(await refused('secrets.set', { kind: 'sudo-password', host: null, value: 'x' })).toMatchObject({
      code: 'InvalidInput',
      field: 'host',
    });
    expect(
      await ok('secrets.set', {
        kind: 'sudo-password',
        host: 'homeserver',
        value: d.lab.secrets.sudoPassword,
      }),
    ).toEqual({ stored: true });
    // ansible-vault trims its password file; the keychain keeps what it would use.
    await ok('secrets.set', {
      kind: 'vault-password',
      host: null,
      value: `  ${d.lab.secrets.vaultPassword}\n`,
    });
    const core = d.app.core();
    const stored = await core?.secrets.get({ profile: 'Lab (lab.test)', kind: 'vault-password' });
    expect(stored?.toString()).toBe(d.lab.secrets.vaultPassword);
    expect(await ok('secrets.has', { kind: 'sudo-password', host: 'homeserver' })).toEqual({ stored: true });
    expect(await ok('secrets.set', { kind: 'ssh-password', host: 'deploy', value: 'unused' })).toEqual({
      stored: true,
    });
    expect(await ok('secrets.delete', { kind: 'ssh-password', host: 'deploy' })).toEqual({ deleted: true });
    expect(await ok('secrets.has', { kind: 'ssh-password', host: 'deploy' })).toEqual({ stored: false });

    for (const channel of ['secrets.get', 'secrets.read', 'secrets.value', 'token.get']) {
      expect(
        await refused(channel as InvokeChannel, { kind: 'sudo-password', host: 'homeserver' }),
      ).toMatchObject({
        code: 'InvalidInput',
        field: 'channel',
      });
    }
    const anyGet = Object.keys(invokeChannels).filter((c) => c.startsWith('secrets.'));
    expect(anyGet.sort()).toEqual(['secrets.delete', 'secrets.has', 'secrets.list', 'secrets.set']);
    // No answer or event ever carried a secret value.
    const wire = JSON.stringify(events);
    for (const secret of [d.lab.secrets.sudoPassword, d.lab.secrets.vaultPassword])
      expect(wire).not.toContain(secret);

    expect(await ok('onboarding.testHost', { host: 'homeserver' })).toMatchObject({
      sudo: 'password-stored',
    });
  });

  it('forgets a pin on request and lists none left in the profile file', async () => {
    const forgot = await ok('hostkey.forget', { host: 'deploy' });
    expect(forgot).toEqual({ removed: 0, stillPinnedBy: [] });
    // The live connection was verified when it opened; the next one asks again.
    await d.app.core()?.pool.disconnect('deploy');
    const again = await refused('onboarding.testHost', { host: 'deploy' });
    expect(again.code).toBe('HostKeyUnknown');
    await ok('hostkey.trust', {
      host: 'deploy',
      fingerprint: d.lab.hosts.deploy.fingerprint,
      permanent: true,
    });
  });
});

describe('status, actions and runs', () => {
  it('refreshes the status in the contract shape', async () => {
    const s = await ok('status.refresh', {});
    expect(s.profileId).toBe('lab-lab.test');
    expect(s.hosts.map((h) => [h.host, h.reachable])).toEqual([
      ['homeserver', true],
      ['deploy', true],
      ['public', true],
    ]);
    expect(s.hosts[0]?.target).toBe(`root@${d.lab.hosts.homeserver.address}:${d.lab.hosts.homeserver.port}`);
    expect(s.checks.find((c) => c.id === 'unit:matrix-tuwunel')).toMatchObject({ level: 'ok', alert: 'up' });
    expect(s.maintenance).toEqual({ on: false, since: null, reason: null });
    expect(await ok('status.get', {})).toMatchObject({
      profileId: 'lab-lab.test',
      lastRefresh: s.lastRefresh,
    });
    await until('a status event', () => eventsOf('status.changed').length > 0);
    // One profile, one server: status.all is the same snapshot, named by its profile.
    const { servers } = await ok('status.all', {});
    expect(servers.map((x) => x.profileId)).toEqual(['lab-lab.test']);
  });

  it('picks up at its next poll what another process did: its maintenance stop and its alert, told once', async () => {
    const uid = d.app.core()?.profile.uid ?? '';
    const shared = profileStateDir(d.dataDir, uid);
    // Another process of the same profile (a CLI): its own stores on the same files.
    const theirMaintenance = new MaintenanceStore(join(shared, 'maintenance.json'));
    const theirAlerts = new StickyAlerts(join(shared, 'alerts.json'));
    const told: string[] = [];
    const off = d.service.onAlerts((alerts) => told.push(...alerts.map((a) => `${a.kind} ${a.check.title}`)));
    try {
      theirMaintenance.enter({
        key: MAINTENANCE_MODE_KEY,
        units: 'all',
        reason: 'all services stopped',
        persistent: true,
      });
      theirAlerts.raise({
        id: 'tuwunel-stopped',
        title: 'matrix-tuwunel is stopped',
        message: 'After making @bob:lab.test an admin, matrix-tuwunel could not be confirmed running.',
        fixActionId: 'stack.start',
        profile: 'lab.test',
        runId: 'run-in-another-process',
        raisedAt: new Date().toISOString(),
      });
      const s = await ok('status.refresh', {});
      expect(s.maintenance).toMatchObject({ on: true, reason: 'all services stopped' });
      expect(s.stickyAlerts.map((a) => a.id)).toEqual(['tuwunel-stopped']);
      // Shown once, as itself: not also as a check.
      expect(s.checks.some((c) => c.id.startsWith('alert:'))).toBe(false);
      await ok('status.refresh', {});
      expect(told).toEqual(['down matrix-tuwunel is stopped']);
    } finally {
      off();
      theirMaintenance.leave(MAINTENANCE_MODE_KEY);
      theirAlerts.clear('tuwunel-stopped');
    }
    const after = await ok('status.refresh', {});
    expect(after.maintenance.on).toBe(false);
    expect(after.stickyAlerts).toEqual([]);
  });

  it('lists the catalog with serialisable parameters and per-profile impact', async () => {
    const { actions } = await ok('actions.list', {});
    const byId = new Map(actions.map((a) => [a.id, a]));
    expect(byId.get('stack.stop')).toMatchObject({
      danger: 'outage',
      readOnly: false,
      // Telling people before the stop is asked for, never assumed (issue 17.3).
      params: [expect.objectContaining({ name: 'notify', kind: 'boolean', default: false, required: false })],
    });
    // Without an admin token user actions go through the CLI (Tuwunel stopped): an outage.
    expect(byId.get('user.make-admin')).toMatchObject({ danger: 'outage', requiresAdminToken: false });
    expect(byId.get('user.make-admin')?.params[0]).toMatchObject({
      name: 'user',
      label: 'Their Matrix ID',
      kind: 'text',
      required: true,
      format: 'matrix-user',
    });
    // admin.command's impact depends on the command: per request.
    expect(byId.get('admin.command')).toMatchObject({
      danger: null,
      requiresAdminToken: true,
    });
    expect(byId.get('logs.follow')?.params[0]).toMatchObject({
      kind: 'choice',
      default: 'matrix-tuwunel',
      required: false,
    });
    expect(byId.get('user.deactivate')?.params[1]).toMatchObject({
      name: 'leaveRooms',
      kind: 'boolean',
      default: true,
    });
    expect(byId.has('token.rotate')).toBe(true);
  });

  it('plans with bound parameters and refuses bad ones at their field', async () => {
    const plan = await ok('actions.plan', { actionId: 'user.make-admin', params: { user: 'bob' } });
    expect(plan).toMatchObject({
      actionId: 'user.make-admin',
      params: { user: '@bob:lab.test' },
      route: 'cli',
    });
    expect(plan.confirm).toContain('@bob:lab.test');
    expect(plan.steps.map((s) => s.phase)).toContain('finally');
    const bad = await refused('actions.plan', {
      actionId: 'user.make-admin',
      params: { user: '@bob:other.org' },
    });
    expect(bad).toMatchObject({ code: 'InvalidInput', field: 'user' });
    expect(await refused('actions.plan', { actionId: 'nope', params: {} })).toMatchObject({
      code: 'UnknownAction',
    });
    expect(
      await refused('actions.run', { actionId: 'logs.follow', params: {}, confirmation: null }),
    ).toMatchObject({
      code: 'InvalidInput',
      field: 'actionId',
    });
  });

  it('runs maintenance stop only with the confirmation of its plan, with live output, then start', async () => {
    const unconfirmed = await refused('actions.run', {
      actionId: 'stack.stop',
      params: {},
      confirmation: null,
    });
    expect(unconfirmed.code).toBe('ConfirmationRequired');
    // A window that makes up a confirmation, or brings one of another plan, is refused the same way.
    const forged = await refused('actions.run', {
      actionId: 'stack.stop',
      params: {},
      confirmation: 'made-up',
    });
    expect(forged.code).toBe('ConfirmationRequired');
    const other = await ok('actions.plan', { actionId: 'tuwunel.restart', params: {} });
    expect(
      (await refused('actions.run', { actionId: 'stack.stop', params: {}, confirmation: other.confirmation }))
        .code,
    ).toBe('ConfirmationRequired');
    expect(await d.lab.state.unitActive('matrix-tuwunel')).toBe(true);

    const plan = await ok('actions.plan', { actionId: 'stack.stop', params: {} });
    expect(plan.confirmation).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const { runId } = await ok('actions.run', {
      actionId: 'stack.stop',
      params: {},
      confirmation: plan.confirmation,
    });
    const run = await finished(runId);
    expect(run).toMatchObject({ state: 'ok', actionId: 'stack.stop' });
    expect(eventsOf('run.updated').some((r) => r.runId === runId && r.state === 'running')).toBe(true);
    expect(await d.lab.state.unitActive('matrix-tuwunel')).toBe(false);
    const status = await ok('status.get', {});
    expect(status.maintenance.on).toBe(true);
    expect(status.maintenance.since).not.toBeNull();

    const detail = await ok('runs.get', { runId });
    const seqs = detail.output.map((c) => c.seq);
    expect(seqs).toEqual([...seqs.keys()]);
    const streamed = eventsOf('run.output')
      .filter((o) => o.runId === runId)
      .flatMap((o) => o.chunks.map((c) => c.seq));
    expect(streamed).toEqual(seqs);
    expect((await ok('runs.list', {})).runs[0]).toMatchObject({ runId, state: 'ok' });
    expect(await ok('runs.copyOutput', { runId })).toEqual({ copied: true });
    expect(d.clipboard.writes.at(-1)).toEqual({
      text: detail.output.map((c) => c.text).join(''),
      concealed: false,
    });

    // Good once: the same confirmation does not stop the stack a second time.
    expect(
      (await refused('actions.run', { actionId: 'stack.stop', params: {}, confirmation: plan.confirmation }))
        .code,
    ).toBe('ConfirmationRequired');
    const start = await ok('actions.run', { actionId: 'stack.start', params: {}, confirmation: null });
    expect((await finished(start.runId)).state).toBe('ok');
    expect(await d.lab.state.unitActive('matrix-tuwunel')).toBe(true);
    expect((await ok('status.get', {})).maintenance.on).toBe(false);
  });

  it('lets the tray prepare an action once and start that plan, without the router', async () => {
    const prepared = await d.service.actions.prepare('stack.start', {});
    expect(prepared.plan).toMatchObject({ actionId: 'stack.start', danger: 'safe' });
    expect(invokeChannels['actions.plan'].result.safeParse(prepared.plan).success).toBe(true);
    const { runId } = await prepared.start(false);
    const run = await finished(runId);
    expect(run.state).toBe('ok');
    expect(run.steps.map((s) => s.command)).toEqual(prepared.plan.steps.map((s) => s.command));
    await expect(prepared.start(false)).rejects.toThrow(/already started/);
    await expect(d.service.actions.prepare('logs.follow', {})).rejects.toMatchObject({ field: 'actionId' });
  });

  it('cancels a run; unknown run ids are refused', async () => {
    d.lab.faults.hang('deploy', 'git pull*', 1);
    const { runId } = await ok('actions.run', { actionId: 'deploy.update', params: {}, confirmation: null });
    await until('the pull to start', () =>
      eventsOf('run.updated').find((r) => r.runId === runId && r.steps.some((s) => s.state === 'running')),
    );
    expect(await ok('runs.cancel', { runId })).toEqual({ cancelling: true });
    expect((await finished(runId)).state).toBe('cancelled');
    expect(await ok('runs.cancel', { runId })).toEqual({ cancelling: false });
    expect(await refused('runs.get', { runId: 'nope' })).toMatchObject({ field: 'runId' });
    expect(await refused('runs.copyOutput', { runId: 'nope' })).toMatchObject({ field: 'runId' });
  });

  it('follows a log as logs.lines (not run events) and stops it', async () => {
    await d.lab.state.setUnitState('matrix-traefik', 'failed');
    const { streamId } = await ok('logs.follow', { unit: 'matrix-traefik' });
    const lines = await until('journal lines', () => {
      const all = eventsOf('logs.lines')
        .filter((l) => l.streamId === streamId)
        .flatMap((l) => l.lines);
      return all.some((l) => l.includes('Main process exited')) ? all : undefined;
    });
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    expect(eventsOf('run.updated').some((r) => r.runId === streamId)).toBe(false);
    expect((await ok('runs.list', {})).runs.some((r) => r.runId === streamId)).toBe(false);
    expect(await ok('logs.stop', { streamId })).toEqual({ stopped: true });
    await until('logs.ended', () =>
      eventsOf('logs.ended').find((e) => e.streamId === streamId && e.error === null),
    );
    expect(await refused('logs.stop', { streamId: 'nope' })).toMatchObject({ field: 'streamId' });
    await d.lab.state.setUnitActive('matrix-traefik', true);
  });
});

describe('the registration token and invites', () => {
  it('copies (clearing later), reveals once with its expiry event, and rotates as a run', async () => {
    const before = Date.now();
    const { clearsAt } = await ok('token.copy', {});
    expect(d.clipboard.content).toBe(d.lab.secrets.registrationToken);
    expect(Date.parse(clearsAt ?? '') - before).toBeGreaterThanOrEqual(9_000);

    const shown = await ok('token.reveal', {});
    expect(shown.token).toBe(d.lab.secrets.registrationToken);
    expect(Date.parse(shown.hideAt) - Date.now()).toBeGreaterThan(8_000);

    expect((await refused('token.rotate', { apply: false, confirmation: null })).code).toBe(
      'ConfirmationRequired',
    );
    const plan = await ok('actions.plan', { actionId: 'token.rotate', params: { apply: false } });
    const rotate = await ok('token.rotate', { apply: false, confirmation: plan.confirmation });
    const run = await finished(rotate.runId);
    expect(run).toMatchObject({ state: 'ok', actionId: 'token.rotate', followUps: [] });
    expect(run.sentence).toMatch(/rotated, pushed and pulled/);
    // Nothing was left to roll back: the rollback run says so.
    const rollback = await ok('token.rollback', { runId: rotate.runId });
    expect((await finished(rollback.runId)).actionId).toBe('token.rollback');

    // The clipboard is cleared after the delay and the reveal expires ~10 s after it was given.
    await until('clipboard.cleared', () => eventsOf('clipboard.cleared').length > 0, 15_000);
    expect(eventsOf('clipboard.cleared')).toEqual([{ what: 'registration-token', cleared: true }]);
    expect(d.clipboard.content).toBe('');
    await until('token.revealExpired', () => eventsOf('token.revealExpired').length > 0, 15_000);
    expect(JSON.stringify(events)).not.toContain(d.lab.secrets.registrationToken);
  });

  it('logs the admin in (wrong password refused), makes invites, and logs out', async () => {
    const wrong = await refused('matrix.login', { userId: 'admin', password: 'wrong' });
    expect(wrong).toMatchObject({ code: 'LoginRefused' });
    expect(wrong.message).toMatch(/403 M_FORBIDDEN/);
    expect(await refused('matrix.login', { userId: '@admin:elsewhere.org', password: 'x' })).toMatchObject({
      field: 'userId',
    });
    expect(await ok('matrix.login', { userId: 'admin', password: d.lab.secrets.adminPassword })).toEqual({
      userId: d.lab.secrets.adminUserId,
    });
    expect(await ok('secrets.has', { kind: 'matrix-admin-token', host: null })).toEqual({ stored: true });

    const made = await ok('invite.create', { uses: 2, expiresInDays: 7 });
    expect(made.invite).toMatchObject({ usesAllowed: 2, completed: 0 });
    expect(made.invite.hint).toMatch(/^.{4}…$/);
    expect(d.clipboard.content.startsWith(made.invite.hint.slice(0, 4))).toBe(true);
    const listed = await ok('invite.list', {});
    expect(listed.invites.map((i) => i.id)).toContain(made.invite.id);
    expect(JSON.stringify(listed)).not.toContain(d.clipboard.content);
    expect(await ok('invite.copyToken', { id: made.invite.id })).toHaveProperty('clearsAt');
    expect(await ok('invite.copyInstructions', {})).toEqual({ copied: true });
    expect(d.clipboard.content).toContain('lab.test');
    expect(await ok('invite.revoke', { id: made.invite.id })).toEqual({ revoked: true });
    expect(await refused('invite.copyToken', { id: made.invite.id })).toMatchObject({ field: 'invite' });
    expect(
      await refused('invite.create', { uses: 1, expiresInDays: 1, inviteTo: '#family:lab.test; rm -rf /' }),
    ).toMatchObject({ field: 'room' });
    const spare = await ok('invite.create', { uses: 1, expiresInDays: 1, inviteTo: '#family:lab.test' });
    expect(spare.invite).toMatchObject({ inviteTo: '#family:lab.test', state: 'pending' });
    expect(await ok('invite.revokeUnused', {})).toEqual({ revoked: 1 });
    expect((await ok('invite.list', {})).invites.find((i) => i.hint === spare.invite.hint)).toMatchObject({
      state: 'revoked',
    });
    expect(await ok('invite.autoJoinRooms', {})).toEqual({ rooms: [], problem: null });

    // From issue to "joined": registered through the client API, brought into #family; the window's invite list
    // sees it used first, and the next poll still tells it (once) to the window and the notifications.
    const told: { ended: unknown; server: unknown }[] = [];
    const off = d.service.onInviteEnded((ended, server) => told.push({ ended, server }));
    const forNana = await ok('invite.create', { uses: 1, expiresInDays: 1, inviteTo: '#family:lab.test' });
    await d.lab.client.register({
      username: 'nana',
      password: 'family-password-1',
      token: d.clipboard.content,
    });
    expect((await ok('invite.list', {})).invites.find((i) => i.hint === forNana.invite.hint)).toMatchObject({
      state: 'used',
      joined: ['@nana:lab.test'],
      inviteTo: '#family:lab.test',
    });
    const joined = await until(
      'invite.ended',
      async () => {
        await ok('status.refresh', {});
        return eventsOf('invite.ended').find((e) => e.hint === forNana.invite.hint);
      },
      30_000,
    );
    await ok('status.refresh', {});
    await new Promise((r) => setTimeout(r, 300));
    off();
    expect(eventsOf('invite.ended').filter((e) => e.hint === forNana.invite.hint)).toHaveLength(1);
    expect(joined).toEqual({
      hint: forNana.invite.hint,
      state: 'used',
      joined: ['@nana:lab.test'],
      invitedTo: '#family:lab.test',
      inviteProblem: null,
    });
    expect(told).toEqual([
      { ended: joined, server: { profileId: expect.any(String), serverName: 'lab.test' } },
    ]);
    expect(d.lab.roomInvites().map((i) => i.user_id)).toEqual(['@nana:lab.test']);

    // People on Tuwunel 1.7.0: the admin room lists; what would leave a secret in it, or cannot be, is refused.
    const page = await ok('people.list', { from: 0, limit: 50, search: '', devices: true });
    expect(page).toMatchObject({ route: 'admin-room', nextFrom: null });
    expect(page.users.map((u) => u.userId)).toContain('@bob:lab.test');
    expect(await ok('people.show', { user: 'bob' })).toMatchObject({
      userId: '@bob:lab.test',
      devices: null,
    });
    const clipboardBefore = d.clipboard.content;
    for (const [channel, request] of [
      ['people.devices', { user: 'bob' }],
      ['people.signOut', { user: 'bob', deviceId: null }],
      ['people.resetPassword', { user: 'bob', signOut: false, password: null }],
      ['people.sendNotice', { text: 'The server restarts at 21:00 for about five minutes.' }],
      ['people.setAdmin', { user: 'bob', admin: false }],
      ['people.deactivate', { user: 'bob', leaveRooms: true, erase: true }],
    ] as const)
      expect(await refused(channel, request), channel).toMatchObject({ code: 'PeopleRefused' });
    expect(d.clipboard.content).toBe(clipboardBefore);
    expect(await refused('people.show', { user: '@bob:elsewhere.org' })).toMatchObject({ field: 'user' });

    expect(await ok('matrix.logout', {})).toEqual({ revoked: true });
    expect(await ok('matrix.logout', {})).toEqual({ revoked: false });
  });
});

describe('history, off-host alerts and forecasts (lab receiver)', () => {
  const hookBodies = () =>
    rx
      .requests('hook')
      .map((r) => r.json as { event: string; title: string; alerts: { check: { id: string } }[] });

  it('keeps every poll in history.sqlite: the server’s strip, its availability, response times per check', async () => {
    await ok('status.refresh', {});
    const summary = await ok('history.summary', { range: '24h' });
    expect(summary.range).toBe('24h');
    expect(summary.bars.bars).toHaveLength(48);
    // The lab's allowlist is unanchored (a warning): up, with warnings.
    expect(summary.bars.bars.at(-1)?.state).toMatch(/^(up|degraded|partial)$/);
    expect(summary.server?.availability['24h']).toBeGreaterThan(0);
    const spark = new Set(summary.sparklines.map((s) => s.check));
    for (const id of ['ssh:homeserver', 'ssh:deploy', 'http:client-versions'])
      expect(spark, id).toContain(id);
    expect(summary.checks.map((c) => c.check)).toContain('unit:matrix-tuwunel');
    const one = await ok('history.check', { check: 'http:client-versions', range: '7d' });
    expect(one.bars.bars).toHaveLength(42);
    expect(one.sparkline.points.some((p) => p.avgMs !== null && p.avgMs > 0)).toBe(true);
  });

  it('lists the channel with its secret stored, sends a test, and tells a failing channel once', async () => {
    const channel = hookChannel();
    expect((await ok('alerts.channels', {})).channels).toEqual([
      { channel, secretKind: 'webhook-secret', secretStored: true, warning: null },
    ]);
    const channelNotices = () => notices.filter((n) => n.kind.startsWith('channel-')).map((n) => n.kind);
    expect(await ok('alerts.test', { channelId: 'ops' })).toEqual({ channelId: 'ops', ok: true });
    const test = rx.requests('hook').at(-1);
    expect(test?.headers['x-alert-secret']).toBe(HOOK_SECRET);
    expect(test?.json).toMatchObject({ source: 'homeserver-tray', event: 'test', server: 'lab.test' });

    // A 5xx is retried once; still failing, it is told once, and once more when it works again.
    rx.setFault('hook', { status: 503, times: 4 });
    const failed = await ok('alerts.test', { channelId: 'ops' });
    expect(failed).toMatchObject({ ok: false, error: { code: 'AlertChannelFailed' } });
    expect(failed.error?.message).toContain('503');
    expect(await ok('alerts.test', { channelId: 'ops' })).toMatchObject({ ok: false });
    expect(channelNotices()).toEqual(['channel-failed']);
    expect(notices.find((n) => n.kind === 'channel-failed')).toMatchObject({
      title: 'Alert channel "Ops webhook" failed',
      urgent: true,
      panel: 'settings',
    });
    expect(await ok('alerts.test', { channelId: 'ops' })).toEqual({ channelId: 'ops', ok: true });
    expect(channelNotices()).toEqual(['channel-failed', 'channel-works-again']);

    // Deleted, the secret is not sent: the test says what is missing and nothing reaches the receiver.
    expect(await ok('alerts.deleteSecret', { channelId: 'ops' })).toEqual({ deleted: true });
    const sent = rx.requests('hook').length;
    const missing = await ok('alerts.test', { channelId: 'ops' });
    expect(missing.error?.message).toContain('not in the keychain');
    expect(rx.requests('hook')).toHaveLength(sent);
    expect(await ok('alerts.setSecret', { channelId: 'ops', value: HOOK_SECRET })).toEqual({ stored: true });
    expect(await ok('alerts.test', { channelId: 'ops' })).toMatchObject({ ok: true });
    expect(notices.map((n) => n.text).join('\n')).not.toContain(HOOK_SECRET);
  });

  it('sends down and recovered off-host, and the timeline holds the restart run in between', async () => {
    const before = hookBodies().length;
    await d.lab.state.setUnitState('matrix-tuwunel', 'failed');
    await until('a down alert at the receiver', async () => {
      await ok('status.refresh', {});
      return hookBodies()
        .slice(before)
        .find((b) => b.event === 'down' && b.alerts.some((a) => a.check.id === 'unit:matrix-tuwunel'));
    });
    const open = await ok('history.incidents', { days: 1 });
    const incident = open.incidents.find((i) => i.check === 'unit:matrix-tuwunel');
    expect(incident).toMatchObject({ endedAt: null, endReason: null });
    expect(incident?.detail).toMatch(/matrix-tuwunel/);

    const plan = await ok('actions.plan', { actionId: 'tuwunel.restart', params: {} });
    const { runId } = await ok('actions.run', {
      actionId: 'tuwunel.restart',
      params: {},
      confirmation: plan.confirmation,
    });
    expect((await finished(runId)).state).toBe('ok');
    await until('a recovered alert at the receiver', async () => {
      await ok('status.refresh', {});
      return hookBodies()
        .slice(before)
        .find((b) => b.event === 'recovered' && b.alerts.some((a) => a.check.id === 'unit:matrix-tuwunel'));
    });
    const closed = await ok('history.incidents', { days: 1 });
    const done = closed.incidents.find((i) => i.check === 'unit:matrix-tuwunel');
    expect(done).toMatchObject({ endReason: 'recovered' });
    expect(done?.actions.map((a) => [a.action, a.outcome])).toContainEqual(['tuwunel.restart', 'ok']);
    const summary = await ok('history.summary', { range: '24h' });
    expect(summary.bars.bars.at(-1)?.state).toMatch(/^(partial|down)$/);
    expect(summary.server?.availability['24h']).toBeLessThan(1);
  });

  it('mutes a unit: it fails and keeps its colour, and neither the desktop nor the webhook hears of it', async () => {
    const told: string[] = [];
    const off = d.service.onAlerts((alerts) => told.push(...alerts.map((a) => `${a.kind} ${a.check.id}`)));
    const before = hookBodies().length;
    const traefik = (s: { checks: { id: string; level: string; alert: string; muted?: boolean }[] }) =>
      s.checks.find((c) => c.id === 'unit:matrix-traefik');
    try {
      // "Until it recovers" needs a failure to end with; this unit is up.
      expect(
        await refused('mutes.set', {
          target: { kind: 'unit', unit: 'matrix-traefik' },
          duration: 'recovered',
        }),
      ).toMatchObject({ code: 'InvalidInput', field: 'duration' });
      expect(
        await refused('mutes.set', { target: { kind: 'unit', unit: 'no-such-unit' }, duration: '1h' }),
      ).toMatchObject({ code: 'InvalidInput', field: 'target.unit' });
      const { mute } = await ok('mutes.set', {
        target: { kind: 'unit', unit: 'matrix-traefik' },
        duration: '1h',
      });
      expect(mute).toMatchObject({ key: 'unit:matrix-traefik', label: 'unit matrix-traefik' });
      expect(Date.parse(mute.until ?? '') - Date.parse(mute.since)).toBe(3_600_000);
      await until('the mute in the window', () =>
        eventsOf('status.changed').find((s) => s.mutes.some((m) => m.key === 'unit:matrix-traefik')),
      );

      await d.lab.state.setUnitState('matrix-traefik', 'failed');
      const down = await until('matrix-traefik down (alert phase)', async () => {
        const s = await ok('status.refresh', {});
        return traefik(s)?.alert === 'down' ? s : undefined;
      });
      expect(traefik(down)).toMatchObject({ level: 'fail', muted: true });
      expect(down.overall).toBe('fail');
      await ok('status.refresh', {});
      expect(told.filter((t) => t.includes('matrix-traefik'))).toEqual([]);
      const offHost = hookBodies()
        .slice(before)
        .filter((b) => b.alerts.some((a) => a.check.id.includes('matrix-traefik')));
      expect(offHost).toEqual([]);

      // Another process of the profile (the CLI) replaces it with a mute of the check until it recovers.
      const uid = d.app.core()?.profile.uid ?? '';
      const theirs = new MuteStore(join(profileStateDir(d.dataDir, uid), 'mutes.json'));
      theirs.release(['unit:matrix-traefik']);
      theirs.mute({ kind: 'check', checkId: 'unit:matrix-traefik' }, 'recovered');
      const shared = await ok('status.refresh', {});
      expect(shared.mutes.map((m) => [m.key, m.until])).toEqual([['check:unit:matrix-traefik', null]]);
      expect(traefik(shared)?.muted).toBe(true);

      // It recovers: the recovery is told on the desktop and off-host, and the mute is over everywhere.
      await d.lab.state.setUnitState('matrix-traefik', 'active');
      const back = await until('matrix-traefik up again', async () => {
        const s = await ok('status.refresh', {});
        return traefik(s)?.level === 'ok' ? s : undefined;
      });
      expect(back.mutes).toEqual([]);
      expect(traefik(back)?.muted).toBeUndefined();
      // Never a down; the recoveries (the container's too: no longer muted once the unit's mute was replaced).
      const aboutTraefik = told.filter((t) => t.includes('matrix-traefik'));
      expect(aboutTraefik).toContain('recovered unit:matrix-traefik');
      expect(aboutTraefik.filter((t) => !t.startsWith('recovered '))).toEqual([]);
      await until('the recovery at the receiver', () =>
        hookBodies()
          .slice(before)
          .find((b) => b.event === 'recovered' && b.alerts.some((a) => a.check.id === 'unit:matrix-traefik')),
      );
      theirs.reload();
      expect(theirs.list()).toEqual([]);
      expect(await ok('mutes.clear', { key: 'check:unit:matrix-traefik' })).toEqual({ cleared: false });
    } finally {
      off();
      await d.lab.state.setUnitState('matrix-traefik', 'active');
    }
  });

  it('reads the domain’s registration through RDAP and tells its threshold once, on the desktop and off-host', async () => {
    // The bootstrap file came from the lab's "IANA" (a newer publication than the shipped one) and named its registry.
    await until('the refreshed bootstrap file', async () =>
      (await readFile(join(d.dataDir, BOOTSTRAP_CACHE_FILE), 'utf8').catch(() => '')).includes(rx.url),
    );
    await until('the domain lookup', () =>
      rx.requests('rdap').some((r) => r.path.endsWith('/domain/lab.test')),
    );
    const forecast = await until('a forecast notice', async () => {
      await ok('status.refresh', {});
      return notices.find((n) => n.kind === 'forecast');
    });
    expect(forecast.title).toMatch(/^lab\.test: domain registration ends in (9|10) days$/);
    expect(forecast.text).toContain(`lab.test is registered until ${DOMAIN_ENDS.slice(0, 10)}`);
    await until('the forecast at the receiver', () => hookBodies().find((b) => b.event === 'forecast'));
    await ok('status.refresh', {});
    expect(notices.filter((n) => n.kind === 'forecast')).toHaveLength(1);
    expect(hookBodies().filter((b) => b.event === 'forecast')).toHaveLength(1);
  });
});

describe('settings, hooks and the wire', () => {
  it('reads and writes settings, with the login item first and the event after', async () => {
    const s = await ok('settings.get', {});
    expect(s.pollIntervalSeconds).toBe(5);
    const next = await ok('settings.set', { patch: { launchAtLogin: true, pollIntervalSeconds: 60 } });
    expect(next).toMatchObject({ launchAtLogin: true, pollIntervalSeconds: 60 });
    expect(d.hooks.launchAtLogin).toEqual([true]);
    await until('settings.changed', () => eventsOf('settings.changed').find((e) => e.launchAtLogin));
    expect(await refused('settings.set', { patch: { pollIntervalSeconds: 1 } })).toMatchObject({
      field: 'patch.pollIntervalSeconds',
    });
  });

  it('opens only https URLs, through the hook', async () => {
    expect(await ok('app.openExternal', { url: 'https://matrix.org/docs' })).toEqual({ opened: true });
    expect(await refused('app.openExternal', { url: 'file:///etc/passwd' })).toMatchObject({ field: 'url' });
    expect(d.hooks.opened).toEqual(['https://matrix.org/docs']);
  });

  it('refuses unknown channels, extra keys and wrong types with the field named', async () => {
    expect(await refused('status.get' as InvokeChannel, { extra: 1 })).toMatchObject({
      code: 'InvalidInput',
      message: expect.stringContaining('unknown field(s): extra'),
    });
    expect(await refused('runs.get', {})).toMatchObject({ field: 'runId', message: 'runId: is required' });
    expect(await refused('invite.create', { uses: 0, expiresInDays: null })).toMatchObject({ field: 'uses' });
    expect(await refused('runs.get', null)).toMatchObject({ code: 'InvalidInput' });
    expect(await refused('__proto__' as InvokeChannel, {})).toMatchObject({ field: 'channel' });
  });

  it('deletes the profile: back to first run', async () => {
    expect(await ok('profiles.delete', { id: 'lab-lab.test' })).toEqual({ profiles: [], selectedId: null });
    expect((await ok('app.info', {})).firstRun).toBe(true);
    expect(d.app.core()).toBeNull();
  });

  it('called every invoke channel of the contract', () => {
    expect([...Object.keys(invokeChannels)].filter((c) => !called.has(c))).toEqual([]);
  });
});
