import { EventEmitter } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type {
  BrowserWindow,
  BrowserWindowConstructorOptions,
  HandlerDetails,
  LoadFileOptions,
  LoadURLOptions,
  Menu,
  WebContents,
  WebFrameMain,
  WebPreferences,
  WindowOpenHandlerResponse,
} from 'electron';
import { app } from './app';
import { type Imitation, INSIDE, type OnlyElectron } from './imitation';
import { electronEvent, later, record, serialize } from './recorder';
import { lastWindowClosed, type OpenWindow, openWindows, readiness } from './registry';
import { type StandInSession, session } from './session';

/** Chromium's numbers for processes and frames: every page its own renderer process here. */
let nextProcessId = 1;
let nextFrameTreeNodeId = 1;
let nextWebContentsId = 1;
let nextWindowId = 1;

/** What a page's preload side (ipc.ts) hooks into a frame to receive what the main process sends it. */
export interface PageLink {
  deliver(channel: string, args: unknown[]): void;
}

interface FrameState {
  contents: StandInWebContents;
  url: string;
  children: StandInFrame[];
  page: PageLink | null;
  detached: boolean;
}

/** Chromium's serialisation of an origin: file URLs are `file://`, opaque ones `null`. */
function originOf(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'file:') return 'file://';
    return u.origin;
  } catch {
    return 'null';
  }
}

/** A frame in a page: the main frame of a webContents, or an <iframe> inside it. */
class StandInFrame extends EventEmitter implements Imitation<WebFrameMain> {
  readonly [INSIDE]: FrameState;
  readonly frameTreeNodeId: number;
  readonly processId: number;
  readonly routingId: number;
  readonly name: string;
  readonly parent: StandInFrame | null;

  constructor(contents: StandInWebContents, parent: StandInFrame | null, url: string, name = '') {
    super();
    this.frameTreeNodeId = nextFrameTreeNodeId++;
    // A cross-origin iframe gets its own renderer process (site isolation); a same-origin one shares.
    this.processId =
      parent && originOf(url) === originOf(parent.url)
        ? parent.processId
        : parent
          ? nextProcessId++
          : contents.getProcessId();
    this.routingId = this.frameTreeNodeId;
    this.name = name;
    this.parent = parent;
    this[INSIDE] = { contents, url, children: [], page: null, detached: false };
    parent?.[INSIDE].children.push(this);
  }

  get url(): string {
    return this[INSIDE].url;
  }

  get origin(): string {
    return originOf(this[INSIDE].url);
  }

  get top(): StandInFrame {
    let frame: StandInFrame = this;
    while (frame.parent) frame = frame.parent;
    return frame;
  }

  get frames(): StandInFrame[] {
    return [...this[INSIDE].children];
  }

  get framesInSubtree(): StandInFrame[] {
    return [this, ...this[INSIDE].children.flatMap((c) => c.framesInSubtree)];
  }

  get detached(): boolean {
    return this[INSIDE].detached;
  }

  isDestroyed(): boolean {
    return this[INSIDE].detached || this[INSIDE].contents.isDestroyed();
  }

  /** To the page in this frame, a copy (structured clone) on a later turn, as IPC delivers it. */
  send(channel: string, ...args: unknown[]): void {
    record(`frame ${this.frameTreeNodeId}`, 'send', [channel, ...args]);
    if (typeof channel !== 'string') throw new TypeError('Missing required channel argument');
    const copy = serialize(args);
    const page = this[INSIDE].page;
    if (page && !this.isDestroyed()) later(() => page.deliver(channel, copy));
  }
}
const frameOnly: OnlyElectron<StandInFrame, WebFrameMain> = true;
void frameOnly;

interface ContentsState {
  label: string;
  owner: StandInBrowserWindow | null;
  webPreferences: WebPreferences;
  url: string;
  loading: boolean;
  destroyed: boolean;
  windowOpenHandler: ((details: HandlerDetails) => unknown) | null;
  /** Every load started: the newest one wins, an older one ends with ERR_ABORTED. */
  loadSerial: number;
}

type LoadError = Error & { errno: number; code: string; url: string };

