import { ClipboardItem, clipboard, dialog, powerMonitor, safeStorage, session, shell } from 'electron';
import { beforeAll, describe, expect, it } from 'vitest';
import { standIn } from '../../support/electron/control';
import type { StandInSession } from '../../support/electron/session';

/** The stand-in's clipboard, dialogs, session hooks, safeStorage, powerMonitor and shell. */

describe('before ready', () => {
  it('dialogs, sessions and power events wait for ready; an error box does not', () => {
    expect(() => dialog.showMessageBox({ message: 'm' })).toThrow(
      'dialog module can only be used after app is ready',
    );
    expect(() => session.defaultSession).toThrow('Session can only be received when app is ready');
    expect(() => standIn.power.suspend()).toThrow('before it is ready');
    expect(() => safeStorage.encryptString('x')).toThrow('safeStorage cannot be used before app is ready');
    dialog.showErrorBox('Homeserver Tray could not start', 'because');
    expect(standIn.dialogs.errorBoxes).toEqual([
      { title: 'Homeserver Tray could not start', content: 'because' },
    ]);
  });
});

describe('after ready', () => {
  beforeAll(() => standIn.ready());

  it('clipboard: one write holds every format of its item; the selection is a clipboard of its own', async () => {
    await clipboard.write([
      new ClipboardItem({ 'text/plain': 'tok3n', 'x-kde-passwordManagerHint': new Blob(['secret']) }),
    ]);
    expect(standIn.clipboard.contents()).toEqual({
      'text/plain': 'tok3n',
      'x-kde-passwordManagerHint': 'secret',
    });
    expect(await clipboard.readText()).toBe('tok3n');
    expect(await clipboard.selection.readText()).toBe('');
    standIn.clipboard.copyElsewhere('something else');
    expect(await clipboard.has('x-kde-passwordManagerHint')).toBe(false);
    clipboard.clear();
    expect(standIn.clipboard.contents()).toEqual({});
    await expect(clipboard.write([{ types: [] } as never])).rejects.toThrow(
      'clipboard.write expects an array of ClipboardItem',
    );
  });

  it('a message box waits for the user; Escape answers the Cancel button', async () => {
    const answer = dialog.showMessageBox({ message: 'Restart Tuwunel?', buttons: ['Restart', 'Cancel'] });
    const shown = await standIn.dialogs.next();
    expect(shown.kind).toBe('messageBox');
    expect(standIn.dialogs.onScreen()).toHaveLength(0);
    shown.dismiss();
    expect(await answer).toEqual({ response: 1, checkboxChecked: false });
    // Electron validates before the dialog opens: the call throws, it does not return a rejected promise.
    expect(() => dialog.showMessageBox({ message: 'm', type: 'nonsense' as 'info' })).toThrow(
      'Invalid message box type',
    );
  });

  it('session: permissions are granted without a handler and decided by it with one; CSP headers by URL pattern', async () => {
    const defaultSession = session.defaultSession as unknown as StandInSession;
    const contents = {} as Electron.WebContents;
    const ask = () =>
      standIn.session.requestPermission(defaultSession, contents, 'notifications', {
        isMainFrame: true,
        requestingUrl: 'file:///index.html',
      });
    expect(await ask()).toBe(true);
    session.defaultSession.setPermissionRequestHandler((_c, _p, callback) => callback(false));
    expect(await ask()).toBe(false);

    session.defaultSession.webRequest.onHeadersReceived({ urls: ['file:///*'] }, (details, callback) =>
      callback({
        responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': ["default-src 'none'"] },
      }),
    );
    expect(
      (await standIn.session.receiveHeaders(defaultSession, { url: 'file:///app/out/renderer/index.html' }))
        .responseHeaders,
    ).toEqual({ 'Content-Security-Policy': ["default-src 'none'"] });
    expect(
      (
        await standIn.session.receiveHeaders(defaultSession, {
          url: 'https://matrix.org/',
          responseHeaders: {},
        })
      ).responseHeaders,
    ).toEqual({});
    expect(() =>
      session.defaultSession.webRequest.onHeadersReceived({ urls: ['file'] }, () => undefined),
    ).toThrow('Invalid url pattern file: Missing scheme separator.');
  });

  it('safeStorage: Chromium OSCrypt v11 with a keyring, v10 for basic_text, plaintext refused', () => {
    const sealed = safeStorage.encryptString('hunter2');
    expect(sealed.subarray(0, 3).toString()).toBe('v11');
    expect(sealed.includes(Buffer.from('hunter2'))).toBe(false);
    expect(safeStorage.decryptString(sealed)).toBe('hunter2');
    expect(() => safeStorage.decryptString(Buffer.from('hunter2'))).toThrow(
      'Ciphertext does not appear to be encrypted',
    );
    standIn.safeStorage.setBackend('basic_text');
    expect(safeStorage.isEncryptionAvailable()).toBe(false);
    safeStorage.setUsePlainTextEncryption(true);
    expect(safeStorage.encryptString('x').subarray(0, 3).toString()).toBe('v10');
  });

  it('powerMonitor hears suspend and resume; shell hands only parseable URLs to the browser', async () => {
    const heard: string[] = [];
    powerMonitor.on('suspend', () => heard.push('suspend'));
    powerMonitor.on('resume', () => heard.push('resume'));
    standIn.power.suspend();
    standIn.power.resume();
    expect(heard).toEqual(['suspend', 'resume']);

    await shell.openExternal('https://matrix.org/');
    expect(standIn.shell.opened()).toEqual([{ url: 'https://matrix.org/' }]);
    await expect(shell.openExternal('not a url')).rejects.toThrow('conversion failure');
  });
});
