import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { AdminRoom } from './admin-room';
import {
  type LabDevice,
  type LabUserRecord,
  passwordHash,
  readDevices,
  readUserRecords,
  writeDevices,
  writeUserRecords,
} from './homeserver-state';
import type { ApiResult } from './registration-tokens';
import { matrixError, untypedError } from './tuwunel-api';

/**
 * The parts of Tuwunel's Synapse admin API (src/api/client/admin at v1.8.1–v1.9.0) the lab acts out over its
 * state files: users, devices, server notices and federation destinations. Which endpoints a release serves
 * comes from releases.ts; the handlers here answer for every release that serves them.
 */

const ok = (body: unknown): ApiResult => ({ status: 200, body });
const fail = (status: number, errcode: string, error: string): ApiResult => ({
  status,
  body: matrixError(errcode, error),
});

/** ruma's Direction and the pagination of list_users.rs. */
function page<T>(items: T[], query: URLSearchParams): { items: T[]; next?: string } {
  const from = Number(query.get('from') ?? 0) || 0;
  const limit = query.get('limit') === null ? 100 : Number(query.get('limit')) || 0;
  const slice = items.slice(from, from + limit);
  const end = from + slice.length;
  return end < items.length ? { items: slice, next: String(end) } : { items: slice };
}

const truthy = (v: string | null) => v === 'true' || v === '1';

function alphanumeric(length: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(length), (b) => chars[b % chars.length]).join('');
}

/** users.set_password(None) and the reactivation sentinel (users/mod.rs PASSWORD_SENTINEL): no password login. */
const NO_PASSWORD = '-';
const PASSWORD_SENTINEL = 'sentinel';

/** The Opened database `sequence` of the lab's journal: the count erasure records (users.set_erased). */
const DATABASE_COUNT = 184467;

export interface SynapseAdminApiOptions {
  homeserverDir: string;
  serverName: string;
  /** The admin room, for granting and revoking admin. */
  room: AdminRoom;
  /** Every server notice sent, one JSON object a line: `{user_id, room_id, sender, type, content}`. */
  serverNoticesLog: string;
}

export class SynapseAdminApi {
  /** The server-notice room of each user and the events sent there (send_server_notice.rs). */
  private readonly noticeRooms = new Map<string, string>();
  private readonly noticeTxns = new Map<string, string>();
  private readonly homeserverDir: string;
  private readonly serverName: string;

  constructor(private readonly o: SynapseAdminApiOptions) {
    this.homeserverDir = o.homeserverDir;
    this.serverName = o.serverName;
  }

  private isLocal(userId: string): boolean {
    return userId.slice(userId.indexOf(':') + 1) === this.serverName;
  }

  private async exists(userId: string): Promise<boolean> {
    return (await readUserRecords(this.homeserverDir)).some((u) => u.userId === userId);
  }

  /** `GET /_synapse/admin/v2/users` and `/v3/users` (list_users.rs): name order, `deactivated` filter. */
  async listUsers(query: URLSearchParams, v3: boolean): Promise<ApiResult> {
    const deactivatedParam = query.get('deactivated');
    const devices = await readDevices(this.homeserverDir);
    // Each user's last-seen times in one pass: a server with a thousand people answers at once.
    const lastSeen = new Map<string, number[]>();
    for (const d of devices)
      if (d.lastSeenMs !== null) lastSeen.set(d.userId, [...(lastSeen.get(d.userId) ?? []), d.lastSeenMs]);
    const records = (await readUserRecords(this.homeserverDir)).sort((a, b) =>
      a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0,
    );
    if (query.get('dir') === 'b') records.reverse();
    const name = query.get('name');
    const userIdNeedle = query.get('user_id');
    const admins = query.get('admins');
    const users = records
      .filter((u) => {
        if (userIdNeedle !== null && name === null && !u.userId.includes(userIdNeedle)) return false;
        if (name !== null) {
          const localpart = u.userId.slice(1, u.userId.indexOf(':'));
          if (!localpart.includes(name) && !u.displayName.includes(name)) return false;
        }
        if (admins !== null && truthy(admins) !== u.admin) return false;
        if (v3) {
          if (deactivatedParam === null) return true;
          return truthy(deactivatedParam) === u.deactivated;
        }
        return truthy(deactivatedParam) || !u.deactivated;
      })
      .map((u) => {
        const seen = lastSeen.get(u.userId) ?? [];
        return {
          name: u.userId,
          is_guest: false,
          admin: u.admin,
          deactivated: u.deactivated,
          shadow_banned: false,
          displayname: u.displayName || null,
          // Tuwunel keeps no creation time and sends 0 (strict clients reject null).
          creation_ts: 0,
          erased: u.erasedCount !== null,
          last_seen_ts: seen.length > 0 ? Math.max(...seen) : null,
          locked: false,
        };
      });
    const { items, next } = page(users, query);
    return ok({ users: items, ...(next ? { next_token: next } : {}), total: users.length });
  }