function loadError(errno: number, code: string, url: string): LoadError {
  return Object.assign(new Error(`${code} (${errno}) loading '${url.slice(0, 2048)}'`), { errno, code, url });
}

/** What loading a URL would give: a real file for file:, a real request for http(s). */
async function fetchOutcome(url: string): Promise<{ errno: number; code: string } | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { errno: -300, code: 'ERR_INVALID_URL' };
  }
  if (parsed.protocol === 'file:') {
    const path = fileURLToPath(parsed);
    return existsSync(path) && statSync(path).isFile() ? null : { errno: -6, code: 'ERR_FILE_NOT_FOUND' };
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
    try {
      const response = await fetch(url, { redirect: 'manual' });
      await response.body?.cancel();
      return null;
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      if (cause === 'ENOTFOUND' || cause === 'EAI_AGAIN')
        return { errno: -105, code: 'ERR_NAME_NOT_RESOLVED' };
      return { errno: -102, code: 'ERR_CONNECTION_REFUSED' };
    }
  }
  if (parsed.protocol === 'about:' || parsed.protocol === 'data:') return null;
  return { errno: -302, code: 'ERR_UNKNOWN_URL_SCHEME' };
}

class StandInWebContents extends EventEmitter implements Imitation<WebContents> {
  readonly [INSIDE]: ContentsState;
  readonly id: number;
  private readonly processId: number;
  readonly mainFrame: StandInFrame;
  readonly session: StandInSession;

  constructor(owner: StandInBrowserWindow | null, webPreferences: WebPreferences) {
    super();
    this.id = nextWebContentsId++;
    this.processId = nextProcessId++;
    this[INSIDE] = {
      label: `webContents ${this.id}`,
      owner,
      webPreferences,
      url: '',
      loading: false,
      destroyed: false,
      windowOpenHandler: null,
      loadSerial: 0,
    };
    this.mainFrame = new StandInFrame(this, null, 'about:blank');
    this.session =
      webPreferences.session === undefined && webPreferences.partition === undefined
        ? session.defaultSession
        : session.fromPartition(webPreferences.partition ?? '');
    app.emit('web-contents-created', electronEvent({ sender: this }), this);
  }

  getURL(): string {
    return this[INSIDE].url;
  }

  /** Chromium's id of the main frame's renderer process (each webContents its own here). */
  getProcessId(): number {
    return this.processId;
  }

  isLoading(): boolean {
    return this[INSIDE].loading;
  }

  isLoadingMainFrame(): boolean {
    return this[INSIDE].loading;
  }

  isDestroyed(): boolean {
    return this[INSIDE].destroyed;
  }

  /** Events to the page: webContents.send is its main frame's send. */
  send(channel: string, ...args: unknown[]): void {
    record(this[INSIDE].label, 'send', [channel, ...args]);
    this.mainFrame.send(channel, ...args);
  }

  setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void {
    record(this[INSIDE].label, 'setWindowOpenHandler', [handler]);
    this[INSIDE].windowOpenHandler = handler;
  }

  loadFile(filePath: string, options?: LoadFileOptions): Promise<void> {
    record(this[INSIDE].label, 'loadFile', options === undefined ? [filePath] : [filePath, options]);
    if (typeof filePath !== 'string') throw new TypeError('Must pass filePath as a string');
    const url = pathToFileURL(resolvePath(app.getAppPath(), filePath));
    if (options?.hash) url.hash = options.hash;
    if (options?.search) url.search = options.search;
    return this.load(url.href);
  }

  loadURL(url: string, options?: LoadURLOptions): Promise<void> {
    record(this[INSIDE].label, 'loadURL', options === undefined ? [url] : [url, options]);
    return this.load(url);
  }

