import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError, type NextStepCode, Timeout } from '../errors';
import { sleep } from '../lib/sleep';
import { checkAdminCommand, LATEST_KNOWN_RELEASE } from './admin-grammar';
import { request } from './http';
import { ADMIN_PREFIX } from './tuwunel-admin';

/** An admin command the app never sends to the room (on any path), or only from the invite commands. */
export class AdminCommandRefused extends AppError {
  readonly code = 'AdminCommandRefused';
  constructor(
    message: string,
    readonly nextStep: string,
  ) {
    super(message);
  }
}

/**
 * An admin command as messages may name it: `!admin` and its command words (group and subcommand), none of
 * its arguments, e.g. `!admin token revoke` for `!admin token revoke <token>`.
 */
export function commandName(body: string): string {
  const words = body.trim().split(/\s+/);
  const named = [ADMIN_PREFIX];
  for (const word of words.slice(words[0] === ADMIN_PREFIX ? 1 : 0)) {
    if (named.length === 3 || !/^[a-z][a-z-]*$/.test(word)) break;
    named.push(word);
  }
  return named.join(' ');
}

/** A Matrix client-server request the homeserver refused or could not answer. */
export class MatrixRequestFailed extends AppError {
  readonly code = 'MatrixRequestFailed';
  readonly nextStep: string;
  override readonly fix: NextStepCode | undefined;
  constructor(
    readonly what: string,
    readonly status: number,
    readonly errcode: string | null,
    detail: string,
  ) {
    super(
      `${what} failed: the homeserver answered ${status}${errcode ? ` ${errcode}` : ''}${detail ? ` (${detail})` : ''}.`,
    );
    this.nextStep =
      errcode === 'M_UNKNOWN_TOKEN' || status === 401
        ? 'Log in again as the admin in Settings → Matrix admin, so a fresh access token is stored.'
        : status >= 500
          ? 'Check that matrix-tuwunel is running (the status panel), then try again.'
          : errcode === 'M_FORBIDDEN'
            ? 'Make sure the stored token belongs to a server admin who is in the admin room.'
            : 'Check the homeserver URL in the profile and the homeserver logs.';
    this.fix =
      errcode === 'M_UNKNOWN_TOKEN' || status === 401
        ? { do: 'admin-login' }
        : status >= 500
          ? { do: 'check-status' }
          : undefined;
  }
}

export interface AdminRoomOptions {
  /** Where the client-server API lives: the profile's publicUrl. */
  baseUrl: string;
  serverName: string;
  /** Extra CA (PEM) for a private CA. */
  ca?: string | Buffer;
  /** How often the room is read while waiting for the bot's reply. */
  pollIntervalMs?: number;
  /** Timeout of each single HTTP request. */
  requestTimeoutMs?: number;
}

export interface AdminRoomReply {
  roomId: string;
  commandEventId: string;
  replyEventIds: string[];
  /** The reply's text (all segments of a long reply, in order). */
  body: string;
  /** `mxc://` URIs of segments sent as an uploaded file (a long reply from Tuwunel 1.8.2 on), in order. */
  files: string[];
}

/** A message of the admin bot that answers no command: a notice of the server (e.g. a new user registered). */
export interface AdminRoomNotice {
  eventId: string;
  /** origin_server_ts, epoch ms. */
  at: number;
  body: string;
}

/** The bot gave an answer the app will not follow to its end: too many parts. */
export class AdminReplyTooLong extends AppError {
  readonly code = 'AdminReplyTooLong';
  readonly nextStep: string;
  constructor(alias: string) {
    // Not the command: `token revoke` carries a live token.
    super(`The admin bot's reply has more than ${MAX_REPLY_PARTS} parts, so the app stopped reading it.`);
    this.nextStep = `Read the reply in ${alias} with a Matrix client.`;
  }
}

/** Tuwunel sends a long reply as a chain of messages; an app command's reply is a few lines. */
export const MAX_REPLY_PARTS = 64;
/** Events read of one page: the app asks for 50, and a server that sends more is not answering that. */
export const MAX_PAGE_EVENTS = 100;

/** Only what the reply search reads: any other shape of an event makes it no candidate, not an error. */
const roomEventSchema = z.object({
  type: z.string(),
  sender: z.string(),
  event_id: z.string().min(1),
  origin_server_ts: z.number().catch(0),
  content: z.object({
    body: z.string().catch(''),
    msgtype: z.string().catch(''),
    url: z.string().max(500).optional().catch(undefined),
    'm.relates_to': z
      .object({
        rel_type: z.string().optional().catch(undefined),
        event_id: z.string().optional().catch(undefined),
        'm.in_reply_to': z
          .object({ event_id: z.string().optional().catch(undefined) })
          .optional()
          .catch(undefined),
      })
      .optional()
      .catch(undefined),
  }),
});
type RoomEvent = z.infer<typeof roomEventSchema>;

