import { randomBytes } from 'node:crypto';
import { AppError, Timeout } from '../errors';
import { sleep } from '../lib/sleep';
import { request } from './http';
import { ADMIN_PREFIX } from './tuwunel-admin';

/** A Matrix client-server request the homeserver refused or could not answer. */
export class MatrixRequestFailed extends AppError {
  readonly code = 'MatrixRequestFailed';
  readonly nextStep: string;
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
}

interface RoomEvent {
  type?: string;
  sender?: string;
  event_id?: string;
  content?: {
    msgtype?: string;
    body?: string;
    'm.relates_to'?: { rel_type?: string; event_id?: string; 'm.in_reply_to'?: { event_id?: string } };
  };
}

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

  /** Sends one admin command (with or without the `!admin` prefix) and waits for its reply. */
  async run(
    accessToken: string,
    command: string,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<AdminRoomReply> {
    const deadline = Date.now() + options.timeoutMs;
    const body = command.trim().startsWith(ADMIN_PREFIX)
      ? command.trim()
      : `${ADMIN_PREFIX} ${command.trim()}`;
    const roomId = await this.resolveRoom(accessToken, options.signal);
    const txnId = `homeserver-tray-${Date.now()}-${randomBytes(6).toString('hex')}`;
    const sent = await this.call<{ event_id?: string }>(
      accessToken,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${encodeURIComponent(txnId)}`,
      `Sending the command to ${this.alias}`,
      options.signal,
      { msgtype: 'm.text', body },
    );
    const commandEventId = sent.event_id;
    if (!commandEventId)
      throw new MatrixRequestFailed(`Sending the command to ${this.alias}`, 200, null, 'no event_id');

    const interval = this.opts.pollIntervalMs ?? 250;
    for (;;) {
      const page = await this.call<{ chunk?: RoomEvent[] }>(
        accessToken,
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`,
        `Reading ${this.alias}`,
        options.signal,
      );
      const reply = this.findReply(page.chunk ?? [], commandEventId);
      if (reply) return { roomId, commandEventId, ...reply };
      if (Date.now() + interval > deadline) {
        throw new Timeout(`Waiting for the admin bot's reply to "${body}"`, options.timeoutMs);
      }
      await sleep(interval, options.signal, `Waiting for the reply to "${body}"`);
    }
  }

  private async resolveRoom(accessToken: string, signal?: AbortSignal): Promise<string> {
    if (this.roomId) return this.roomId;
    const res = await this.call<{ room_id?: string }>(
      accessToken,
      'GET',
      `/_matrix/client/v3/directory/room/${encodeURIComponent(this.alias)}`,
      `Resolving ${this.alias}`,
      signal,
    );
    if (!res.room_id) throw new MatrixRequestFailed(`Resolving ${this.alias}`, 200, null, 'no room_id');
    this.roomId = res.room_id;
    return res.room_id;
  }

  /** The bot's answer: the first event relating to the command, then the segments chained after it. */
  private findReply(
    chunk: RoomEvent[],
    commandEventId: string,
  ): { replyEventIds: string[]; body: string } | null {
    const fromBot = chunk
      .filter((e) => e.type === 'm.room.message' && e.sender === this.botUserId && e.event_id)
      .reverse();
    const repliesTo = (e: RoomEvent, id: string) => {
      const rel = e.content?.['m.relates_to'];
      return rel?.['m.in_reply_to']?.event_id === id || (rel?.rel_type === 'm.thread' && rel.event_id === id);
    };
    const first = fromBot.find((e) => repliesTo(e, commandEventId));
    if (!first) return null;
    const thread = first.content?.['m.relates_to']?.rel_type === 'm.thread';
    const segments = [first];
    for (;;) {
      const prev = segments.at(-1) as RoomEvent;
      const next = thread
        ? fromBot.find((e) => !segments.includes(e) && repliesTo(e, commandEventId))
        : fromBot.find((e) => repliesTo(e, prev.event_id as string));
      if (!next) break;
      segments.push(next);
    }
    return {
      replyEventIds: segments.map((e) => e.event_id as string),
      body: segments.map((e) => stripReplyFallback(e.content?.body ?? '')).join('\n'),
    };
  }

  private async call<T>(
    accessToken: string,
    method: 'GET' | 'PUT',
    path: string,
    what: string,
    signal?: AbortSignal,
    json?: unknown,
  ): Promise<T> {
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
      const err = (data ?? {}) as { errcode?: string; error?: string };
      throw new MatrixRequestFailed(what, res.status, err.errcode ?? null, err.error ?? '');
    }
    if (data === null || typeof data !== 'object')
      throw new MatrixRequestFailed(what, res.status, null, 'not JSON');
    return data as T;
  }
}

/** Older servers quote the replied-to message as "> …" lines and a blank line before the reply. */
function stripReplyFallback(body: string): string {
  if (!body.startsWith('> ')) return body;
  const lines = body.split('\n');
  const blank = lines.findIndex((l) => l.trim() === '');
  return blank < 0 ? body : lines.slice(blank + 1).join('\n');
}
