/**
 * The window's security settings, one place for Electron's security checklist: the shell passes these
 * objects to BrowserWindow and the session unchanged, and tests assert each item.
 */

/** webPreferences of the app's only window. Literal types: a `true` here cannot silently become `false`. */
export interface SecureWebPreferences {
  preload: string;
  /** The preload's world and the page's are separate: the page sees only what contextBridge exposes. */
  contextIsolation: true;
  /** The renderer is an OS-sandboxed Chromium process; the preload can require nothing but 'electron'. */
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  experimentalFeatures: false;
  /** Middle-click would open links in new windows; setWindowOpenHandler denies them anyway. */
  disableBlinkFeatures: 'Auxclick';
  webviewTag: false;
  /** Dropping a file or link on the window would navigate it away from the app. */
  navigateOnDragDrop: false;
  plugins: false;
  /** A page that loops on alert() cannot lock the user out. */
  safeDialogs: true;
  spellcheck: false;
  /** Off in packaged builds: devtools would let anyone at the keyboard call window.api by hand. */
  devTools: boolean;
}

export function secureWebPreferences(options: { preload: string; devTools: boolean }): SecureWebPreferences {
  return {
    preload: options.preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    disableBlinkFeatures: 'Auxclick',
    webviewTag: false,
    navigateOnDragDrop: false,
    plugins: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: options.devTools,
  };
}

/**
 * The renderer's Content-Security-Policy, sent as a response header for the file:// renderer. It repeats
 * the <meta> policy of src-renderer/index.html (a test keeps them in step) and adds what only a header can
 * carry: `frame-ancestors 'none'` (Chromium ignores it in <meta>).
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Every permission a page can ask for (camera, notifications, clipboard read, geolocation, …): refused. */
export function permissionAllowed(_permission: string): false {
  return false;
}

/** Main window geometry and behaviour that is not about security. */
export const WINDOW_SIZE = { width: 1100, height: 760, minWidth: 720, minHeight: 520 } as const;

/** The file:// responses that get the CSP header (Chrome match-pattern syntax, as webRequest filters take). */
export const CSP_URL_PATTERNS = ['file:///*'];

/** The response headers with the renderer CSP set, replacing any other spelling of the header. */
export function withRendererCsp(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const kept = Object.entries(headers ?? {}).filter(([k]) => k.toLowerCase() !== 'content-security-policy');
  return { ...Object.fromEntries(kept), 'Content-Security-Policy': [RENDERER_CSP] };
}