const matrixErrorSchema = z.object({
  errcode: z.string().max(200).optional().catch(undefined),
  error: z.string().max(500).optional().catch(undefined),
});
const pageSchema = z.object({ chunk: z.array(z.unknown()).catch([]) });
const sentSchema = z.object({ event_id: z.string().min(1) });
const aliasSchema = z.object({ room_id: z.string().min(1) });

/**
 * Talks to Tuwunel's admin room as the admin user: resolves #admins:<server>, sends `!admin …`,
 * and reads the bot's m.notice that answers that very message (Tuwunel relates each reply to the
 * command, src/service/admin/respond.rs).
 */
export class AdminRoomClient {
  private roomId: string | null = null;
  readonly botUserId: string;
  readonly alias: string;

  constructor(private readonly opts: AdminRoomOptions) {
    this.botUserId = `@conduit:${opts.serverName}`;
    this.alias = `#admins:${opts.serverName}`;
  }

  /**
   * Sends one admin command (with or without the `!admin` prefix) and waits for its reply. What the room keeps
   * forever is decided here, for every caller: a command that lists all rooms or every registration token
   * (the vault's among them) is never sent, and one that carries a token in its text or reply only when the
   * caller is an invite command that expects it (`expectsToken`).
   */
  async run(
    accessToken: string,
    command: string,
    options: { timeoutMs: number; signal?: AbortSignal; expectsToken?: boolean },
  ): Promise<AdminRoomReply> {
    const deadline = Date.now() + options.timeoutMs;
    const check = checkAdminCommand(command, LATEST_KNOWN_RELEASE);
    if (check.refused) throw new AdminCommandRefused(check.refused.reason, check.refused.nextStep);
    if (check.carriesToken && !options.expectsToken)
      throw new AdminCommandRefused(check.carriesToken.reason, check.carriesToken.nextStep);
    const body = `${ADMIN_PREFIX} ${check.text}`;
    const roomId = await this.resolveRoom(accessToken, options.signal);
    const txnId = `homeserver-tray-${Date.now()}-${randomBytes(6).toString('hex')}`;
    const sending = `Sending the command to ${this.alias}`;
    const sent = sentSchema.safeParse(
      await this.call(
        accessToken,
        'PUT',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${encodeURIComponent(txnId)}`,
        sending,
        options.signal,
        { msgtype: 'm.text', body },
      ),
    );
    if (!sent.success) throw new MatrixRequestFailed(sending, 200, null, 'no event_id');
    const commandEventId = sent.data.event_id;

    const interval = this.opts.pollIntervalMs ?? 250;
    for (;;) {
      const page = pageSchema.safeParse(
        await this.call(
          accessToken,
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`,
          `Reading ${this.alias}`,
          options.signal,
        ),
      );
      const reply = findBotReply(page.success ? page.data.chunk : [], commandEventId, {
        userId: this.botUserId,
        alias: this.alias,
      });
      if (reply) return { roomId, commandEventId, ...reply };
      // Named without its arguments: `token revoke <token>` carries a live token, and this becomes a message.
      const named = commandName(body);
      if (Date.now() + interval > deadline) {
        throw new Timeout(`Waiting for the admin bot's reply to "${named}"`, options.timeoutMs);
      }
      await sleep(interval, options.signal, `Waiting for the reply to "${named}"`);
    }
  }

  /**
   * The bot's notices that answer no command, newest first, from the last `limit` events of the room (the
   * registration notice `New user "@u:s" registered on this server …` among them). Reads only; sends nothing.
   */
  async recentNotices(
    accessToken: string,
    options: { limit?: number; signal?: AbortSignal } = {},
  ): Promise<AdminRoomNotice[]> {
    const roomId = await this.resolveRoom(accessToken, options.signal);
    const limit = Math.min(options.limit ?? 100, MAX_PAGE_EVENTS);
    const page = pageSchema.safeParse(
      await this.call(
        accessToken,
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=${limit}`,
        `Reading ${this.alias}`,
        options.signal,
      ),
    );
    const notices: AdminRoomNotice[] = [];
    for (const raw of (page.success ? page.data.chunk : []).slice(0, MAX_PAGE_EVENTS)) {
      const e = roomEventSchema.safeParse(raw);
      if (!e.success || e.data.type !== 'm.room.message' || e.data.sender !== this.botUserId) continue;
      if (e.data.content['m.relates_to']) continue;
      notices.push({ eventId: e.data.event_id, at: e.data.origin_server_ts, body: e.data.content.body });
    }
    return notices;
  }

  /** The text of a file the bot uploaded (`mxc://server/id`), through the authenticated media API. */
  async download(accessToken: string, mxc: string, signal?: AbortSignal): Promise<string> {
    const m = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(mxc);
    if (!m) throw new MatrixRequestFailed('Downloading the admin bot’s reply', 200, null, 'not an mxc URI');
    const what = 'Downloading the admin bot’s reply';
    const res = await request({
      method: 'GET',
      url: `${this.opts.baseUrl.replace(/\/+$/, '')}/_matrix/client/v1/media/download/${encodeURIComponent(m[1] as string)}/${encodeURIComponent(m[2] as string)}`,
      headers: { authorization: `Bearer ${accessToken}` },
      ca: this.opts.ca,
      timeoutMs: this.opts.requestTimeoutMs ?? 15_000,
      signal,
      label: what,
    });
    if (res.status !== 200) throw new MatrixRequestFailed(what, res.status, null, '');
    return res.body;
  }

  private async resolveRoom(accessToken: string, signal: AbortSignal | undefined): Promise<string> {
    if (this.roomId) return this.roomId;
    const resolving = `Resolving ${this.alias}`;
    const res = aliasSchema.safeParse(
      await this.call(
        accessToken,
        'GET',
        `/_matrix/client/v3/directory/room/${encodeURIComponent(this.alias)}`,
        resolving,
        signal,
      ),
    );
    if (!res.success) throw new MatrixRequestFailed(resolving, 200, null, 'no room_id');
    this.roomId = res.data.room_id;
    return res.data.room_id;
  }

  /** One request: its JSON body, or a typed error. */
  private async call(
    accessToken: string,
    method: 'GET' | 'PUT',
    path: string,
    what: string,
    signal: AbortSignal | undefined,
    json?: unknown,
  ): Promise<unknown> {
    const res = await request({
      method,
      url: `${this.opts.baseUrl.replace(/\/+$/, '')}${path}`,
      headers: { authorization: `Bearer ${accessToken}` },
      json,
      ca: this.opts.ca,
      timeoutMs: this.opts.requestTimeoutMs ?? 15_000,
      signal,
      label: what,
    });
    let data: unknown = null;
    try {
      data = JSON.parse(res.body);
    } catch {
      data = null;
    }
    if (res.status !== 200) {
      const err = matrixErrorSchema.safeParse(data);
      throw new MatrixRequestFailed(
        what,
        res.status,
        err.success ? (err.data.errcode ?? null) : null,
        err.success ? (err.data.error ?? '') : '',
      );
    }
    if (data === null || typeof data !== 'object')
      throw new MatrixRequestFailed(what, res.status, null, 'not JSON');
    return data;
  }
}

/**
 * The bot's answer in one page of the admin room (newest first, as /messages?dir=b sends it): the first
 * event relating to the command, then the segments chained after it. Each event is read once, however
 * the server relates them (an event that answers itself, a loop of replies); at most MAX_PAGE_EVENTS
 * events are read and the chain is followed for at most MAX_REPLY_PARTS parts.
 */
export function findBotReply(
  chunk: unknown[],
  commandEventId: string,
  bot: { userId: string; alias: string },
): { replyEventIds: string[]; body: string; files: string[] } | null {
  // The page runs newest first; the reply's parts were sent oldest first. An id seen again is not a new event.
  const fromBot: RoomEvent[] = [];
  const seen = new Set<string>();
  for (const raw of chunk.slice(0, MAX_PAGE_EVENTS).reverse()) {
    const e = roomEventSchema.safeParse(raw);
    if (!e.success || e.data.type !== 'm.room.message' || e.data.sender !== bot.userId) continue;
    if (seen.has(e.data.event_id)) continue;
    seen.add(e.data.event_id);
    fromBot.push(e.data);
  }
  const repliesTo = (e: RoomEvent, id: string) => {
    const rel = e.content['m.relates_to'];
    return rel?.['m.in_reply_to']?.event_id === id || (rel?.rel_type === 'm.thread' && rel.event_id === id);
  };
  const first = fromBot.find((e) => repliesTo(e, commandEventId));
  if (!first) return null;
  const thread = first.content['m.relates_to']?.rel_type === 'm.thread';
  const used = new Set([first.event_id]);
  const segments = [first];
  for (;;) {
    const prev = segments.at(-1) as RoomEvent;
    const next = fromBot.find(
      (e) => !used.has(e.event_id) && repliesTo(e, thread ? commandEventId : prev.event_id),
    );
    if (!next) break;
    if (segments.length === MAX_REPLY_PARTS) throw new AdminReplyTooLong(bot.alias);
    used.add(next.event_id);
    segments.push(next);
  }
  return {
    replyEventIds: segments.map((e) => e.event_id),
    body: segments.map((e) => stripReplyFallback(e.content.body)).join('\n'),
    files: segments.flatMap((e) => (e.content.msgtype === 'm.file' && e.content.url ? [e.content.url] : [])),
  };
}

/** Older servers quote the replied-to message as "> …" lines and a blank line before the reply. */
function stripReplyFallback(body: string): string {
  if (!body.startsWith('> ')) return body;
  const lines = body.split('\n');
  const blank = lines.findIndex((l) => l.trim() === '');
  return blank < 0 ? body : lines.slice(blank + 1).join('\n');
}
