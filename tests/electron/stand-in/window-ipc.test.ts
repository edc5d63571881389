import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, contextBridge, ipcMain, ipcRenderer } from 'electron';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { standIn } from '../../support/electron/control';
import type { StandInBrowserWindow } from '../../support/electron/windows';

/**
 * Windows, pages and IPC of the stand-in: loads succeed or fail as Chromium's do, events reach the page in
 * the window's frame, invokes carry the sender frame (ours or a foreign one) and fail with Electron's texts,
 * navigation and window.open go through the app's guards.
 */

const scratch = mkdtempSync(join(tmpdir(), 'electron-stand-in-'));
const page = join(scratch, 'index.html');
let window: BrowserWindow;
let stand: StandInBrowserWindow;

beforeAll(() => {
  writeFileSync(page, '<!doctype html><title>t</title>');
  standIn.configure({ appPath: scratch });
  app.setPath('userData', join(scratch, 'data'));
  standIn.ready();
  window = new BrowserWindow({ show: false, webPreferences: { sandbox: true, contextIsolation: true } });
  stand = standIn.windows()[0] as StandInBrowserWindow;
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('BrowserWindow and webContents', () => {
  it('loadFile resolves against the app path; a missing file rejects with Chromium error and did-fail-load', async () => {
    const failed = vi.fn();
    window.webContents.once('did-fail-load', failed);
    await expect(window.loadFile('missing.html')).rejects.toMatchObject({
      message: `ERR_FILE_NOT_FOUND (-6) loading '${pathToFileURL(join(scratch, 'missing.html')).href}'`,
      errno: -6,
      code: 'ERR_FILE_NOT_FOUND',
    });
    expect(failed).toHaveBeenCalledOnce();

    const readyToShow = new Promise<void>((resolve) => window.once('ready-to-show', () => resolve()));
    const finished = vi.fn();
    window.webContents.once('did-finish-load', finished);
    const loading = window.loadFile('index.html');
    expect(window.webContents.isLoading()).toBe(true);
    await loading;
    await readyToShow;
    expect(finished).toHaveBeenCalledOnce();
    expect(window.webContents.getURL()).toBe(pathToFileURL(page).href);
    expect(window.webContents.mainFrame.url).toBe(pathToFileURL(page).href);
    expect(standIn.windowView(stand).visible).toBe(false);
  });

  it('show focuses, hide blurs, a prevented close keeps the window', () => {
    window.show();
    expect(standIn.windowView(stand)).toMatchObject({ visible: true, focused: true });
    window.hide();
    expect(standIn.windowView(stand)).toMatchObject({ visible: false, focused: false });
    const keep = (event: Electron.Event) => event.preventDefault();
    window.on('close', keep);
    standIn.closeWindow(stand);
    expect(window.isDestroyed()).toBe(false);
    window.off('close', keep);
  });
});

describe('IPC', () => {
  it('webContents.send reaches the page in the main frame, as a copy, on a later turn', async () => {
    standIn.page.connect(stand.webContents.mainFrame);
    const payload = { overall: 'ok', units: ['a'] };
    const got = new Promise<unknown[]>((resolve) => ipcRenderer.once('status.changed', (...a) => resolve(a)));
    window.webContents.send('status.changed', payload);
    const [event, received] = await got;
    expect(received).toEqual(payload);
    expect(received).not.toBe(payload);
    expect((event as Electron.IpcRendererEvent).sender).toBe(ipcRenderer);
    expect(standIn.callsOf(/^webContents/, 'send').at(-1)?.args).toEqual(['status.changed', payload]);
    expect(() => window.webContents.send('x', () => 1)).toThrow('An object could not be cloned.');
  });

  it('invoke from our main frame: the handler sees our webContents and frame; answers come back cloned', async () => {
    ipcMain.handle('app.info', (event, request) => ({
      same: event.sender === window.webContents,
      main: event.senderFrame === window.webContents.mainFrame,
      url: event.senderFrame?.url,
      request,
    }));
    expect(() => ipcMain.handle('app.info', () => 1)).toThrow(
      "Attempted to register a second handler for 'app.info'",
    );
    expect(await ipcRenderer.invoke('app.info', { n: 1 })).toEqual({
      same: true,
      main: true,
      url: pathToFileURL(page).href,
      request: { n: 1 },
    });
  });

  it('invoke from a foreign frame names that frame; no handler and a throwing handler fail as in Electron', async () => {
    const foreign = standIn.frames.child(stand.webContents.mainFrame, 'https://evil.example/ad.html');
    const seen = await standIn.ipc.invoke(foreign, 'app.info', {});
    expect(seen).toMatchObject({ same: true, main: false, url: 'https://evil.example/ad.html' });
    expect(foreign.parent).toBe(stand.webContents.mainFrame);
    expect(foreign.processId).not.toBe(stand.webContents.mainFrame.processId);

    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await expect(ipcRenderer.invoke('nothing.here')).rejects.toThrow(
      "Error invoking remote method 'nothing.here': Error: No handler registered for 'nothing.here'",
    );
    ipcMain.handle('boom', () => {
      throw new Error('kaputt');
    });
    await expect(ipcRenderer.invoke('boom')).rejects.toThrow(
      "Error invoking remote method 'boom': Error: kaputt",
    );
    expect(errors).toHaveBeenCalledWith("Error occurred in handler for 'boom':", expect.any(Error));
    errors.mockRestore();
    expect(standIn.ipc.handledChannels()).toEqual(['app.info', 'boom']);
  });

  it('contextBridge copies into the page: functions proxied, class instances flattened, the result frozen', async () => {
    class Holder {
      secret = 's';
      method() {
        return 'leak';
      }
    }
    contextBridge.exposeInMainWorld('api', { ping: async (x: number) => x + 1, holder: new Holder() });
    const world = standIn.page.world() as { api: { ping: (x: number) => Promise<number>; holder: object } };
    expect(await world.api.ping(1)).toBe(2);
    expect(world.api.holder).toEqual({ secret: 's' });
    expect('method' in world.api.holder).toBe(false);
    expect(Object.isFrozen(world.api)).toBe(true);
    expect(() => contextBridge.exposeInMainWorld('api', {})).toThrow(
      'Cannot bind an API on top of an existing property on the window object',
    );
  });
});

describe('navigation guards', () => {
  it('will-frame-navigate then will-navigate; a prevented one does not navigate', () => {
    const seen: string[] = [];
    window.webContents.on('will-frame-navigate', (details) =>
      seen.push(`frame ${details.url} ${details.isMainFrame}`),
    );
    window.webContents.on('will-navigate', (event, url) => {
      seen.push(`main ${url}`);
      event.preventDefault();
    });
    expect(standIn.navigation.navigate(stand.webContents.mainFrame, 'https://elsewhere.example/')).toBe(
      false,
    );
    expect(seen).toEqual(['frame https://elsewhere.example/ true', 'main https://elsewhere.example/']);
    expect(window.webContents.getURL()).toBe(pathToFileURL(page).href);
  });

  it('window.open asks the handler; deny opens nothing, a malformed answer denies with Electron error', () => {
    const asked: string[] = [];
    window.webContents.setWindowOpenHandler(({ url }) => {
      asked.push(url);
      return { action: 'deny' };
    });
    expect(standIn.navigation.openWindow(stand.webContents.mainFrame, 'https://matrix.org/')).toBeNull();
    expect(asked).toEqual(['https://matrix.org/']);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    window.webContents.setWindowOpenHandler(() => ({ action: 'maybe' }) as never);
    expect(standIn.navigation.openWindow(stand.webContents.mainFrame, 'https://matrix.org/')).toBeNull();
    expect(errors).toHaveBeenCalledOnce();
    errors.mockRestore();
    expect(standIn.windows()).toHaveLength(1);
  });
});
