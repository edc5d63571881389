import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError, InvalidInput } from '../errors';
import { type ActLog, recordAct } from '../lib/acts';
import { MASK } from '../lib/mask';
import type { Profile } from '../profile/schema';
import { type ClipboardGuard, type CopyResult, clearDelayMs } from '../token/clipboard';
import { AdminAccess, type AdminAccessOptions } from './admin-access';
import { MatrixRequestFailed } from './admin-room';
import { type HttpRequest, request } from './http';
import { type InviteHistory, type InviteHistoryEntry, type InviteState, inviteRef } from './invite-history';
import { InviteRecord } from './invite-record';
import { joiningInstructions } from './joining-instructions';
import { parseRegistrationNotice } from './people-replies';
import { inviteToRoom, roomRef } from './room-invite';
import { adminApiUnusable } from './server-facts';
import { COMMAND_FAILED, maskTokenReplies } from './tuwunel-admin';

/**
 * One-shot invites: registration tokens issued by Tuwunel itself (not the vault's token). Through the
 * Synapse-compatible admin API where the server serves it (Tuwunel 1.8.1 on, routed); otherwise through the
 * admin room's `token issue` and `token revoke`, listed from the app's own record of what it issued — never
 * with `token list`, whose reply would put the vault's token into the room's history. Not runbook actions on
 * purpose: the runner shows a step's reply, and this reply IS the secret.
 */
/** The most an invite may last. */
const MAX_EXPIRY_MS = 365 * 24 * 3600_000;
/** Tokens Synapse's API accepts: what may go into a URL path or an admin command as one word. */
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/;

export type InviteRoute = 'admin-api' | 'admin-room';

export interface InviteToken {
  token: string;
  usesAllowed: number | null;
  /** null: not known (an invite from the app's record: Tuwunel before 1.8.1 does not say without `token list`). */
  pending: number | null;
  completed: number | null;
  /** Epoch ms, null for never. */
  expiresAt: number | null;
  /**
   * `config`: tuwunel.toml's registration_token (the vault's), which cannot be revoked. `app-record`: listed
   * from the app's record of the invites it issued. The admin API does not say.
   */
  source: 'database' | 'config' | 'unknown' | 'app-record';
}

export class InviteFailed extends AppError {
  readonly code = 'InviteFailed';
  readonly nextStep: string;
  constructor(what: string, reason: string, nextStep?: string) {
    super(`${what} failed: ${reason}.`);
    this.nextStep =
      nextStep ??
      'Check that the homeserver is up and that the stored admin token is a server admin’s, then try again.';
  }
}

export class InviteNotFound extends AppError {
  readonly code = 'InviteNotFound';
  readonly nextStep = 'Refresh the list of invites: it may have been used up, expired or revoked already.';
  constructor() {
    super('The homeserver does not know that registration token.');
  }
}

export class InviteNotRevocable extends AppError {
  readonly code = 'InviteNotRevocable';
  readonly nextStep =
    'Rotate the registration token instead (token rotate): it lives in the vault and tuwunel.toml.';
  constructor() {
    super('That is the registration token from the configuration file, which Tuwunel cannot revoke.');
  }
}

/** On the admin-room route the app revokes only what it issued: `token revoke <t>` puts the token into the room. */
export class InviteNotIssuedHere extends AppError {
  readonly code = 'InviteNotIssuedHere';
  readonly nextStep =
    'Revoke it yourself in the admin room if you must, or upgrade Tuwunel to 1.8.1 or later: its admin API revokes any invite without a trace in the room.';
  constructor() {
    super(
      'That is not an invite this app issued. Without the admin API the app revokes only its own invites, because revoking one sends its token into the admin room’s history.',
    );
  }
}

// ------------------------------------------------------------------ durations

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 604_800_000 };

