import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { AppError, InvalidInput } from '../errors';
import { type ActLog, recordAct } from '../lib/acts';
import { parseLocalUserId } from '../lib/grammar';
import type { Profile } from '../profile/schema';
import { AdminAccess, type AdminAccessOptions } from './admin-access';
import { userPath } from './admin-api';
import type { HttpRequest } from './http';
import { deviceRemovedLine, parseLastActive, parseListUsers } from './people-replies';
import {
  ADMIN_API_SINCE,
  adminApiUnusable,
  atLeast,
  describeRelease,
  type ServerFacts,
} from './server-facts';
import {
  deactivateUserCommand,
  readAnyReply,
  readDeactivateReply,
  readMakeUserAdminReply,
} from './tuwunel-admin';

/**
 * The family admin's daily tasks on people: who is on the server, their devices, a forgotten password, a lost
 * phone, a deactivation, a word to everyone. Through Tuwunel's Synapse-compatible admin API where the server
 * serves it (1.8.1 on, routed), else through the admin room where the release can do it without leaving a
 * secret in the room's history; what neither can do safely is refused with the reason.
 */

/** `send_server_notice` came with Tuwunel 1.8.2 (src/api/client/admin/server_notice). */
export const SERVER_NOTICE_SINCE = '1.8.2';
/** The most users one page holds (one request through the admin API; the window asks for 1,000 at a time). */
export const MAX_PAGE = 1000;
const NOTICE_MAX = 4000;

export type PeopleRoute = 'admin-api' | 'admin-room';

/** An action on people this server cannot do without leaving a secret behind, or at all. */
export class PeopleRefused extends AppError {
  readonly code = 'PeopleRefused';
  constructor(
    message: string,
    readonly nextStep: string,
  ) {
    super(message);
  }
}

/** The admin bot answered, but not with what the command does. */
export class PeopleCommandFailed extends AppError {
  readonly code = 'PeopleCommandFailed';
  readonly nextStep = 'Read the reply in the admin room with a Matrix client, then try again.';
  constructor(what: string, line: string) {
    super(`${what} failed: Tuwunel answered "${line}".`);
  }
}

export interface UserSummary {
  userId: string;
  displayName: string | null;
  /** null: the route does not say (the admin room before 1.8.1). */
  admin: boolean | null;
  deactivated: boolean;
  /** Epoch ms of the most recently seen device; null when never seen. */
  lastActiveAt: number | null;
  /** null: not known on this route. */
  deviceCount: number | null;
}

export interface UserPage {
  users: UserSummary[];
  /** All users matching the search. */
  total: number;
  /** The `from` of the next page; null on the last page. */
  nextFrom: number | null;
  route: PeopleRoute;
  /** What this route cannot show, as a sentence; null when it shows everything. */
  note: string | null;
}

export interface DeviceInfo {
  deviceId: string;
  displayName: string | null;
  lastSeenAt: number | null;
  lastSeenIp: string | null;
}

export interface UserDetails extends UserSummary {
  erased: boolean | null;
  devices: DeviceInfo[] | null;
  route: PeopleRoute;
}

// ------------------------------------------------------------------ input at the edge

/** A local user ID (`@alice:server` or `alice`), by the Matrix grammar; other servers' users refused. */
export function localUser(input: string, serverName: string): string {
  const parsed = parseLocalUserId(input, serverName);
  if ('problem' in parsed) throw new InvalidInput('user', parsed.problem);
  return parsed.userId;
}

/** A device ID as one word: what a client shows (Element: 10 capitals) and an admin command can carry. */
export function deviceId(input: string): string {
  const s = input.trim();
  if (!/^[A-Za-z0-9._=+/~][A-Za-z0-9._=+/~-]{0,254}$/.test(s))
    throw new InvalidInput(
      'device',
      'is not a device ID (letters, digits and . _ = + / ~ -, as clients show it)',
    );
  return s;
}

export function noticeText(input: string): string {
  const s = input.replace(/\r\n/g, '\n').trim();
  if (s === '') throw new InvalidInput('notice', 'is empty');
  if (s.length > NOTICE_MAX) throw new InvalidInput('notice', `is longer than ${NOTICE_MAX} characters`);
  return s;
}

