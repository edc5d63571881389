import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppService } from '../../../src-main/app/app-service';
import { DOMAIN_EXPIRY } from '../../../src-main/app/forecasts';
import { HISTORY_FILE, openMonitoring } from '../../../src-main/app/monitoring';
import { draftFromYaml } from '../../../src-main/app/profile-import';
import { openApp } from '../../../src-main/app/session';
import { HistoryUnavailable } from '../../../src-main/core/history/errors';
import { DAY_MS, HistoryStore } from '../../../src-main/core/history/history-store';
import { httpRequest } from '../../../src-main/core/lib/http-request';
import { EXAMPLE_PROFILE_YAML } from '../../../src-main/core/profile/example';
import type { KeychainRef, SecretStore } from '../../../src-main/core/secrets/types';
import { SettingsStore } from '../../../src-main/core/settings/store';
import type { StatusListener } from '../../../src-main/core/status/scheduler';
import { createRouter } from '../../../src-main/ipc/router';
import { startReceiver } from '../../lab/receiver';

/** A keychain in memory: these tests never send, so nothing reads it. */
function memoryKeychain(): SecretStore {
  const entries = new Map<string, Buffer>();
  const key = (r: KeychainRef) => `${r.profile}\n${r.kind}\n${r.host ?? ''}`;
  return {
    get: async (r) => entries.get(key(r)) ?? null,
    set: async (r, v) => {
      entries.set(key(r), Buffer.from(v));
    },
    has: async (r) => entries.has(key(r)),
    delete: async (r) => entries.delete(key(r)),
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'monitoring-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the app without a usable history', () => {
  it('starts all the same; the charts’ channels say why in a sentence, the rest answers', async () => {
    // What the SQLite binding cannot open: here a folder where the file should be.
    await mkdir(join(dir, HISTORY_FILE));
    const app = await openApp({ dataDir: dir, secrets: memoryKeychain() });
    const service = createAppService(app, {
      version: '1',
      platform: 'linux',
      clipboard: null,
      openExternal: async () => false,
      chooseProfileFile: async () => null,
    });
    const router = createRouter(service);
    try {
      expect(app.monitoring.history).toBeNull();
      expect(app.monitoring.historyProblem).toBeInstanceOf(HistoryUnavailable);
      const { draft } = draftFromYaml(EXAMPLE_PROFILE_YAML, (d) => app.profiles.validate(d));
      await app.saveProfile(null, draft);
      expect(app.core()).not.toBeNull();
      const r = await router.handle('history.summary', { range: '24h' });
      expect(r).toMatchObject({
        ok: false,
        error: {
          code: 'HistoryUnavailable',
          message: expect.stringMatching(
            /^The uptime history is not available: .*history\.sqlite cannot be opened/,
          ),
          nextStep: expect.stringContaining('The status keeps working without history.'),
        },
      });
      expect(await router.handle('status.get', {})).toMatchObject({ ok: true });
      expect(await router.handle('alerts.channels', {})).toEqual({ ok: true, value: { channels: [] } });
    } finally {
      router.dispose();
      service.dispose();
      await app.close();
    }
  });
});

describe('openMonitoring', () => {
  const server = { key: 'p-uid-1', name: 'example.org' };
  const poll = (at: number, value: number) => ({
    at,
    intervalMs: 30_000,
    overall: 'ok' as const,
    checks: [],
    gauges: { 'disk.usedBytes': value },
  });

  it('keeps the retention of the settings as they change', async () => {
    const settings = new SettingsStore(dir);
    const monitoring = await openMonitoring({ dataDir: dir, settings, keychain: memoryKeychain() });
    const history = monitoring.history as HistoryStore;
    const now = Date.now();
    history.recordPolls(server, [poll(now - 40 * DAY_MS, 1), poll(now - 2 * DAY_MS, 2)]);
    // 90 days by default: both kept.
    expect(history.gauge(server.key, 'disk.usedBytes', 0).map((g) => g.value)).toEqual([1, 2]);
    await settings.set({ historyRetentionDays: 30 });
    history.recordPoll(server, poll(now, 3));
    expect(history.gauge(server.key, 'disk.usedBytes', 0).map((g) => g.value)).toEqual([2, 3]);
    await monitoring.close();
  });

  it('closes the history once, after the work of the last poll; a core attached later is not followed', async () => {
    const settings = new SettingsStore(dir);
    const monitoring = await openMonitoring({ dataDir: dir, settings, keychain: memoryKeychain() });
    expect(monitoring.history).toBeInstanceOf(HistoryStore);
    const subscribed: StatusListener[] = [];
    const core = {
      profile: { uid: 'p-uid-1', serverName: 'example.org' } as never,
      scheduler: {
        subscribe: (l: StatusListener) => {
          subscribed.push(l);
          return () => subscribed.splice(subscribed.indexOf(l), 1);
        },
      },
    };
    const detach = monitoring.attach(core);
    expect(subscribed).toHaveLength(3);
    detach();
    expect(subscribed).toHaveLength(0);
    await Promise.all([monitoring.close(), monitoring.close()]);
    expect(monitoring.history).toBeNull();
    monitoring.attach(core);
    expect(subscribed).toHaveLength(0);
    // The file is free again: another process (or the next start) opens it.
    const again = await HistoryStore.open(join(dir, HISTORY_FILE));
    again.close();
  });

  it("looks up every server's domain with IANA's file being fetched, also a server whose first poll comes meanwhile", async () => {
    // A registry for .test only in the fetched file (the shipped one has none), which takes its time to come.
    const rx = await startReceiver({ rdapDomains: { 'lab.test': '2027-01-10T00:00:00Z' } });
    rx.setFault('rdap', { delayMs: 300, times: 1 });
    const monitoring = await openMonitoring({
      dataDir: dir,
      settings: new SettingsStore(dir),
      keychain: memoryKeychain(),
      request: httpRequest,
      bootstrapUrl: `${rx.url}/rdap/dns.json`,
    });
    try {
      const history = monitoring.history as HistoryStore;
      const forecastListeners: StatusListener[] = [];
      for (const uid of ['p-uid-1', 'p-uid-2']) {
        const listeners: StatusListener[] = [];
        monitoring.attach({
          profile: { uid, serverName: 'lab.test' } as never,
          scheduler: {
            subscribe: (l: StatusListener) => {
              listeners.push(l);
              return () => {};
            },
          },
        });
        // After the recorder and the off-host alerts: the listener that starts the forecasts' lookups.
        forecastListeners.push(listeners[2] as StatusListener);
      }
      // Both servers' first polls, the second while the first one's fetch of the file is under way.
      for (const l of forecastListeners) l({ refreshedAt: new Date().toISOString() } as never, []);
      for (let waited = 0; rx.requests('rdap').length < 3 && waited < 10_000; waited += 50)
        await new Promise((r) => setTimeout(r, 50));
      expect(rx.requests('rdap').map((r) => r.path)).toEqual([
        '/dns.json',
        '/domain/lab.test',
        '/domain/lab.test',
      ]);
      for (const key of ['p-uid-1', 'p-uid-2'])
        await expect
          .poll(() => history.expiries(key).find((e) => e.what === DOMAIN_EXPIRY)?.expiresAt)
          .toBe(Date.parse('2027-01-10T00:00:00Z'));
    } finally {
      await monitoring.close();
      await rx.close();
    }
  });
});