/** `7d`, `12h`, `1h30m`, `2w`: what `--max-age` takes (humantime), limited to s/m/h/d/w and a year. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (!/^(\d{1,6}[smhdw])+$/.test(s))
    throw new InvalidInput('expires', 'must be a duration like 7d, 12h, 30m or 1h30m');
  let ms = 0;
  for (const [, n, unit] of s.matchAll(/(\d+)([smhdw])/g))
    ms += Number(n) * (UNIT_MS[unit as string] as number);
  if (ms < 60_000) throw new InvalidInput('expires', 'must be at least a minute');
  if (ms > MAX_EXPIRY_MS) throw new InvalidInput('expires', 'must be at most 365 days');
  return ms;
}

function checkUses(uses: number): number {
  if (!Number.isInteger(uses) || uses < 1 || uses > 1000)
    throw new InvalidInput('uses', 'must be a whole number from 1 to 1000');
  return uses;
}

// ------------------------------------------------------------------ Tuwunel's admin replies

/** `Token used N times. …` (src/admin/token, src/service/registration_tokens at v1.7.0–v1.9.0). */
export function parseTokenInfo(info: string): Omit<InviteToken, 'token'> | null {
  const text = info.trim();
  if (/^Token defined in config( file|\.)/.test(text))
    return { usesAllowed: null, pending: 0, completed: 0, expiresAt: null, source: 'config' };
  const used = /^Token used (\d+) times?\. (.*)$/.exec(text);
  if (!used) return null;
  const completed = Number(used[1]);
  const rest = used[2] ?? '';
  const base = { pending: 0, completed, source: 'database' as const };
  if (rest === 'Never expires.') return { ...base, usesAllowed: null, expiresAt: null };
  const expired = /^Expired at (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.?$/.exec(rest);
  if (expired) return { ...base, usesAllowed: null, expiresAt: Date.parse(`${expired[1]}T${expired[2]}Z`) };
  const expires =
    /^Expires (?:after (\d+) uses?)?(?: or )?(?:in [^(]*\((\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\))?\.$/.exec(
      rest,
    );
  if (!expires || (!expires[1] && !expires[2])) return null;
  return {
    ...base,
    usesAllowed: expires[1] ? Number(expires[1]) : null,
    expiresAt: expires[2] ? Date.parse(`${expires[2]}T${expires[3]}Z`) : null,
  };
}

/** ``New registration token issued: `TOKEN` - Token used 0 times. Expires after 1 uses.`` */
export function parseIssueReply(reply: string): InviteToken | null {
  const m = /New registration token issued: `([^`]+)` - (.*)/.exec(reply);
  if (!m) return null;
  const info = parseTokenInfo(m[2] ?? '');
  return info ? { token: m[1] as string, ...info } : null;
}

/** Whatever Tuwunel answered, with the secrets of this exchange masked, for an error message. */
function masked(text: string, secrets: string[]): string {
  let out = maskTokenReplies(text);
  for (const s of secrets) if (s) out = out.split(s).join(MASK);
  return out
    .replace(/`[^`]{8,}`/g, `\`${MASK}\``)
    .trim()
    .split('\n')
    .slice(0, 3)
    .join(' / ');
}

// ------------------------------------------------------------------ the client

export interface InviteClientOptions extends AdminAccessOptions {
  now?: () => number;
  /** The audit trail: every issue and revoke is recorded (by hint, never the token). */
  acts?: ActLog;
  /** What became of each invite (data folder, no tokens): followed by `follow()`. */
  history?: InviteHistory;
}

/** An invite that stopped being usable since the last look. */
export interface InviteEnded {
  ref: string;
  hint: string;
  state: Exclude<InviteState, 'pending' | 'revoked'>;
  /** Who registered with it (the admin room's registration notices after it was issued); empty when unknown. */
  joined: string[];
  /** The room or space they were invited into, when the invite asked for one and the invite went through. */
  invitedTo: string | null;
  /** Why they could not be invited into it (a sentence); null when nothing failed. */
  inviteProblem: string | null;
}

type Method = HttpRequest['method'];

/** How long an invite used up without a registration notice yet stays pending (the notice follows the token). */
const NOTICE_GRACE_MS = 2 * 60_000;

// What the homeserver answers, read defensively: a shape it should not have is a sentence, not a TypeError.
const count = z.number().int().nonnegative();
/** One token as /_synapse/admin/v1/registration_tokens answers (Tuwunel ≥ 1.8.1). */
const adminTokenSchema = z.object({
  token: z.string().min(1).max(1024),
  uses_allowed: count
    .nullable()
    .optional()
    .transform((v) => v ?? null),
  pending: count.optional().transform((v) => v ?? 0),
  completed: count.optional().transform((v) => v ?? 0),
  expiry_time: count
    .nullable()
    .optional()
    .transform((v) => v ?? null),
});
const adminTokenListSchema = z.object({ registration_tokens: z.array(adminTokenSchema) });

function fromAdminApi(t: z.infer<typeof adminTokenSchema>, source: InviteToken['source']): InviteToken {
  return {
    token: t.token,
    usesAllowed: t.uses_allowed,
    pending: t.pending,
    completed: t.completed,
    expiresAt: t.expiry_time,
    source,
  };
}

export class InviteClient {
  private readonly access: AdminAccess;
  readonly record: InviteRecord;

  constructor(private readonly options: InviteClientOptions) {
    this.access = new AdminAccess(options);
    this.record = new InviteRecord(options.secrets, options.profile.name, options.now);
  }

  private get profile(): Profile {
    return this.options.profile;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Which way this server takes: the admin API where it is served (1.8.1 on, routed), the admin room else. */
  async route(): Promise<{ route: InviteRoute; version: string | null; why: string | null }> {
    const facts = await this.access.probe();
    const why = adminApiUnusable(facts);
    return { route: why === null ? 'admin-api' : 'admin-room', version: facts.running, why };
  }

  /** The registration tokens' admin API; an unknown token and one from the config file are their own errors. */
  private async adminApi(method: Method, path: string, what: string, json?: unknown): Promise<unknown> {
    try {
      return await this.access.api(method, `/v1/registration_tokens${path}`, what, json);
    } catch (error) {
      if (!(error instanceof MatrixRequestFailed)) throw error;
      if (error.status === 404 && error.errcode === 'M_NOT_FOUND') throw new InviteNotFound();
      if (error.status === 403 && /config file/.test(error.message)) throw new InviteNotRevocable();
      throw error;
    }
  }

  /** `token issue` and `token revoke` only: the admin-room transport refuses any other command with a token. */
  private adminCommand(command: string): Promise<string> {
    return this.access.command(command, { expectsToken: true });
  }

  /** `inviteTo`: a room or space whoever registers with it is invited into once `follow()` sees them join. */
  async create(
    options: { uses?: number; expires?: string | null; inviteTo?: string | null } = {},
  ): Promise<InviteToken> {
    const uses = checkUses(options.uses ?? 1);
    const expiresMs = options.expires ? parseDuration(options.expires) : null;
    const inviteTo = options.inviteTo ? roomRef(options.inviteTo) : null;
    if (inviteTo === `#admins:${this.profile.serverName}`)
      throw new InvalidInput(
        'room',
        'is the admin room: every command and reply is read there, so a new member is never invited into it',
      );
    return recordAct(
      this.options.acts,
      {
        action: 'invite.issue',
        params: { uses, expires: options.expires?.trim() ?? null, inviteTo },
        done: (t) => `Issued the invite ${tokenHint(t.token)} (${uses} use${uses === 1 ? '' : 's'}).`,
        learned: (t) => ({ invite: tokenHint(t.token) }),
      },
      () => this.issue(uses, options.expires?.trim() ?? null, expiresMs, inviteTo),
    );
  }

  private async issue(
    uses: number,
    expires: string | null,
    expiresMs: number | null,
    inviteTo: string | null,
  ): Promise<InviteToken> {
    const issuedAt = this.now();
    const token = await this.issueOn(uses, expires, expiresMs);
    await this.options.history?.add({
      ref: inviteRef(token.token),
      hint: tokenHint(token.token),
      issuedAt,
      expiresAt: token.expiresAt ?? (expiresMs === null ? null : issuedAt + expiresMs),
      usesAllowed: token.usesAllowed ?? uses,
      state: 'pending',
      endedAt: null,
      joined: [],
      inviteTo,
      invitedTo: null,
      inviteProblem: null,
      usedSeenAt: null,
    });
    return token;
  }

  private async issueOn(
    uses: number,
    expires: string | null,
    expiresMs: number | null,
  ): Promise<InviteToken> {
    const { route } = await this.route();
    if (route === 'admin-api') {
      const body = adminTokenSchema.safeParse(
        await this.adminApi('POST', '/new', 'Issuing a registration token', {
          uses_allowed: uses,
          ...(expiresMs === null ? {} : { expiry_time: this.now() + expiresMs }),
        }),
      );
      if (!body.success)
        throw new InviteFailed('Issuing a registration token', 'the answer held no registration token');
      return fromAdminApi(body.data, 'database');
    }
    const issuedAt = this.now();
    const reply = await this.adminCommand(
      `token issue --max-uses ${uses}${expires ? ` --max-age ${expires}` : ''}`,
    );
    const issued = parseIssueReply(reply);
    if (!issued)
      throw new InviteFailed('Issuing a registration token', `the admin bot answered "${masked(reply, [])}"`);
    await this.record.add({
      token: issued.token,
      usesAllowed: issued.usesAllowed ?? uses,
      expiresAt: issued.expiresAt ?? (expiresMs === null ? null : issuedAt + expiresMs),
      issuedAt,
    });
    return issued;
  }

  /**
   * The invites the server has: every registration token through the admin API (the record keeps only what it
   * still lists); without it, the invites this app issued and recorded (their use counts unknown).
   */
  async list(): Promise<InviteToken[]> {
    const { route } = await this.route();
    if (route === 'admin-api') {
      const body = adminTokenListSchema.safeParse(
        await this.adminApi('GET', '', 'Listing registration tokens'),
      );
      // All or nothing: a list that hid the entries it could not read would hide invites still open.
      if (!body.success)
        throw new InviteFailed(
          'Listing registration tokens',
          'the answer was not a list of registration tokens the app can read',
        );
      const tokens = body.data.registration_tokens.map((t) => fromAdminApi(t, 'unknown'));
      await this.record.keepOnly(tokens.map((t) => t.token));
      return tokens;
    }
    return (await this.record.list()).map((i) => ({
      token: i.token,
      usesAllowed: i.usesAllowed,
      pending: null,
      completed: null,
      expiresAt: i.expiresAt,
      source: 'app-record' as const,
    }));
  }

  /**
   * Looks at every pending invite of the history: gone from the admin API's list, or no longer valid for the
   * client API's validity check (what a client asks when the user types the token; nothing goes to the room),
   * it has been used up — Tuwunel deletes a token once used up — or has expired. Who registered with it comes
   * from the admin room's `New user "@u:s" registered on this server …` notices after it was issued.
   */
  async follow(): Promise<InviteEnded[]> {
    const history = this.options.history;
    if (!history) return [];
    const pending = (await history.read()).filter((e) => e.state === 'pending');
    if (pending.length === 0) return [];
    const now = this.now();
    const { route } = await this.route();
    let stillValid: (e: InviteHistoryEntry) => Promise<boolean | null>;
    const recorded = new Map((await this.record.tokens()).map((t) => [inviteRef(t), t]));
    if (route === 'admin-api') {
      const listed = new Set((await this.list()).map((t) => inviteRef(t.token)));
      stillValid = async (e) => listed.has(e.ref);
    } else {
      stillValid = async (e) => {
        const token = recorded.get(e.ref);
        return token === undefined ? null : this.valid(token);
      };
    }
    const over: InviteHistoryEntry[] = [];
    for (const e of pending) {
      const expired = e.expiresAt !== null && e.expiresAt <= now;
      if (expired || (await stillValid(e)) === false) over.push(e);
    }
    if (over.length === 0) return [];
    const claimed = new Set((await history.read()).flatMap((e) => e.joined));
    const joiners = await this.registrations().catch(() => []);
    const ended: InviteEnded[] = [];
    for (const e of over.sort((a, b) => a.issuedAt - b.issuedAt)) {
      const until = e.expiresAt ?? now;
      const joined = joiners
        .filter((j) => j.at >= e.issuedAt && j.at <= until && !claimed.has(j.userId))
        .slice(0, e.usesAllowed ?? 1)
        .map((j) => j.userId);
      const expired = e.expiresAt !== null && e.expiresAt <= now;
      // Tuwunel takes the token before it posts the registration notice: a look between the two would end the
      // invite as used by nobody. It stays pending until the notice is there, or NOTICE_GRACE_MS has passed.
      if (
        joined.length === 0 &&
        !expired &&
        (e.usedSeenAt === null || now - e.usedSeenAt < NOTICE_GRACE_MS)
      ) {
        if (e.usedSeenAt === null) await history.seenUsed(e.ref, now);
        continue;
      }
      for (const u of joined) claimed.add(u);
      const state = joined.length > 0 || !expired ? 'used' : 'expired';
      // Another look (the window's list, a status poll, a CLI) ended it first: it tells, and invites, not this one.
      if (!(await history.end(e.ref, state, now, joined))) continue;
      const token = recorded.get(e.ref);
      if (token) await this.record.remove([token]);
      const invited = e.inviteTo && joined.length > 0 ? await this.inviteInto(e.inviteTo, joined) : null;
      const outcome = {
        invitedTo: invited?.problem === null ? e.inviteTo : null,
        inviteProblem: invited?.problem ?? null,
      };
      if (invited) await history.roomInvited(e.ref, outcome);
      ended.push({ ref: e.ref, hint: e.hint, state, joined, ...outcome });
    }
    return ended;
  }

  /** Invites the new members into the room the invite named; a failure is a sentence, never a thrown follow. */
  private async inviteInto(room: string, userIds: string[]): Promise<{ problem: string | null }> {
    const problems: string[] = [];
    for (const userId of userIds) {
      try {
        await recordAct(
          this.options.acts,
          {
            action: 'invite.room',
            params: { user: userId, room },
            done: () => `Invited ${userId} to ${room}.`,
          },
          async () =>
            this.access.withAdminToken(async (accessToken) =>
              inviteToRoom(
                {
                  baseUrl: this.profile.publicUrl,
                  accessToken,
                  ca: await this.access.caFile(),
                  timeoutMs: this.access.requestTimeoutMs,
                  ...(this.options.http ? { http: this.options.http } : {}),
                },
                room,
                userId,
              ),
            ),
        );
      } catch (e) {
        problems.push(e instanceof Error ? e.message : String(e));
      }
    }
    return { problem: problems.length > 0 ? problems.join(' ') : null };
  }

  /** `GET /_matrix/client/v1/register/m.login.registration_token/validity` (unauthenticated, uses nothing up). */
  private async valid(token: string): Promise<boolean | null> {
    const http = this.options.http ?? request;
    const res = await http({
      method: 'GET',
      url: `${this.profile.publicUrl.replace(/\/+$/, '')}/_matrix/client/v1/register/m.login.registration_token/validity?token=${encodeURIComponent(token)}`,
      ...((await this.access.caFile()) ? { ca: await this.access.caFile() } : {}),
      timeoutMs: this.access.requestTimeoutMs,
      label: 'Checking whether an invite is still valid',
    });
    if (res.status !== 200) return null;
    try {
      const body = JSON.parse(res.body) as { valid?: unknown };
      return typeof body.valid === 'boolean' ? body.valid : null;
    } catch {
      return null;
    }
  }

  /** What became of the invites the app issued (empty without a history). */
  async history(): Promise<InviteHistoryEntry[]> {
    return this.options.history ? this.options.history.read() : [];
  }

  /** The admin room's registration notices, oldest first (reading only). */
  private async registrations(): Promise<{ userId: string; at: number }[]> {
    const room = await this.access.adminRoom();
    const notices = await this.access.withAdminToken((accessToken) =>
      room.recentNotices(accessToken, { limit: 100 }),
    );
    return notices
      .flatMap((n) => {
        const r = parseRegistrationNotice(n.body);
        return r ? [{ userId: r.userId, at: n.at }] : [];
      })
      .sort((a, b) => a.at - b.at);
  }

  async revoke(token: string): Promise<void> {
    if (!TOKEN_PATTERN.test(token)) throw new InvalidInput('token', 'is not a registration token');
    await recordAct(
      this.options.acts,
      {
        action: 'invite.revoke',
        params: { invite: tokenHint(token) },
        done: () => `Revoked the invite ${tokenHint(token)}.`,
      },
      () => this.withdraw(token),
    );
  }

  private async withdraw(token: string): Promise<void> {
    await this.withdrawOn(token);
    await this.options.history?.end(inviteRef(token), 'revoked', this.now());
  }

  private async withdrawOn(token: string): Promise<void> {
    const { route } = await this.route();
    if (route === 'admin-api') {
      await this.adminApi('DELETE', `/${encodeURIComponent(token)}`, 'Revoking a registration token');
      await this.record.remove([token]);
      return;
    }
    // The room keeps what is said in it: only an invite the app issued there (already in its history) may be named.
    if (!(await this.record.tokens()).includes(token)) throw new InviteNotIssuedHere();
    const reply = await this.adminCommand(`token revoke ${token}`);
    if (reply.includes('Token revoked successfully')) {
      await this.record.remove([token]);
      return;
    }
    if (reply.includes(COMMAND_FAILED) && /not found/i.test(reply)) {
      // Used up, expired or revoked elsewhere: the record has nothing more to offer about it.
      await this.record.remove([token]);
      throw new InviteNotFound();
    }
    if (reply.includes(COMMAND_FAILED) && /config file/.test(reply)) throw new InviteNotRevocable();
    throw new InviteFailed(
      'Revoking a registration token',
      `the admin bot answered "${masked(reply, [token])}"`,
    );
  }
}

// ------------------------------------------------------------------ what the window and the CLI see

/** An invite as the window sees it: never the token, a handle and a hint instead. */
export interface InviteInfo {
  /** Stable for a token within this app session; means nothing outside it. */
  id: string;
  /** The first 4 characters and an ellipsis, to tell invites apart. */
  hint: string;
  usesAllowed: number | null;
  pending: number | null;
  completed: number | null;
  expiresAt: number | null;
  source: InviteToken['source'];
  /** pending: still usable; used (up), expired, revoked: from the app's invite history. */
  state: InviteState;
  /** Who registered with it, as far as the admin room's registration notices tell. */
  joined: string[];
  /** The room or space whoever registers with it is invited into; null for none. */
  inviteTo: string | null;
  /** Why inviting them into it failed; null when it did not, or not yet. */
  inviteProblem: string | null;
  /** Epoch ms; null for an invite the app did not issue. */
  issuedAt: number | null;
  endedAt: number | null;
}

export interface InviteServiceOptions {
  client: InviteClient;
  guard: ClipboardGuard;
  profile: () => Pick<Profile, 'serverName' | 'publicUrl'>;
  clearDelaySeconds: () => number | null;
  /** The audit trail: copying an invite's token is recorded (by hint). */
  acts?: ActLog;
}

export function tokenHint(token: string): string {
  return `${token.slice(0, 4)}…`;
}

/**
 * The invite panel's and the CLI's view: tokens stay in this process, keyed by a handle derived with a
 * per-session key, so a handle never leads back to a token outside it.
 */
export class InviteService {
  private readonly key = randomBytes(32);
  private readonly known = new Map<string, string>();

  constructor(private readonly options: InviteServiceOptions) {}

  private info(t: InviteToken, issued: { issuedAt: number | null; inviteTo: string | null }): InviteInfo {
    const id = createHmac('sha256', this.key).update(t.token).digest('hex').slice(0, 24);
    this.known.set(id, t.token);
    return {
      id,
      hint: tokenHint(t.token),
      usesAllowed: t.usesAllowed,
      pending: t.pending,
      completed: t.completed,
      expiresAt: t.expiresAt,
      source: t.source,
      state: 'pending',
      joined: [],
      inviteTo: issued.inviteTo,
      inviteProblem: null,
      issuedAt: issued.issuedAt,
      endedAt: null,
    };
  }

  /** Issues an invite and puts its token on the clipboard (cleared like the registration token). */
  async create(
    options: { uses?: number; expires?: string | null; inviteTo?: string | null } = {},
  ): Promise<{ invite: InviteInfo } & CopyResult> {
    const issuedAt = Date.now();
    const token = await this.options.client.create(options);
    const invite = this.info(token, {
      issuedAt,
      inviteTo: options.inviteTo ? roomRef(options.inviteTo) : null,
    });
    const copied = await this.options.guard.copy(
      token.token,
      'invite-token',
      clearDelayMs(this.options.clearDelaySeconds()),
    );
    return { invite, ...copied };
  }

  /**
   * The invites still usable (the server's, or the app's record before 1.8.1), then the app's ended ones, newest
   * first. Follows the pending ones first, so an invite used since the last look shows as used.
   */
  async list(): Promise<InviteInfo[]> {
    await this.options.client.follow();
    const tokens = await this.options.client.list();
    const history = await this.options.client.history();
    const byRef = new Map(history.map((e) => [e.ref, e]));
    this.known.clear();
    const live = tokens.map((t) => {
      const issued = byRef.get(inviteRef(t.token));
      return this.info(t, { issuedAt: issued?.issuedAt ?? null, inviteTo: issued?.inviteTo ?? null });
    });
    const ended = history
      .filter((e) => e.state !== 'pending')
      .map(
        (e): InviteInfo => ({
          id: `ended-${e.ref}`,
          hint: e.hint,
          usesAllowed: e.usesAllowed,
          pending: 0,
          completed: e.state === 'used' ? e.joined.length : null,
          expiresAt: e.expiresAt,
          source: 'app-record',
          state: e.state,
          joined: e.joined,
          inviteTo: e.inviteTo,
          inviteProblem: e.inviteProblem,
          issuedAt: e.issuedAt,
          endedAt: e.endedAt,
        }),
      );
    return [...live, ...ended];
  }

  /** Revokes every invite the app issued that is still pending and nobody used yet; the count revoked. */
  async revokeUnused(): Promise<{ revoked: number }> {
    const listed = await this.list();
    const unused = listed.filter(
      (i) =>
        i.state === 'pending' && i.issuedAt !== null && (i.completed ?? 0) === 0 && (i.pending ?? 0) === 0,
    );
    for (const i of unused) await this.revoke(i.id);
    return { revoked: unused.length };
  }

  async copyToken(id: string): Promise<CopyResult> {
    const token = this.token(id);
    return recordAct(
      this.options.acts,
      {
        action: 'invite.copy',
        params: { invite: tokenHint(token), to: 'clipboard' },
        done: () => `Copied the invite ${tokenHint(token)} to the clipboard.`,
      },
      () => this.options.guard.copy(token, 'invite-token', clearDelayMs(this.options.clearDelaySeconds())),
    );
  }

  async revoke(id: string): Promise<void> {
    await this.options.client.revoke(this.token(id));
    this.known.delete(id);
  }

  /** The joining block with this server's name and URL, without any token. */
  async copyInstructions(): Promise<void> {
    await this.options.guard.clipboard.writeText(joiningInstructions(this.options.profile()), {
      concealed: false,
    });
  }

  /** The handle of the listed invite whose token starts with `prefix` (the CLI's `invite revoke <t>`). */
  findByPrefix(prefix: string): string {
    const clean = prefix.replace(/…$/, '');
    if (clean.length < 4)
      throw new InvalidInput('token', 'give the whole token or at least its first 4 characters');
    const ids = [...this.known].filter(([, t]) => t.startsWith(clean)).map(([id]) => id);
    if (ids.length === 0) throw new InviteNotFound();
    if (ids.length > 1)
      throw new InvalidInput('token', `${ids.length} invites start with that; give more of it`);
    return ids[0] as string;
  }

  private token(id: string): string {
    const token = this.known.get(id);
    if (!token)
      throw new InvalidInput('invite', 'is not in the current list; refresh the list and try again');
    return token;
  }
}