export function typedPassword(input: string): string {
  if (input.length < 10) throw new InvalidInput('password', 'must be at least 10 characters');
  if (input.length > 512) throw new InvalidInput('password', 'must be at most 512 characters');
  if (/[\r\n]/.test(input)) throw new InvalidInput('password', 'must be one line');
  return input;
}

const PASSWORD_ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A strong password a person can type from a phone: 4 groups of 5 unambiguous characters (about 116 bits). */
export function generatePassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let group = '';
    for (let i = 0; i < 5; i++) group += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}

// ------------------------------------------------------------------ admin API answers

const ts = z.number().int().nonnegative().nullable().optional().catch(null);
const apiUserSchema = z.object({
  name: z.string().min(1).max(300),
  displayname: z.string().max(500).nullable().optional().catch(null),
  admin: z.boolean().optional().catch(false),
  deactivated: z.boolean().optional().catch(false),
  erased: z.boolean().optional().catch(false),
  last_seen_ts: ts,
});
const apiUserListSchema = z.object({
  users: z.array(z.unknown()).max(10_000),
  total: z.number().int().nonnegative(),
  next_token: z.union([z.string(), z.number()]).optional().catch(undefined),
});
const apiDeviceSchema = z.object({
  device_id: z.string().min(1).max(300),
  display_name: z.string().max(500).nullable().optional().catch(null),
  last_seen_ts: ts,
  last_seen_ip: z.string().max(100).nullable().optional().catch(null),
});
const apiDeviceListSchema = z.object({ devices: z.array(z.unknown()).max(10_000) });

function fromApiUser(u: z.infer<typeof apiUserSchema>): UserSummary {
  return {
    userId: u.name,
    displayName: u.displayname ?? null,
    admin: u.admin ?? false,
    deactivated: u.deactivated ?? false,
    lastActiveAt: u.last_seen_ts ?? null,
    deviceCount: null,
  };
}

function fromApiDevice(d: z.infer<typeof apiDeviceSchema>): DeviceInfo {
  return {
    deviceId: d.device_id,
    displayName: d.display_name ?? null,
    lastSeenAt: d.last_seen_ts ?? null,
    lastSeenIp: d.last_seen_ip ?? null,
  };
}

// ------------------------------------------------------------------ the client

export interface PeopleClientOptions extends AdminAccessOptions {
  acts?: ActLog;
  /** How long what the server said about itself is trusted (a page turn must not ask again). Default 30 s. */
  factsTtlMs?: number;
  now?: () => number;
}

type Method = HttpRequest['method'];

const RESET_IN_ROOM =
  'Tuwunel’s admin room answers "users reset-password" with the new password in its reply (at every release from 1.7.0 to 1.9.0), so the room would keep it readable in its history on the server and on every admin’s devices.';

export class PeopleClient {
  private readonly access: AdminAccess;
  private facts: { at: number; facts: ServerFacts } | null = null;
  /** The admin room's whole list, kept for paging (it has no pages of its own). */
  private roomList: { at: number; users: UserSummary[] } | null = null;

  constructor(private readonly options: PeopleClientOptions) {
    this.access = new AdminAccess(options);
  }

