import { join } from 'node:path';
import { app, ClipboardItem, clipboard, dialog, ipcMain, powerMonitor, session, shell } from 'electron';
import { describeError } from '../core/errors';
import { dataDir } from '../core/paths';
import type { NavigateTarget, Settings } from '../ipc/contract';
import { createDesktopApp, type DesktopApp } from './desktop-app';
import { setupAppMenu } from './electron/app-menu';
import { setupClipboard } from './electron/clipboard';
import { confirmWithDialog } from './electron/confirm';
import { createOpenExternal } from './electron/external';
import { setupNavigationGuards, setupSessionHardening } from './electron/hardening';
import { setupIpc } from './electron/ipc';
import { applyLaunchAtLogin } from './electron/login-item';
import { setupNotifications } from './electron/notifications';
import { setupTray, type TrayHandle } from './electron/tray';
import { AppWindow } from './electron/window';
import { APP_ID } from './model/app-identity';
import { launchedHidden } from './model/login-item';
import type { DesktopNotification } from './model/notifications';
import { rendererLocation } from './model/renderer-origin';
import { runTrayCommand } from './model/tray-commands';
import { appIconFile, assetsDir } from './model/tray-icons';
import { secureWebPreferences } from './model/window-security';

/**
 * Electron entry: setupX() calls in order. Everything these show or decide is computed in desktop/model/;
 * this file only wires it to Electron. No crashReporter.start(): Crashpad runs only when started, so no
 * minidump of a process holding secrets is ever written.
 */

const development = !app.isPackaged;
const platform = process.platform;

/** Kept for the app's lifetime: a Tray or window referenced only locally would be garbage-collected. */
const shellState: { window?: AppWindow; tray?: TrayHandle; core?: DesktopApp } = {};
/** For the `_electron` end-to-end test, which reads it from the main process. */
(globalThis as Record<symbol, unknown>)[Symbol.for('homeserver-tray.shell')] = shellState;

/**
 * One data folder for the app and the CLI (core/paths.ts; HOMESERVER_TRAY_DATA_DIR moves both). Set before
 * the single-instance lock, which lives in it: two data folders are two independent apps.
 */
function setupDataDir(): void {
  app.setPath('userData', dataDir());
}

function setupSingleInstance(): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', () => shellState.window?.show());
  return true;
}

function setupIdentity(): void {
  app.setAppUserModelId(APP_ID);
}

function setupSettingsWatch(core: DesktopApp): () => Settings | null {
  let settings: Settings | null = null;
  const apply = (next: Settings) => {
    const changed = settings?.launchAtLogin !== next.launchAtLogin;
    settings = next;
    if (changed) void applyLaunchAtLogin(app, next.launchAtLogin).catch(() => undefined);
  };
  core.service.subscribe((event) => {
    if (event.channel === 'settings.changed') apply(event.payload);
  });
  apply(core.service.settings.get());
  return () => settings;
}

/**
 * Sleep and wake: polling pauses while the machine sleeps; on resume the SSH connections are renewed and
 * failures get a grace period before they alert. Some Linux builds never deliver 'resume': the scheduler
 * also notices a wake by itself, from the clock (core/status/clock.ts).
 */
function setupPower(core: DesktopApp): void {
  powerMonitor.on('suspend', () => core.suspend());
  powerMonitor.on('resume', () => core.resume());
}

async function start(): Promise<void> {
  setupAppMenu(platform, development);
  setupSessionHardening(session.defaultSession);

  const assets = assetsDir({
    isPackaged: app.isPackaged,
    resourcesPath: process.resourcesPath,
    appPath: app.getAppPath(),
  });
  const publicUrl = () => shellState.core?.service.publicUrl() ?? null;
  const openExternal = createOpenExternal(shell, publicUrl);
  setupNavigationGuards(app, { publicUrl, openExternal: (url) => void openExternal(url) });

  const core = await createDesktopApp({
    dataDir: app.getPath('userData'),
    version: app.getVersion(),
    platform,
    clipboard: setupClipboard({ clipboard, ClipboardItem }),
    openExternal,
    chooseProfileFile: async () => {
      const chosen = await dialog.showOpenDialog({
        title: 'Import a profile',
        properties: ['openFile'],
        filters: [{ name: 'Profile (YAML)', extensions: ['yml', 'yaml'] }],
      });
      return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
    },
  });
  shellState.core = core;

  // The built app's layout, inside app.asar when packaged (electron.vite.config.ts, electron-builder.yml).
  const built = join(app.getAppPath(), 'out');
  const renderer = rendererLocation({
    isPackaged: app.isPackaged,
    devServerUrl: process.env.ELECTRON_RENDERER_URL,
    indexHtml: join(built, 'renderer', 'index.html'),
  });
  const window = new AppWindow({
    webPreferences: secureWebPreferences({
      preload: join(built, 'preload', 'preload.cjs'),
      devTools: development,
    }),
    load: renderer.load,
    icon: platform === 'darwin' ? null : appIconFile(assets),
    startHidden: launchedHidden(process.argv, app.getLoginItemSettings().wasOpenedAtLogin),
  });
  shellState.window = window;
  app.on('activate', () => window.show());
  app.on('before-quit', () => window.allowClose());

  const settings = setupSettingsWatch(core);
  // A notification or a tray section about one of several servers opens the window on that server.
  // The window comes up at once when it already shows that server; otherwise after the switch.
  const showOn = (target: NavigateTarget, profileId: string | null | undefined) => {
    if (!core.needsSwitch(profileId ?? null)) return window.show(target);
    void core
      .showServer(profileId ?? null)
      .catch(() => undefined)
      .then(() => window.show(target));
  };
  const notifier = setupNotifications({
    app: core.service,
    settings,
    open: (n: DesktopNotification) => showOn(n.target, n.profileId),
  });
  shellState.tray = setupTray({
    app: core.service,
    assetsDir: assets,
    platform,
    onClick: () => window.show(),
    onCommand: (command) =>
      void runTrayCommand(command, {
        prepare: (actionId, profileId) => core.service.actions.prepare(actionId, {}, profileId),
        copyToken: (profileId) => core.service.token.copy(profileId),
        confirm: confirmWithDialog,
        navigate: showOn,
        notify: notifier.show,
        quit: () => app.quit(),
      }),
  });
  setupIpc({ ipcMain, router: core.router, window, origin: renderer.origin });
  setupPower(core);

  await core.start();
}

function setupQuit(): void {
  let shutDown = false;
  app.on('will-quit', (event) => {
    const core = shellState.core;
    if (shutDown || !core) return;
    // Clearing the clipboard and stopping polls is async: hold the quit until it is done.
    event.preventDefault();
    shutDown = true;
    void core.shutdown().finally(() => app.quit());
  });
  // The window only hides on close, so this fires only while quitting; the tray keeps the app otherwise.
  app.on('window-all-closed', () => undefined);
}

setupDataDir();
if (setupSingleInstance()) {
  setupIdentity();
  setupQuit();
  app
    .whenReady()
    .then(start)
    .catch((e: unknown) => {
      const error = describeError(e);
      dialog.showErrorBox('Homeserver Tray could not start', `${error.message}\n\n${error.nextStep}`);
      app.exit(1);
    });
} else {
  app.quit();
}