  /**
   * A browser-initiated load of the main frame, with Chromium's events in order. Resolves on
   * 'did-finish-load'; rejects with Electron's error (`ERR_FILE_NOT_FOUND (-6) loading '…'`) on
   * 'did-fail-load', or ERR_ABORTED when another load replaces it.
   */
  private load(url: string): Promise<void> {
    const s = this[INSIDE];
    const serial = ++s.loadSerial;
    s.loading = true;
    const frame = this.mainFrame;
    const navigation = (isSameDocument: boolean) =>
      electronEvent({
        url,
        isSameDocument,
        isMainFrame: true,
        processId: frame.processId,
        routingId: frame.routingId,
        frame,
        initiator: null,
      });
    return new Promise<void>((resolve, reject) => {
      later(async () => {
        if (serial !== s.loadSerial) return reject(loadError(-3, 'ERR_ABORTED', url));
        this.emit('did-start-loading');
        this.emit(
          'did-start-navigation',
          navigation(false),
          url,
          false,
          true,
          frame.processId,
          frame.routingId,
        );
        const failure = await fetchOutcome(url);
        if (serial !== s.loadSerial || s.destroyed) return reject(loadError(-3, 'ERR_ABORTED', url));
        if (failure) {
          this.emit(
            'did-fail-load',
            electronEvent(),
            failure.errno,
            failure.code,
            url,
            true,
            frame.processId,
            frame.routingId,
          );
          s.loading = false;
          this.emit('did-stop-loading');
          return reject(loadError(failure.errno, failure.code, url));
        }
        s.url = url;
        frame[INSIDE].url = url;
        for (const child of frame[INSIDE].children) child[INSIDE].detached = true;
        frame[INSIDE].children = [];
        this.emit('did-navigate', electronEvent(), url, 200, 'OK');
        this.emit('dom-ready');
        s.loading = false;
        this.emit('did-finish-load');
        this.emit('did-stop-loading');
        this.emit('ready-to-show');
        const owner = s.owner;
        if (owner && !owner.isDestroyed()) process.nextTick(() => owner.emit('ready-to-show'));
        resolve();
      });
    });
  }
}
const contentsOnly: OnlyElectron<StandInWebContents, WebContents> = true;
void contentsOnly;

interface WindowState {
  label: string;
  /** How the app's lifecycle (registry.ts) sees this window. */
  handle: OpenWindow;
  options: BrowserWindowConstructorOptions;
  visible: boolean;
  focused: boolean;
  minimized: boolean;
  destroyed: boolean;
  title: string;
  menu: Menu | null;
}

class StandInBrowserWindow extends EventEmitter implements Imitation<BrowserWindow> {
  readonly [INSIDE]: WindowState;
  readonly id: number;
  readonly webContents: StandInWebContents;

  static getAllWindows(): StandInBrowserWindow[] {
    return [...openWindows]
      .map((handle) => handle.window)
      .filter((w): w is StandInBrowserWindow => w instanceof StandInBrowserWindow);
  }

  static fromWebContents(contents: WebContents): StandInBrowserWindow | null {
    return StandInBrowserWindow.getAllWindows().find((w) => w.webContents === (contents as unknown)) ?? null;
  }

  static fromId(id: number): StandInBrowserWindow | null {
    return StandInBrowserWindow.getAllWindows().find((w) => w.id === id) ?? null;
  }

  static getFocusedWindow(): StandInBrowserWindow | null {
    return StandInBrowserWindow.getAllWindows().find((w) => w.isFocused()) ?? null;
  }

  constructor(options: BrowserWindowConstructorOptions = {}) {
    super();
    if (!readiness.ready) throw new Error('Cannot create BrowserWindow before app is ready');
    this.id = nextWindowId++;
    const label = `BrowserWindow ${this.id}`;
    record(label, 'constructor', [options]);
    this[INSIDE] = {
      label,
      handle: { window: this, requestClose: () => this.requestClose(), destroy: () => this.destroy() },
      options,
      visible: false,
      focused: false,
      minimized: false,
      destroyed: false,
      title: options.title ?? app.getName(),
      menu: null,
    };
    this.webContents = new StandInWebContents(this, options.webPreferences ?? {});
    openWindows.add(this[INSIDE].handle);
    app.emit('browser-window-created', electronEvent(), this);
    if (options.show !== false) this.show();
  }

  loadFile(filePath: string, options?: LoadFileOptions): Promise<void> {
    return this.webContents.loadFile(filePath, options);
  }

  loadURL(url: string, options?: LoadURLOptions): Promise<void> {
    return this.webContents.loadURL(url, options);
  }

