import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type LabUser, readUsers } from './homeserver-state';
import { markdownToHtml } from './markdown';
import { ADMIN_WELCOME_MESSAGE, adminRoomTopic, compareVersions, panicReply } from './tuwunel-api';

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

/** The two ways Tuwunel sends a command's output (CommandOutput::Markdown / ::Plain). */
export type ReplyKind = 'markdown' | 'plain';

export function notice(text: string, kind: ReplyKind): Record<string, unknown> {
  const html = kind === 'markdown' ? markdownToHtml(text) : undefined;
  return {
    msgtype: 'm.notice',
    body: text,
    ...(html === undefined ? {} : { format: 'org.matrix.custom.html', formatted_body: html }),
  };
}

/** PDU limits of src/core/matrix/pdu.rs and src/service/admin/respond.rs (1.8.2). */
const MAX_PDU_BYTES = 65_535;
const EVENT_RESERVE = 10_240;
const RELATION_RESERVE = 512;
const SEGMENT_BUDGET = MAX_PDU_BYTES - EVENT_RESERVE - RELATION_RESERVE;
/** MXC_LENGTH in src/service/media. */
const MXC_LENGTH = 32;

function alphanumeric(length: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(length), (b) => chars[b % chars.length]).join('');
}

/** Uploads bytes to the lab's media repository; returns the MXC URI. */
export type MediaUpload = (media: {
  mediaId: string;
  contentType: string;
  filename: string;
  body: Buffer;
}) => string;

export interface AdminRoomOptions {
  serverName: string;
  adminUserId: string;
  homeserverDir: string;
  roomId: string;
  /** The Tuwunel version answering now (state/tuwunel/version). */
  version: () => Promise<string>;
  upload: MediaUpload;
  /** Every event is appended here as one JSON line `{type, sender, content[, state_key]}`. */
  logPath: string;
  /** Added to the environment of the commands the room runs (the lab's process marker). */
  processEnv?: Record<string, string>;
}

/**
 * The admin room `#admins:<server>` with the server bot `@conduit:<server>`. An admin's message whose body
 * starts with `!admin` (or the bot's user ID) runs `<homeserver>/bin/tuwunel-admin '<body>'`, and the bot
 * answers as the running release does (src/service/admin: is_admin_command, the processor, respond.rs from
 * 1.8.2). Commands run one at a time, as Tuwunel's single admin worker does, so a hanging one holds back every
 * later one. Granting or losing admin shows as the membership and power-level events grant.rs appends.
 */
