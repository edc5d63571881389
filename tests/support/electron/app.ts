import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type { App, LoginItemSettings, Settings } from 'electron';
import { type Imitation, INSIDE, type OnlyElectron } from './imitation';
import { electronEvent, later, record, serialize } from './recorder';
import { lastWindowClosed, openWindows, readiness } from './registry';

type PathName = Parameters<App['getPath']>[0];

/** How the app ended: app.quit() ran to the end ('quit' was emitted), or app.exit(code). */
export interface Ending {
  how: 'quit' | 'exit';
  code: number;
}

/** What the app is started with; a test sets it before the app's code runs (`standIn.configure`). */
export interface Launch {
  /** false: started by `electron .` from a checkout; true: the packaged app. */
  isPackaged: boolean;
  /** The folder with the app's package.json (what `electron <dir>` was given). */
  appPath: string;
  /** The Electron executable, app.getPath('exe'). */
  exe: string;
  /** The command line this instance was started with; a second instance hands it to the first. */
  argv: string[];
  /** The working directory it was started in. */
  cwd: string;
  /** Started by the OS at login (macOS, Windows: getLoginItemSettings().wasOpenedAtLogin). */
  openedAtLogin: boolean;
}

/**
 * The single-instance locks of every stand-in app in this test process, by user-data folder (Chromium's
 * ProcessSingleton lives there). On globalThis: a test that re-imports the app (vi.resetModules) starts a
 * second "process", which must see the first one's lock.
 */
const LOCKS = Symbol.for('homeserver-tray.electron-stand-in.single-instance-locks');
/** The primary instance as another process reaches it: through Chromium's ProcessSingleton message. */
interface LockHolder {
  running(): boolean;
  secondInstance(argv: string[], cwd: string, additionalData: unknown): void;
}
type Locks = Map<string, LockHolder>;
const locks: Locks = ((globalThis as Record<symbol, unknown>)[LOCKS] as Locks | undefined) ?? new Map();
(globalThis as Record<symbol, unknown>)[LOCKS] = locks;

interface PackageJson {
  name?: string;
  productName?: string;
  version?: string;
}

