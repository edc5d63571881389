import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AdminRoom, type EventFilter, filterAccepts, type RoomEvent } from './admin-room';
import { ClientAccounts, type Session } from './client-accounts';
import {
  readDevices,
  readRooms,
  readStartedConfig,
  readTuwunelVersion,
  readUsers,
  type StartedConfig,
  tuwunelServing,
  unitActive,
  unitSince,
  writeTuwunelVersion,
} from './homeserver-state';
import { type ApiResult, RegistrationTokensApi } from './registration-tokens';
import { SYNAPSE_ADMIN_ENDPOINTS } from './releases';
import { SynapseAdminApi } from './synapse-admin-api';
import { clientVersions, compareVersions, matrixError, nearestAtOrBelow, serverInfo } from './tuwunel-api';

export interface HomeserverHttpOptions {
  address: string;
  homeserverDir: string;
  serverName: string;
  keyPem: string;
  certPem: string;
  /** Without the leading v. Written to state/tuwunel/version when that file is absent. */
  tuwunelVersion: string;
  adminUserId: string;
  adminAccessToken: string;
  /** The device the admin access token belongs to (in state/tuwunel/devices). Default random. */
  adminDeviceId?: string;
  /** Added to the environment of the commands the admin room runs (the lab's process marker). */
  processEnv?: Record<string, string>;
  /**
   * Where tuwunel.toml lives (its `registration_token` is Tuwunel's config token); default
   * `<homeserverDir>/state/tuwunel/config`, where the homeserver stand-ins read it.
   */
  tuwunelConfigDir?: string;
}

export interface HomeserverHttp {
  apexUrl: string;
  publicUrl: string;
  setTuwunelVersion(version: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Tuwunel's ClientIp with `ip_source` unset (the playbook's default): the first X-Forwarded-For entry the edge
 * proxy set, else the peer address.
 */
function clientIp(req: IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** Thrown by a handler to answer with a Matrix error. */
class MatrixFailure extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }
}

interface Context {
  req: IncomingMessage;
  url: URL;
  params: string[];
  body(): Promise<Record<string, unknown>>;
  /** The body, or `{}` when the request has none (ruma's requests whose fields all have defaults). */
  optionalBody(): Promise<Record<string, unknown>>;
}

type Handler = (ctx: Context) => Promise<ApiResult>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

interface Media {
  contentType: string;
  filename: string;
  body: Buffer;
}

const ok = (body: unknown): ApiResult => ({ status: 200, body });
const CLIENT = '/_matrix/client/(?:r0|v3)';
/** src/service/users/device.rs: DEVICE_ID_LENGTH. */
const DEVICE_ID_LENGTH = 10;
/** Tuwunel's client_sync_timeout_{min,default,max} defaults (src/core/config/mod.rs). */
const SYNC_TIMEOUT = { min: 5000, default: 30000, max: 90000 } as const;

function alphanumeric(length: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(length), (b) => chars[b % chars.length]).join('');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'Origin, X-Requested-With, Content-Type, Accept, Authorization',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...CORS_HEADERS,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** What the edge proxy (Caddy) answers when the homeserver behind it is down: 502 with an empty body. */
function sendBadGateway(res: ServerResponse): void {
  res.writeHead(502, { server: 'Caddy', 'content-length': 0 });
  res.end();
}

