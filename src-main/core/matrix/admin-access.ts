import { readFile } from 'node:fs/promises';
import { SecretMissing } from '../errors';
import { expandHome } from '../profile/load';
import type { Profile } from '../profile/schema';
import type { SecretStore } from '../secrets/types';
import { adminApiFailure, adminApiRequest } from './admin-api';
import { AdminRoomClient } from './admin-room';
import type { HttpRequest, HttpResponse } from './http';
import { probeServer, type ServerFacts } from './server-facts';

export interface AdminAccessOptions {
  profile: Profile;
  secrets: SecretStore;
  /** The runbook's admin-room client, when one exists (it caches the room). */
  adminRoom?: AdminRoomClient;
  /** How long the admin bot may take to answer. */
  replyTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** The HTTP client (the core's `request`). */
  http?: (req: HttpRequest) => Promise<HttpResponse>;
}

type Method = HttpRequest['method'];

/**
 * How the clients that act as the server's admin (people, invites) reach it: the profile's CA, read once;
 * the admin's access token, read from the keychain for one request and wiped after it; the admin API; the
 * admin room.
 */
export class AdminAccess {
  private ca: Buffer | undefined | null = null;
  private room: AdminRoomClient | null;

  constructor(private readonly options: AdminAccessOptions) {
    this.room = options.adminRoom ?? null;
  }

  private get profile(): Profile {
    return this.options.profile;
  }

  get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? 15_000;
  }

  async caFile(): Promise<Buffer | undefined> {
    if (this.ca === null)
      this.ca = this.profile.caFile ? await readFile(expandHome(this.profile.caFile)) : undefined;
    return this.ca;
  }

  /** What the server says it is (version, routes), asked now. */
  async probe(): Promise<ServerFacts> {
    return probeServer({
      profile: this.profile,
      ca: await this.caFile(),
      timeoutMs: this.requestTimeoutMs,
      ...(this.options.http ? { http: this.options.http } : {}),
    });
  }

  /** Runs `use` with the admin's access token, which is wiped from memory after it. */
  async withAdminToken<T>(use: (token: string) => Promise<T>): Promise<T> {
    const stored = await this.options.secrets.get({ profile: this.profile.name, kind: 'matrix-admin-token' });
    if (!stored) throw new SecretMissing('matrix-admin-token');
    try {
      return await use(stored.toString('utf8'));
    } finally {
      stored.fill(0);
    }
  }

  /** One admin API request (`path` below /_synapse/admin): its JSON on 200, else MatrixRequestFailed. */
  async api(method: Method, path: string, what: string, json?: unknown): Promise<unknown> {
    const ca = await this.caFile();
    return this.withAdminToken(async (accessToken) => {
      const answer = await adminApiRequest({
        baseUrl: this.profile.publicUrl,
        accessToken,
        method,
        path,
        ...(json === undefined ? {} : { json }),
        ca,
        timeoutMs: this.requestTimeoutMs,
        label: what,
        ...(this.options.http ? { http: this.options.http } : {}),
      });
      if (answer.status === 200) return answer.json;
      throw adminApiFailure(what, answer);
    });
  }

  async adminRoom(): Promise<AdminRoomClient> {
    this.room ??= new AdminRoomClient({
      baseUrl: this.profile.publicUrl,
      serverName: this.profile.serverName,
      ca: await this.caFile(),
    });
    return this.room;
  }

  /**
   * One admin command; its reply's text, a long reply's uploaded files read in its place. `expectsToken`:
   * the command is one whose reply holds a registration token (the transport allows only those to).
   */
  async command(command: string, options: { expectsToken?: boolean } = {}): Promise<string> {
    const room = await this.adminRoom();
    return this.withAdminToken(async (accessToken) => {
      const reply = await room.run(accessToken, command, {
        timeoutMs: this.options.replyTimeoutMs ?? 60_000,
        ...(options.expectsToken ? { expectsToken: true } : {}),
      });
      if (reply.files.length === 0) return reply.body;
      const texts: string[] = [];
      for (const mxc of reply.files) texts.push(await room.download(accessToken, mxc));
      return texts.join('\n');
    });
  }
}
