import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { markdownToHtml } from './markdown';
import { ADMIN_WELCOME_MESSAGE, adminRoomTopic, panicReply } from './tuwunel-api';

/** A room event with its position in the room's timeline (the lab's stream token). */
export interface RoomEvent {
  count: number;
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  state_key?: string;
  /** The device and transaction ID of the send that made it, for `unsigned.transaction_id`. */
  txn?: { deviceId: string; txnId: string };
}

/** Event filters as the client-server API takes them (RoomEventFilter). */
export interface EventFilter {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
}

function globMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
  return regex.test(value);
}

export function filterAccepts(filter: EventFilter | undefined, event: RoomEvent): boolean {
  if (!filter) return true;
  if (filter.types && !filter.types.some((t) => globMatch(t, event.type))) return false;
  if (filter.not_types?.some((t) => globMatch(t, event.type))) return false;
  if (filter.senders && !filter.senders.includes(event.sender)) return false;
  if (filter.not_senders?.includes(event.sender)) return false;
  return true;
}

/** Event IDs of room version 11: `$` and 43 characters of unpadded URL-safe base64 (a reference hash). */
function eventId(): string {
  return `$${randomBytes(32).toString('base64url')}`;
}

/** Room IDs as Tuwunel makes them for the admin room (RoomId::new_v1): 18 random characters. */
function roomId(serverName: string): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(18);
  return `!${Array.from(bytes, (b) => chars[b % chars.length]).join('')}:${serverName}`;
}

export function notice(text: string, replyTo: string): Record<string, unknown> {
  // Clap's usage errors come back as plain text (notice_plain); everything else is Markdown (notice_markdown).
  const html = text.startsWith('error:') ? undefined : markdownToHtml(text);
  return {
    msgtype: 'm.notice',
    body: text,
    ...(html === undefined ? {} : { format: 'org.matrix.custom.html', formatted_body: html }),
    'm.relates_to': { 'm.in_reply_to': { event_id: replyTo } },
  };
}

/**
 * The admin room `#admins:<server>` with the server bot `@conduit:<server>`. A `!admin …` message from an
 * admin runs `<homeserver>/bin/tuwunel-admin '<command>'`, and the bot answers with an m.notice replying to
 * it. Commands run one at a time, as Tuwunel's single admin worker does, so a hanging one (`rooms list`)
 * holds back every later one.
 */
