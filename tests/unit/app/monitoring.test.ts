import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppService } from '../../../src-main/app/app-service';
import { HISTORY_FILE, openMonitoring } from '../../../src-main/app/monitoring';
import { draftFromYaml } from '../../../src-main/app/profile-import';
import { openApp } from '../../../src-main/app/session';
import { HistoryUnavailable } from '../../../src-main/core/history/errors';
import { DAY_MS, HistoryStore } from '../../../src-main/core/history/history-store';
import { EXAMPLE_PROFILE_YAML } from '../../../src-main/core/profile/example';
import type { KeychainRef, SecretStore } from '../../../src-main/core/secrets/types';
import { SettingsStore } from '../../../src-main/core/settings/store';
import type { StatusListener } from '../../../src-main/core/status/scheduler';
import { createRouter } from '../../../src-main/ipc/router';

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
});
