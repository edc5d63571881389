import { readFile } from 'node:fs/promises';
import { AppError, InvalidInput } from '../core/errors';
import { type ActLog, recordAct } from '../core/lib/acts';
import { parseLocalUserId } from '../core/lib/grammar';
import { MatrixRequestFailed } from '../core/matrix/admin-room';
import { request } from '../core/matrix/http';
import { expandHome } from '../core/profile/load';
import type { Profile } from '../core/profile/schema';
import type { SecretStore } from '../core/secrets/types';

const DEVICE_NAME = 'Homeserver Tray';

/** The homeserver refused the admin's user and password (or could not sign them in). */
export class LoginRefused extends AppError {
  readonly code = 'LoginRefused';
  readonly nextStep: string;
  constructor(
    readonly userId: string,
    readonly status: number,
    readonly errcode: string | null,
    detail: string,
  ) {
    super(
      `Signing in as ${userId} failed: the homeserver answered ${status}${errcode ? ` ${errcode}` : ''}${detail ? ` (${detail})` : ''}.`,
    );
    this.nextStep =
      status === 403 || status === 401
        ? 'Check the user ID and the password (they are those of the Matrix account, not of an SSH login), then sign in again.'
        : status >= 500
          ? 'Check that matrix-tuwunel is running, then sign in again.'
          : 'Check the public URL in the profile, then sign in again.';
  }
}
const TIMEOUT_MS = 15_000;

function errcodeOf(body: string): { errcode: string | null; error: string } {
  try {
    const json = JSON.parse(body) as { errcode?: unknown; error?: unknown };
    return {
      errcode: typeof json.errcode === 'string' ? json.errcode : null,
      error: typeof json.error === 'string' ? json.error : '',
    };
  } catch {
    return { errcode: null, error: '' };
  }
}

/** A JSON object, or an empty one for anything else (a hostile or broken answer is no token, not a crash). */
function jsonObject(body: string): { access_token?: unknown; user_id?: unknown } {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

async function caOf(profile: Profile): Promise<Buffer | undefined> {
  return profile.caFile ? readFile(expandHome(profile.caFile)) : undefined;
}

/**
 * The admin's Matrix session: one m.login.password as the admin, of which only the access token is kept
 * (in the keychain, as `matrix-admin-token`); the password is used for that one request and not stored.
 */
export async function matrixLogin(
  profile: Profile,
  secrets: Pick<SecretStore, 'set'>,
  userInput: string,
  password: string,
  acts?: ActLog,
): Promise<{ userId: string }> {
  const parsed = parseLocalUserId(userInput, profile.serverName);
  if ('problem' in parsed) throw new InvalidInput('userId', parsed.problem);
  return recordAct(
    acts,
    {
      action: 'matrix.login',
      params: { user: parsed.userId },
      done: (r) => `Signed in as ${r.userId}; the access token is in the keychain.`,
    },
    () => login(profile, secrets, parsed.userId, password),
  );
}

async function login(
  profile: Profile,
  secrets: Pick<SecretStore, 'set'>,
  userId: string,
  password: string,
): Promise<{ userId: string }> {
  const parsed = { userId };
  const ca = await caOf(profile);
  const res = await request({
    method: 'POST',
    url: `${profile.publicUrl}/_matrix/client/v3/login`,
    json: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: parsed.userId },
      password,
      initial_device_display_name: DEVICE_NAME,
    },
    timeoutMs: TIMEOUT_MS,
    label: `Logging in as ${parsed.userId}`,
    ...(ca ? { ca } : {}),
  });
  if (res.status !== 200) {
    const { errcode, error } = errcodeOf(res.body);
    throw new LoginRefused(parsed.userId, res.status, errcode, error);
  }
  const body = jsonObject(res.body);
  if (typeof body.access_token !== 'string' || body.access_token === '')
    throw new LoginRefused(parsed.userId, res.status, null, 'the answer held no access token');
  await secrets.set({ profile: profile.name, kind: 'matrix-admin-token' }, body.access_token);
  return { userId: typeof body.user_id === 'string' ? body.user_id : parsed.userId };
}

/**
 * Revokes an access token on the homeserver (POST /logout). A token the server no longer knows is as good as
 * revoked. Any other refusal is a MatrixRequestFailed.
 */
export async function revokeAccessToken(profile: Profile, token: string): Promise<void> {
  const ca = await caOf(profile);
  const res = await request({
    method: 'POST',
    url: `${profile.publicUrl}/_matrix/client/v3/logout`,
    headers: { authorization: `Bearer ${token}` },
    json: {},
    timeoutMs: TIMEOUT_MS,
    label: 'Logging out the admin session',
    ...(ca ? { ca } : {}),
  });
  const { errcode, error } = errcodeOf(res.body);
  if (res.status !== 200 && errcode !== 'M_UNKNOWN_TOKEN')
    throw new MatrixRequestFailed('Logging out the admin session', res.status, errcode, error);
}

/** Revokes the stored access token on the homeserver, then forgets it. False when none was stored. */
export async function matrixLogout(
  profile: Profile,
  secrets: Pick<SecretStore, 'get' | 'delete'>,
  acts?: ActLog,
): Promise<{ revoked: boolean }> {
  return recordAct(
    acts,
    {
      action: 'matrix.logout',
      params: {},
      done: (r) =>
        r.revoked
          ? 'Signed out: the access token was revoked on the homeserver and deleted from the keychain.'
          : 'No admin sign-in was stored; nothing to sign out.',
    },
    () => logout(profile, secrets),
  );
}

async function logout(
  profile: Profile,
  secrets: Pick<SecretStore, 'get' | 'delete'>,
): Promise<{ revoked: boolean }> {
  const ref = { profile: profile.name, kind: 'matrix-admin-token' as const };
  const stored = await secrets.get(ref);
  if (!stored) return { revoked: false };
  const token = stored.toString('utf8');
  stored.fill(0);
  await revokeAccessToken(profile, token);
  await secrets.delete(ref);
  return { revoked: true };
}