/** Traefik's answer for a path no router of the container claims (its labels decide, see StartedConfig). */
function sendTraefikNotFound(res: ServerResponse): void {
  const text = '404 page not found\n';
  res.writeHead(404, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** `{name}` segments of an endpoint path as capture groups. */
function pathPattern(path: string): RegExp {
  return new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '([^/]+)')}$`);
}

/**
 * Whether Tuwunel before 1.8.0 hides this event from its clients (src/api/client/message.rs is_ignored_pdu):
 * messages whose sender's server is refused by the federation lists, the own server included then
 * (tuwunel#489). The allowlist entries are regexes matched unanchored against the host.
 */
function hiddenBySenderServer(
  event: RoomEvent,
  config: StartedConfig,
  serverName: string,
  version: string,
): boolean {
  if (event.type !== 'm.room.message') return false;
  const server = event.sender.slice(event.sender.indexOf(':') + 1);
  if (compareVersions(version, '1.8.0') >= 0 && server === serverName) return false;
  const host = server.replace(/:\d+$/, '');
  const matches = (patterns: string[]) =>
    patterns.some((p) => {
      try {
        return new RegExp(p).test(host);
      } catch {
        return false;
      }
    });
  if (config.forbiddenRemoteServerNames.length > 0 && matches(config.forbiddenRemoteServerNames)) return true;
  return config.allowedRemoteServerNames.length > 0 && !matches(config.allowedRemoteServerNames);
}

function parseFilter(raw: string | null, stored: Map<string, unknown>): unknown {
  if (raw === null) return undefined;
  if (raw.startsWith('{')) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new MatrixFailure(400, 'M_NOT_JSON', 'Invalid filter JSON.');
    }
  }
  return stored.get(raw);
}

function roomEventFilter(value: unknown): EventFilter | undefined {
  return value !== null && typeof value === 'object' ? (value as EventFilter) : undefined;
}

/**
 * The homeserver's public HTTPS side on the lab address: `apexUrl` stands for the edge Caddy serving the
 * apex's static well-known files, `publicUrl` for matrix.<server> (Caddy → Traefik → Tuwunel), answering
 * like Tuwunel; everything but well-known answers 502 while `state/units/matrix-tuwunel` is not active.
 */
export async function startHomeserverHttp(opts: HomeserverHttpOptions): Promise<HomeserverHttp> {
  if (!(await readTuwunelVersion(opts.homeserverDir)))
    await writeTuwunelVersion(opts.homeserverDir, opts.tuwunelVersion);
  const version = async () => (await readTuwunelVersion(opts.homeserverDir)) ?? opts.tuwunelVersion;

  const adminDeviceId = opts.adminDeviceId ?? alphanumeric(DEVICE_ID_LENGTH);
  // The seeded token dies with its device when the lab's state lists that device (a full lab does).
  const adminDeviceListed = (await readDevices(opts.homeserverDir)).some(
    (d) => d.userId === opts.adminUserId && d.deviceId === adminDeviceId,
  );
  const sessions = new Map<string, Session>([
    [
      opts.adminAccessToken,
      { userId: opts.adminUserId, deviceId: adminDeviceId, checkDevice: adminDeviceListed },
    ],
  ]);
  const filters = new Map<string, unknown>();
  const media = new Map<string, Media>();
  const adminRoomId = (await readRooms(opts.homeserverDir)).find(
    (r) => r.alias === `#admins:${opts.serverName}`,
  )?.roomId;
  const room = new AdminRoom({
    serverName: opts.serverName,
    adminUserId: opts.adminUserId,
    homeserverDir: opts.homeserverDir,
    roomId: adminRoomId ?? `!${alphanumeric(18)}:${opts.serverName}`,
    version,
    logPath: join(opts.homeserverDir, 'admin-room.jsonl'),
    processEnv: opts.processEnv ?? {},
    upload: ({ mediaId, contentType, filename, body }) => {
      media.set(`${opts.serverName}/${mediaId}`, { contentType, filename, body });
      return `mxc://${opts.serverName}/${mediaId}`;
    },
  });

  // Tuwunel reads tuwunel.toml when it starts, Traefik the container's labels: what they hold changes with a
  // restart, not with the files.
  const tuwunelConfigDir = opts.tuwunelConfigDir ?? join(opts.homeserverDir, 'state', 'tuwunel', 'config');
  let started: { since: number; config: StartedConfig } | undefined;
  const startedConfig = async () => {
    const since = await unitSince(opts.homeserverDir, 'matrix-tuwunel');
    if (started?.since !== since) started = { since, config: await readStartedConfig(tuwunelConfigDir) };
    return started.config;
  };
  const tokens = new RegistrationTokensApi(
    opts.homeserverDir,
    async () => (await startedConfig()).registrationToken,
    version,
  );
  const accounts = new ClientAccounts({
    homeserverDir: opts.homeserverDir,
    serverName: opts.serverName,
    config: startedConfig,
    notice: (text) => room.notice(text),
    sessions,
  });
  const adminApi = new SynapseAdminApi({
    homeserverDir: opts.homeserverDir,
    serverName: opts.serverName,
    room,
    serverNoticesLog: join(opts.homeserverDir, 'server-notices.jsonl'),
  });

  const userState = async (userId: string) => {
    const user = (await readUsers(opts.homeserverDir)).find((u) => u.userId === userId);
    // A lab whose users file does not list the admin yet still has its admin (grant_admin_to_first_user).
    return user ?? { userId, admin: userId === opts.adminUserId, deactivated: false };
  };

  const authenticate = async (ctx: Context): Promise<Session> => {
    const header = ctx.req.headers.authorization;
    const token = header?.startsWith('Bearer ')
      ? header.slice('Bearer '.length)
      : ctx.url.searchParams.get('access_token');
    if (!token) throw new MatrixFailure(401, 'M_MISSING_TOKEN', 'Missing access token.');
    const session = sessions.get(token);
    // Deactivating a user removes all of its devices, and a token dies with its device.
    if (!session || (await userState(session.userId)).deactivated || !(await accounts.deviceExists(session)))
      throw new MatrixFailure(401, 'M_UNKNOWN_TOKEN', 'Unknown access token.');
    return session;
  };

  const requireAdmin = async (ctx: Context) => {
    const session = await authenticate(ctx);
    if (!(await userState(session.userId)).admin)
      throw new MatrixFailure(403, 'M_FORBIDDEN', 'Only server administrators can use this endpoint');
    return session;
  };

  const requireRoom = (ctx: Context) => {
    if (decodeURIComponent(ctx.params[0] ?? '') !== room.roomId)
      throw new MatrixFailure(403, 'M_FORBIDDEN', "You don't have permission to view this room.");
  };

  const clientEvent = (event: RoomEvent, session: Session, withRoomId: boolean) => ({
    type: event.type,
    ...(event.state_key === undefined ? {} : { state_key: event.state_key }),
    content: event.content,
    sender: event.sender,
    event_id: event.event_id,
    origin_server_ts: event.origin_server_ts,
    ...(withRoomId ? { room_id: room.roomId } : {}),
    ...(event.txn?.deviceId === session.deviceId && event.sender === session.userId
      ? { unsigned: { transaction_id: event.txn.txnId } }
      : {}),
  });

  /** Events the client may see: before 1.8.0, messages of senders the federation lists refuse are hidden. */
  const visibility = async () => {
    const [config, current] = await Promise.all([startedConfig(), version()]);
    return (e: RoomEvent) => !hiddenBySenderServer(e, config, opts.serverName, current);
  };

  const syncResponse = (
    session: Session,
    since: number,
    filter: Record<string, unknown> | undefined,
    visible: (e: RoomEvent) => boolean,
  ) => {
    const roomFilter = (filter?.room ?? {}) as { timeline?: EventFilter };
    const limit = roomFilter.timeline?.limit ?? 10;
    const newer = room
      .all()
      .filter((e) => e.count > since && filterAccepts(roomFilter.timeline, e) && visible(e));
    const timeline = newer.slice(-limit);
    const first = timeline[0];
    const joined: Record<string, unknown> = {
      timeline: {
        events: timeline.map((e) => clientEvent(e, session, false)),
        limited: newer.length > timeline.length,
        prev_batch: String(first ? first.count : room.latest + 1),
      },
    };
    if (since === 0) {
      const state = new Map<string, RoomEvent>();
      for (const e of room.all())
        if (e.state_key !== undefined && (!first || e.count < first.count))
          state.set(`${e.type}\0${e.state_key}`, e);
      joined.state = { events: [...state.values()].map((e) => clientEvent(e, session, false)) };
    }
    return {
      next_batch: String(room.latest),
      ...(timeline.length > 0 || since === 0 ? { rooms: { join: { [room.roomId]: joined } } } : {}),
    };
  };

  const param = (ctx: Context, i: number) => decodeURIComponent(ctx.params[i] ?? '');
  const asAdmin =
    (handler: Handler): Handler =>
    async (ctx) => {
      await requireAdmin(ctx);
      return handler(ctx);
    };
  /**
   * The Synapse admin endpoints the lab acts out, by `METHOD path` as releases.ts lists them.
   * A release serves one only when that list has it; one it serves but the lab does not act out answers 501.
   */
  const adminHandlers: Record<string, Handler> = {
    'GET /_synapse/admin/v1/server_version': async () => ok({ server_version: await version() }),
    // Shared-secret registration (get_nonce.rs, register.rs): the playbook sets no registration_shared_secret.
    'GET /_synapse/admin/v1/register': async () => {
      throw new MatrixFailure(400, 'M_UNKNOWN', 'Shared-secret registration is not enabled');
    },
    'POST /_synapse/admin/v1/register': async () => {
      throw new MatrixFailure(400, 'M_UNKNOWN', 'Shared-secret registration is not enabled');
    },
    'GET /_synapse/admin/v1/registration_tokens': asAdmin((ctx) =>
      tokens.list(ctx.url.searchParams.get('valid')),
    ),
    'POST /_synapse/admin/v1/registration_tokens/new': asAdmin(async (ctx) =>
      tokens.create(await ctx.body()),
    ),
    'GET /_synapse/admin/v1/registration_tokens/{token}': asAdmin((ctx) => tokens.get(param(ctx, 0))),
    'PUT /_synapse/admin/v1/registration_tokens/{token}': asAdmin(async (ctx) =>
      tokens.update(param(ctx, 0), await ctx.body()),
    ),
    'DELETE /_synapse/admin/v1/registration_tokens/{token}': asAdmin((ctx) => tokens.delete(param(ctx, 0))),
    'GET /_synapse/admin/v2/users': asAdmin((ctx) => adminApi.listUsers(ctx.url.searchParams, false)),
    'GET /_synapse/admin/v3/users': asAdmin((ctx) => adminApi.listUsers(ctx.url.searchParams, true)),
    'GET /_synapse/admin/v1/users/{user_id}/admin': asAdmin((ctx) => adminApi.isAdmin(param(ctx, 0))),
    'POST /_synapse/admin/v1/deactivate/{user_id}': asAdmin(async (ctx) =>
      adminApi.deactivate(param(ctx, 0), await ctx.optionalBody()),
    ),
    'GET /_synapse/admin/v2/users/{user_id}': asAdmin((ctx) => adminApi.getUser(param(ctx, 0))),
    'PUT /_synapse/admin/v2/users/{user_id}': asAdmin(async (ctx) =>
      adminApi.putUser((await authenticate(ctx)).userId, param(ctx, 0), await ctx.body()),
    ),
    'POST /_synapse/admin/v1/reset_password/{user_id}': asAdmin(async (ctx) =>
      adminApi.resetPassword(param(ctx, 0), await ctx.body()),
    ),
    'GET /_synapse/admin/v2/users/{user_id}/devices': asAdmin((ctx) => adminApi.listDevices(param(ctx, 0))),
    'GET /_synapse/admin/v2/users/{user_id}/devices/{device_id}': asAdmin((ctx) =>
      adminApi.getDevice(param(ctx, 0), param(ctx, 1)),
    ),
    'DELETE /_synapse/admin/v2/users/{user_id}/devices/{device_id}': asAdmin((ctx) =>
      adminApi.deleteDevice(param(ctx, 0), param(ctx, 1)),
    ),
    'POST /_synapse/admin/v2/users/{user_id}/delete_devices': asAdmin(async (ctx) =>
      adminApi.deleteDevices(param(ctx, 0), await ctx.body()),
    ),
    'POST /_synapse/admin/v1/send_server_notice': asAdmin(async (ctx) =>
      adminApi.sendServerNotice(await ctx.body()),
    ),
    'GET /_synapse/admin/v1/federation/destinations': asAdmin((ctx) =>
      adminApi.listDestinations(ctx.url.searchParams),
    ),
  };
  const notModelled: Handler = async () => ({
    status: 501,
    body: {
      errcode: 'M_UNRECOGNIZED',
      error:
        'The Homeserver Tray lab does not act out this endpoint (the Tuwunel release it plays serves it).',
    },
  });
  /** The release's Synapse admin routes, with the idempotent PUT send_server_notice/{txn_id} beside POST. */
  const adminRoutes = (release: string): Route[] => {
    const key = nearestAtOrBelow(release, Object.keys(SYNAPSE_ADMIN_ENDPOINTS));
    const served = SYNAPSE_ADMIN_ENDPOINTS[key] ?? [];
    return served.map(([method, path]) => {
      if (method === 'PUT' && path === '/_synapse/admin/v1/send_server_notice')
        return {
          method,
          pattern: /^\/_synapse\/admin\/v1\/send_server_notice\/([^/]+)$/,
          handler: asAdmin(async (ctx) => {
            const session = await authenticate(ctx);
            return adminApi.sendServerNotice(await ctx.body(), {
              sender: `${session.userId}\0${session.deviceId}`,
              txnId: param(ctx, 0),
            });
          }),
        };
      return {
        method,
        pattern: pathPattern(path),
        handler: adminHandlers[`${method} ${path}`] ?? notModelled,
      };
    });
  };

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/_matrix\/client\/versions$/,
      handler: async () => ok(clientVersions(await version())),
    },
    {
      method: 'GET',
      pattern: /^\/_matrix\/federation\/v1\/version$/,
      handler: async () => ok({ server: serverInfo(await version()) }),
    },
    {
      method: 'GET',
      pattern: /^\/_tuwunel\/server_version$/,
      handler: async () => ok({ name: 'Tuwunel', version: await version() }),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${CLIENT}/login$`),
      handler: async () =>
        ok({
          flows: [
            { type: 'm.login.application_service' },
            { type: 'm.login.token' },
            { type: 'm.login.password' },
          ],
        }),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${CLIENT}/login$`),
      handler: async (ctx) => accounts.login(await ctx.body(), clientIp(ctx.req)),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${CLIENT}/logout$`),
      handler: async (ctx) => accounts.logout(await authenticate(ctx), false),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${CLIENT}/logout/all$`),
      handler: async (ctx) => accounts.logout(await authenticate(ctx), true),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${CLIENT}/register$`),
      handler: async (ctx) =>
        accounts.register(await ctx.body(), ctx.url.searchParams.get('kind'), clientIp(ctx.req)),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${CLIENT}/register/available$`),
      handler: async (ctx) => accounts.available(ctx.url.searchParams.get('username')),
    },
    {
      method: 'GET',
      pattern: /^\/_matrix\/client\/v1\/register\/m\.login\.registration_token\/validity$/,
      handler: async (ctx) => accounts.tokenValidity(ctx.url.searchParams.get('token')),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${CLIENT}/account/whoami$`),
      handler: async (ctx) => {
        const session = await authenticate(ctx);
        return ok({ user_id: session.userId, device_id: session.deviceId });
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${CLIENT}/joined_rooms$`),
      handler: async (ctx) => {
        const session = await authenticate(ctx);
        return ok({ joined_rooms: (await userState(session.userId)).admin ? [room.roomId] : [] });
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${CLIENT}/directory/room/([^/]+)$`),
      handler: async (ctx) => {
        const alias = decodeURIComponent(ctx.params[0] ?? '');
        if (alias === room.alias) return ok({ room_id: room.roomId, servers: [opts.serverName] });
        const found = (await readRooms(opts.homeserverDir)).find((r) => r.alias !== '' && r.alias === alias);
        if (!found) throw new MatrixFailure(404, 'M_NOT_FOUND', 'Room with alias not found.');
        return ok({ room_id: found.roomId, servers: [opts.serverName] });
      },
    },
    {
      // membership/invite.rs invite_user_route; the member event's auth (state_res room_member.rs) refuses a
      // sender who is not joined and a target already joined, as Error::AuthCheck: 403 M_FORBIDDEN.
      method: 'POST',
      pattern: new RegExp(`^${CLIENT}/rooms/([^/]+)/invite$`),
      handler: async (ctx) => {
        const session = await authenticate(ctx);
        const roomId = decodeURIComponent(ctx.params[0] ?? '');
        const body = (await ctx.body()) as { user_id?: unknown } | null;
        if (typeof body?.user_id !== 'string')
          throw new MatrixFailure(400, 'M_BAD_JSON', 'Failed to deserialize request.');
        const target = (await readRooms(opts.homeserverDir)).find((r) => r.roomId === roomId);
        // The admin room's members are the admins (lib/tuwunel.sh room_load), whatever the file lists.
        const joined = async (userId: string) =>
          target?.roomId === room.roomId
            ? (await userState(userId)).admin
            : !!target?.members.includes(userId);
        if (!target || !(await joined(session.userId)))
          throw new MatrixFailure(403, 'M_FORBIDDEN', 'cannot invite user if sender is not joined');
        if (await joined(body.user_id))
          throw new MatrixFailure(403, 'M_FORBIDDEN', 'cannot invite user that is joined or banned');
        appendFileSync(
          join(opts.homeserverDir, 'room-invites.jsonl'),
          `${JSON.stringify({ room_id: roomId, sender: session.userId, user_id: body.user_id, at: Date.now() })}\n`,
        );
        return ok({});
      },
    },
    {
      method: 'PUT',
      pattern: new RegExp(`^${CLIENT}/rooms/([^/]+)/send/([^/]+)/([^/]+)$`),
      handler: async (ctx) => {
        const session = await authenticate(ctx);
        requireRoom(ctx);
        const content = await ctx.body();
        const eventId = room.send({
          sender: session.userId,
          deviceId: session.deviceId,
          txnId: decodeURIComponent(ctx.params[2] ?? ''),
          type: decodeURIComponent(ctx.params[1] ?? ''),
          content,
          isAdmin: (await userState(session.userId)).admin,
          version: await version(),
        });
        return ok({ event_id: eventId });
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${CLIENT}/rooms/([^/]+)/messages$`),
      handler: async (ctx) => {
        const session = await authenticate(ctx);
        requireRoom(ctx);
        const q = ctx.url.searchParams;
        const backward = q.get('dir') !== 'f';
        const fromParam = q.get('from');
        const from = fromParam === null ? (backward ? Number.MAX_SAFE_INTEGER : 0) : Number(fromParam);
        if (!Number.isFinite(from))
          throw new MatrixFailure(400, 'M_INVALID_PARAM', 'Invalid pagination token.');
        const limit = Math.min(Number(q.get('limit') ?? 10) || 10, 1000);
        const to = q.get('to') === null ? undefined : Number(q.get('to'));
        const filter = roomEventFilter(parseFilter(q.get('filter'), filters));
        const ordered = backward ? [...room.all()].reverse() : [...room.all()];
        const visible = await visibility();
        const chunk: RoomEvent[] = [];
        for (const e of ordered) {
          if (backward ? e.count >= from : e.count <= from) continue;
          if (to !== undefined && e.count === to) break;
          if (!filterAccepts(filter, e) || !visible(e)) continue;
          chunk.push(e);
          if (chunk.length >= limit) break;
        }
        const last = chunk.at(-1);
        return ok({
          chunk: chunk.map((e) => clientEvent(e, session, true)),
          start: fromParam ?? String(backward ? '18446744073709551615' : 0),
          ...(last ? { end: String(last.count) } : {}),
        });
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${CLIENT}/sync$`),
      handler: async (ctx) => {
        const session = await authenticate(ctx);
        const q = ctx.url.searchParams;
        const since = Math.min(Number(q.get('since') ?? 0) || 0, room.latest);
        const timeout = Math.min(
          Math.max(Number(q.get('timeout') ?? SYNC_TIMEOUT.default) || 0, SYNC_TIMEOUT.min),
          SYNC_TIMEOUT.max,
        );
        const filter = parseFilter(q.get('filter'), filters) as Record<string, unknown> | undefined;
        if (since > 0) await room.waitForEvents(since, timeout);
        return ok(syncResponse(session, since, filter, await visibility()));
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${CLIENT}/user/([^/]+)/filter$`),
      handler: async (ctx) => {
        await authenticate(ctx);
        const id = String(filters.size);
        filters.set(id, await ctx.body());
        return ok({ filter_id: id });
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${CLIENT}/user/([^/]+)/filter/([^/]+)$`),
      handler: async (ctx) => {
        await authenticate(ctx);
        const filter = filters.get(decodeURIComponent(ctx.params[1] ?? ''));
        if (!filter) throw new MatrixFailure(404, 'M_NOT_FOUND', 'Filter not found.');
        return ok(filter);
      },
    },
  ];

  const wellKnown = (publicUrl: string, publicHost: string) => ({
    server: { 'm.server': publicHost },
    client: {
      'm.homeserver': { base_url: publicUrl },
      'org.matrix.msc4143.rtc_foci': [
        { type: 'livekit', livekit_service_url: `${publicUrl}/livekit-jwt-service` },
      ],
    },
  });
  let served: ReturnType<typeof wellKnown> | undefined;

  const serveWellKnown = (url: URL, res: ServerResponse): boolean => {
    const match = url.pathname.match(/^\/\.well-known\/matrix\/(server|client)$/);
    if (!match || !served) return false;
    sendJson(res, 200, served[match[1] as 'server' | 'client']);
    return true;
  };

  const handlePublic = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://lab');
    if (serveWellKnown(url, res)) return;
    if (url.pathname === '/livekit-jwt-service/healthz') {
      if (await unitActive(opts.homeserverDir, 'matrix-livekit-jwt-service')) {
        res.writeHead(200, { 'content-length': 0 });
        res.end();
      } else sendBadGateway(res);
      return;
    }
    // Down, still migrating (Type=simple: the unit is active before Tuwunel listens), or failed once started.
    if (!(await tuwunelServing(opts.homeserverDir))) return sendBadGateway(res);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS);
      res.end();
      return;
    }
    if (url.pathname === '/' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('hewwo from tuwunel woof!');
      return;
    }
    const current = await version();
    const config = await startedConfig();
    // Traefik routes /_synapse/admin and /_tuwunel only when the container's labels ask for it.
    if (url.pathname.startsWith('/_synapse/admin') && !config.synapseAdminRouted)
      return sendTraefikNotFound(res);
    if (url.pathname.startsWith('/_tuwunel') && !config.tuwunelApiRouted) return sendTraefikNotFound(res);
    if (await serveMedia(req, url, res, config)) return;
    const candidates = url.pathname.startsWith('/_synapse/admin') ? adminRoutes(current) : routes;
    const matching = candidates.filter((r) => r.pattern.test(url.pathname));
    const route = matching.find((r) => r.method === req.method);
    if (!route) {
      // src/router/router.rs (fallback) and src/router/request.rs (405).
      return matching.length > 0
        ? sendJson(res, 405, matrixError('M_UNRECOGNIZED', 'Method Not Allowed'))
        : sendJson(res, 404, matrixError('M_UNRECOGNIZED', 'Not Found'));
    }
    let bodyText: Promise<string> | undefined;
    const ctx: Context = {
      req,
      url,
      params: (url.pathname.match(route.pattern) ?? []).slice(1),
      optionalBody: async () => {
        bodyText ??= readBody(req);
        return (await bodyText).trim() === '' ? {} : ctx.body();
      },
      body: async () => {
        bodyText ??= readBody(req);
        const text = await bodyText;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text || 'null');
        } catch {
          throw new MatrixFailure(400, 'M_NOT_JSON', 'Body is not valid JSON.');
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
          throw new MatrixFailure(400, 'M_BAD_JSON', 'Failed to deserialize request.');
        return parsed as Record<string, unknown>;
      },
    };
    try {
      const result = await route.handler(ctx);
      sendJson(res, result.status, result.body);
    } catch (error) {
      if (!(error instanceof MatrixFailure)) throw error;
      sendJson(res, error.status, matrixError(error.errcode, error.message));
    }
  };

  /**
   * Media the admin bot uploaded (long output from 1.8.2): the authenticated `/_matrix/client/v1/media/download`
   * and, when allow_legacy_media is on, the legacy unauthenticated `/_matrix/media/v3/download`.
   */
  const serveMedia = async (
    req: IncomingMessage,
    url: URL,
    res: ServerResponse,
    config: StartedConfig,
  ): Promise<boolean> => {
    const match = url.pathname.match(
      /^\/_matrix\/(client\/v1\/media|media\/(?:v3|r0))\/download\/([^/]+)\/([^/]+)(?:\/[^/]+)?$/,
    );
    if (!match || req.method !== 'GET') return false;
    const legacy = match[1] !== 'client/v1/media';
    if (legacy && !config.allowLegacyMedia) return false;
    try {
      if (!legacy) {
        await authenticate({ req, url, params: [], body: async () => ({}), optionalBody: async () => ({}) });
      }
    } catch (error) {
      if (!(error instanceof MatrixFailure)) throw error;
      sendJson(res, error.status, matrixError(error.errcode, error.message));
      return true;
    }
    const found = media.get(`${decodeURIComponent(match[2] ?? '')}/${decodeURIComponent(match[3] ?? '')}`);
    if (!found) {
      sendJson(res, 404, matrixError('M_NOT_FOUND', 'Media not found.'));
      return true;
    }
    res.writeHead(200, {
      ...CORS_HEADERS,
      'content-type': found.contentType,
      'content-length': found.body.length,
      'content-disposition': `attachment; filename="${found.filename}"`,
    });
    res.end(found.body);
    return true;
  };

  const handleApex = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://lab');
    if (serveWellKnown(url, res)) return;
    // Caddy's file server: no such file.
    res.writeHead(404, { server: 'Caddy', 'content-length': 0 });
    res.end();
  };

  const guard =
    (handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void) =>
    (req: IncomingMessage, res: ServerResponse) => {
      Promise.resolve(handler(req, res)).catch((error: unknown) => {
        if (res.headersSent) res.destroy();
        else sendJson(res, 500, matrixError('M_UNKNOWN', `Lab homeserver failed: ${String(error)}`));
      });
    };

  const tls = { key: opts.keyPem, cert: opts.certPem };
  const publicServer = createServer(tls, guard(handlePublic));
  const apexServer = createServer(tls, guard(handleApex));
  const listen = (server: Server) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, opts.address, () => resolve((server.address() as AddressInfo).port));
    });
  const [publicPort, apexPort] = await Promise.all([listen(publicServer), listen(apexServer)]);
  const host = opts.address.includes(':') ? `[${opts.address}]` : opts.address;
  const publicUrl = `https://${host}:${publicPort}`;
  served = wellKnown(publicUrl, `${host}:${publicPort}`);

  let stopped = false;
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  return {
    apexUrl: `https://${host}:${apexPort}`,
    publicUrl,
    setTuwunelVersion: (v: string) => writeTuwunelVersion(opts.homeserverDir, v),
    async stop() {
      if (stopped) return;
      stopped = true;
      room.stop();
      await Promise.all([close(publicServer), close(apexServer)]);
    },
  };
}
