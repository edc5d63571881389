import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedDir } from '../deploy/artefact-cache';
import { linkFresh, setupHost } from '../host/setup-host';
import { adminRoomTopic } from '../https/tuwunel-api';
import { run } from '../tools';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/**
 * The units the playbook installs on the homeserver (the app's DEFAULT_UNITS; a lab test keeps the two
 * equal). Listed here so that starting a lab does not load zod with the app's profile schema.
 */
export const LAB_UNITS = [
  'matrix-tuwunel',
  'matrix-traefik',
  'matrix-livekit-server',
  'matrix-livekit-jwt-service',
  'matrix-static-files',
  'matrix-postgres',
  'matrix-client-element',
  'matrix-container-socket-proxy',
  'matrix-exim-relay',
] as const;

export const STAND_INS = ['systemctl', 'docker', 'journalctl', 'df', 'sudo', 'tuwunel-admin'] as const;
const LIBS = [
  'common.sh',
  'admin-parse.sh',
  'unit-info.sh',
  'docker-format.sh',
  'units.sh',
  'journal.sh',
  'tuwunel.sh',
  'tuwunel-boot.sh',
  'set-unit',
  'unit-properties',
] as const;

export type UnitState = 'active' | 'inactive' | 'failed';

export interface LabUserSeed {
  userId: string;
  admin: boolean;
  deactivated: boolean;
  displayName?: string;
  /** Kept as a SHA-256 (Tuwunel keeps an argon2 hash); none for a deactivated account. */
  password?: string;
}

export interface LabDeviceSeed {
  userId: string;
  deviceId: string;
  displayName: string;
  /** Milliseconds since the epoch, as Tuwunel's device metadata keeps `last_seen_ts`. */
  lastSeenMs: number;
  lastSeenIp: string;
}

/** Room IDs as Tuwunel makes them (RoomId::new_v1): `!`, 18 random alphanumerics, the server name. */
export function newRoomId(serverName: string): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return `!${Array.from(randomBytes(18), (b) => chars[b % chars.length]).join('')}:${serverName}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface HomeserverSetup {
  hostDir: string;
  /** The lab cache (tables the stand-ins read, made once). */
  cacheDir: string;
  serverName: string;
  tuwunelVersion: string;
  sudoPassword: string;
  units: readonly string[];
  users: readonly LabUserSeed[];
  devices?: readonly LabDeviceSeed[];
  /** Seconds between the lines a running container adds to its journal. */
  journalIntervalSeconds?: number;
  /** Seconds after a container start until Docker's health check passes (Tuwunel ≥ 1.8.2). Default 30. */
  healthCheckSeconds?: number;
  /** How long each release's one-time migration takes on first start (tuwunel-boot.sh). Default 0. */
  migrationSeconds?: MigrationSeconds;
}

/** The one-time migrations (lib/tuwunel-boot.sh): 1.8.0's timestamp index, 1.9.0's repair scans. */
export type MigrationSeconds = Partial<Record<'1.8.0' | '1.9.0', number>>;

/** The markers a database made by (or migrated to) `version` holds (src/service/migrations). */
export function migrationMarkers(version: string): string[] {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const at = (m: number) => major > 1 || (major === 1 && minor >= m);
  return [
    ...(at(8) ? ['rebuild_roomid_tscount_pducount'] : []),
    ...(at(9) ? ['clear_auth_chain_cache', 'fix_short_injectivity'] : []),
  ];
}

async function replaceFile(path: string, content: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, path);
}

/**
 * `unit-properties.d/<Name>`: one line `position|loaded value|not-found value` per property of
 * lib/unit-properties, so `systemctl show -p A,B` reads two small files instead of parsing a table. Made
 * once per table in the cache (a hundred files cost ~0.1 s to write here) and linked into each lab.
 */
async function unitPropertiesDir(cacheDir: string): Promise<string> {
  const table = await readFile(here('./lib/unit-properties'), 'utf8');
  const key = createHash('sha256').update(table).digest('hex').slice(0, 16);
  return cachedDir(join(cacheDir, `unit-properties-${key}`), async (tmp) => {
    const rows = table.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    await Promise.all(
      rows.map((row, i) => {
        const [name = '', ...values] = row.split('|');
        return writeFile(join(tmp, name), `${i}|${values.join('|')}\n`);
      }),
    );
  });
}

/** The homeserver VM: stand-ins on PATH and its state with every unit up for a few hours. */
export async function setupHomeserver(o: HomeserverSetup): Promise<void> {
  await setupHost(o.hostDir, Object.fromEntries(STAND_INS.map((n) => [n, here(`./bin/${n}`)])));
  await Promise.all([
    ...LIBS.map((n) => linkFresh(here(`./lib/${n}`), join(o.hostDir, 'lib', n))),
    linkFresh(here('./lib/grammar'), join(o.hostDir, 'lib', 'grammar')),
    unitPropertiesDir(o.cacheDir).then((d) => linkFresh(d, join(o.hostDir, 'lib', 'unit-properties.d'))),
  ]);
  const state = join(o.hostDir, 'state');
  await Promise.all(
    ['units', 'unit-meta', 'journal', 'tuwunel/config', 'disk', 'host'].map((d) =>
      mkdir(join(state, d), { recursive: true }),
    ),
  );
  const nowUs = Date.now() * 1000;
  const bootUs = nowUs - 5 * 86400 * 1_000_000;
  await Promise.all([
    writeFile(join(state, 'host', 'server_name'), `${o.serverName}\n`),
    writeFile(
      join(state, 'host', 'ids'),
      `matrix ${randomBytes(16).toString('hex')} ${randomBytes(16).toString('hex')} ${bootUs}\n`,
    ),
    writeFile(join(state, 'tuwunel', 'version'), `${o.tuwunelVersion.replace(/^v/, '')}\n`),
    writeFile(
      join(state, 'tuwunel', 'users'),
      o.users
        .map((u) =>
          [
            u.userId,
            u.admin ? 1 : 0,
            u.deactivated ? 1 : 0,
            u.password && !u.deactivated ? sha256(u.password) : '-',
            u.displayName ?? '',
          ].join('\t'),
        )
        .map((l) => `${l}\n`)
        .join(''),
    ),
    writeFile(
      join(state, 'tuwunel', 'devices'),
      (o.devices ?? [])
        .map((d) => `${[d.userId, d.deviceId, d.displayName, d.lastSeenMs, d.lastSeenIp].join('\t')}\n`)
        .join(''),
    ),
    writeFile(join(state, 'tuwunel', 'rooms'), roomsFile(o)),
    writeFile(join(state, 'tuwunel', 'backups'), ''),
    writeFile(join(state, 'tuwunel', 'LOCK'), ''),
    writeFile(join(state, 'tuwunel', 'health-seconds'), `${o.healthCheckSeconds ?? 30}\n`),
    writeFile(join(state, 'tuwunel', 'tokens'), ''),
    writeFile(
      join(state, 'tuwunel', 'migrations'),
      migrationMarkers(o.tuwunelVersion)
        .map((m) => `${m}\n`)
        .join(''),
    ),
    writeFile(
      join(state, 'tuwunel', 'migration-seconds'),
      `1.8.0 ${o.migrationSeconds?.['1.8.0'] ?? 0}\n1.9.0 ${o.migrationSeconds?.['1.9.0'] ?? 0}\n`,
    ),
    writeFile(join(state, 'disk', 'percent'), '42\n'),
    writeFile(join(state, 'journal', 'interval'), `${o.journalIntervalSeconds ?? 15}\n`),
    writeFile(join(state, 'sudo-password'), `${o.sudoPassword}\n`, { mode: 0o600 }),
    ...o.units.map((u) => writeFile(join(state, 'units', u), 'inactive\n')),
  ]);
  // Up since three hours ago, as after the last deploy.
  await setUnits(o.hostDir, 'active', o.units, nowUs - 3 * 3600 * 1_000_000);
}

/**
 * `state/tuwunel/rooms`: the admin room Tuwunel creates on first start (src/service/admin/create.rs: its
 * name, topic and alias; its members are the admins) and the family room the runbook's users share.
 */
function roomsFile(o: HomeserverSetup): string {
  const active = o.users.filter((u) => !u.deactivated).map((u) => u.userId);
  const rows = [
    [
      newRoomId(o.serverName),
      `#admins:${o.serverName}`,
      `${o.serverName} Admin Room`,
      adminRoomTopic(o.serverName),
      '',
    ],
    [
      newRoomId(o.serverName),
      `#family:${o.serverName}`,
      'Family',
      'Photos, plans and the odd meme',
      active.join(','),
    ],
  ];
  return rows.map((r) => `${r.join('\t')}\n`).join('');
}

