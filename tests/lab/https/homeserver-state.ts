import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The homeserver's state as the stand-ins keep it (the state/ folder of tests/lab/homeserver/lib/common.sh).
 * The HTTP server reads it on every request, so systemctl, docker and the playbook act on it at once.
 */

async function readText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}

/** Replaces a state file in one step, so a stand-in reading it concurrently never sees half of it. */
async function replaceFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, content);
  await rename(temp, path);
}

export async function unitActive(homeserverDir: string, unit: string): Promise<boolean> {
  return (await readText(join(homeserverDir, 'state', 'units', unit)))?.trim() === 'active';
}

const startingPath = (homeserverDir: string) => join(homeserverDir, 'state', 'tuwunel', 'starting');

/**
 * Whether Tuwunel answers: its unit active and its listener open. A start still under way
 * (homeserver/lib/tuwunel-boot.sh writes state/tuwunel/starting: `<listening µs> <since µs> <ok|fail> <markers…>`)
 * listens from its listening time, unless it is going to fail then; the stand-in that next runs settles it.
 * The start file is read before the unit and again after it when it was absent: a settling start removes the
 * file only after it failed the unit, and a restart writes it before the unit turns active, so no change
 * between the reads lets a start that is going to fail answer.
 */
export async function tuwunelServing(homeserverDir: string): Promise<boolean> {
  const before = await readText(startingPath(homeserverDir));
  if (!(await unitActive(homeserverDir, 'matrix-tuwunel'))) return false;
  const starting = before ?? (await readText(startingPath(homeserverDir)));
  if (starting === undefined) return true;
  const [listen = '0', , outcome] = starting.trim().split(' ');
  return outcome !== 'fail' && Date.now() * 1000 >= Number(listen);
}

/** When the unit last changed state (its file's mtime): a restart re-reads tuwunel.toml. */
export async function unitSince(homeserverDir: string, unit: string): Promise<number> {
  return stat(join(homeserverDir, 'state', 'units', unit)).then(
    (s) => s.mtimeMs,
    () => 0,
  );
}

const versionPath = (homeserverDir: string) => join(homeserverDir, 'state', 'tuwunel', 'version');

export async function readTuwunelVersion(homeserverDir: string): Promise<string | undefined> {
  return (await readText(versionPath(homeserverDir)))?.trim() || undefined;
}

export async function writeTuwunelVersion(homeserverDir: string, version: string): Promise<void> {
  await replaceFile(versionPath(homeserverDir), `${version.replace(/^v/, '')}\n`);
}

export interface LabUser {
  userId: string;
  admin: boolean;
  deactivated: boolean;
}

export async function readUsers(homeserverDir: string): Promise<LabUser[]> {
  const text = (await readText(join(homeserverDir, 'state', 'tuwunel', 'users'))) ?? '';
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [userId = '', admin, deactivated] = line.split('\t');
      return { userId, admin: admin === '1', deactivated: deactivated === '1' };
    });
}

export interface StoredToken {
  token: string;
  usesAllowed: number | null;
  pending: number;
  completed: number;
  expiryTimeMs: number | null;
}

const tokensPath = (homeserverDir: string) => join(homeserverDir, 'state', 'tuwunel', 'tokens');

function optionalNumber(field: string | undefined): number | null {
  return field === undefined || field === '-' || field === '' ? null : Number(field);
}

export async function readTokens(homeserverDir: string): Promise<StoredToken[]> {
  const text = (await readText(tokensPath(homeserverDir))) ?? '';
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [token = '', usesAllowed, pending, completed, expiry] = line.split('\t');
      return {
        token,
        usesAllowed: optionalNumber(usesAllowed),
        pending: Number(pending ?? 0),
        completed: Number(completed ?? 0),
        expiryTimeMs: optionalNumber(expiry),
      };
    });
}

export async function writeTokens(homeserverDir: string, tokens: readonly StoredToken[]): Promise<void> {
  const lines = tokens.map((t) =>
    [t.token, t.usesAllowed ?? '-', t.pending, t.completed, t.expiryTimeMs ?? '-'].join('\t'),
  );
  await replaceFile(tokensPath(homeserverDir), lines.length > 0 ? `${lines.join('\n')}\n` : '');
}

function tokenValid(t: StoredToken, now: number): boolean {
  if (t.usesAllowed !== null && t.completed >= t.usesAllowed) return false;
  return !(t.expiryTimeMs !== null && now > t.expiryTimeMs);
}