function readPackage(appPath: string): PackageJson {
  try {
    return JSON.parse(readFileSync(join(appPath, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return {};
  }
}

/** Electron's folders for the platform, as Chromium's PathService computes them. */
function platformPaths(name: string, exe: string): Record<string, string> {
  const home = homedir();
  const env = process.env;
  const appData =
    process.platform === 'darwin'
      ? join(home, 'Library', 'Application Support')
      : process.platform === 'win32'
        ? (env.APPDATA ?? join(home, 'AppData', 'Roaming'))
        : env.XDG_CONFIG_HOME || join(home, '.config');
  const cache =
    process.platform === 'darwin'
      ? join(home, 'Library', 'Caches')
      : process.platform === 'win32'
        ? appData
        : env.XDG_CACHE_HOME || join(home, '.cache');
  return {
    home,
    appData,
    cache,
    userCache: join(cache, name),
    temp: tmpdir(),
    exe,
    module: exe,
    assets: dirname(exe),
    desktop: join(home, 'Desktop'),
    userDesktop: join(home, 'Desktop'),
    documents: join(home, 'Documents'),
    downloads: join(home, 'Downloads'),
    music: join(home, 'Music'),
    pictures: join(home, 'Pictures'),
    videos: join(home, 'Videos'),
  };
}

/** Names getPath knows on every platform Electron runs on (`recent` is Windows only). */
const PATH_NAMES = new Set<string>([
  'home',
  'appData',
  'assets',
  'cache',
  'crashDumps',
  'desktop',
  'documents',
  'downloads',
  'exe',
  'logs',
  'module',
  'music',
  'pictures',
  'sessionData',
  'temp',
  'userCache',
  'userData',
  'userDesktop',
  'videos',
  ...(process.platform === 'win32' ? ['recent'] : []),
]);

interface AppState {
  launch: Launch;
  name: string | null;
  version: string | null;
  paths: Map<string, string>;
  appUserModelId: string | null;
  readyPromise: Promise<void>;
  resolveReady: () => void;
  holdsLock: LockHolder | null;
  quitting: boolean;
  ending: Ending | null;
  ended: Promise<Ending>;
  resolveEnded: (ending: Ending) => void;
  /** macOS and Windows keep the login item; on Linux set is a no-op (browser_linux.cc). */
  openAtLogin: boolean;
}

class StandInApp extends EventEmitter implements Imitation<App> {
  readonly [INSIDE]: AppState;

  constructor() {
    super();
    let resolveReady = () => {};
    const readyPromise = new Promise<void>((resolve) => {
      resolveReady = resolve;
    });
    let resolveEnded: (ending: Ending) => void = () => {};
    const ended = new Promise<Ending>((resolve) => {
      resolveEnded = resolve;
    });
    this[INSIDE] = {
      launch: {
        isPackaged: false,
        appPath: process.cwd(),
        exe: process.execPath,
        argv: process.argv,
        cwd: process.cwd(),
        openedAtLogin: false,
      },
      name: null,
      version: null,
      paths: new Map(),
      appUserModelId: null,
      readyPromise,
      resolveReady,
      holdsLock: null,
      quitting: false,
      ending: null,
      ended,
      resolveEnded,
      openAtLogin: false,
    };
    // Electron's own default (lib/browser/init.ts): with no other listener, closing the last window quits.
    this.on('window-all-closed', () => {
      if (this.listenerCount('window-all-closed') === 1) this.quit();
    });
    lastWindowClosed.notify = () => this.allWindowsClosed();
  }

  get isPackaged(): boolean {
    return this[INSIDE].launch.isPackaged;
  }

  whenReady(): Promise<void> {
    record('app', 'whenReady', []);
    return this[INSIDE].readyPromise;
  }

  isReady(): boolean {
    return readiness.ready;
  }

  getName(): string {
    const s = this[INSIDE];
    if (s.name !== null) return s.name;
    const pkg = readPackage(s.launch.appPath);
    return pkg.productName ?? pkg.name ?? 'Electron';
  }

  setName(name: string): void {
    record('app', 'setName', [name]);
    this[INSIDE].name = name;
  }

  getVersion(): string {
    const s = this[INSIDE];
    return s.version ?? readPackage(s.launch.appPath).version ?? '45.5.0';
  }

  getAppPath(): string {
    return this[INSIDE].launch.appPath;
  }

  getPath(name: PathName): string {
    const s = this[INSIDE];
    const own = s.paths.get(name);
    if (own) return own;
    if (!PATH_NAMES.has(name)) throw new Error(`Failed to get '${name}' path`);
    const base = platformPaths(this.getName(), s.launch.exe);
    const userData = s.paths.get('userData') ?? join(base.appData as string, this.getName());
    const derived: Record<string, string> = {
      ...base,
      userData,
      sessionData: userData,
      logs: join(userData, 'logs'),
      crashDumps: join(userData, 'Crashpad'),
    };
    return derived[name] as string;
  }

  setPath(name: string, path: string): void {
    record('app', 'setPath', [name, path]);
    if (!isAbsolute(path)) throw new Error('Path must be absolute');
    if (!PATH_NAMES.has(name)) throw new Error('Failed to set path');
    this[INSIDE].paths.set(name, path);
  }

  setAppUserModelId(id: string): void {
    record('app', 'setAppUserModelId', [id]);
    this[INSIDE].appUserModelId = id;
  }

  /**
   * The first instance per user-data folder gets the lock. A later one does not: the first is told with
   * 'second-instance' (the later one's argv, working directory and additionalData) on its next turn.
   */
  requestSingleInstanceLock(additionalData?: Record<string, unknown>): boolean {
    record('app', 'requestSingleInstanceLock', additionalData === undefined ? [] : [additionalData]);
    const s = this[INSIDE];
    if (s.holdsLock) return true;
    const key = this.getPath('userData');
    const holder = locks.get(key);
    if (holder?.running()) {
      const { argv, cwd } = s.launch;
      holder.secondInstance([...argv], cwd, additionalData === undefined ? {} : serialize(additionalData));
      return false;
    }
    const own: LockHolder = {
      running: () => !s.ending,
      secondInstance: (argv, cwd, data) =>
        later(() => this.emit('second-instance', electronEvent(), argv, cwd, data)),
    };
    locks.set(key, own);
    s.holdsLock = own;
    return true;
  }

  hasSingleInstanceLock(): boolean {
    return this[INSIDE].holdsLock !== null;
  }

  releaseSingleInstanceLock(): void {
    record('app', 'releaseSingleInstanceLock', []);
    this.dropLock();
  }

  /**
   * Browser::Quit: 'before-quit' (preventable), then every window is asked to close (one that prevents it
   * cancels the quit), then 'will-quit' (preventable), then 'quit' and the end.
   */
  quit(): void {
    record('app', 'quit', []);
    const s = this[INSIDE];
    if (s.quitting || s.ending) return;
    const before = electronEvent();
    this.emit('before-quit', before);
    if (before.defaultPrevented) return;
    s.quitting = true;
    if (openWindows.size === 0) {
      this.notifyAndShutdown();
      return;
    }
    for (const window of [...openWindows]) {
      if (!window.requestClose()) {
        s.quitting = false;
        return;
      }
    }
  }

  /** Ends at once with the code: windows destroyed without 'close', no before-quit or will-quit. */
  exit(exitCode = 0): void {
    record('app', 'exit', [exitCode]);
    const s = this[INSIDE];
    if (s.ending) return;
    s.quitting = true;
    for (const window of [...openWindows]) window.destroy();
    this.end({ how: 'exit', code: exitCode });
  }

  focus(options?: Parameters<App['focus']>[0]): void {
    record('app', 'focus', options === undefined ? [] : [options]);
  }

  /** A no-op on Linux (Browser::SetLoginItemSettings in browser_linux.cc); kept on macOS and Windows. */
  setLoginItemSettings(settings: Settings): void {
    record('app', 'setLoginItemSettings', [settings]);
    if (process.platform === 'linux') return;
    if (settings.openAtLogin !== undefined) this[INSIDE].openAtLogin = settings.openAtLogin;
  }

  /** The keys Electron's converter returns for the platform (login_item_settings_converter.cc). */
  getLoginItemSettings(): LoginItemSettings {
    const s = this[INSIDE];
    const linux = process.platform === 'linux';
    const settings = {
      executableWillLaunchAtLogin: false,
      openAtLogin: linux ? false : s.openAtLogin,
      wasOpenedAtLogin: linux ? false : s.launch.openedAtLogin,
      ...(process.platform === 'darwin' ? { status: s.openAtLogin ? 'enabled' : 'not-registered' } : {}),
      ...(process.platform === 'win32' ? { launchItems: [] } : {}),
    };
    return settings as LoginItemSettings;
  }

  private allWindowsClosed(): void {
    const s = this[INSIDE];
    if (s.quitting) this.notifyAndShutdown();
    else this.emit('window-all-closed');
  }

  private notifyAndShutdown(): void {
    const s = this[INSIDE];
    const willQuit = electronEvent();
    this.emit('will-quit', willQuit);
    if (willQuit.defaultPrevented) {
      s.quitting = false;
      return;
    }
    this.emit('quit', electronEvent(), 0);
    this.end({ how: 'quit', code: 0 });
  }

  private end(ending: Ending): void {
    const s = this[INSIDE];
    s.ending = ending;
    this.dropLock();
    s.resolveEnded(ending);
  }

  private dropLock(): void {
    const s = this[INSIDE];
    if (!s.holdsLock) return;
    for (const [key, holder] of locks) if (holder === s.holdsLock) locks.delete(key);
    s.holdsLock = null;
  }
}

/** Test-only members of the class are private or under INSIDE; everything else is Electron's App. */
const onlyElectron: OnlyElectron<StandInApp, App> = true;
void onlyElectron;

export const app = new StandInApp();
export type { StandInApp };

/** Electron's DidFinishLaunching: the user-data folder is created, whenReady resolves, 'ready' fires. */
export function becomeReady(): void {
  if (readiness.ready) return;
  app.emit('will-finish-launching');
  mkdirSync(app.getPath('userData'), { recursive: true });
  readiness.ready = true;
  app[INSIDE].resolveReady();
  app.emit('ready', electronEvent(), {});
}
