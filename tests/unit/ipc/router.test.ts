import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AppService, createAppService } from '../../../src-main/app/app-service';
import { type AppHost, openApp } from '../../../src-main/app/session';
import { createDesktopApp } from '../../../src-main/desktop/desktop-app';
import {
  buildApi,
  type ContractEvent,
  type EventChannel,
  eventChannels,
  invokeChannels,
} from '../../../src-main/ipc/contract';
import { createRouter, type Router } from '../../../src-main/ipc/router';
import { RecordingClipboard } from '../core/token/recording-clipboard';

/** The router over a real app host in an empty data folder: what works before any profile exists. */
let dir: string;
let app: AppHost;
let service: AppService;
let router: Router;
const violations: string[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'router-unit-'));
  app = await openApp({ dataDir: dir, clipboard: new RecordingClipboard() });
  service = createAppService(app, {
    version: '1.2.3',
    platform: 'linux',
    clipboard: null,
    openExternal: async () => false,
    chooseProfileFile: async () => null,
  });
  router = createRouter(service, {
    onContractViolation: (channel, problem) => violations.push(`${channel}: ${problem}`),
  });
  violations.length = 0;
});

afterEach(async () => {
  router.dispose();
  service.dispose();
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the router before any profile', () => {
  it('answers through the window’s own api object, built by buildApi', async () => {
    const listeners = new Map<string, (p: unknown) => void>();
    router.subscribe((e) => listeners.get(e.channel)?.(e.payload));
    const api = buildApi(
      (channel, request) => router.handle(channel, request),
      (channel, listener) => {
        listeners.set(channel, listener);
        return () => listeners.delete(channel);
      },
    );
    expect(await api.app.info()).toEqual({
      ok: true,
      value: { version: '1.2.3', platform: 'linux', firstRun: true },
    });
    expect(await api.app.openExternal({ url: 'https://matrix.org' })).toEqual({
      ok: true,
      value: { opened: false },
    });
    const changed: unknown[] = [];
    const off = api.onSettingsChanged((s) => changed.push(s));
    await api.settings.set({ patch: { notifications: false } });
    off();
    await api.settings.set({ patch: { notifications: true } });
    expect(changed).toEqual([expect.objectContaining({ notifications: false })]);
    expect(await api.runs.copyOutput({ runId: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'NoProfile' },
    });
  });

  it('answers every channel that needs a profile with NoProfile, never with a throw', async () => {
    // status.all lists the servers there are: none, without a profile. Alert channels are the app's.
    const needsProfile = Object.keys(invokeChannels).filter(
      (c) =>
        !c.startsWith('app.') &&
        !c.startsWith('settings.') &&
        !c.startsWith('profiles.') &&
        !c.startsWith('alerts.') &&
        c !== 'status.all',
    );
    const samples: Record<string, unknown> = {
      'onboarding.testHost': { host: 'homeserver' },
      'hostkey.trust': { host: 'deploy', fingerprint: 'SHA256:x', permanent: false },
      'hostkey.forget': { host: 'deploy' },
      'actions.plan': { actionId: 'stack.stop', params: {} },
      'actions.run': { actionId: 'stack.stop', params: {}, confirmation: 'confirmation-of-the-plan' },
      'runs.get': { runId: 'r' },
      'runs.cancel': { runId: 'r' },
      'runs.copyOutput': { runId: 'r' },
      'logs.follow': { unit: 'matrix-tuwunel' },
      'logs.stop': { streamId: 's' },
      'token.rotate': { apply: true, confirmation: null },
      'token.rollback': { runId: 'r' },
      'invite.create': { uses: 1, expiresInDays: null },
      'invite.copyToken': { id: 'i' },
      'invite.revoke': { id: 'i' },
      'secrets.has': { kind: 'vault-password', host: null },
      'secrets.set': { kind: 'vault-password', host: null, value: 'v' },
      'secrets.delete': { kind: 'vault-password', host: null },
      'matrix.login': { userId: 'admin', password: 'p' },
      'history.summary': { range: '24h' },
      'history.check': { check: 'http:client-versions', range: '7d' },
      'history.incidents': { days: 7 },
      'mutes.set': { target: { kind: 'server' }, duration: '1h' },
      'mutes.clear': { key: 'server' },
      'people.list': { from: 0, limit: 50, search: '', devices: true },
      'people.show': { user: 'mum' },
      'people.devices': { user: 'mum' },
      'people.signOut': { user: 'mum', deviceId: null },
      'people.deactivate': { user: 'mum', leaveRooms: true, erase: false },
      'people.setAdmin': { user: 'mum', admin: true },
      'people.resetPassword': { user: 'mum', signOut: false, password: null },
      'people.sendNotice': { text: 'The server restarts at 21:00.' },
    };
    for (const channel of needsProfile) {
      const r = await router.handle(channel, samples[channel] ?? {});
      expect(r, channel).toMatchObject({ ok: false, error: { code: 'NoProfile' } });
    }
    expect(await router.handle('status.all', {})).toEqual({ ok: true, value: { servers: [] } });
  });

  it('answers the alert channels without a profile: they are the app’s, not a server’s', async () => {
    expect(await router.handle('alerts.channels', {})).toEqual({ ok: true, value: { channels: [] } });
    const channel = {
      id: 'phone',
      name: 'Phone',
      type: 'ntfy',
      enabled: true,
      events: ['down', 'recovered'],
      serverUrl: 'https://ntfy.sh',
      topic: 'hstray-test',
      useAccessToken: false,
    };
    await router.handle('settings.set', { patch: { alertChannels: [channel] } });
    expect(await router.handle('alerts.channels', {})).toEqual({
      ok: true,
      value: { channels: [{ channel, secretKind: null, secretStored: null, warning: null }] },
    });
    // A channel that sends no secret takes none; an id that is not saved is named.
    expect(await router.handle('alerts.setSecret', { channelId: 'phone', value: 'tk_x' })).toMatchObject({
      ok: false,
      error: { code: 'InvalidInput', field: 'secret' },
    });
    expect(await router.handle('alerts.test', { channelId: 'pager' })).toMatchObject({
      ok: false,
      error: { code: 'InvalidInput', field: 'channelId' },
    });
    expect(await router.handle('history.incidents', { days: 91 })).toMatchObject({
      ok: false,
      error: { code: 'InvalidInput' },
    });
  });

  it('does not send an answer the contract does not allow: it says so, and the window gets an error', async () => {
    const settings = app.settings;
    const real = settings.get.bind(settings);
    settings.get = () => ({ ...real(), pollIntervalSeconds: 1 });
    const r = await router.handle('settings.get', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'Internal' } });
    expect(violations).toEqual(['settings.get: pollIntervalSeconds: Too small: expected number to be >=5']);
  });

  it('stops forwarding events once disposed', async () => {
    const seen: ContractEvent[] = [];
    router.subscribe((e) => seen.push(e));
    await router.handle('settings.set', { patch: { notifications: false } });
    expect(seen.map((e) => e.channel)).toEqual(['settings.changed']);
    router.dispose();
    await app.settings.set({ notifications: true });
    expect(seen).toHaveLength(1);
    expect(service.publicUrl()).toBeNull();
  });

  it('keeps every event and invoke name apart', () => {
    const events = Object.keys(eventChannels) as EventChannel[];
    expect(events.filter((e) => e in invokeChannels)).toEqual([]);
  });
});

describe('createDesktopApp', () => {
  it('is the app service and its router around openApp, started and shut down by the shell', async () => {
    const desktop = await createDesktopApp({
      dataDir: dir,
      version: '9.9.9',
      platform: 'linux',
      clipboard: new RecordingClipboard(),
      openExternal: async () => true,
      chooseProfileFile: async () => null,
    });
    await desktop.start();
    expect(await desktop.router.handle('app.info', {})).toEqual({
      ok: true,
      value: { version: '9.9.9', platform: 'linux', firstRun: true },
    });
    expect(await desktop.router.handle('app.openExternal', { url: 'https://element.io' })).toEqual({
      ok: true,
      value: { opened: true },
    });
    expect(desktop.service.publicUrl()).toBeNull();
    expect(await desktop.service.app.info()).toMatchObject({ version: '9.9.9', firstRun: true });
    await expect(Promise.resolve().then(() => desktop.service.status.get())).rejects.toMatchObject({
      code: 'NoProfile',
    });
    await desktop.shutdown();
  });
});
