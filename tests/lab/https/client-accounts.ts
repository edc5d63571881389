import { randomBytes } from 'node:crypto';
import {
  anyValidDatabaseToken,
  checkDatabaseToken,
  type LabDevice,
  type LabUserRecord,
  passwordHash,
  readDevices,
  readRooms,
  readUserRecords,
  type StartedConfig,
  writeDevices,
  writeRooms,
  writeUserRecords,
} from './homeserver-state';
import type { ApiResult } from './registration-tokens';
import { matrixError } from './tuwunel-api';

/**
 * Accounts as a Matrix client meets them: registration with user-interactive auth, password login, logout.
 * From matrix-construct/tuwunel src/api/client/register.rs (1.7.0; src/api/client/register/register.rs from
 * 1.7.1), src/service/uiaa/mod.rs, src/service/registration_tokens, src/service/users/register.rs and
 * src/api/client/session at each tag 1.7.0–1.9.0. What the lab plays is the same at every tag:
 *
 * - The flow is `[m.login.registration_token]` while any token is valid (the config file's or a database
 *   one), else `[m.login.dummy]`. No tag adds a dummy stage after the token; terms and email stages come only
 *   with `registration_terms` and SMTP settings (1.8.0), which the playbook does not set.
 * - The first request without `auth` is answered 401 with the flows and a new 32-character session. A wrong
 *   or used-up token: 401 again, with `errcode` M_FORBIDDEN and `error` "Invalid registration token.". An
 *   unknown session: 403 "UIAA session does not exist.".
 * - A database token is consumed when the stage passes (its `completed` count goes up); one that is then used
 *   up or past its expiry is deleted at once, so a one-shot invite disappears from `token list` and the admin
 *   API as soon as it has made an account.
 * - The new account gets the localpart plus `new_user_displayname_suffix` as display name, joins the rooms of
 *   `auto_join_rooms` that anyone may join, and the admin room gets the notice
 *   `New user "@u:server" registered on this server from IP <ip> with device name <name>` (announce_new_user;
 *   `admin_room_notices`, default on).
 */

/** SESSION_ID_LENGTH (src/api/client/mod.rs, src/service/uiaa), RANDOM_USER_ID_LENGTH, TOKEN_LENGTH, DEVICE_ID_LENGTH. */
const SESSION_ID_LENGTH = 32;
const RANDOM_USER_ID_LENGTH = 10;
const ACCESS_TOKEN_LENGTH = 32;
const DEVICE_ID_LENGTH = 10;

const STAGE_TOKEN = 'm.login.registration_token';
const STAGE_DUMMY = 'm.login.dummy';

function alphanumeric(length: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(length), (b) => chars[b % chars.length]).join('');
}

/** An access token's owner. `checkDevice`: the token dies with its device (every token but a seeded one). */
export interface Session {
  userId: string;
  deviceId: string;
  checkDevice: boolean;
}

interface UiaaInfo {
  flows: { stages: string[] }[];
  completed: string[];
  session: string;
}

const fail = (status: number, errcode: string, error: string): ApiResult => ({
  status,
  body: matrixError(errcode, error),
});

/** ruma's UiaaInfo as sent with a 401: `completed` and `session` left out when empty, the auth error flattened. */
function uiaaBody(info: UiaaInfo, authError?: { errcode: string; error: string }): ApiResult {
  return {
    status: 401,
    body: {
      flows: info.flows,
      ...(info.completed.length > 0 ? { completed: info.completed } : {}),
      session: info.session,
      ...(authError ?? {}),
    },
  };
}

export interface ClientAccountsOptions {
  homeserverDir: string;
  serverName: string;
  /** tuwunel.toml as of the last (re)start. */
  config: () => Promise<StartedConfig>;
  /** Posts a notice to the admin room as the server user (service/admin notice, markdown). */
  notice: (text: string) => void;
  /** The access tokens the server knows (shared with the rest of the HTTP side). */
  sessions: Map<string, Session>;
}