export class AdminRoom {
  readonly roomId: string;
  readonly alias: string;
  readonly botUserId: string;
  private readonly events: RoomEvent[] = [];
  private readonly sent = new Map<string, string>();
  private readonly waiters = new Set<() => void>();
  private readonly running = new Set<ChildProcess>();
  private readonly powerLevels: Record<string, number>;
  /** Users joined to the room besides the server user: its admins. */
  private readonly joined = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: AdminRoomOptions) {
    this.roomId = opts.roomId;
    this.alias = `#admins:${opts.serverName}`;
    this.botUserId = `@conduit:${opts.serverName}`;
    const bot = this.botUserId;
    const admin = opts.adminUserId;
    // src/service/admin/create.rs: a version 11 room, the server user at 69420; grant.rs adds admins at 100.
    this.powerLevels = { [bot]: 69420 };
    const state = (type: string, stateKey: string, content: Record<string, unknown>, sender = bot) =>
      this.append({ type, state_key: stateKey, sender, content });
    state('m.room.create', '', { room_version: '11' });
    state('m.room.member', bot, { membership: 'join', displayname: 'conduit' });
    state('m.room.power_levels', '', { users: { ...this.powerLevels } });
    state('m.room.join_rules', '', { join_rule: 'invite' });
    state('m.room.history_visibility', '', { history_visibility: 'shared' });
    state('m.room.guest_access', '', { guest_access: 'forbidden' });
    state('m.room.name', '', { name: `${opts.serverName} Admin Room` });
    state('m.room.topic', '', { topic: adminRoomTopic(opts.serverName) });
    state('m.room.canonical_alias', '', { alias: this.alias, alt_aliases: [] });
    this.grant(admin);
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
    const line = {
      type: full.type,
      sender: full.sender,
      ...(full.state_key === undefined ? {} : { state_key: full.state_key }),
      content: full.content,
    };
    appendFileSync(this.opts.logPath, `${JSON.stringify(line)}\n`);
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    return full;
  }

  /** grant.rs make_user_admin for a new admin: invite and join, power level 100, the welcome message. */
  private grant(userId: string): void {
    const bot = this.botUserId;
    this.append({ type: 'm.room.member', state_key: userId, sender: bot, content: { membership: 'invite' } });
    this.append({
      type: 'm.room.member',
      state_key: userId,
      sender: userId,
      content: { membership: 'join' },
    });
    this.powerLevels[userId] = 100;
    this.joined.add(userId);
    this.append({
      type: 'm.room.power_levels',
      state_key: '',
      sender: bot,
      content: { users: { ...this.powerLevels } },
    });
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

  /**
   * A notice from the server user outside any command (service/admin notice(): `notice_markdown`, no reply
   * relation), e.g. a registration's announce_new_user.
   */
  notice(text: string): void {
    if (this.stopped) return;
    this.append({ type: 'm.room.message', sender: this.botUserId, content: notice(text, 'markdown') });
  }

  /** make_user_admin outside a command (the admin API's `admin: true`): as grant.rs, for a new admin only. */
  grantAdmin(userId: string): void {
    if (!this.joined.has(userId)) this.grant(userId);
  }

  /** revoke_admin (grant.rs, 1.8.1): the server user sets the member to leave with the reason "Admin Revoked". */
  revokeAdmin(userId: string): void {
    this.joined.delete(userId);
    this.append({
      type: 'm.room.member',
      state_key: userId,
      sender: this.botUserId,
      content: { membership: 'leave', reason: 'Admin Revoked' },
    });
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
    version: string;
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
    const command = opts.isAdmin ? this.adminCommand(event, opts.version) : undefined;
    if (command !== undefined) this.queue = this.queue.then(() => this.run(command, event.event_id));
    return event.event_id;
  }

  /** Tuwunel's is_admin_command: any message body starting with the prefix (1.9.0 first trims it). */
  private adminCommand(event: RoomEvent, version: string): string | undefined {
    if (event.type !== 'm.room.message' || event.sender === this.botUserId) return undefined;
    const raw = event.content.body;
    if (typeof raw !== 'string') return undefined;
    const body = compareVersions(version, '1.9.0') >= 0 ? raw.trimStart() : raw;
    const escaped = body.startsWith('\\') && body.replace(/^\\+/, '').startsWith('!admin');
    return body.startsWith('!admin') || body.startsWith(this.botUserId) || escaped ? raw : undefined;
  }

  private run(command: string, replyTo: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const homeserverDir = this.opts.homeserverDir;
    return new Promise((resolve) => {
      const before = readUsers(homeserverDir);
      // The body goes on stdin: the stand-in is code inside Tuwunel, its input is no process argument.
      const child = spawn(join(homeserverDir, 'bin', 'tuwunel-admin'), [], {
        env: {
          ...process.env,
          LAB_HOST_DIR: homeserverDir,
          LAB_DIR: dirname(homeserverDir),
          PATH: `${join(homeserverDir, 'bin')}:/usr/local/bin:/usr/bin:/bin`,
          ...this.opts.processEnv,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      child.stdin?.on('error', () => {});
      child.stdin?.end(command);
      this.running.add(child);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (c: Buffer) => out.push(c));
      child.stderr?.on('data', (c: Buffer) => err.push(c));
      let finished = false;
      const finish = async (text: string, kind: ReplyKind) => {
        if (finished) return;
        finished = true;
        this.running.delete(child);
        if (!this.stopped) {
          this.membershipChanges(await before, await readUsers(homeserverDir));
          await this.respond(text, kind, replyTo);
        }
        resolve();
      };
      child.on('error', (error) => void finish(panicReply(error.message), 'markdown'));
      child.on('close', (code) => {
        const text = Buffer.concat(out).toString('utf8').replace(/\n$/, '');
        if (code === 0) void finish(text, 'markdown');
        else if (code === 3) void finish(text, 'plain');
        else
          void finish(
            panicReply(Buffer.concat(err).toString('utf8').trim() || `tuwunel-admin exited with ${code}`),
            'markdown',
          );
      });
    });
  }

  /** Admins who joined (make-user-admin) or left the room (deactivated, leaving their rooms). */
  private membershipChanges(before: readonly LabUser[], after: readonly LabUser[]): void {
    const wasAdmin = new Set(before.filter((u) => u.admin).map((u) => u.userId));
    for (const user of after) {
      if (user.admin && !wasAdmin.has(user.userId)) this.grant(user.userId);
      if (!user.admin && wasAdmin.has(user.userId)) {
        this.joined.delete(user.userId);
        this.append({
          type: 'm.room.member',
          state_key: user.userId,
          sender: user.userId,
          content: { membership: 'leave' },
        });
      }
    }
  }

  /**
   * Posts the output as the running release does. From 1.8.2 (respond.rs), output whose notice exceeds the
   * event budget is uploaded and posted as an `m.file` (admin_output_max_events = 1, the default). Before,
   * an event over 65535 bytes fails to build and the bot says so in a plain m.text.
   */
  private async respond(text: string, kind: ReplyKind, replyTo: string): Promise<void> {
    const version = await this.opts.version();
    const relation = { 'm.relates_to': { 'm.in_reply_to': { event_id: replyTo } } };
    const content = notice(text, kind);
    if (compareVersions(version, '1.8.2') >= 0) {
      if (Buffer.byteLength(JSON.stringify(content)) <= SEGMENT_BUDGET) {
        this.append({ type: 'm.room.message', sender: this.botUserId, content: { ...content, ...relation } });
        return;
      }
      const [mime, ext] = kind === 'markdown' ? ['text/markdown', 'md'] : ['text/plain', 'txt'];
      const filename = `admin-output-${Math.floor(Date.now() / 1000)}.${ext}`;
      const body = Buffer.from(text, 'utf8');
      const url = this.opts.upload({ mediaId: alphanumeric(MXC_LENGTH), contentType: mime, filename, body });
      this.append({
        type: 'm.room.message',
        sender: this.botUserId,
        content: {
          msgtype: 'm.file',
          body: filename,
          filename,
          url,
          info: { mimetype: mime, size: body.length },
          ...relation,
        },
      });
      return;
    }
    const full = { ...content, ...relation };
    if (this.pduBytes(full) <= MAX_PDU_BYTES) {
      this.append({ type: 'm.room.message', sender: this.botUserId, content: full });
      return;
    }
    this.append({
      type: 'm.room.message',
      sender: this.botUserId,
      content: {
        msgtype: 'm.text',
        body: `Failed to build and append admin room PDU: "M_TOO_LARGE: PDU is larger than maximum of ${MAX_PDU_BYTES} bytes"\n\nThe original admin command may have finished successfully, but we could not return the output.`,
      },
    });
  }

  /** The size of the signed PDU check_rules measures: the content and the envelope around it. */
  private pduBytes(content: Record<string, unknown>): number {
    const id = eventId();
    const pdu = {
      auth_events: [id, id, id],
      content,
      depth: 100000,
      hashes: { sha256: 'x'.repeat(43) },
      origin_server_ts: Date.now(),
      prev_events: [id],
      room_id: this.roomId,
      sender: this.botUserId,
      signatures: { [this.opts.serverName]: { 'ed25519:a_AbCd': 'x'.repeat(86) } },
      type: 'm.room.message',
    };
    return Buffer.byteLength(JSON.stringify(pdu));
  }

  /** Kills a running (e.g. hanging) command and wakes every long-poll. */
  stop(): void {
    this.stopped = true;
    for (const child of this.running) child.kill('SIGKILL');
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}