  private get profile(): Profile {
    return this.options.profile;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** What the server says it is, asked again after factsTtlMs. */
  async serverFacts(): Promise<ServerFacts> {
    const ttl = this.options.factsTtlMs ?? 30_000;
    if (this.facts && this.now() - this.facts.at < ttl) return this.facts.facts;
    const facts = await this.access.probe();
    this.facts = { at: this.now(), facts };
    return facts;
  }

  /** Which way the server is asked, and why not the admin API when not. */
  async route(): Promise<{ route: PeopleRoute; why: string | null; facts: ServerFacts }> {
    const facts = await this.serverFacts();
    const why = adminApiUnusable(facts);
    return { route: why === null ? 'admin-api' : 'admin-room', why, facts };
  }

  private api(method: Method, path: string, what: string, json?: unknown): Promise<unknown> {
    return this.access.api(method, path, what, json);
  }

  private command(command: string): Promise<string> {
    return this.access.command(command);
  }

  // -------------------------------------------------------------- who is on the server

  async listUsers(
    query: { from?: number; limit?: number; search?: string; devices?: boolean } = {},
  ): Promise<UserPage> {
    const from = Math.max(0, Math.floor(query.from ?? 0));
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(query.limit ?? 50)));
    const search = (query.search ?? '').trim().slice(0, 200);
    const { route } = await this.route();
    if (route === 'admin-api') {
      const params = new URLSearchParams({ from: String(from), limit: String(limit), deactivated: 'true' });
      if (search) params.set('name', search);
      const body = apiUserListSchema.safeParse(await this.api('GET', `/v2/users?${params}`, 'Listing users'));
      if (!body.success)
        throw new PeopleCommandFailed('Listing users', 'an answer that is not a list of users');
      const users = body.data.users.flatMap((u) => {
        const parsed = apiUserSchema.safeParse(u);
        return parsed.success ? [fromApiUser(parsed.data)] : [];
      });
      if (query.devices !== false) await this.countDevices(users);
      const next = body.data.next_token === undefined ? null : Number(body.data.next_token);
      return {
        users,
        total: body.data.total,
        nextFrom: next !== null && Number.isFinite(next) ? next : null,
        route,
        note: null,
      };
    }
    const all = await this.roomUsers(from === 0);
    const needle = search.toLowerCase();
    const matching = needle ? all.filter((u) => u.userId.toLowerCase().includes(needle)) : all;
    const users = matching.slice(from, from + limit);
    return {
      users,
      total: matching.length,
      nextFrom: from + users.length < matching.length ? from + users.length : null,
      route,
      note: `Through the admin room (${describeRelease((await this.route()).facts)}): display names, the admin flag, devices and deactivated accounts need the admin API (Tuwunel ${ADMIN_API_SINCE} on).`,
    };
  }

  /** Device counts of one page, a few requests at a time. */
  private async countDevices(users: UserSummary[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < users.length) {
        const user = users[next++] as UserSummary;
        if (user.deactivated) {
          user.deviceCount = 0;
          continue;
        }
        user.deviceCount = (await this.apiDevices(user.userId)).length;
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, users.length) }, worker));
  }

  /** `users list-users` and `users last-active` (two commands; kept 30 s so paging does not ask again). */
  private async roomUsers(fresh: boolean): Promise<UserSummary[]> {
    if (!fresh && this.roomList && this.now() - this.roomList.at < 30_000) return this.roomList.users;
    const listed = await this.command('users list-users');
    const ids = parseListUsers(listed);
    if (!ids) throw new PeopleCommandFailed('Listing users', readAnyReply(listed).line);
    const active = parseLastActive(
      await this.command(`users last-active --limit ${Math.max(ids.length, 1)}`),
    );
    const seen = new Map(active.map((r) => [r.localpart, r.at]));
    const users = ids.map((userId) => ({
      userId,
      displayName: null,
      admin: null,
      deactivated: false,
      lastActiveAt: seen.get(userId.slice(1, userId.indexOf(':'))) ?? null,
      deviceCount: null,
    }));
    this.roomList = { at: this.now(), users };
    return users;
  }

  async showUser(input: string): Promise<UserDetails> {
    const userId = localUser(input, this.profile.serverName);
    const { route } = await this.route();
    if (route === 'admin-api') {
      const user = apiUserSchema.safeParse(
        await this.api('GET', `/v2/users/${userPath(userId)}`, `Looking up ${userId}`),
      );
      if (!user.success)
        throw new PeopleCommandFailed(`Looking up ${userId}`, 'an answer that is not a user');
      const devices = await this.apiDevices(userId);
      return {
        ...fromApiUser(user.data),
        deviceCount: devices.length,
        erased: user.data.erased ?? false,
        devices,
        route,
      };
    }
    const found = (await this.roomUsers(true)).find((u) => u.userId === userId);
    if (!found)
      throw new PeopleRefused(
        `${userId} is not among the server's active local users.`,
        'Check the spelling in the People list (deactivated accounts are not listed without the admin API).',
      );
    return { ...found, erased: null, devices: null, route };
  }

  private async apiDevices(userId: string): Promise<DeviceInfo[]> {
    const body = apiDeviceListSchema.safeParse(
      await this.api('GET', `/v2/users/${userPath(userId)}/devices`, `Listing the devices of ${userId}`),
    );
    if (!body.success)
      throw new PeopleCommandFailed(
        `Listing the devices of ${userId}`,
        'an answer that is not a list of devices',
      );
    return body.data.devices.flatMap((d) => {
      const parsed = apiDeviceSchema.safeParse(d);
      return parsed.success ? [fromApiDevice(parsed.data)] : [];
    });
  }

  async devices(input: string): Promise<DeviceInfo[]> {
    const userId = localUser(input, this.profile.serverName);
    const { route, why } = await this.route();
    if (route === 'admin-room')
      throw new PeopleRefused(
        `Listing devices needs the admin API, and ${why}.`,
        'The admin room has no command that lists a user’s devices in a form the app can read; the device ID is in the user’s client (Settings → Sessions), and "users sign-out <user> <device>" works with it.',
      );
    return this.apiDevices(userId);
  }

  // -------------------------------------------------------------- acts

  /** Signs one device out (its access token dies with it), or every device of the user. */
  async signOut(input: string, which: { deviceId: string } | { all: true }): Promise<{ removed: string[] }> {
    const userId = localUser(input, this.profile.serverName);
    const device = 'deviceId' in which ? deviceId(which.deviceId) : null;
    return recordAct(
      this.options.acts,
      {
        action: 'users.sign-out',
        params: { user: userId, device: device ?? 'all' },
        done: (r) =>
          `Signed ${userId} out of ${r.removed.length} device${r.removed.length === 1 ? '' : 's'}${device ? ` (${device})` : ''}.`,
      },
      async () => {
        const { route, why } = await this.route();
        if (route === 'admin-api') {
          if (device) {
            await this.api(
              'DELETE',
              `/v2/users/${userPath(userId)}/devices/${encodeURIComponent(device)}`,
              `Signing out the device ${device} of ${userId}`,
            );
            return { removed: [device] };
          }
          const all = (await this.apiDevices(userId)).map((d) => d.deviceId);
          if (all.length > 0)
            await this.api('POST', `/v2/users/${userPath(userId)}/delete_devices`, `Signing ${userId} out`, {
              devices: all,
            });
          return { removed: all };
        }
        if (!device)
          throw new PeopleRefused(
            `Signing out every device needs the admin API, and ${why}.`,
            'Sign out one device at a time with its ID (the user’s client shows it under Settings → Sessions).',
          );
        const reply = await this.command(`users delete-device ${userId} ${device}`);
        const expected = deviceRemovedLine(userId, device);
        if (!reply.includes(expected))
          throw new PeopleCommandFailed('Signing out a device', readAnyReply(reply).line);
        return { removed: [device] };
      },
    );
  }

  /**
   * Deactivates a user. Leaving rooms is the admin room's `users deactivate` (the admin API's deactivation
   * leaves rooms as they are in Tuwunel); `erase` (MSC4025) is the admin API's, from 1.8.1.
   */
  async deactivate(input: string, options: { leaveRooms: boolean; erase: boolean }): Promise<void> {
    const userId = localUser(input, this.profile.serverName);
    await recordAct(
      this.options.acts,
      {
        action: 'users.deactivate',
        params: { user: userId, leaveRooms: options.leaveRooms, erase: options.erase },
        done: () =>
          `Deactivated ${userId}${options.leaveRooms ? ', who left every room' : ''}${options.erase ? ', marked as erased' : ''}.`,
      },
      async () => {
        const { route, why } = await this.route();
        if (options.erase && route !== 'admin-api')
          throw new PeopleRefused(
            `Erasing a user's data needs the admin API, and ${why}.`,
            'Deactivate without erasing, or upgrade Tuwunel to 1.8.1 or later.',
          );
        if (options.leaveRooms || route === 'admin-room') {
          const reply = await this.command(deactivateUserCommand(userId, options.leaveRooms));
          const verdict = readDeactivateReply(reply, userId);
          if (!verdict.ok) throw new PeopleCommandFailed(`Deactivating ${userId}`, verdict.line);
        }
        if (route === 'admin-api' && (options.erase || !options.leaveRooms))
          await this.api('POST', `/v1/deactivate/${userPath(userId)}`, `Deactivating ${userId}`, {
            erase: options.erase,
          });
        this.roomList = null;
      },
    );
  }

  async setAdmin(input: string, admin: boolean): Promise<void> {
    const userId = localUser(input, this.profile.serverName);
    await recordAct(
      this.options.acts,
      {
        action: admin ? 'users.make-admin' : 'users.remove-admin',
        params: { user: userId },
        done: () => (admin ? `${userId} is a server admin.` : `${userId} is no longer a server admin.`),
      },
      async () => {
        const { route, why } = await this.route();
        if (route === 'admin-api') {
          await this.api('PUT', `/v2/users/${userPath(userId)}`, `Changing the admin flag of ${userId}`, {
            admin,
          });
          return;
        }
        if (!admin)
          throw new PeopleRefused(
            `Removing admin rights needs the admin API, and ${why}.`,
            'Upgrade Tuwunel to 1.8.1 or later, or have the user leave the admin room.',
          );
        const verdict = readMakeUserAdminReply(await this.command(`users make-user-admin ${userId}`), userId);
        if (!verdict.ok) throw new PeopleCommandFailed(`Making ${userId} an admin`, verdict.line);
      },
    );
  }

  /** Sets a new password (the caller keeps it); only through the admin API, never the room. */
  async resetPassword(input: string, password: string, options: { signOut: boolean }): Promise<void> {
    const userId = localUser(input, this.profile.serverName);
    typedPassword(password);
    await recordAct(
      this.options.acts,
      {
        action: 'users.reset-password',
        params: { user: userId, signOut: options.signOut },
        done: () =>
          `Set a new password for ${userId}${options.signOut ? ' and signed out their devices' : ''}; it went to the clipboard only.`,
      },
      async () => {
        const { route, why } = await this.route();
        if (route !== 'admin-api')
          throw new PeopleRefused(
            `Not resetting the password through the admin room: ${RESET_IN_ROOM} The app resets passwords only through the admin API, and ${why}.`,
            `Upgrade Tuwunel to ${ADMIN_API_SINCE} or later (and route /_synapse/admin), or reset it in the admin room yourself and then redact the bot's reply.`,
          );
        await this.api(
          'POST',
          `/v1/reset_password/${userPath(userId)}`,
          `Resetting the password of ${userId}`,
          {
            new_password: password,
            logout_devices: options.signOut,
          },
        );
      },
    );
  }

  /** A server notice to every active local user (`send_server_notice`, 1.8.2 on). */
  async sendNotice(input: string): Promise<{ sent: string[]; failed: { userId: string; reason: string }[] }> {
    const text = noticeText(input);
    return recordAct(
      this.options.acts,
      {
        action: 'notice.send',
        params: { length: text.length },
        done: (r) =>
          `Sent a server notice to ${r.sent.length} user${r.sent.length === 1 ? '' : 's'}${r.failed.length > 0 ? ` (${r.failed.length} failed)` : ''}.`,
      },
      async () => {
        const { route, why, facts } = await this.route();
        if (!atLeast(facts, SERVER_NOTICE_SINCE))
          throw new PeopleRefused(
            `Server notices are not available: ${describeRelease(facts)} has no send_server_notice (it came with Tuwunel ${SERVER_NOTICE_SINCE}).`,
            'Post the text in a room everyone is in, or upgrade Tuwunel.',
          );
        if (route !== 'admin-api')
          throw new PeopleRefused(
            `Server notices need the admin API, and ${why}.`,
            'Route /_synapse/admin to Tuwunel.',
          );
        const recipients: string[] = [];
        for (let from: number | null = 0; from !== null; ) {
          const page: UserPage = await this.listUsers({ from, limit: MAX_PAGE, devices: false });
          recipients.push(...page.users.filter((u) => !u.deactivated).map((u) => u.userId));
          from = page.nextFrom;
        }
        const sent: string[] = [];
        const failed: { userId: string; reason: string }[] = [];
        for (const userId of recipients) {
          try {
            await this.api('POST', '/v1/send_server_notice', `Sending a server notice to ${userId}`, {
              user_id: userId,
              content: { msgtype: 'm.text', body: text },
            });
            sent.push(userId);
          } catch (e) {
            failed.push({ userId, reason: e instanceof Error ? e.message : String(e) });
          }
        }
        return { sent, failed };
      },
    );
  }
}
