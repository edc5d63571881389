import { pathToFileURL } from 'node:url';

/** Where the window's page comes from, and so which frames may talk to the main process. */
export interface RendererOrigin {
  /** The built renderer as a file:// URL (…/out/renderer/index.html). */
  fileUrl: string;
  /** electron-vite's dev server (ELECTRON_RENDERER_URL), in development only; null when packaged. */
  devServerUrl: string | null;
}

export type RendererLoad = { kind: 'file'; path: string } | { kind: 'url'; url: string };

/**
 * What the window loads. The dev server is honoured only in an unpackaged app: a packaged one started with
 * ELECTRON_RENDERER_URL in its environment must not load (and trust) another page.
 */
export function rendererLocation(options: {
  isPackaged: boolean;
  devServerUrl: string | undefined;
  indexHtml: string;
}): { load: RendererLoad; origin: RendererOrigin } {
  const fileUrl = pathToFileURL(options.indexHtml).href;
  const dev = !options.isPackaged && options.devServerUrl ? httpOrigin(options.devServerUrl) : null;
  return {
    load: dev
      ? { kind: 'url', url: options.devServerUrl as string }
      : { kind: 'file', path: options.indexHtml },
    origin: { fileUrl, devServerUrl: dev },
  };
}

function httpOrigin(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

/** What the shell reads off an IPC event (`event.sender`, `event.senderFrame`) for `senderAllowed`. */
export interface SenderFacts {
  /** `event.sender` is the webContents of the app's window (not another window, not a webview). */
  fromAppWindow: boolean;
  /** `event.senderFrame`; null when the frame navigated away or was destroyed before the handler ran. */
  frame: { url: string; isMainFrame: boolean } | null;
}

/**
 * IPC sender validation: only the main frame of the app's window, showing the app's own page, may call
 * the main process. An iframe (even one the page opened), another window, a page the window was navigated
 * to, or a frame that is gone, is refused.
 */
export function senderAllowed(sender: SenderFacts, origin: RendererOrigin): boolean {
  if (!sender.fromAppWindow || !sender.frame?.isMainFrame) return false;
  const url = parse(sender.frame.url);
  if (!url) return false;
  if (url.protocol === 'file:') return sameFile(url, origin.fileUrl);
  return origin.devServerUrl !== null && url.origin === origin.devServerUrl;
}

function sameFile(url: URL, expected: string): boolean {
  const want = parse(expected);
  if (!want || url.host !== '' || want.host !== '') return false;
  const a = decodePath(url.pathname);
  const b = decodePath(want.pathname);
  return a !== null && a === b;
}

/**
 * Chromium and Node may percent-encode a path differently (spaces, brackets, non-ASCII); compare decoded,
 * segment by segment, and refuse an encoded separator rather than let it join two segments.
 */
function decodePath(pathname: string): string | null {
  try {
    const segments = pathname.split('/').map((s) => decodeURIComponent(s));
    return segments.some((s) => s.includes('/') || s.includes('\\')) ? null : segments.join('/');
  } catch {
    return null;
  }
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
