import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidInput } from '../../src-main/core/errors';
import { applyLaunchAtLogin } from '../../src-main/desktop/electron/login-item';
import { HIDDEN_FLAG } from '../../src-main/desktop/model/app-identity';
import { AUTOSTART_FILE } from '../../src-main/desktop/model/login-item';
import { app } from '../support/electron/app';
import { standIn } from '../support/electron/control';
import type { StandInMenu } from '../support/electron/menu';
import type { StandInTray } from '../support/electron/tray';
import type { StandInBrowserWindow } from '../support/electron/windows';
import { REPO_ROOT, until } from './lab-app';

/**
 * Launch at login on each OS, through the Electron adapter (desktop/electron/login-item.ts) and the stand-in
 * `app`, which keeps login items on macOS and Windows and ignores them on Linux, as Electron does. The OS
 * is process.platform, set per test. Then main.ts started the way a login item starts it: in the tray.
 */

const scratch = mkdtempSync(join(tmpdir(), 'hst-login-item-'));
const configHome = join(scratch, 'config');
const platform = Object.getOwnPropertyDescriptor(process, 'platform') as PropertyDescriptor;
const saved = { xdg: process.env.XDG_CONFIG_HOME, appImage: process.env.APPIMAGE, argv: process.argv };

function onPlatform(os: NodeJS.Platform): void {
  Object.defineProperty(process, 'platform', { ...platform, value: os });
}

beforeAll(() => {
  process.env.XDG_CONFIG_HOME = configHome;
  process.env.HOMESERVER_TRAY_DATA_DIR = join(scratch, 'data');
  delete process.env.APPIMAGE;
  standIn.configure({ isPackaged: true, appPath: REPO_ROOT });
  Object.defineProperty(process, 'resourcesPath', { value: REPO_ROOT, configurable: true, writable: true });
});

afterEach(() => {
  Object.defineProperty(process, 'platform', platform);
});