export class ClientAccounts {
  /** userdevicesessionid_uiaainfo for the registration's server user ("@:server", device ""). */
  private readonly uiaa = new Map<string, UiaaInfo>();

  constructor(private readonly o: ClientAccountsOptions) {}

  private async tokenRequired(): Promise<boolean> {
    return (
      (await this.o.config()).registrationToken !== undefined || anyValidDatabaseToken(this.o.homeserverDir)
    );
  }

  /** registration_tokens.check: the config token always passes; a database token as checkDatabaseToken. */
  private async checkToken(token: string, consume: boolean): Promise<boolean> {
    if (token === (await this.o.config()).registrationToken) return true;
    return checkDatabaseToken(this.o.homeserverDir, token, consume);
  }

  /**
   * The user ID a registration asks for (resolve_registration_user_id): lowercased, a bare localpart gets the
   * server name; ruma's strict localpart grammar; taken IDs refused.
   */
  private async resolveUserId(
    username: string | undefined,
    users: readonly LabUserRecord[],
  ): Promise<{ userId: string } | ApiResult> {
    const taken = (id: string) => users.some((u) => u.userId === id);
    if (username === undefined) {
      for (;;) {
        const id = `@${alphanumeric(RANDOM_USER_ID_LENGTH).toLowerCase()}:${this.o.serverName}`;
        if (!taken(id)) return { userId: id };
      }
    }
    const lower = username.toLowerCase();
    const userId = lower.startsWith('@') ? lower : `@${lower}:${this.o.serverName}`;
    const localpart = userId.slice(1, userId.includes(':') ? userId.indexOf(':') : undefined);
    if (!userId.includes(':') || localpart === '')
      return fail(
        400,
        'M_INVALID_USERNAME',
        `Username ${lower} is not valid: identifier or required part of it is empty`,
      );
    if (/[^0-9a-z._=/-]/.test(localpart))
      return fail(
        400,
        'M_INVALID_USERNAME',
        `Username ${lower} contains disallowed characters or spaces: identifier contains invalid characters`,
      );
    if (taken(userId)) return fail(400, 'M_USER_IN_USE', 'User ID is not available.');
    return { userId };
  }

  /** `GET /_matrix/client/v3/register/available` (get_register_available_route). */
  async available(username: string | null): Promise<ApiResult> {
    if (username === null) return fail(400, 'M_MISSING_PARAM', 'Missing `username` query parameter.');
    const resolved = await this.resolveUserId(username, await readUserRecords(this.o.homeserverDir));
    return 'status' in resolved ? resolved : { status: 200, body: { available: true } };
  }

  /** `GET /_matrix/client/v1/register/m.login.registration_token/validity` (never consumes). */
  async tokenValidity(token: string | null): Promise<ApiResult> {
    if (!(await this.tokenRequired()))
      return fail(403, 'M_FORBIDDEN', 'Server does not allow token registration');
    if (token === null) return fail(400, 'M_MISSING_PARAM', 'Missing `token` query parameter.');
    return { status: 200, body: { valid: await this.checkToken(token, false) } };
  }

  /** enforce_uiaa: undefined once a flow is complete, else the 401 (or 403) to answer. */
  private async enforceUiaa(auth: unknown): Promise<ApiResult | undefined> {
    const flows = [{ stages: [(await this.tokenRequired()) ? STAGE_TOKEN : STAGE_DUMMY] }];
    if (auth === undefined || auth === null) {
      const info: UiaaInfo = { flows, completed: [], session: alphanumeric(SESSION_ID_LENGTH) };
      this.uiaa.set(info.session, info);
      return uiaaBody(info);
    }
    if (typeof auth !== 'object') return fail(400, 'M_BAD_JSON', 'Failed to deserialize request.');
    const a = auth as { type?: unknown; session?: unknown; token?: unknown };
    let info: UiaaInfo;
    if (typeof a.session === 'string') {
      const stored = this.uiaa.get(a.session);
      if (!stored) return fail(403, 'M_FORBIDDEN', 'UIAA session does not exist.');
      info = { ...stored, completed: [...stored.completed] };
    } else {
      info = { flows, completed: [], session: alphanumeric(SESSION_ID_LENGTH) };
    }
    if (a.type === STAGE_TOKEN) {
      const token = typeof a.token === 'string' ? a.token.trim() : '';
      if (!(await this.checkToken(token, true)))
        return uiaaBody(info, { errcode: 'M_FORBIDDEN', error: 'Invalid registration token.' });
      info.completed.push(STAGE_TOKEN);
    } else if (a.type === STAGE_DUMMY) {
      info.completed.push(STAGE_DUMMY);
    }
    const done = info.flows.some((f) => f.stages.every((s) => info.completed.includes(s)));
    if (!done) {
      this.uiaa.set(info.session, info);
      return uiaaBody(info);
    }
    this.uiaa.delete(info.session);
    return undefined;
  }