export class AdminRoom {
  readonly roomId: string;
  readonly alias: string;
  readonly botUserId: string;
  private readonly events: RoomEvent[] = [];
  private readonly sent = new Map<string, string>();
  private readonly waiters = new Set<() => void>();
  private readonly running = new Set<ChildProcess>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: { serverName: string; adminUserId: string; homeserverDir: string }) {
    this.roomId = roomId(opts.serverName);
    this.alias = `#admins:${opts.serverName}`;
    this.botUserId = `@conduit:${opts.serverName}`;
    const bot = this.botUserId;
    const admin = opts.adminUserId;
    const state = (type: string, stateKey: string, content: Record<string, unknown>, sender = bot) =>
      this.append({ type, state_key: stateKey, sender, content });
    state('m.room.create', '', { room_version: '11' });
    state('m.room.member', bot, { membership: 'join', displayname: 'conduit' });
    state('m.room.power_levels', '', { users: { [bot]: 100, [admin]: 100 } });
    state('m.room.join_rules', '', { join_rule: 'invite' });
    state('m.room.history_visibility', '', { history_visibility: 'shared' });
    state('m.room.guest_access', '', { guest_access: 'forbidden' });
    state('m.room.name', '', { name: `${opts.serverName} Admin Room` });
    state('m.room.topic', '', { topic: adminRoomTopic(opts.serverName) });
    state('m.room.canonical_alias', '', { alias: this.alias, alt_aliases: [] });
    state('m.room.member', admin, { membership: 'invite' });
    state('m.room.member', admin, { membership: 'join', displayname: admin.slice(1).split(':')[0] }, admin);
    this.append({
      type: 'm.room.message',
      sender: bot,
      content: {
        msgtype: 'm.text',
        body: ADMIN_WELCOME_MESSAGE,
        format: 'org.matrix.custom.html',
        formatted_body: markdownToHtml(ADMIN_WELCOME_MESSAGE),
      },
    });
  }

  get latest(): number {
    return this.events.at(-1)?.count ?? 0;
  }

  /** Events in timeline order. */
  all(): readonly RoomEvent[] {
    return this.events;
  }

  private append(event: Omit<RoomEvent, 'count' | 'event_id' | 'origin_server_ts'>): RoomEvent {
    const full: RoomEvent = {
      ...event,
      count: this.latest + 1,
      event_id: eventId(),
      origin_server_ts: Date.now(),
    };
    this.events.push(full);
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    return full;
  }

  /** Waits until an event newer than `since` exists, `timeoutMs` passes or the room stops. */
  waitForEvents(since: number, timeoutMs: number): Promise<void> {
    if (this.latest > since || timeoutMs <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /**
   * `PUT /rooms/{room}/send/{type}/{txn}`: idempotent per device and transaction ID. `isAdmin` is whether
   * the sender may run admin commands (Tuwunel: joined to this room, i.e. a server admin).
   */
  send(opts: {
    sender: string;
    deviceId: string;
    txnId: string;
    type: string;
    content: Record<string, unknown>;
    isAdmin: boolean;
  }): string {
    const key = `${opts.deviceId}\0${opts.txnId}`;
    const existing = this.sent.get(key);
    if (existing) return existing;
    const event = this.append({
      type: opts.type,
      sender: opts.sender,
      content: opts.content,
      txn: { deviceId: opts.deviceId, txnId: opts.txnId },
    });
    this.sent.set(key, event.event_id);
    const command = opts.isAdmin ? this.adminCommand(event) : undefined;
    if (command !== undefined) this.queue = this.queue.then(() => this.run(command, event.event_id));
    return event.event_id;
  }

  /** The command of an admin-command message (Tuwunel's is_admin_command), without its prefix. */
  private adminCommand(event: RoomEvent): string | undefined {
    if (event.type !== 'm.room.message' || event.content.msgtype !== 'm.text') return undefined;
    const body = typeof event.content.body === 'string' ? event.content.body.trimStart() : '';
    for (const prefix of ['!admin', this.botUserId]) {
      if (body.startsWith(prefix)) return body.slice(prefix.length).replace(/^[ \t]+/, '');
    }
    return undefined;
  }

  private run(command: string, replyTo: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const homeserverDir = this.opts.homeserverDir;
    return new Promise((resolve) => {
      const child = spawn(join(homeserverDir, 'bin', 'tuwunel-admin'), [command], {
        env: {
          ...process.env,
          LAB_HOST_DIR: homeserverDir,
          LAB_DIR: dirname(homeserverDir),
          PATH: `${join(homeserverDir, 'bin')}:/usr/local/bin:/usr/bin:/bin`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.running.add(child);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (c: Buffer) => out.push(c));
      child.stderr?.on('data', (c: Buffer) => err.push(c));
      let finished = false;
      const finish = (text: string | undefined) => {
        if (finished) return;
        finished = true;
        this.running.delete(child);
        if (!this.stopped && text)
          this.append({ type: 'm.room.message', sender: this.botUserId, content: notice(text, replyTo) });
        resolve();
      };
      child.on('error', (error) => finish(panicReply(error.message)));
      child.on('close', (code) => {
        if (code === 0) finish(Buffer.concat(out).toString('utf8').replace(/\n$/, ''));
        else
          finish(
            panicReply(Buffer.concat(err).toString('utf8').trim() || `tuwunel-admin exited with ${code}`),
          );
      });
    });
  }

  /** Kills a running (e.g. hanging) command and wakes every long-poll. */
  stop(): void {
    this.stopped = true;
    for (const child of this.running) child.kill('SIGKILL');
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}