afterAll(() => {
  for (const [key, value] of [
    ['XDG_CONFIG_HOME', saved.xdg],
    ['APPIMAGE', saved.appImage],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  delete process.env.HOMESERVER_TRAY_DATA_DIR;
  process.argv = saved.argv;
  rmSync(scratch, { recursive: true, force: true });
});

describe('launch at login', () => {
  const entry = join(configHome, 'autostart', AUTOSTART_FILE);

  it('macOS: a login item, kept by the OS; turned off the same way', async () => {
    onPlatform('darwin');
    await applyLaunchAtLogin(app as never, true);
    expect(standIn.callsOf('app', 'setLoginItemSettings').at(-1)?.args).toEqual([
      { openAtLogin: true, args: [HIDDEN_FLAG] },
    ]);
    expect(app.getLoginItemSettings()).toMatchObject({ openAtLogin: true, status: 'enabled' });
    await applyLaunchAtLogin(app as never, false);
    expect(app.getLoginItemSettings()).toMatchObject({ openAtLogin: false, status: 'not-registered' });
    expect(existsSync(entry)).toBe(false);
  });

  it('Windows: the entry carries the hidden flag, and turning it off passes the same args (Windows matches them)', async () => {
    onPlatform('win32');
    await applyLaunchAtLogin(app as never, true);
    await applyLaunchAtLogin(app as never, false);
    expect(
      standIn
        .callsOf('app', 'setLoginItemSettings')
        .slice(-2)
        .map((c) => c.args[0]),
    ).toEqual([
      { openAtLogin: true, args: [HIDDEN_FLAG] },
      { openAtLogin: false, args: [HIDDEN_FLAG] },
    ]);
    expect(app.getLoginItemSettings()).toMatchObject({ openAtLogin: false, launchItems: [] });
  });

  it('Linux: an XDG autostart entry, written once, naming the AppImage when there is one', async () => {
    onPlatform('linux');
    const calls = standIn.callsOf('app', 'setLoginItemSettings').length;
    process.env.APPIMAGE = '/home/me/Apps/Homeserver Tray-0.1.0.AppImage';
    await applyLaunchAtLogin(app as never, true);
    expect(readFileSync(entry, 'utf8')).toContain(
      `\nExec="/home/me/Apps/Homeserver Tray-0.1.0.AppImage" ${HIDDEN_FLAG}\n`,
    );
    // Written whole through a temporary name, which is gone: the folder holds the one entry.
    expect(readdirSync(dirname(entry))).toEqual([AUTOSTART_FILE]);
    await applyLaunchAtLogin(app as never, true);
    await applyLaunchAtLogin(app as never, false);
    expect(existsSync(entry)).toBe(false);
    await applyLaunchAtLogin(app as never, false);
    expect(standIn.callsOf('app', 'setLoginItemSettings').length).toBe(calls);
  });

  it('Linux: an executable path no Exec key can hold is refused, and nothing is written', async () => {
    onPlatform('linux');
    process.env.APPIMAGE = '/tmp/evil\nExec=rm -rf ~';
    await expect(applyLaunchAtLogin(app as never, true)).rejects.toBeInstanceOf(InvalidInput);
    expect(existsSync(entry)).toBe(false);
    delete process.env.APPIMAGE;
  });
});

describe('started by the login item', () => {
  it('stays in the tray: the window loads its page but does not open over the desktop', async () => {
    process.argv = [...process.argv, HIDDEN_FLAG];
    await import('../../src-main/desktop/main');
    standIn.ready();
    const window = await until('the window', () => standIn.windows()[0]);
    await until(
      'the page loaded',
      () => window.webContents.getURL() !== '' && !window.webContents.isLoading(),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(standIn.windowView(window)).toMatchObject({ visible: false, destroyed: false });
    expect(standIn.trays()).toHaveLength(1);
    standIn.clickTray(standIn.trays()[0] as StandInTray);
    expect(standIn.windowView(window)).toMatchObject({ visible: true, focused: true });
    app.quit();
    expect(await standIn.ended()).toEqual({ how: 'quit', code: 0 });
  });

  it('a tray pick while the page is still loading reaches the page once it has loaded', async () => {
    process.argv = saved.argv;
    // The next start of the app: a fresh module graph is a fresh Electron process.
    vi.resetModules();
    const next = (await import('../support/electron/control')).standIn;
    const nextApp = (await import('../support/electron/app')).app;
    next.configure({ isPackaged: true, appPath: REPO_ROOT });
    let pickedWhileLoading = false;
    let loadedAt = -1;
    // The user picks "Open dashboard" in the tray as the page starts loading.
    nextApp.once('browser-window-created', (_event, window: StandInBrowserWindow) => {
      window.webContents.once('did-start-loading', () => {
        const tray = next.trays()[0] as StandInTray;
        next.menus.pick(next.trayView(tray).menu as StandInMenu, 'open-dashboard');
        pickedWhileLoading = window.webContents.isLoading();
      });
      window.webContents.once('did-finish-load', () => {
        loadedAt = next.calls.length;
      });
    });
    await import('../../src-main/desktop/main');
    next.ready();
    const window = await until('the window', () => next.windows()[0]);
    const navigate = (c: { args: unknown[] }) => c.args[0] === 'app.navigate';
    await until('the page to be told where to go', () => next.callsOf(/^webContents/, 'send').some(navigate));
    expect(pickedWhileLoading).toBe(true);
    const sent = next.calls.findIndex(
      (c) => /^webContents/.test(c.target) && c.method === 'send' && navigate(c),
    );
    expect(sent).toBeGreaterThanOrEqual(loadedAt);
    expect(loadedAt).toBeGreaterThan(0);
    expect(next.calls[sent]?.args).toEqual(['app.navigate', { panel: 'dashboard' }]);
    expect(next.windowView(window)).toMatchObject({ visible: true, focused: true });
    nextApp.quit();
    expect(await next.ended()).toEqual({ how: 'quit', code: 0 });
  });
});
