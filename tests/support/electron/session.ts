import { EventEmitter } from 'node:events';
import type {
  HeadersReceivedResponse,
  OnHeadersReceivedListenerDetails,
  PermissionCheckHandlerHandlerDetails,
  PermissionRequest,
  session as realSession,
  Session,
  WebContents,
  WebRequest,
  WebRequestFilter,
} from 'electron';
import { type Imitation, INSIDE, type OnlyElectron } from './imitation';
import { record } from './recorder';
import { readiness } from './registry';

type PermissionRequestHandler = Parameters<Session['setPermissionRequestHandler']>[0];
type PermissionCheckHandler = Parameters<Session['setPermissionCheckHandler']>[0];
type DevicePermissionHandler = Parameters<Session['setDevicePermissionHandler']>[0];
export type Permission = Parameters<NonNullable<PermissionRequestHandler>>[1];
type HeadersListener = Parameters<WebRequest['onHeadersReceived']>[0];

/**
 * A Chrome match pattern (extensions/common/url_pattern.cc, the syntax webRequest filters take): `<all_urls>`
 * or scheme://host/path, `*` as scheme meaning http and https, `*.` host prefixes, `*` anywhere in the path.
 * Parse errors are Electron's: `Invalid url pattern <p>: <reason>`.
 */
export function matchPattern(pattern: string): (url: string) => boolean {
  if (pattern === '<all_urls>') return (url) => /^(https?|wss?|ftp|file|data|urn):/.test(url);
  const fail = (reason: string) => new TypeError(`Invalid url pattern ${pattern}: ${reason}`);
  const sep = pattern.indexOf('://');
  if (sep < 0) throw fail('Missing scheme separator.');
  const scheme = pattern.slice(0, sep);
  if (scheme !== '*' && !/^[a-z][a-z0-9+.-]*$/.test(scheme)) throw fail('Invalid scheme.');
  const rest = pattern.slice(sep + 3);
  const slash = rest.indexOf('/');
  if (slash < 0) throw fail('Empty path.');
  const host = rest.slice(0, slash);
  const path = rest.slice(slash);
  if (scheme !== 'file' && host === '') throw fail('Host can not be empty.');
  if (host.includes('*') && host !== '*' && !/^\*\.[^*]+$/.test(host)) throw fail('Invalid host wildcard.');
  const glob = (text: string) =>
    new RegExp(`^${text.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`, 's');
  const pathRe = glob(path);
  return (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return false;
    }
    const urlScheme = url.protocol.slice(0, -1);
    if (scheme === '*' ? !['http', 'https'].includes(urlScheme) : scheme !== urlScheme) return false;
    if (scheme !== 'file') {
      if (host.startsWith('*.')) {
        const domain = host.slice(2);
        if (url.hostname !== domain && !url.hostname.endsWith(`.${domain}`)) return false;
      } else if (host !== '*' && url.hostname !== host) return false;
    }
    return pathRe.test(url.pathname + url.search);
  };
}

interface SessionState {
  label: string;
  permissionRequest: PermissionRequestHandler;
  permissionCheck: PermissionCheckHandler;
  devicePermission: DevicePermissionHandler;
  headers: { matches: (url: string, type: string) => boolean; listener: NonNullable<HeadersListener> } | null;
}

class StandInWebRequest implements Imitation<WebRequest> {
  constructor(private readonly state: SessionState) {}

  onHeadersReceived(
    filterOrListener: WebRequestFilter | HeadersListener,
    maybeListener?: HeadersListener,
  ): void {
    const listener =
      typeof filterOrListener === 'function' || filterOrListener === null ? filterOrListener : maybeListener;
    const filter =
      typeof filterOrListener === 'object' && filterOrListener !== null ? filterOrListener : null;
    record(`webRequest ${this.state.label}`, 'onHeadersReceived', filter ? [filter, listener] : [listener]);
    if (!listener) {
      this.state.headers = null;
      return;
    }
    const include = (filter?.urls ?? ['<all_urls>']).map(matchPattern);
    const exclude = (filter?.excludeUrls ?? []).map(matchPattern);
    const types = filter?.types ?? [];
    this.state.headers = {
      listener,
      matches: (url, type) =>
        include.some((m) => m(url)) &&
        !exclude.some((m) => m(url)) &&
        (types.length === 0 || (types as string[]).includes(type)),
    };
  }
}
const webRequestOnly: OnlyElectron<StandInWebRequest, WebRequest> = true;
void webRequestOnly;

class StandInSession extends EventEmitter implements Imitation<Session> {
  readonly [INSIDE]: SessionState;
  readonly webRequest: StandInWebRequest;

