import { app, becomeReady, type Ending, type Launch } from './app';
import { clipboardContents, copyElsewhere } from './clipboard';
import { dialogsOnScreen, errorBoxes, nextDialog } from './dialog';
import { INSIDE } from './imitation';
import { connectPage, invokeFrom, ipcMain, mainWorld, sendFrom } from './ipc';
import { describeMenu, pick, StandInMenu } from './menu';
import {
  clickNotification,
  dismissNotification,
  notificationSupport,
  shownNotifications,
} from './notification';
import { type Call, calls } from './recorder';
import { readiness } from './registry';
import { runSandboxedPreload } from './sandboxed-preload';
import { checkDevicePermission, checkPermission, receiveHeaders, requestPermission } from './session';
import { power, safeStorage, shell } from './system';
import { clickTray, trays, trayView } from './tray';
import {
  attachWebview,
  childFrame,
  contentsOf,
  navigate,
  openWindow,
  redirect,
  StandInBrowserWindow,
} from './windows';

/**
 * The test's side of the electron stand-in: how the app was started, Electron's own events (ready, a
 * second instance, clicks, dialogs, sleep and wake, navigation, IPC from a frame), and what the user would
 * see (tray, menus, notifications, windows, clipboard). Every call the app made is in `calls`.
 */
export const standIn = {
  calls: calls as readonly Call[],

  /** The calls on one object (`app`, `Tray 1`, /^webContents/), optionally of one method. */
  callsOf(target: string | RegExp, method?: string): Call[] {
    return calls.filter(
      (c) =>
        (typeof target === 'string' ? c.target === target : target.test(c.target)) &&
        (method === undefined || c.method === method),
    );
  },

  /** How this instance is started; only before it is ready, as a real launch is fixed by then. */
  configure(launch: Partial<Launch>): void {
    if (readiness.ready) throw new Error('standIn.configure: the app is already running');
    Object.assign(app[INSIDE].launch, launch);
  },

  /** Electron finished launching: the user-data folder exists, whenReady resolves, 'ready' fires. */
  ready(): void {
    becomeReady();
  },

  /** Resolves when the app has quit ('quit' emitted) or exited, with how and the exit code. */
  ended(): Promise<Ending> {
    return app[INSIDE].ended;
  },

  /** The AppUserModelID the app set (Windows notifications and taskbar grouping). */
  appUserModelId(): string | null {
    return app[INSIDE].appUserModelId;
  },

  windows(): StandInBrowserWindow[] {
    return StandInBrowserWindow.getAllWindows();
  },

  /** Is the window on screen, focused, minimized, and what was it created with. */
  windowView(window: StandInBrowserWindow) {
    const s = window[INSIDE];
    return {
      visible: s.visible,
      focused: s.focused,
      minimized: s.minimized,
      destroyed: s.destroyed,
      options: s.options,
      url: window.webContents.getURL(),
    };
  },

  /** The user closes the window with its title-bar button. */
  closeWindow(window: StandInBrowserWindow): void {
    window.close();
  },

  /**
   * The page side: connect(frame) makes the preload run in that frame and returns its main world (the
   * page's `window`); runPreload(file) runs a built preload there as a sandboxed renderer does.
   */
  page: { connect: connectPage, world: mainWorld, runPreload: runSandboxedPreload },

  frames: { child: childFrame, contentsOf },

  /** IPC from any frame: ours or a foreign one (an iframe of another origin, another window). */
  ipc: {
    invoke: invokeFrom,
    send: sendFrom,
    handledChannels(): string[] {
      return [...ipcMain[INSIDE].handlers.keys()];
    },
  },

  navigation: { navigate, redirect, openWindow, attachWebview },

  trays(): typeof trays {
    return trays;
  },
  trayView,
  clickTray,

  menus: {
    pick,
    describe: describeMenu,
    applicationMenu: () => StandInMenu.getApplicationMenu(),
    template: (menu: StandInMenu) => menu[INSIDE].template,
  },

  notifications: {
    shown: shownNotifications as readonly (typeof shownNotifications)[number][],
    click: clickNotification,
    dismiss: dismissNotification,
    setSupported(supported: boolean): void {
      notificationSupport.supported = supported;
    },
  },

  dialogs: {
    next: nextDialog,
    onScreen: dialogsOnScreen,
    errorBoxes: errorBoxes as readonly (typeof errorBoxes)[number][],
  },

  clipboard: { contents: clipboardContents, copyElsewhere },

  shell: {
    opened(): readonly { url: string }[] {
      return shell[INSIDE].opened;
    },
  },

  power,

  session: { requestPermission, checkPermission, checkDevicePermission, receiveHeaders },

  safeStorage: {
    /** Which secret store Chromium found (basic_text: none, only the "peanuts" obfuscation). */
    setBackend(backend: 'basic_text' | 'gnome_libsecret' | 'kwallet5' | 'unknown'): void {
      safeStorage[INSIDE].backend = backend;
    },
  },
};
