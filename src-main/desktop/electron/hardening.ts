import type { App, Session } from 'electron';
import { navigationDecision } from '../model/external-links';
import { CSP_URL_PATTERNS, permissionAllowed, withRendererCsp } from '../model/window-security';

/**
 * Session-wide limits: every permission request and check is refused (the app needs none), and the
 * file:// renderer gets its Content-Security-Policy as a response header.
 */
export function setupSessionHardening(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback) =>
    callback(permissionAllowed(permission)),
  );
  session.setPermissionCheckHandler((_contents, permission) => permissionAllowed(permission));
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onHeadersReceived({ urls: CSP_URL_PATTERNS }, (details, callback) =>
    callback({ responseHeaders: withRendererCsp(details.responseHeaders) }),
  );
}

/**
 * For every webContents the app ever creates: no <webview>, no navigation of any frame, no new windows.
 * A link the allowlist accepts opens in the user's browser instead.
 */
export function setupNavigationGuards(
  app: App,
  options: { publicUrl: () => string | null; openExternal: (url: string) => void },
): void {
  const redirect = (url: string) => {
    const decision = navigationDecision(url, options.publicUrl());
    // Not shell.openExternal: the allowlisted opener from desktop/electron/external.ts, which checks the URL again.
    if (decision.openExternally) options.openExternal(decision.openExternally); // eng-disable OPEN_EXTERNAL_JS_CHECK
  };
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.on('will-frame-navigate', (event) => {
      event.preventDefault();
      if (event.isMainFrame) redirect(event.url);
    });
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      redirect(url);
      return { action: 'deny' };
    });
  });
}