  /** `GET /_synapse/admin/v1/users/{user_id}/admin` (is_user_admin.rs). */
  async isAdmin(userId: string): Promise<ApiResult> {
    if (!this.isLocal(userId)) return fail(400, 'M_INVALID_PARAM', 'Can only look up local users');
    const user = (await readUserRecords(this.homeserverDir)).find((u) => u.userId === userId);
    return ok({ admin: user?.admin ?? false });
  }

  /**
   * `POST /_synapse/admin/v1/deactivate/{user_id}` (deactivate_account.rs): users.deactivate_account (devices
   * go, the password is emptied) without leaving rooms, so an admin stays in the admin room; `erase: true`
   * also sets the MSC4025 erasure marker (users.set_erased).
   */
  async deactivate(userId: string, body: Record<string, unknown>): Promise<ApiResult> {
    if (!this.isLocal(userId)) return fail(400, 'M_INVALID_PARAM', 'Can only deactivate local users');
    if ('erase' in body && typeof body.erase !== 'boolean')
      return fail(400, 'M_BAD_JSON', 'Failed to deserialize request: invalid type for `erase`.');
    const users = await readUserRecords(this.homeserverDir);
    const user = users.find((u) => u.userId === userId);
    if (!user) return fail(404, 'M_NOT_FOUND', 'User not found');
    user.deactivated = true;
    user.passwordHash = NO_PASSWORD;
    if (body.erase === true) user.erasedCount = DATABASE_COUNT + users.length;
    await writeUserRecords(this.homeserverDir, users);
    await this.removeDevices(userId, () => true);
    return ok({ id_server_unbind_result: 'success' });
  }

  /** user_details (users/mod.rs, 1.8.1) as synapse-admin-api's UserDetails serialises it. */
  private async details(user: LabUserRecord): Promise<Record<string, unknown>> {
    const seen = (await readDevices(this.homeserverDir))
      .filter((d) => d.userId === user.userId && d.lastSeenMs !== null)
      .map((d) => d.lastSeenMs as number);
    return {
      name: user.userId,
      is_guest: false,
      admin: user.admin,
      deactivated: user.deactivated,
      locked: false,
      shadow_banned: false,
      suspended: false,
      erased: user.erasedCount !== null,
      consent_ts: null,
      creation_ts: null,
      last_seen_ts: seen.length > 0 ? Math.max(...seen) : null,
      displayname: user.displayName || null,
    };
  }

  /** `GET /_synapse/admin/v2/users/{user_id}` (get_details.rs). */
  async getUser(userId: string): Promise<ApiResult> {
    if (!this.isLocal(userId)) return fail(400, 'M_INVALID_PARAM', 'Can only look up local users');
    const user = (await readUserRecords(this.homeserverDir)).find((u) => u.userId === userId);
    return user ? ok(await this.details(user)) : fail(404, 'M_NOT_FOUND', 'User not found');
  }