  show(): void {
    record(this[INSIDE].label, 'show', []);
    const s = this[INSIDE];
    if (s.destroyed) return;
    const wasVisible = s.visible;
    s.visible = true;
    if (!wasVisible) this.emit('show');
    this.takeFocus();
  }

  showInactive(): void {
    record(this[INSIDE].label, 'showInactive', []);
    const s = this[INSIDE];
    if (!s.visible) {
      s.visible = true;
      this.emit('show');
    }
  }

  hide(): void {
    record(this[INSIDE].label, 'hide', []);
    const s = this[INSIDE];
    if (!s.visible) return;
    s.visible = false;
    if (s.focused) {
      s.focused = false;
      this.emit('blur');
    }
    this.emit('hide');
  }

  focus(): void {
    record(this[INSIDE].label, 'focus', []);
    if (this[INSIDE].visible) this.takeFocus();
  }

  blur(): void {
    record(this[INSIDE].label, 'blur', []);
    if (!this[INSIDE].focused) return;
    this[INSIDE].focused = false;
    this.emit('blur');
  }

  isVisible(): boolean {
    return this[INSIDE].visible;
  }

  isFocused(): boolean {
    return this[INSIDE].focused;
  }

  isMinimized(): boolean {
    return this[INSIDE].minimized;
  }

  minimize(): void {
    record(this[INSIDE].label, 'minimize', []);
    const s = this[INSIDE];
    if (s.minimized) return;
    s.minimized = true;
    if (s.focused) {
      s.focused = false;
      this.emit('blur');
    }
    this.emit('minimize');
  }

  restore(): void {
    record(this[INSIDE].label, 'restore', []);
    const s = this[INSIDE];
    if (!s.minimized) return;
    s.minimized = false;
    s.visible = true;
    this.emit('restore');
  }

  getTitle(): string {
    return this[INSIDE].title;
  }

  setTitle(title: string): void {
    record(this[INSIDE].label, 'setTitle', [title]);
    this[INSIDE].title = title;
  }

  setMenu(menu: Menu | null): void {
    record(this[INSIDE].label, 'setMenu', [menu]);
    this[INSIDE].menu = menu;
  }

  isDestroyed(): boolean {
    return this[INSIDE].destroyed;
  }

  /** Asks to close, as the title bar's X does: 'close' can be prevented; otherwise the window goes. */
  close(): void {
    record(this[INSIDE].label, 'close', []);
    this.requestClose();
  }

  /** Goes without asking: no 'close' event, only 'closed'. */
  destroy(): void {
    record(this[INSIDE].label, 'destroy', []);
    this.finish();
  }

  private requestClose(): boolean {
    if (this[INSIDE].destroyed) return true;
    const event = electronEvent();
    this.emit('close', event);
    if (event.defaultPrevented) return false;
    this.finish();
    return true;
  }

  private takeFocus(): void {
    const s = this[INSIDE];
    if (s.focused) return;
    for (const other of StandInBrowserWindow.getAllWindows()) if (other !== this) other.blur();
    s.focused = true;
    this.emit('focus');
    app.emit('browser-window-focus', electronEvent(), this);
  }

  private finish(): void {
    const s = this[INSIDE];
    if (s.destroyed) return;
    s.destroyed = true;
    s.visible = false;
    s.focused = false;
    destroyContents(this.webContents);
    openWindows.delete(s.handle);
    this.emit('closed');
    if (openWindows.size === 0) lastWindowClosed.notify();
  }
}
const windowOnly: OnlyElectron<StandInBrowserWindow, BrowserWindow> = true;
void windowOnly;

export type { StandInFrame, StandInWebContents };
export { StandInBrowserWindow };

/** The owner window closed: Chromium destroys the page. */
function destroyContents(contents: StandInWebContents): void {
  const s = contents[INSIDE];
  if (s.destroyed) return;
  s.destroyed = true;
  s.loading = false;
  contents.emit('destroyed');
}

/** An <iframe> in `parent` showing `url` (another origin makes it a foreign frame). */
export function childFrame(parent: StandInFrame, url: string, name = ''): StandInFrame {
  return new StandInFrame(parent[INSIDE].contents, parent, url, name);
}

