import { randomBytes } from 'node:crypto';
import { describeError } from '../errors';
import { compareVersions, parseVersion } from '../lib/version';
import { request } from './http';

/**
 * A server notice to every local user: Tuwunel's Synapse-compatible admin API lists the users
 * (`GET /_synapse/admin/v2/users`, paged) and `send_server_notice` puts the message in each one's
 * server-notice room (src/api/admin/synapse at the tags, from 1.8.2). People see it in their client as a
 * message from the server, which is how they learn the server is about to go away, and that it is back.
 */

const NOTICES_FROM = parseVersion('1.8.2')!;

/** Whether this release serves send_server_notice (false for a version the app cannot read). */
export function canSendServerNotices(version: string): boolean {
  const v = parseVersion(version);
  return v !== null && compareVersions(v, NOTICES_FROM) >= 0;
}

/** At most this many users get a notice: a family server has dozens; past this it is not the app's job. */
export const MAX_NOTICE_RECIPIENTS = 2000;

export interface NoticeRequest {
  baseUrl: string;
  serverName: string;
  /** The Matrix admin access token (the caller zeroes its copy). */
  token: string;
  text: string;
  ca?: Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface NoticeOutcome {
  sent: number;
  failed: number;
  /** The first failure, as a sentence (never the token). */
  problem: string | null;
}

interface UserPage {
  users?: { name?: unknown; is_guest?: unknown; deactivated?: unknown }[];
  next_token?: unknown;
}

async function localUsers(req: NoticeRequest): Promise<string[]> {
  const users: string[] = [];
  const bot = `@conduit:${req.serverName}`;
  let from: string | null = '0';
  while (from !== null && users.length < MAX_NOTICE_RECIPIENTS) {
    const res = await request({
      method: 'GET',
      url: `${req.baseUrl}/_synapse/admin/v2/users?from=${encodeURIComponent(from)}&limit=500&guests=false&deactivated=false`,
      headers: { authorization: `Bearer ${req.token}` },
      ...(req.ca ? { ca: req.ca } : {}),
      timeoutMs: req.timeoutMs,
      ...(req.signal ? { signal: req.signal } : {}),
      label: 'Listing the users for the server notice',
    });
    if (res.status !== 200)
      throw new Error(
        res.status === 404
          ? 'the admin API (/_synapse/admin) is not routed to Tuwunel (matrix_tuwunel_container_labels_public_client_synapse_admin_api_enabled)'
          : `listing the users answered HTTP ${res.status}`,
      );
    const page = JSON.parse(res.body) as UserPage;
    for (const u of page.users ?? []) {
      if (typeof u.name !== 'string' || u.is_guest === true || u.deactivated === true || u.name === bot)
        continue;
      users.push(u.name);
    }
    from =
      typeof page.next_token === 'string' || typeof page.next_token === 'number'
        ? String(page.next_token)
        : null;
  }
  return users.slice(0, MAX_NOTICE_RECIPIENTS);
}

/** Sends the notice to each local user; a failure for one user does not stop the others. Never throws. */
export async function sendServerNoticeToAll(req: NoticeRequest): Promise<NoticeOutcome> {
  let users: string[];
  try {
    users = await localUsers(req);
  } catch (e) {
    return { sent: 0, failed: 0, problem: describeError(e).message };
  }
  const outcome: NoticeOutcome = { sent: 0, failed: 0, problem: null };
  const txn = randomBytes(8).toString('hex');
  for (const [i, user] of users.entries()) {
    try {
      const res = await request({
        method: 'PUT',
        url: `${req.baseUrl}/_synapse/admin/v1/send_server_notice/${txn}-${i}`,
        headers: { authorization: `Bearer ${req.token}` },
        json: { user_id: user, content: { msgtype: 'm.text', body: req.text } },
        ...(req.ca ? { ca: req.ca } : {}),
        timeoutMs: req.timeoutMs,
        ...(req.signal ? { signal: req.signal } : {}),
        label: `Sending the server notice to ${user}`,
      });
      if (res.status === 200) outcome.sent += 1;
      else {
        outcome.failed += 1;
        outcome.problem ??= `${user}: HTTP ${res.status}`;
      }
    } catch (e) {
      outcome.failed += 1;
      outcome.problem ??= describeError(e).message;
    }
  }
  return outcome;
}
