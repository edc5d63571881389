import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppService, createAppService } from '../../../src-main/app/app-service';
import { type AppHost, type AppOptions, openApp } from '../../../src-main/app/session';
import type { RunbookSettings } from '../../../src-main/core/runbook/types';
import type { Settings } from '../../../src-main/ipc/contract';
import { createRouter, type Router } from '../../../src-main/ipc/router';
import { startLab } from '../../lab/lab';
import type { Lab, LabOptions } from '../../lab/types';
import { RecordingClipboard } from '../../unit/core/token/recording-clipboard';

/** The lab answers in milliseconds: the runbook's minutes would only make failing tests slow. */
export const FAST_RUNBOOK: Partial<RunbookSettings> = {
  cliExecuteTimeoutSeconds: 3,
  unitCommandTimeoutMs: 15_000,
  unitsSettleTimeoutMs: 8_000,
  tuwunelReadyTimeoutMs: 10_000,
  playbookTimeoutMs: 60_000,
  deployCommandTimeoutMs: 60_000,
  adminReplyTimeoutMs: 8_000,
  pollIntervalMs: 200,
  finallyAttempts: 4,
  finallyRetryDelayMs: 300,
};

/** The shortest the settings allow: the status polls every 5 s, a copied token is cleared after 10 s. */
export const FAST_SETTINGS: Settings = {
  clipboardClearSeconds: 10,
  pollIntervalSeconds: 5,
  maintenanceReminderMinutes: 60,
  startRetryMinutes: 3,
  notifications: true,
  launchAtLogin: false,
  alertChannels: [],
  expiryNotifyDays: [21, 14, 7],
  diskFullNotifyDays: 14,
  historyRetentionDays: 90,
  historyDetailDays: 7,
};

export interface DesktopOptions {
  lab?: LabOptions;
  /** Written to the data folder's settings.json before the app opens. */
  settings?: Settings;
  /**
   * 'none': first run (onboarding). 'saved': the lab's profile is saved and selected, its host keys
   * trusted and its secrets stored, as after onboarding.
   */
  profile?: 'none' | 'saved';
  /** The network of the off-host channels and the RDAP lookups (default: the real one). */
  monitoring?: AppOptions['monitoring'];
}

/** What the shell gives the app in Electron, recorded instead of acted on. */
export interface RecordedHooks {
  opened: string[];
  /** What the next "Choose a file…" dialog answers (null = cancelled). */
  nextProfileFile: string | null;
  launchAtLogin: boolean[];
}

export interface DesktopUnderTest {
  lab: Lab;
  app: AppHost;
  /** The use cases the tray and notifications call directly; the router is the window's way to them. */
  service: AppService;
  router: Router;
  clipboard: RecordingClipboard;
  hooks: RecordedHooks;
  dataDir: string;
  /** Saves the lab's profile, trusts its host keys and stores its secrets (what onboarding does). */
  saveLabProfile(): Promise<string>;
  storeLabSecrets(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The app's main-process side without Electron: the real composition root (openApp → createCore), the
 * app's use cases and the real router over a lab, with the keychain on the lab's gnome-keyring, a
 * recording clipboard, and the Electron-only hooks recorded. Everything it starts, stop() stops.
 */
export async function startDesktop(options: DesktopOptions = {}): Promise<DesktopUnderTest> {
  const lab = await startLab({ trustHostKeys: false, ...options.lab });
  const dataDir = await mkdtemp(join(tmpdir(), 'hst-desktop-'));
  let app: AppHost | null = null;
  try {
    if (lab.env.DBUS_SESSION_BUS_ADDRESS)
      process.env.DBUS_SESSION_BUS_ADDRESS = lab.env.DBUS_SESSION_BUS_ADDRESS;
    // The vault repos are real git repositories: no user or system git configuration may leak in.
    Object.assign(process.env, { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' });
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'settings.json'), JSON.stringify(options.settings ?? FAST_SETTINGS));
    const clipboard = new RecordingClipboard();
    const opened = await openApp({
      dataDir,
      clipboard,
      core: { pool: { agentSocket: undefined, killGraceMs: 500 }, runbook: FAST_RUNBOOK },
      ...(options.monitoring ? { monitoring: options.monitoring } : {}),
    });
    app = opened;
    const hooks: RecordedHooks = { opened: [], nextProfileFile: null, launchAtLogin: [] };
    const service = createAppService(opened, {
      version: '0.0.0-e2e',
      platform: process.platform,
      clipboard,
      openExternal: async (url) => {
        hooks.opened.push(url);
        return true;
      },
      chooseProfileFile: async () => hooks.nextProfileFile,
      setLaunchAtLogin: (enabled) => {
        hooks.launchAtLogin.push(enabled);
      },
      batchMs: 30,
      // Every poll looks at the invites: a test sees "joined" at the next refresh, not 30 s later.
      inviteFollowMs: 0,
    });
    const router = createRouter(service);

    const storeLabSecrets = async () => {
      const set = (request: unknown) => router.handle('secrets.set', request);
      for (const r of await Promise.all([
        set({ kind: 'sudo-password', host: 'homeserver', value: lab.secrets.sudoPassword }),
        set({ kind: 'vault-password', host: null, value: lab.secrets.vaultPassword }),
      ])) {
        if (!r.ok) throw new Error(`storing a lab secret failed: ${r.error.message}`);
      }
    };
    const saveLabProfile = async () => {
      const saved = await router.handle('profiles.save', { id: null, draft: lab.profile });
      if (!saved.ok) throw new Error(`saving the lab profile failed: ${saved.error.message}`);
      const core = opened.core();
      if (!core) throw new Error('saving the lab profile built no core');
      for (const host of ['homeserver', 'deploy'] as const) {
        await core.pool.scanHostKey(host);
        await core.pool.trustHostKey(host, lab.hosts[host].fingerprint, true);
      }
      await storeLabSecrets();
      return (saved.value as { id: string }).id;
    };

    await opened.start();
    if (options.profile === 'saved') await saveLabProfile();

    return {
      lab,
      app: opened,
      service,
      router,
      clipboard,
      hooks,
      dataDir,
      saveLabProfile,
      storeLabSecrets,
      stop: async () => {
        router.dispose();
        service.dispose();
        await opened.close();
        await lab.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await app?.close();
    await lab.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}