  /** `POST /_matrix/client/v3/register` (register_route). */
  async register(body: Record<string, unknown>, kind: string | null, clientIp: string): Promise<ApiResult> {
    const config = await this.o.config();
    if (!config.allowRegistration) return fail(403, 'M_FORBIDDEN', 'Registration has been disabled.');
    if (kind === 'guest') return fail(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest registration is disabled.');
    for (const key of ['username', 'password', 'device_id', 'initial_device_display_name'])
      if (key in body && typeof body[key] !== 'string')
        return fail(400, 'M_BAD_JSON', `Failed to deserialize request: invalid type for \`${key}\`.`);
    const users = await readUserRecords(this.o.homeserverDir);
    const resolved = await this.resolveUserId(body.username as string | undefined, users);
    if ('status' in resolved) return resolved;
    const refused = await this.enforceUiaa(body.auth);
    if (refused) return refused;

    const { userId } = resolved;
    const localpart = userId.slice(1, userId.indexOf(':'));
    const suffix = config.newUserDisplaynameSuffix;
    users.push({
      userId,
      admin: false,
      deactivated: false,
      passwordHash: typeof body.password === 'string' ? passwordHash(body.password) : '-',
      displayName: suffix === '' ? localpart : `${localpart} ${suffix}`,
      erasedCount: null,
    });
    await writeUserRecords(this.o.homeserverDir, users);
    await this.autoJoin(userId, config.autoJoinRooms);

    const deviceName = body.initial_device_display_name as string | undefined;
    let response: Record<string, unknown> = { user_id: userId };
    if (body.inhibit_login !== true) {
      const { accessToken, deviceId } = await this.createDevice(
        userId,
        body.device_id as string | undefined,
        deviceName,
        clientIp,
      );
      response = { user_id: userId, access_token: accessToken, device_id: deviceId };
    }
    if (config.adminRoomNotices) {
      let notice = `New user "${userId}" registered on this server from IP ${clientIp}`;
      if (deviceName !== undefined) notice += ` with device name ${deviceName}`;
      this.o.notice(notice);
    }
    return { status: 200, body: response };
  }

  /**
   * users/register.rs: each `auto_join_rooms` entry is resolved (an unknown alias is skipped) and joined; a
   * room anyone may not join (the admin room, invite only) fails and is skipped too, never the registration.
   */
  private async autoJoin(userId: string, rooms: readonly string[]): Promise<void> {
    if (rooms.length === 0) return;
    const all = await readRooms(this.o.homeserverDir);
    let changed = false;
    for (const wanted of rooms) {
      const room = all.find((r) => r.roomId === wanted || (r.alias !== '' && r.alias === wanted));
      if (!room || room.alias === `#admins:${this.o.serverName}`) continue;
      if (!room.members.includes(userId)) {
        room.members.push(userId);
        changed = true;
      }
    }
    if (changed) await writeRooms(this.o.homeserverDir, all);
  }

  /** users.create_device: a new (or the given) device with its last-seen time and IP, and an access token. */
  private async createDevice(
    userId: string,
    requestedId: string | undefined,
    displayName: string | undefined,
    clientIp: string,
  ): Promise<{ accessToken: string; deviceId: string }> {
    const deviceId = requestedId ?? alphanumeric(DEVICE_ID_LENGTH);
    const devices = await readDevices(this.o.homeserverDir);
    const existing = devices.find((d) => d.userId === userId && d.deviceId === deviceId);
    const device: LabDevice = {
      userId,
      deviceId,
      displayName: displayName ?? existing?.displayName ?? '',
      lastSeenMs: Date.now(),
      lastSeenIp: clientIp,
    };
    await writeDevices(this.o.homeserverDir, [...devices.filter((d) => d !== existing), device]);
    // A device has one access token: logging in again on it replaces the old one.
    for (const [token, s] of this.o.sessions)
      if (s.userId === userId && s.deviceId === deviceId) this.o.sessions.delete(token);
    const accessToken = alphanumeric(ACCESS_TOKEN_LENGTH);
    this.o.sessions.set(accessToken, { userId, deviceId, checkDevice: true });
    return { accessToken, deviceId };
  }

  /**
   * `POST /_matrix/client/v3/login` with `m.login.password` (session/password.rs handle_login, password_login):
   * any local account with a password; a deactivated one is told so; a new device each time unless one is named.
   */
  async login(body: Record<string, unknown>, clientIp: string): Promise<ApiResult> {
    if (body.type !== 'm.login.password') return fail(400, 'M_UNKNOWN', 'Invalid or unsupported login type');
    const identifier = body.identifier as { type?: string; user?: unknown } | undefined;
    const user = identifier?.type === 'm.id.user' ? identifier.user : body.user;
    if (typeof user !== 'string')
      return fail(
        400,
        'M_UNKNOWN',
        'Valid identifier or username was not provided (invalid or unsupported login type?)',
      );
    const colon = user.indexOf(':');
    const localpart = user.startsWith('@') ? user.slice(1, colon < 0 ? undefined : colon) : user;
    if (user.startsWith('@') && user.slice(colon + 1) !== this.o.serverName)
      return fail(400, 'M_UNKNOWN', 'User ID does not belong to this homeserver');
    const userId = `@${localpart.toLowerCase()}:${this.o.serverName}`;
    const record = (await readUserRecords(this.o.homeserverDir)).find((u) => u.userId === userId);
    if (!record) return fail(403, 'M_FORBIDDEN', 'Wrong username or password.');
    // A deactivated account has an empty password hash, which Tuwunel checks before the password.
    if (record.passwordHash === '-') return fail(403, 'M_USER_DEACTIVATED', 'The user has been deactivated');
    if (typeof body.password !== 'string' || passwordHash(body.password) !== record.passwordHash)
      return fail(403, 'M_FORBIDDEN', 'Wrong username or password.');
    const { accessToken, deviceId } = await this.createDevice(
      userId,
      typeof body.device_id === 'string' ? body.device_id : undefined,
      typeof body.initial_device_display_name === 'string' ? body.initial_device_display_name : undefined,
      clientIp,
    );
    return {
      status: 200,
      body: {
        user_id: userId,
        access_token: accessToken,
        home_server: this.o.serverName,
        device_id: deviceId,
      },
    };
  }

  /** `POST /logout` (one device) and `/logout/all` (every device of the user): the devices go with their tokens. */
  async logout(session: Session, all: boolean): Promise<ApiResult> {
    const devices = await readDevices(this.o.homeserverDir);
    const gone = (d: LabDevice) => d.userId === session.userId && (all || d.deviceId === session.deviceId);
    await writeDevices(
      this.o.homeserverDir,
      devices.filter((d) => !gone(d)),
    );
    for (const [token, s] of this.o.sessions)
      if (s.userId === session.userId && (all || s.deviceId === session.deviceId))
        this.o.sessions.delete(token);
    return { status: 200, body: {} };
  }

  /** Whether a token's device still exists (deleting a device, or deactivating its user, ends its tokens). */
  async deviceExists(session: Session): Promise<boolean> {
    if (!session.checkDevice) return true;
    return (await readDevices(this.o.homeserverDir)).some(
      (d) => d.userId === session.userId && d.deviceId === session.deviceId,
    );
  }
}
