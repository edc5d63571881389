import { randomInt } from 'node:crypto';
import { readTokens, type StoredToken, writeTokens } from './homeserver-state';
import { compareVersions, matrixError, untypedError } from './tuwunel-api';

/**
 * Synapse's registration-token admin API as Tuwunel ≥ 1.8.1 serves it (src/api/client/admin/tokens and
 * src/service/registration_tokens at v1.8.1 and v1.9.0), over the lab's token file. Tuwunel's differences
 * from Synapse are kept: `pending` is always 0, a duplicate token is 400 M_INVALID_PARAM (not 409),
 * `valid=false` lists nothing (invalid tokens are dropped when listing), and the config file's token is
 * listed. Changing the config token: before 1.9.0 an update finds no such (database) token, 404, and a
 * delete fails with the service's untyped error, 500 M_UNKNOWN; 1.9.0 answers both with 403.
 */

export interface ApiResult {
  status: number;
  body: unknown;
}

interface TokenObject {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** RANDOM_TOKEN_LENGTH in src/service/registration_tokens/mod.rs. */
const RANDOM_TOKEN_LENGTH = 16;

function isValid(t: StoredToken, now: number): boolean {
  if (t.usesAllowed !== null && t.completed >= t.usesAllowed) return false;
  if (t.expiryTimeMs !== null && now > t.expiryTimeMs) return false;
  return true;
}

function databaseToken(t: StoredToken): TokenObject {
  return {
    token: t.token,
    uses_allowed: t.usesAllowed,
    pending: 0,
    completed: t.completed,
    expiry_time: t.expiryTimeMs,
  };
}

function configToken(token: string): TokenObject {
  return { token, uses_allowed: null, pending: 0, completed: 0, expiry_time: null };
}

/** The service's NotFound (data.rs) and, before 1.9.0, the API's own for get and update. */
const notFound = (error = 'Registration token not found'): ApiResult => ({
  status: 404,
  body: matrixError('M_NOT_FOUND', error),
});
const CONFIG_TOKEN_REVOKE =
  'The token set in the config file cannot be revoked. Edit the config file to change it.';
const badJson = (error: string): ApiResult => ({ status: 400, body: matrixError('M_BAD_JSON', error) });

/** A UInt field: absent, null, or a non-negative integer; anything else fails like ruma's deserialiser. */
function uintField(body: Record<string, unknown>, key: string): { value?: number | null; error?: ApiResult } {
  if (!(key in body)) return {};
  const value = body[key];
  if (value === null) return { value: null };
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return { value };
  return { error: badJson(`Failed to deserialize request: invalid type or value for \`${key}\`.`) };
}

export class RegistrationTokensApi {
  constructor(
    private readonly homeserverDir: string,
    /** The `registration_token` of tuwunel.toml as of the last (re)start, if any. */
    private readonly configToken: () => Promise<string | undefined>,
    /** The Tuwunel version answering now. */
    private readonly version: () => Promise<string>,
  ) {}

  private async v19(): Promise<boolean> {
    return compareVersions(await this.version(), '1.9.0') >= 0;
  }

  async list(valid: string | null): Promise<ApiResult> {
    if (valid === 'false') return { status: 200, body: { registration_tokens: [] } };
    const now = Date.now();
    const stored = await readTokens(this.homeserverDir);
    const kept = stored.filter((t) => isValid(t, now));
    if (kept.length !== stored.length) await writeTokens(this.homeserverDir, kept);
    const config = await this.configToken();
    return {
      status: 200,
      body: { registration_tokens: [...(config ? [configToken(config)] : []), ...kept.map(databaseToken)] },
    };
  }

  async create(body: Record<string, unknown>): Promise<ApiResult> {
    const uses = uintField(body, 'uses_allowed');
    const expiry = uintField(body, 'expiry_time');
    const length = uintField(body, 'length');
    const error = uses.error ?? expiry.error ?? length.error;
    if (error) return error;
    if ('token' in body && typeof body.token !== 'string')
      return badJson('Failed to deserialize request: invalid type or value for `token`.');
    const token =
      typeof body.token === 'string'
        ? body.token
        : Array.from({ length: length.value ?? RANDOM_TOKEN_LENGTH }, () => ALPHANUMERIC[randomInt(62)]).join(
            '',
          );
    const stored = await readTokens(this.homeserverDir);
    if (stored.some((t) => t.token === token))
      return { status: 400, body: matrixError('M_INVALID_PARAM', 'Registration token already exists') };
    const created: StoredToken = {
      token,
      usesAllowed: uses.value ?? null,
      pending: 0,
      completed: 0,
      expiryTimeMs: expiry.value ?? null,
    };
    await writeTokens(this.homeserverDir, [...stored, created]);
    return { status: 200, body: databaseToken(created) };
  }

  async get(token: string): Promise<ApiResult> {
    if (token === (await this.configToken())) return { status: 200, body: configToken(token) };
    const found = (await readTokens(this.homeserverDir)).find((t) => t.token === token);
    if (found) return { status: 200, body: databaseToken(found) };
    return (await this.v19()) ? notFound() : notFound('No such registration token');
  }

  /** An omitted field stays as it is; an explicit null clears it (src/api/client/admin/tokens/update.rs). */
  async update(token: string, body: Record<string, unknown>): Promise<ApiResult> {
    const v19 = await this.v19();
    if (token === (await this.configToken()))
      return v19
        ? { status: 403, body: matrixError('M_FORBIDDEN', "Tokens set in the config file can't be updated") }
        : notFound('No such registration token');
    const uses = uintField(body, 'uses_allowed');
    const expiry = uintField(body, 'expiry_time');
    const error = uses.error ?? expiry.error;
    if (error) return error;
    const stored = await readTokens(this.homeserverDir);
    const found = stored.find((t) => t.token === token);
    if (!found) return v19 ? notFound() : notFound('No such registration token');
    if (uses.value !== undefined) found.usesAllowed = uses.value;
    if (expiry.value !== undefined) found.expiryTimeMs = expiry.value;
    await writeTokens(this.homeserverDir, stored);
    return { status: 200, body: databaseToken(found) };
  }

  async delete(token: string): Promise<ApiResult> {
    if (token === (await this.configToken()))
      return (await this.v19())
        ? { status: 403, body: matrixError('M_FORBIDDEN', CONFIG_TOKEN_REVOKE) }
        : { status: 500, body: untypedError(CONFIG_TOKEN_REVOKE) };
    const stored = await readTokens(this.homeserverDir);
    if (!stored.some((t) => t.token === token)) return notFound();
    await writeTokens(
      this.homeserverDir,
      stored.filter((t) => t.token !== token),
    );
    return { status: 200, body: {} };
  }
}
