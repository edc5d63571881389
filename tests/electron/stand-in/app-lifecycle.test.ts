import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { app, BrowserWindow } from 'electron';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { standIn } from '../../support/electron/control';

/**
 * The app object of the stand-in behaves as Electron's does for what the app relies on: readiness, paths,
 * the single-instance lock with 'second-instance', and the quit sequence that windows and will-quit can
 * hold up. `electron` here is the stand-in: the electron project of vitest.config.ts aliases it.
 */

const scratch = mkdtempSync(join(tmpdir(), 'electron-stand-in-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('app', () => {
  it('is the stand-in behind the real import, typed by electron.d.ts', () => {
    expect(standIn.calls).toBeDefined();
    expect(app.isPackaged).toBe(false);
    expect(app.getName()).toBe('Homeserver Tray');
  });

  it('refuses windows before ready; ready creates the user-data folder and resolves whenReady', async () => {
    const userData = join(scratch, 'data');
    app.setPath('userData', userData);
    expect(() => app.setPath('userData', 'relative')).toThrow('Path must be absolute');
    expect(() => app.getPath('nonsense' as 'home')).toThrow("Failed to get 'nonsense' path");
    expect(() => new BrowserWindow()).toThrow('Cannot create BrowserWindow before app is ready');

    let ready = false;
    const whenReady = app.whenReady().then(() => {
      ready = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(ready).toBe(false);
    standIn.ready();
    await whenReady;
    expect(app.isReady()).toBe(true);
    expect(existsSync(userData)).toBe(true);
    expect(app.getPath('sessionData')).toBe(userData);
    expect(app.getPath('logs')).toBe(join(userData, 'logs'));
  });

  it('a second instance on the same user-data folder gets no lock; the first hears its argv and directory', async () => {
    expect(app.requestSingleInstanceLock()).toBe(true);
    const heard = new Promise<unknown[]>((resolve) =>
      app.on('second-instance', (_event, argv, cwd, data) => resolve([argv, cwd, data])),
    );

    // A fresh module graph is a second Electron process of the same app.
    vi.resetModules();
    const second = (await import('electron')).app;
    const secondControl = (await import('../../support/electron/control')).standIn;
    expect(second).not.toBe(app);
    secondControl.configure({ argv: ['electron', '.', '--hidden'], cwd: '/home/user' });
    second.setPath('userData', app.getPath('userData'));
    expect(second.requestSingleInstanceLock({ from: 'second' })).toBe(false);
    expect(await heard).toEqual([['electron', '.', '--hidden'], '/home/user', { from: 'second' }]);

    // Another data folder is another app: its own lock.
    second.setPath('userData', join(scratch, 'other'));
    expect(second.requestSingleInstanceLock()).toBe(true);
    second.exit(0);
  });

  it('login items: a no-op on Linux, as Electron is there', () => {
    app.setLoginItemSettings({ openAtLogin: true });
    expect(standIn.callsOf('app', 'setLoginItemSettings').at(-1)?.args).toEqual([{ openAtLogin: true }]);
    const settings = app.getLoginItemSettings();
    if (process.platform === 'linux')
      expect(settings).toEqual({
        executableWillLaunchAtLogin: false,
        openAtLogin: false,
        wasOpenedAtLogin: false,
      });
    else expect(settings.openAtLogin).toBe(true);
  });

  it('quit: before-quit, every window asked to close (one refusing cancels), will-quit may hold it, then quit', async () => {
    const order: string[] = [];
    const window = new BrowserWindow({ show: true });
    let allowClose = false;
    window.on('close', (event) => {
      order.push('close');
      if (!allowClose) event.preventDefault();
    });
    app.on('before-quit', () => order.push('before-quit'));
    let holdOnce = true;
    app.on('will-quit', (event) => {
      order.push('will-quit');
      if (holdOnce) {
        holdOnce = false;
        event.preventDefault();
      }
    });
    app.on('quit', (_event, code) => order.push(`quit ${code}`));

    app.quit();
    expect(order).toEqual(['before-quit', 'close']);
    expect(window.isDestroyed()).toBe(false);

    allowClose = true;
    app.quit();
    expect(window.isDestroyed()).toBe(true);
    expect(order).toEqual(['before-quit', 'close', 'before-quit', 'close', 'will-quit']);

    app.quit();
    expect(order.slice(-3)).toEqual(['before-quit', 'will-quit', 'quit 0']);
    expect(await standIn.ended()).toEqual({ how: 'quit', code: 0 });
    expect(app.hasSingleInstanceLock()).toBe(false);
  });
});