/** The webContents a frame belongs to. */
export function contentsOf(frame: StandInFrame): StandInWebContents {
  return frame[INSIDE].contents;
}

/**
 * The page in `frame` navigates to `url` (a link, location.href, a form): Electron's navigation throttle
 * emits 'will-frame-navigate' and, for a main frame, 'will-navigate'; a listener that prevents either
 * cancels it. Returns whether the navigation went ahead (a main frame then loads the URL).
 */
export function navigate(frame: StandInFrame, url: string): boolean {
  const contents = frame[INSIDE].contents;
  const isMainFrame = frame.parent === null;
  const details = () =>
    electronEvent({
      url,
      isSameDocument: false,
      isMainFrame,
      processId: frame.processId,
      routingId: frame.routingId,
      frame,
      initiator: frame,
    });
  const frameEvent = details();
  contents.emit('will-frame-navigate', frameEvent);
  if (frameEvent.defaultPrevented) return false;
  if (isMainFrame) {
    const mainEvent = details();
    contents.emit('will-navigate', mainEvent, url, false, true, frame.processId, frame.routingId);
    if (mainEvent.defaultPrevented) return false;
    void contents.loadURL(url).catch(() => undefined);
  } else {
    frame[INSIDE].url = url;
  }
  return true;
}

/** The server answers the navigation with a redirect to `url`: 'will-redirect', which may cancel it. */
export function redirect(frame: StandInFrame, url: string): boolean {
  const contents = frame[INSIDE].contents;
  const event = electronEvent({
    url,
    isSameDocument: false,
    isMainFrame: frame.parent === null,
    processId: frame.processId,
    routingId: frame.routingId,
    frame,
    initiator: frame,
  });
  contents.emit('will-redirect', event, url, false, frame.parent === null, frame.processId, frame.routingId);
  return !event.defaultPrevented;
}

/** The page adds a <webview>: 'will-attach-webview', which may refuse it. Returns whether it attached. */
export function attachWebview(contents: StandInWebContents, src: string): boolean {
  const event = electronEvent();
  contents.emit('will-attach-webview', event, {}, { src });
  return !event.defaultPrevented;
}

/**
 * The page calls window.open(url) or follows a target=_blank link: the window open handler decides, as
 * WebContents._callWindowOpenHandler does (an answer that is not `{action: 'allow' | 'deny'}` denies, with
 * Electron's console error). Without a handler, Electron opens the window. Returns the new window, if any.
 */
export function openWindow(
  frame: StandInFrame,
  url: string,
  details: Partial<Omit<HandlerDetails, 'url'>> = {},
): StandInBrowserWindow | null {
  const contents = frame[INSIDE].contents;
  const handler = contents[INSIDE].windowOpenHandler;
  const full: HandlerDetails = {
    url,
    frameName: details.frameName ?? '',
    features: details.features ?? '',
    disposition: details.disposition ?? 'foreground-tab',
    referrer: details.referrer ?? { url: frame.url, policy: 'strict-origin-when-cross-origin' },
    ...(details.postBody ? { postBody: details.postBody } : {}),
  };
  let overrides: BrowserWindowConstructorOptions = {};
  if (handler) {
    const response = handler(full) as { action?: unknown; overrideBrowserWindowOptions?: object } | null;
    if (typeof response !== 'object' || response === null) {
      console.error(
        response === null
          ? 'The window open handler response must be an object, but was instead null.'
          : `The window open handler response must be an object, but was instead of type '${typeof response}'.`,
      );
      return null;
    }
    if (response.action === 'deny') return null;
    if (response.action !== 'allow') {
      console.error(
        "The window open handler response must be an object with an 'action' property of 'allow' or 'deny'.",
      );
      return null;
    }
    overrides = response.overrideBrowserWindowOptions ?? {};
  }
  const child = new StandInBrowserWindow({ webPreferences: contents[INSIDE].webPreferences, ...overrides });
  contents.emit('did-create-window', child, {
    url,
    frameName: full.frameName,
    options: overrides,
    disposition: full.disposition,
    referrer: full.referrer,
  });
  void child.loadURL(url).catch(() => undefined);
  return child;
}
