import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  permissionAllowed,
  RENDERER_CSP,
  secureWebPreferences,
  withRendererCsp,
} from '../../../../src-main/desktop/model/window-security';

/** Electron's security checklist, one assertion per item that applies to the window's webPreferences. */
describe('window webPreferences (Electron security checklist)', () => {
  const prefs = secureWebPreferences({ preload: '/app/out/preload/preload.cjs', devTools: false });

  it('2. no Node.js integration in the page, its workers or its subframes', () => {
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
  });
  it('3. context isolation', () => expect(prefs.contextIsolation).toBe(true));
  it('4. process sandbox', () => expect(prefs.sandbox).toBe(true));
  it('6. webSecurity stays on', () => expect(prefs.webSecurity).toBe(true));
  it('8. no insecure content', () => expect(prefs.allowRunningInsecureContent).toBe(false));
  it('9. no experimental features', () => expect(prefs.experimentalFeatures).toBe(false));
  it('10. no enableBlinkFeatures; Auxclick disabled', () => {
    expect(prefs).not.toHaveProperty('enableBlinkFeatures');
    expect(prefs.disableBlinkFeatures).toBe('Auxclick');
  });
  it('11. no <webview>, no plugins', () => {
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.plugins).toBe(false);
  });
  it('13. dropping a link or file on the window does not navigate it', () =>
    expect(prefs.navigateOnDragDrop).toBe(false));
  it('devtools only in development', () => {
    expect(prefs.devTools).toBe(false);
    expect(secureWebPreferences({ preload: 'p', devTools: true }).devTools).toBe(true);
  });
  it('the preload is the one given', () => expect(prefs.preload).toBe('/app/out/preload/preload.cjs'));
});

describe('permissions (checklist 5)', () => {
  it('refuses every permission a page can ask for', () => {
    for (const p of [
      'media',
      'geolocation',
      'notifications',
      'clipboard-read',
      'openExternal',
      'fullscreen',
      'hid',
    ])
      expect(permissionAllowed(p)).toBe(false);
  });
});

describe('Content-Security-Policy (checklist 7)', () => {
  const directives = (policy: string) =>
    new Map(
      policy
        .split(';')
        .map((d) => d.trim())
        .filter(Boolean)
        .map((d) => {
          const [name, ...values] = d.split(/\s+/);
          return [name as string, values.join(' ')] as const;
        }),
    );

  it('the header repeats every directive of the <meta> policy in src-renderer/index.html', () => {
    const html = readFileSync('src-renderer/index.html', 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBeDefined();
    const header = directives(RENDERER_CSP);
    for (const [name, value] of directives(meta as string)) expect(header.get(name), name).toBe(value);
  });

  it("adds what only a header can carry: frame-ancestors 'none'; no unsafe-inline or unsafe-eval anywhere", () => {
    const header = directives(RENDERER_CSP);
    expect(header.get('frame-ancestors')).toBe("'none'");
    expect(header.get('object-src')).toBe("'none'");
    expect(RENDERER_CSP).not.toMatch(/unsafe-(inline|eval)|\*/);
  });

  it('sets the header on a response, replacing whatever CSP it carried', () => {
    expect(
      withRendererCsp({ 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] }),
    ).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [RENDERER_CSP] });
    expect(withRendererCsp(undefined)).toEqual({ 'Content-Security-Policy': [RENDERER_CSP] });
  });
});
