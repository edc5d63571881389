import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  rendererLocation,
  type SenderFacts,
  senderAllowed,
} from '../../../../src-main/desktop/model/renderer-origin';

const indexHtml = join('/opt', 'Homeserver Tray', 'resources', 'app.asar', 'out', 'renderer', 'index.html');
const packaged = rendererLocation({ isPackaged: true, devServerUrl: 'http://localhost:5173', indexHtml });
const dev = rendererLocation({ isPackaged: false, devServerUrl: 'http://localhost:5173/', indexHtml });
const fileUrl = pathToFileURL(indexHtml).href;

const main = (url: string): SenderFacts => ({ fromAppWindow: true, frame: { url, isMainFrame: true } });

describe('where the window loads from', () => {
  it('a packaged app loads its own file and ignores a dev server URL in its environment', () => {
    expect(packaged.load).toEqual({ kind: 'file', path: indexHtml });
    expect(packaged.origin).toEqual({ fileUrl, devServerUrl: null });
  });
  it('in development the electron-vite dev server, if given', () => {
    expect(dev.load).toEqual({ kind: 'url', url: 'http://localhost:5173/' });
    expect(dev.origin.devServerUrl).toBe('http://localhost:5173');
    expect(rendererLocation({ isPackaged: false, devServerUrl: undefined, indexHtml }).load.kind).toBe(
      'file',
    );
    expect(rendererLocation({ isPackaged: false, devServerUrl: 'file:///etc/x', indexHtml }).load.kind).toBe(
      'file',
    );
  });
});

describe('IPC sender validation (checklist 17), with fake senders', () => {
  it("accepts the main frame of the app's window showing the app's page (any #route or ?query)", () => {
    expect(senderAllowed(main(fileUrl), packaged.origin)).toBe(true);
    expect(senderAllowed(main(`${fileUrl}#/settings`), packaged.origin)).toBe(true);
    expect(senderAllowed(main(`${fileUrl}?x=1`), packaged.origin)).toBe(true);
  });

  it('accepts the same file however Chromium percent-encodes its path', () => {
    const spelled = fileUrl.replace('Homeserver%20Tray', 'Homeserver%20Tr%61y');
    expect(spelled).not.toBe(fileUrl);
    expect(senderAllowed(main(spelled), packaged.origin)).toBe(true);
  });

  it('refuses a subframe of the app page (an iframe)', () => {
    expect(
      senderAllowed({ fromAppWindow: true, frame: { url: fileUrl, isMainFrame: false } }, packaged.origin),
    ).toBe(false);
  });

  it('refuses another window or webContents, even one showing the same page', () => {
    expect(
      senderAllowed({ fromAppWindow: false, frame: { url: fileUrl, isMainFrame: true } }, packaged.origin),
    ).toBe(false);
  });

  it('refuses a frame that is gone (navigated away or destroyed)', () => {
    expect(senderAllowed({ fromAppWindow: true, frame: null }, packaged.origin)).toBe(false);
  });

  it('refuses any other page in the main frame', () => {
    for (const url of [
      'file:///tmp/evil.html',
      `${fileUrl.replace('index.html', 'evil.html')}`,
      `${fileUrl.replace('/renderer/', '/renderer/../../evil/')}`,
      fileUrl.replace('/renderer/index.html', '/renderer%2Findex.html'),
      fileUrl.replace('file:///', 'file://attacker-host/'),
      'https://matrix.rampancy.cloud/',
      'http://localhost:5173/',
      'about:blank',
      'data:text/html,<script>api.token.reveal()</script>',
      'chrome-error://chromewebdata/',
      'devtools://devtools/bundled/inspector.html',
      'not a url',
      '',
    ])
      expect(senderAllowed(main(url), packaged.origin), url).toBe(false);
  });

  it('in development: the dev server origin only, and the built file still', () => {
    expect(senderAllowed(main('http://localhost:5173/'), dev.origin)).toBe(true);
    expect(senderAllowed(main('http://localhost:5173/#/logs'), dev.origin)).toBe(true);
    expect(senderAllowed(main(fileUrl), dev.origin)).toBe(true);
    for (const url of ['http://localhost:5174/', 'http://127.0.0.1:5173/', 'https://localhost:5173/'])
      expect(senderAllowed(main(url), dev.origin), url).toBe(false);
  });
});