  /**
   * `PUT /_synapse/admin/v2/users/{user_id}` (create_or_modify.rs, 1.8.1): creates a missing account, or sets
   * the password (signing out every device unless `logout_devices: false`), the display name, admin (granted
   * as make_user_admin does, revoked as revoke_admin does) and deactivation. Always 200 with the details.
   */
  async putUser(sender: string, userId: string, body: Record<string, unknown>): Promise<ApiResult> {
    if (!this.isLocal(userId)) return fail(400, 'M_INVALID_PARAM', 'Can only create or modify local users');
    for (const [key, type] of [
      ['password', 'string'],
      ['displayname', 'string'],
      ['admin', 'boolean'],
      ['deactivated', 'boolean'],
      ['locked', 'boolean'],
      ['logout_devices', 'boolean'],
    ] as const)
      if (key in body && typeof body[key] !== type)
        return fail(400, 'M_BAD_JSON', `Failed to deserialize request: invalid type for \`${key}\`.`);
    if (body.deactivated === true && body.locked === true)
      return fail(400, 'M_INVALID_PARAM', 'An account cannot be deactivated and locked');
    if (body.admin === false && sender === userId)
      return fail(400, 'M_INVALID_PARAM', 'You may not demote yourself.');
    const users = await readUserRecords(this.homeserverDir);
    let user = users.find((u) => u.userId === userId);
    const password = body.password as string | undefined;
    if (!user) {
      user = {
        userId,
        admin: false,
        deactivated: password === undefined,
        passwordHash: password === undefined ? NO_PASSWORD : passwordHash(password),
        displayName: userId.slice(1, userId.indexOf(':')),
        erasedCount: null,
      };
      users.push(user);
    } else if (password !== undefined) {
      user.passwordHash = passwordHash(password);
      user.deactivated = false;
      if (body.logout_devices !== false) await this.removeDevices(userId, () => true);
    }
    if (typeof body.displayname === 'string') user.displayName = body.displayname;
    // What came before the admin step stays done when revoking fails (the route's order).
    if (body.admin === false && !user.admin) {
      await writeUserRecords(this.homeserverDir, users);
      return { status: 500, body: untypedError(`${userId} was never an admin.`) };
    }
    if (body.deactivated === true) {
      user.deactivated = true;
      user.passwordHash = NO_PASSWORD;
      await this.removeDevices(userId, () => true);
    } else if (body.deactivated === false && user.deactivated && password === undefined) {
      user.deactivated = false;
      user.passwordHash = PASSWORD_SENTINEL;
    }
    const wasAdmin = user.admin;
    if (typeof body.admin === 'boolean') user.admin = body.admin;
    await writeUserRecords(this.homeserverDir, users);
    if (body.admin === true && !wasAdmin) this.o.room.grantAdmin(userId);
    if (body.admin === false && wasAdmin) this.o.room.revokeAdmin(userId);
    return ok(await this.details(user));
  }

  /** `POST /_synapse/admin/v1/reset_password/{user_id}` (reset_password.rs); logout_devices defaults to true. */
  async resetPassword(userId: string, body: Record<string, unknown>): Promise<ApiResult> {
    if (typeof body.new_password !== 'string')
      return fail(400, 'M_BAD_JSON', 'Failed to deserialize request: missing field `new_password`.');
    const users = await readUserRecords(this.homeserverDir);
    const user = users.find((u) => u.userId === userId);
    if (!user) return fail(404, 'M_NOT_FOUND', 'User not found');
    user.passwordHash = passwordHash(body.new_password);
    user.deactivated = false;
    await writeUserRecords(this.homeserverDir, users);
    if (body.logout_devices !== false) await this.removeDevices(userId, () => true);
    return ok({});
  }

  /** require_local_user of devices/mod.rs. */
  private async localUser(userId: string): Promise<ApiResult | undefined> {
    if (!this.isLocal(userId)) return fail(400, 'M_INVALID_PARAM', 'Can only lookup local users');
    if (!(await this.exists(userId))) return fail(404, 'M_NOT_FOUND', 'Unknown user');
    return undefined;
  }

  private device(d: LabDevice): Record<string, unknown> {
    return {
      device_id: d.deviceId,
      display_name: d.displayName || null,
      user_id: d.userId,
      last_seen_ip: d.lastSeenIp,
      last_seen_ts: d.lastSeenMs,
    };
  }

  /** `GET /_synapse/admin/v2/users/{user_id}/devices` (list_devices.rs). */
  async listDevices(userId: string): Promise<ApiResult> {
    const refused = await this.localUser(userId);
    if (refused) return refused;
    const devices = (await readDevices(this.homeserverDir)).filter((d) => d.userId === userId);
    return ok({ devices: devices.map((d) => this.device(d)), total: devices.length });
  }

