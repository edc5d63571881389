// eng-disable CONTEXT_ISOLATION_JS_CHECK SANDBOX_JS_CHECK AUXCLICK_JS_CHECK: Electronegativity cannot see into
// options.webPreferences. It is SecureWebPreferences, whose literal types pin contextIsolation and sandbox to true
// and disableBlinkFeatures to 'Auxclick' (window-security.test.ts); this file creates the app's only window.
import type { BrowserWindow as ElectronBrowserWindow, WebContents } from 'electron';
import { BrowserWindow } from 'electron';
import type { EventChannel, NavigateTarget, PayloadOf } from '../../ipc/contract';
import type { RendererLoad } from '../model/renderer-origin';
import { type SecureWebPreferences, WINDOW_SIZE } from '../model/window-security';

export interface AppWindowOptions {
  webPreferences: SecureWebPreferences;
  load: RendererLoad;
  /** Window icon (Linux, Windows); macOS uses the bundle's. */
  icon: string | null;
  /** Started by the login item: load the page but stay in the tray. */
  startHidden: boolean;
}

/**
 * The app's one window. Closing it hides it to the tray (the app keeps polling); only quitting closes it.
 * Events reach it with webContents.send: the main frame of this window and nothing else.
 */
export class AppWindow {
  private readonly win: ElectronBrowserWindow;
  private quitting = false;
  /** A navigation asked for before the page finished loading; sent once it has. */
  private pendingTarget: NavigateTarget | null = null;

  constructor(options: AppWindowOptions) {
    this.win = new BrowserWindow({
      ...WINDOW_SIZE,
      show: false,
      title: 'Homeserver Tray',
      autoHideMenuBar: true,
      ...(options.icon ? { icon: options.icon } : {}),
      webPreferences: options.webPreferences,
    });
    this.win.on('close', (event) => {
      if (this.quitting) return;
      event.preventDefault();
      this.win.hide();
    });
    if (!options.startHidden) this.win.once('ready-to-show', () => this.win.show());
    this.win.webContents.on('did-finish-load', () => {
      const target = this.pendingTarget;
      this.pendingTarget = null;
      if (target) this.send('app.navigate', target);
    });
    const loading =
      options.load.kind === 'file'
        ? this.win.loadFile(options.load.path)
        : this.win.loadURL(options.load.url);
    loading.catch((e: unknown) => console.error(`The window could not load its page: ${String(e)}`));
  }

  /** Shows and focuses the window; with a target, the page opens that panel (notification, tray item). */
  show(target?: NavigateTarget): void {
    if (this.win.isDestroyed()) return;
    if (this.win.isMinimized()) this.win.restore();
    this.win.show();
    this.win.focus();
    if (target) this.send('app.navigate', target);
  }

  /**
   * An event for the page. While it is (re)loading events are dropped: the page asks for the current state
   * when it starts. Only the latest navigation is kept for it, so a notification click still lands.
   */
  send<E extends EventChannel>(channel: E, payload: PayloadOf<E>): void {
    if (this.win.isDestroyed()) return;
    const contents = this.win.webContents;
    if (!contents.isLoading()) contents.send(channel, payload);
    else if (channel === 'app.navigate') this.pendingTarget = payload as NavigateTarget;
  }

  /** Whether an IPC message came from this window's webContents (not another window or a webview). */
  owns(contents: WebContents): boolean {
    return !this.win.isDestroyed() && contents === this.win.webContents;
  }

  /** From now on a close really closes (app quit). */
  allowClose(): void {
    this.quitting = true;
  }
}
