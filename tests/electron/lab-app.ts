import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SETTINGS } from '../../src-main/core/settings/schema';
import type { Api, Settings } from '../../src-main/ipc/contract';
import { startLab } from '../lab/lab';
import type { Lab, LabOptions } from '../lab/types';
import { standIn } from '../support/electron/control';
import type { StandInTray } from '../support/electron/tray';
import type { StandInBrowserWindow } from '../support/electron/windows';

/** The checkout: package.json, assets/ and the built out/ (tests/electron/global-setup.ts builds it). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The shortest the settings allow: a poll every 5 s; notifications on; no login item yet. */
export const FAST_SETTINGS: Settings = {
  ...DEFAULT_SETTINGS,
  clipboardClearSeconds: 10,
  pollIntervalSeconds: 5,
  notifications: true,
  launchAtLogin: false,
};

/** What main.ts keeps for the app's lifetime (it publishes it for the `_electron` test). */
interface ShellState {
  window?: unknown;
  tray?: unknown;
  core?: unknown;
}

function shellState(): ShellState | undefined {
  return (globalThis as Record<symbol, ShellState | undefined>)[Symbol.for('homeserver-tray.shell')];
}

/**
 * Polls `probe` until it returns something other than undefined or false; fails naming `what`. Counts
 * awake time (performance.now), so a test that moves the wall clock does not cut its own waits short.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The lab keeps the runbook's unanchored federation allowlist, which the config lint rightly warns about.
 * These tests start from a server with nothing to say: the admin anchored the entries in vars.yml.
 */
async function anchorAllowlist(lab: Lab): Promise<void> {
  const deploy = lab.profile.deploy;
  if (!deploy?.dir || !deploy.varsFile) throw new Error('the lab profile names no vars.yml');
  const vars = join(deploy.dir, deploy.varsFile);
  const text = await readFile(vars, 'utf8');
  const key = 'matrix_tuwunel_config_allowed_remote_server_names:';
  const line = text.split('\n').find((l) => l.startsWith(key));
  if (!line) throw new Error(`${vars} has no ${key} line`);
  const entries = [...line.matchAll(/'([^']*)'/g)].map((m) => m[1] as string);
  const anchored = entries.map((e) => `'^${e.replaceAll('.', '\\.')}$'`);
  // A function, not a string: `$'` in the entries would be a replacement pattern.
  await writeFile(
    vars,
    text.replace(line, () => `${key} [${anchored.join(', ')}]`),
  );
}

export interface LaunchOptions {
  lab?: LabOptions;
  settings?: Settings;
  /** Imports the main process: `() => import('…/main')` (source) or a built main.js. */
  importMain: () => Promise<unknown>;
  /** Runs the preload in the window's page, once the window exists. */
  runPreload: () => Promise<unknown>;
  /** What a packaged app has: app.getAppPath() (out/ inside) and process.resourcesPath (assets/ inside). */
  appPath?: string;
  resourcesPath?: string;
}

export interface LaunchedApp {
  lab: Lab;
  dataDir: string;
  /** XDG_CONFIG_HOME of the app (autostart entries go to its autostart/). */
  configHome: string;
  window: StandInBrowserWindow;
  tray: StandInTray;
  /** `window.api` as the page sees it, through the preload and contextBridge. */
  api: Api;
  /** Saves the lab's profile from the window (onboarding) with its secrets; `status` merges into its status block. */
  onboard(status?: Record<string, number>): Promise<string>;
  /** Quits (if the test did not) and stops everything started for it. */
  stop(): Promise<void>;
}

/** Electron sets process.resourcesPath (the folder holding app.asar); plain Node has none. */
function setResourcesPath(path: string | undefined): void {
  Object.defineProperty(process, 'resourcesPath', { value: path, configurable: true, writable: true });
}

const ENV_KEYS = [
  'HOMESERVER_TRAY_DATA_DIR',
  'XDG_CONFIG_HOME',
  'DBUS_SESSION_BUS_ADDRESS',
  'GIT_CONFIG_NOSYSTEM',
  'GIT_CONFIG_GLOBAL',
  'SSH_AUTH_SOCK',
] as const;

/**
 * The packaged app as a user starts it, with the electron stand-in and a lab: its data folder and config
 * home fresh, the keychain the lab's gnome-keyring, the settings file written before the start. Electron
 * becomes ready, main.ts starts the shell, and the preload runs in the window's page.
 */
export async function launchOnLab(options: LaunchOptions): Promise<LaunchedApp> {
  const lab = await startLab(options.lab);
  await anchorAllowlist(lab);
  const dataDir = await mkdtemp(join(tmpdir(), 'hst-electron-data-'));
  const configHome = await mkdtemp(join(tmpdir(), 'hst-electron-config-'));
  const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  const savedResources = process.resourcesPath;
  const restore = () => {
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    setResourcesPath(savedResources);
  };
  try {
    await writeFile(join(dataDir, 'settings.json'), JSON.stringify(options.settings ?? FAST_SETTINGS));
    Object.assign(process.env, {
      HOMESERVER_TRAY_DATA_DIR: dataDir,
      XDG_CONFIG_HOME: configHome,
      // The vault repos are real git repositories: no user or system git configuration may leak in.
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    });
    delete process.env.SSH_AUTH_SOCK;
    if (lab.env.DBUS_SESSION_BUS_ADDRESS)
      process.env.DBUS_SESSION_BUS_ADDRESS = lab.env.DBUS_SESSION_BUS_ADDRESS;
    setResourcesPath(options.resourcesPath ?? REPO_ROOT);
    standIn.configure({ isPackaged: true, appPath: options.appPath ?? REPO_ROOT });

    await options.importMain();
    standIn.ready();
    const shell = await until('the shell (window, tray, core)', () => {
      const s = shellState();
      return s?.window && s.tray && s.core ? s : undefined;
    });
    void shell;
    const [window] = standIn.windows();
    const tray = standIn.trays()[0];
    if (!window || !tray) throw new Error('main.ts made no window or no tray');
    standIn.page.connect(window.webContents.mainFrame);
    await options.runPreload();
    const api = (standIn.page.world() as { api: Api }).api;

    const onboard = async (status: Record<string, number> = {}) => {
      const draft = { ...lab.profile, status: { ...(lab.profile.status ?? {}), ...status } };
      const saved = await api.profiles.save({ id: null, draft });
      if (!saved.ok) throw new Error(`saving the lab profile failed: ${saved.error.message}`);
      for (const request of [
        { kind: 'sudo-password', host: 'homeserver', value: lab.secrets.sudoPassword },
        { kind: 'vault-password', host: null, value: lab.secrets.vaultPassword },
      ] as const) {
        const stored = await api.secrets.set(request);
        if (!stored.ok) throw new Error(`storing a lab secret failed: ${stored.error.message}`);
      }
      return saved.value.id;
    };

    const stop = async () => {
      try {
        if (!standIn.calls.some((c) => c.target === 'app' && c.method === 'quit')) {
          const { app } = await import('electron');
          app.quit();
        }
        await Promise.race([standIn.ended(), new Promise((r) => setTimeout(r, 60_000))]);
      } finally {
        await lab.stop();
        await rm(dataDir, { recursive: true, force: true });
        await rm(configHome, { recursive: true, force: true });
        restore();
      }
    };
    return { lab, dataDir, configHome, window, tray, api, onboard, stop };
  } catch (error) {
    await lab.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(configHome, { recursive: true, force: true });
    restore();
    throw error;
  }
}