  constructor(label: string) {
    super();
    this[INSIDE] = {
      label,
      permissionRequest: null,
      permissionCheck: null,
      devicePermission: null,
      headers: null,
    };
    this.webRequest = new StandInWebRequest(this[INSIDE]);
  }

  setPermissionRequestHandler(handler: PermissionRequestHandler): void {
    record(`session ${this[INSIDE].label}`, 'setPermissionRequestHandler', [handler]);
    this[INSIDE].permissionRequest = handler;
  }

  setPermissionCheckHandler(handler: PermissionCheckHandler): void {
    record(`session ${this[INSIDE].label}`, 'setPermissionCheckHandler', [handler]);
    this[INSIDE].permissionCheck = handler;
  }

  setDevicePermissionHandler(handler: DevicePermissionHandler): void {
    record(`session ${this[INSIDE].label}`, 'setDevicePermissionHandler', [handler]);
    this[INSIDE].devicePermission = handler;
  }

  isPersistent(): boolean {
    return true;
  }
}
const sessionOnly: OnlyElectron<StandInSession, Session> = true;
void sessionOnly;

let defaultSession: StandInSession | null = null;
const partitions = new Map<string, StandInSession>();

/** `session` of the electron module: sessions exist only once the app is ready. */
export const session = {
  get defaultSession(): StandInSession {
    if (!readiness.ready) throw new TypeError('Session can only be received when app is ready');
    defaultSession ??= new StandInSession('default');
    return defaultSession;
  },
  fromPartition(partition: string): StandInSession {
    if (!readiness.ready) throw new TypeError('Session can only be received when app is ready');
    if (partition === '') return session.defaultSession;
    let found = partitions.get(partition);
    if (!found) {
      found = new StandInSession(partition);
      partitions.set(partition, found);
    }
    return found;
  },
} satisfies Imitation<typeof realSession>;

export type { StandInSession };

/**
 * A page asks for a permission, as Chromium asks the session: the handler decides; without one Electron
 * grants every request.
 */
export function requestPermission(
  target: StandInSession,
  contents: WebContents,
  permission: Permission,
  details: PermissionRequest,
): Promise<boolean> {
  const handler = target[INSIDE].permissionRequest;
  if (!handler) return Promise.resolve(true);
  return new Promise((resolve) => handler(contents, permission, resolve, details));
}

/** A synchronous permission check (navigator.permissions.query and friends); granted without a handler. */
export function checkPermission(
  target: StandInSession,
  contents: WebContents | null,
  permission: Parameters<NonNullable<PermissionCheckHandler>>[1],
  requestingOrigin: string,
  details: PermissionCheckHandlerHandlerDetails,
): boolean {
  const handler = target[INSIDE].permissionCheck;
  return handler ? handler(contents, permission, requestingOrigin, details) : true;
}

/** A device check (HID, serial, USB): without a handler only devices the user picked, so none here. */
export function checkDevicePermission(
  target: StandInSession,
  details: Parameters<NonNullable<DevicePermissionHandler>>[0],
): boolean {
  const handler = target[INSIDE].devicePermission;
  return handler ? handler(details) : false;
}

let nextRequestId = 1;

/**
 * A response arrives for `url`: the onHeadersReceived listener whose filter matches sees it and answers
 * through its callback. What the page then gets: the headers as the listener left them (or as they came).
 */
export function receiveHeaders(
  target: StandInSession,
  response: {
    url: string;
    resourceType?: OnHeadersReceivedListenerDetails['resourceType'];
    statusCode?: number;
    responseHeaders?: Record<string, string[]>;
  },
): Promise<HeadersReceivedResponse & { responseHeaders: Record<string, string | string[]> }> {
  const headers = response.responseHeaders ?? {};
  const statusCode = response.statusCode ?? 200;
  const resourceType = response.resourceType ?? 'mainFrame';
  const hook = target[INSIDE].headers;
  const unchanged = { cancel: false, responseHeaders: headers };
  if (!hook?.matches(response.url, resourceType)) return Promise.resolve(unchanged);
  const details: OnHeadersReceivedListenerDetails = {
    id: nextRequestId++,
    url: response.url,
    method: 'GET',
    resourceType,
    referrer: '',
    timestamp: Date.now(),
    statusLine: `HTTP/1.1 ${statusCode}`,
    statusCode,
    responseHeaders: structuredClone(headers),
  };
  return new Promise((resolve) =>
    hook.listener(details, (answer) =>
      resolve({
        ...answer,
        cancel: answer.cancel ?? false,
        responseHeaders: answer.responseHeaders ?? headers,
      }),
    ),
  );
}