/**
 * `registration_tokens.check` of a database token (src/service/registration_tokens/data.rs check_token, the
 * same from 1.7.0 to 1.9.0): an invalid token is deleted and refused; with `consume`, a use is counted and a
 * token that is then used up (or expired) is deleted, so a one-shot token is gone once it made an account.
 */
export async function checkDatabaseToken(
  homeserverDir: string,
  token: string,
  consume: boolean,
): Promise<boolean> {
  const tokens = await readTokens(homeserverDir);
  const found = tokens.find((t) => t.token === token);
  if (!found) return false;
  const now = Date.now();
  if (!tokenValid(found, now)) {
    await writeTokens(
      homeserverDir,
      tokens.filter((t) => t !== found),
    );
    return false;
  }
  if (consume) {
    found.completed += 1;
    await writeTokens(homeserverDir, tokenValid(found, now) ? tokens : tokens.filter((t) => t !== found));
  }
  return true;
}

/** Whether any database token is valid now (registration_tokens.is_enabled, with the config token aside). */
export async function anyValidDatabaseToken(homeserverDir: string): Promise<boolean> {
  const now = Date.now();
  return (await readTokens(homeserverDir)).some((t) => tokenValid(t, now));
}

/**
 * The `registration_token` of a rendered tuwunel.toml (the playbook writes it as a JSON string), which
 * Tuwunel treats as a "config token": listed, never expiring, neither updatable nor revocable.
 */
export async function readConfigToken(tuwunelConfigDir: string): Promise<string | undefined> {
  const toml = await readText(join(tuwunelConfigDir, 'tuwunel.toml'));
  const match = toml?.match(/^registration_token\s*=\s*("(?:[^"\\]|\\.)*")\s*$/m);
  return match?.[1] ? (JSON.parse(match[1]) as string) : undefined;
}

/** A user row with the fields the admin API reports (state/tuwunel/users, see lib/tuwunel.sh). */
export interface LabUserRecord extends LabUser {
  /** SHA-256 of the password, or '-' for none (a deactivated account). */
  passwordHash: string;
  displayName: string;
  /** MSC4025 erasure: the database count when the account was erased (users.set_erased, 1.8.1), else null. */
  erasedCount: number | null;
}

/** SHA-256 of a password: the lab keeps it where Tuwunel keeps an argon2 hash. */
export function passwordHash(password: string): string {
  return createHash('sha256').update(password).digest('hex');
}

const usersPath = (homeserverDir: string) => join(homeserverDir, 'state', 'tuwunel', 'users');

export async function readUserRecords(homeserverDir: string): Promise<LabUserRecord[]> {
  const text = (await readText(usersPath(homeserverDir))) ?? '';
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [userId = '', admin, deactivated, hash, displayName, erased] = line.split('\t');
      return {
        userId,
        admin: admin === '1',
        deactivated: deactivated === '1',
        passwordHash: hash || '-',
        displayName: displayName ?? '',
        erasedCount: erased && erased !== '-' ? Number(erased) : null,
      };
    });
}

export async function writeUserRecords(
  homeserverDir: string,
  users: readonly LabUserRecord[],
): Promise<void> {
  const lines = users.map((u) =>
    [
      u.userId,
      u.admin ? 1 : 0,
      u.deactivated ? 1 : 0,
      u.passwordHash,
      u.displayName,
      u.erasedCount ?? '-',
    ].join('\t'),
  );
  await replaceFile(usersPath(homeserverDir), lines.length > 0 ? `${lines.join('\n')}\n` : '');
}

export interface LabDevice {
  userId: string;
  deviceId: string;
  displayName: string;
  lastSeenMs: number | null;
  lastSeenIp: string | null;
}

const devicesPath = (homeserverDir: string) => join(homeserverDir, 'state', 'tuwunel', 'devices');

export async function readDevices(homeserverDir: string): Promise<LabDevice[]> {
  const text = (await readText(devicesPath(homeserverDir))) ?? '';
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [userId = '', deviceId = '', displayName = '', ts, ip] = line.split('\t');
      return {
        userId,
        deviceId,
        displayName,
        lastSeenMs: ts && ts !== '-' ? Number(ts) : null,
        lastSeenIp: ip && ip !== '-' ? ip : null,
      };
    });
}

export async function writeDevices(homeserverDir: string, devices: readonly LabDevice[]): Promise<void> {
  const lines = devices.map((d) =>
    [d.userId, d.deviceId, d.displayName, d.lastSeenMs ?? '-', d.lastSeenIp ?? '-'].join('\t'),
  );
  await replaceFile(devicesPath(homeserverDir), lines.length > 0 ? `${lines.join('\n')}\n` : '');
}