  /** `GET /_synapse/admin/v2/users/{user_id}/devices/{device_id}` (get_device.rs). */
  async getDevice(userId: string, deviceId: string): Promise<ApiResult> {
    const refused = await this.localUser(userId);
    if (refused) return refused;
    const device = (await readDevices(this.homeserverDir)).find(
      (d) => d.userId === userId && d.deviceId === deviceId,
    );
    return device ? ok(this.device(device)) : fail(404, 'M_NOT_FOUND', 'No device found');
  }

  private async removeDevices(userId: string, which: (d: LabDevice) => boolean): Promise<void> {
    const devices = await readDevices(this.homeserverDir);
    await writeDevices(
      this.homeserverDir,
      devices.filter((d) => d.userId !== userId || !which(d)),
    );
  }

  /** `DELETE /_synapse/admin/v2/users/{user_id}/devices/{device_id}` (delete_device.rs): no error when absent. */
  async deleteDevice(userId: string, deviceId: string): Promise<ApiResult> {
    const refused = await this.localUser(userId);
    if (refused) return refused;
    await this.removeDevices(userId, (d) => d.deviceId === deviceId);
    return ok({});
  }

  /** `POST /_synapse/admin/v2/users/{user_id}/delete_devices` (delete_devices.rs). */
  async deleteDevices(userId: string, body: Record<string, unknown>): Promise<ApiResult> {
    const refused = await this.localUser(userId);
    if (refused) return refused;
    if (!Array.isArray(body.devices) || body.devices.some((d) => typeof d !== 'string'))
      return fail(400, 'M_BAD_JSON', 'Failed to deserialize request: missing field `devices`.');
    const gone = new Set(body.devices as string[]);
    await this.removeDevices(userId, (d) => gone.has(d.deviceId));
    return ok({});
  }

  /**
   * `POST /_synapse/admin/v1/send_server_notice` and `PUT …/{txn_id}` (send_server_notice.rs, 1.8.2): the
   * notice goes to the user's server-notice room, made on first use; a repeated transaction ID answers with
   * the event it sent.
   */
  async sendServerNotice(
    body: Record<string, unknown>,
    txn?: { sender: string; txnId: string },
  ): Promise<ApiResult> {
    if (txn) {
      const earlier = this.noticeTxns.get(`${txn.sender}\0${txn.txnId}`);
      if (earlier) return ok({ event_id: earlier });
    }
    const userId = body.user_id;
    if (typeof userId !== 'string' || typeof body.content !== 'object' || body.content === null)
      return fail(400, 'M_BAD_JSON', 'Failed to deserialize request: missing field `user_id`.');
    if (!this.isLocal(userId))
      return fail(400, 'M_INVALID_PARAM', 'Server notices can only be sent to local users');
    if (!(await this.exists(userId))) return fail(404, 'M_NOT_FOUND', 'User not found');
    if (!this.noticeRooms.has(userId))
      this.noticeRooms.set(userId, `!${alphanumeric(18)}:${this.serverName}`);
    const eventId = `$${randomBytes(32).toString('base64url')}`;
    if (txn) this.noticeTxns.set(`${txn.sender}\0${txn.txnId}`, eventId);
    appendFileSync(
      this.o.serverNoticesLog,
      `${JSON.stringify({
        user_id: userId,
        room_id: this.noticeRooms.get(userId),
        sender: `@conduit:${this.serverName}`,
        type: typeof body.type === 'string' ? body.type : 'm.room.message',
        content: body.content,
      })}\n`,
    );
    return ok({ event_id: eventId });
  }

  /**
   * `GET /_synapse/admin/v1/federation/destinations` (list_destinations.rs, 1.8.2): servers sharing a room
   * and servers with a backoff record. The lab's rooms are all local, so there are none.
   */
  async listDestinations(query: URLSearchParams): Promise<ApiResult> {
    const order = query.get('order_by');
    const known = [
      'destination',
      'retry_last_ts',
      'retry_interval',
      'failure_ts',
      'last_successful_stream_ordering',
    ];
    if (order !== null && !known.includes(order))
      return fail(400, 'M_INVALID_PARAM', 'Unknown order_by parameter');
    return ok({ destinations: [], total: 0 });
  }
}