/** Changes units through the stand-ins' own transition code, so journal and containers follow. */
export async function setUnits(
  hostDir: string,
  state: UnitState | 'restart',
  units: readonly string[],
  atUs?: number,
): Promise<void> {
  const args = atUs === undefined ? [state, ...units] : ['--at', String(Math.round(atUs)), state, ...units];
  await run('/bin/bash', [join(hostDir, 'lib', 'set-unit'), ...args], {
    env: { PATH: '/usr/bin:/bin', LAB_HOST_DIR: hostDir },
  });
}

export async function unitState(hostDir: string, unit: string): Promise<UnitState> {
  const text = await readFile(join(hostDir, 'state', 'units', unit), 'utf8').catch(() => 'inactive');
  return text.trim() as UnitState;
}

export async function setDiskPercent(hostDir: string, percent: number): Promise<void> {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100)
    throw new Error(`percent must be 0..100, not ${percent}`);
  await replaceFile(join(hostDir, 'state', 'disk', 'percent'), `${percent}\n`);
}

/** Makes df report `bytes` free on the data path's file system (its Use% follows); undefined goes back to the percentage. */
export async function setDiskFree(hostDir: string, bytes: number | undefined): Promise<void> {
  const path = join(hostDir, 'state', 'disk', 'avail-kib');
  if (bytes === undefined) {
    await rm(path, { force: true });
    return;
  }
  if (!Number.isSafeInteger(bytes) || bytes < 0)
    throw new Error(`bytes must be a whole number ≥ 0, not ${bytes}`);
  await replaceFile(path, `${Math.floor(bytes / 1024)}\n`);
}

export async function readUsers(
  hostDir: string,
): Promise<{ userId: string; admin: boolean; deactivated: boolean }[]> {
  const text = await readFile(join(hostDir, 'state', 'tuwunel', 'users'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [userId = '', admin, deactivated] = l.split('\t');
      return { userId, admin: admin === '1', deactivated: deactivated === '1' };
    });
}