export interface LabRoom {
  roomId: string;
  alias: string;
  name: string;
  topic: string;
  /** Joined members; the admin room's are the admins (see lib/tuwunel.sh). */
  members: string[];
}

export async function readRooms(homeserverDir: string): Promise<LabRoom[]> {
  const text = (await readText(join(homeserverDir, 'state', 'tuwunel', 'rooms'))) ?? '';
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [roomId = '', alias = '', name = '', topic = '', members = ''] = line.split('\t');
      return { roomId, alias, name, topic, members: members.split(',').filter((m) => m !== '') };
    });
}

export async function writeRooms(homeserverDir: string, rooms: readonly LabRoom[]): Promise<void> {
  const lines = rooms.map((r) => [r.roomId, r.alias, r.name, r.topic, r.members.join(',')].join('\t'));
  await replaceFile(
    join(homeserverDir, 'state', 'tuwunel', 'rooms'),
    lines.length > 0 ? `${lines.join('\n')}\n` : '',
  );
}

/**
 * What Tuwunel and Traefik read from the rendered files when the container starts: tuwunel.toml's
 * federation lists, and the container labels that decide which paths Traefik routes to it
 * (roles/custom/matrix-tuwunel/templates/labels.j2 in matrix-docker-ansible-deploy).
 */
export interface StartedConfig {
  registrationToken: string | undefined;
  allowedRemoteServerNames: string[];
  forbiddenRemoteServerNames: string[];
  /** `traefik.http.routers.matrix-tuwunel-public-client-synapse-admin-api.*` present. */
  synapseAdminRouted: boolean;
  /** `traefik.http.routers.matrix-tuwunel-public-tuwunel-api.*` present. */
  tuwunelApiRouted: boolean;
  /** TUWUNEL_ALLOW_LEGACY_MEDIA=true in the container's environment file. */
  allowLegacyMedia: boolean;
  /** `allow_registration` (default false). */
  allowRegistration: boolean;
  /** `admin_room_notices` (default true): registrations and the like are posted to the admin room. */
  adminRoomNotices: boolean;
  /** `new_user_displayname_suffix` (Tuwunel's default "💕"; the playbook renders "" unless told otherwise). */
  newUserDisplaynameSuffix: string;
  /** `auto_join_rooms`: aliases or IDs new accounts join on registration. */
  autoJoinRooms: string[];
}

function tomlValue(toml: string | undefined, key: string): unknown {
  const match = toml?.match(new RegExp(`^${key}\\s*=\\s*(.+?)\\s*$`, 'm'));
  if (!match?.[1]) return undefined;
  try {
    return JSON.parse(match[1]) as unknown;
  } catch {
    return undefined;
  }
}

function tomlStringList(toml: string | undefined, key: string): string[] {
  const match = toml?.match(new RegExp(`^${key}\\s*=\\s*(\\[.*\\])\\s*$`, 'm'));
  if (!match?.[1]) return [];
  try {
    const parsed = JSON.parse(match[1]) as unknown;
    return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export async function readStartedConfig(tuwunelConfigDir: string): Promise<StartedConfig> {
  const [toml, labels, env] = await Promise.all([
    readText(join(tuwunelConfigDir, 'tuwunel.toml')),
    readText(join(tuwunelConfigDir, 'labels')),
    readText(join(tuwunelConfigDir, 'env')),
  ]);
  const router = (name: string) =>
    labels === undefined
      ? name === 'public-tuwunel-api'
      : labels.includes(`traefik.http.routers.matrix-tuwunel-${name}.rule=`);
  return {
    registrationToken: await readConfigToken(tuwunelConfigDir),
    allowedRemoteServerNames: tomlStringList(toml, 'allowed_remote_server_names_experimental'),
    forbiddenRemoteServerNames: tomlStringList(toml, 'forbidden_remote_server_names'),
    synapseAdminRouted: router('public-client-synapse-admin-api'),
    tuwunelApiRouted: router('public-tuwunel-api'),
    allowLegacyMedia: /^TUWUNEL_ALLOW_LEGACY_MEDIA=true$/m.test(env ?? ''),
    allowRegistration: tomlValue(toml, 'allow_registration') === true,
    adminRoomNotices: tomlValue(toml, 'admin_room_notices') !== false,
    newUserDisplaynameSuffix: (() => {
      const v = tomlValue(toml, 'new_user_displayname_suffix');
      return typeof v === 'string' ? v : '💕';
    })(),
    autoJoinRooms: tomlStringList(toml, 'auto_join_rooms'),
  };
}
