import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  chmod,
  copyFile,
  link,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProfileInput } from '../../src-main/core/profile/schema';
import { shellQuote } from '../../src-main/core/ssh/quote';
import {
  LAB_PBS,
  LAB_PBS_REPOSITORY,
  pbsPasswordFile,
  readSnapshots,
  setupPbs,
  writeSnapshots,
} from './deploy/pbs/setup-pbs';
import { publishPlaybookRelease } from './deploy/playbook-upstream';
import { setupDeployHost } from './deploy/setup-deploy';
import { createFaults } from './faults';
import {
  LAB_UNITS,
  readUsers,
  setDiskFree,
  setDiskPercent,
  setUnits,
  setupHomeserver,
  unitState,
} from './homeserver/setup-homeserver';
import { deployHostBin, hostShell, setupHost } from './host/setup-host';
import { startHomeserverHttp } from './https/homeserver-http';
import { startKeyring } from './keyring';
import { claimLabDir, LAB_OWNER_VAR, ownerEntry } from './lab-dir';
import { labMatrixClient } from './matrix-client';
import { sweepProcesses } from './process-sweep';
import { profileYaml } from './profile-yaml';
import { type Sshd, startSshd } from './sshd';
import { makeLabTls } from './tls';
import { requireTool, run } from './tools';
import {
  type AdminRoomLogEvent,
  type Lab,
  type LabHost,
  type LabHostRole,
  type LabOptions,
  type RoomInviteLogEntry,
  type ServerNoticeLogEntry,
  TUWUNEL_VERSIONS,
} from './types';

export const SERVER_NAME = 'lab.test';
export const ADMIN_USER_ID = `@admin:${SERVER_NAME}`;
export const KEY_PASSPHRASE = 'lab-key-passphrase';
/** The device of the admin's access token (Tuwunel's device IDs are 10 alphanumerics). */
export const ADMIN_DEVICE_ID = 'HSTRAYLAB1';

/** A Tuwunel release the lab can play: 1.7.0–1.9.0, with or without the leading v. */
export function labTuwunelVersion(version: string | undefined): string {
  const v = (version ?? '1.7.0').replace(/^v/, '');
  if (!(TUWUNEL_VERSIONS as readonly string[]).includes(v))
    throw new Error(
      `The lab plays Tuwunel ${TUWUNEL_VERSIONS.join(', ')}; "${version}" is not one of those releases.`,
    );
  return v;
}
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const LAB_CACHE_DIR = join(repoRoot, 'node_modules', '.cache', 'homeserver-tray-lab');

const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A random 127.x.y.z for the deploy host, so parallel labs (vitest workers) rarely share an address. */
function loopbackAddress(): string {
  const b = randomBytes(3);
  return `127.${1 + (b[0]! % 254)}.${1 + (b[1]! % 254)}.${1 + (b[2]! % 254)}`;
}

/**
 * The homeserver's address comes from a fixed pool: its TLS leaf names the address, and a pool keeps
 * the cached leaves few and reused (a random address meant openssl on every start and a cache that only
 * grew). Labs that draw the same slot still differ by port.
 */
const HOMESERVER_ADDRESS_POOL = 32;
function homeserverAddress(): string {
  return `127.77.1.${1 + (randomBytes(1)[0]! % HOMESERVER_ADDRESS_POOL)}`;
}

/**
 * The default registration token: random, but made once per cache dir, so the vault encrypted with it
 * (the real ansible-vault, ~0.8 s) and the repositories holding it are cache hits on every later start.
 */
async function defaultRegistrationToken(): Promise<string> {
  const path = join(LAB_CACHE_DIR, 'default-registration-token');
  const cached = await readFile(path, 'utf8').catch(() => undefined);
  if (cached) return cached.trim();
  await mkdir(LAB_CACHE_DIR, { recursive: true });
  const tmp = `${path}.${randomHex(6)}.tmp`;
  await writeFile(tmp, `${randomHex(32)}\n`, { mode: 0o600 });
  // link() does not replace: when labs start together, the first token written is everyone's.
  await link(tmp, path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  await rm(tmp, { force: true });
  return (await readFile(path, 'utf8')).trim();
}

/** The client keys take a while to make with a passphrase (bcrypt KDF); they are made once per machine. */
async function clientKeys(clientDir: string): Promise<{ plain: string; protectedKey: string }> {
  const keygen = await requireTool('ssh-keygen', 'openssh-client');
  const cache = join(LAB_CACHE_DIR, 'client-keys-v1');
  const have = await readdir(cache).catch(() => [] as string[]);
  if (!have.includes('id_ed25519_passphrase')) {
    await mkdir(LAB_CACHE_DIR, { recursive: true });
    const tmp = await mkdtemp(join(LAB_CACHE_DIR, 'tmp-keys-'));
    await run(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'lab-client', '-f', join(tmp, 'id_ed25519')]);
    await run(keygen, [
      '-q',
      '-t',
      'ed25519',
      '-N',
      KEY_PASSPHRASE,
      '-C',
      'lab-client-passphrase',
      '-f',
      join(tmp, 'id_ed25519_passphrase'),
    ]);
    // Another worker may have won the race; its keys are as good as ours.
    await rename(tmp, cache).catch(() => rm(tmp, { recursive: true, force: true }));
  }
  const plain = join(clientDir, 'id_ed25519');
  const protectedKey = join(clientDir, 'id_ed25519_passphrase');
  for (const name of ['id_ed25519', 'id_ed25519.pub', 'id_ed25519_passphrase', 'id_ed25519_passphrase.pub']) {
    await copyFile(join(cache, name), join(clientDir, name));
    await chmod(join(clientDir, name), name.endsWith('.pub') ? 0o644 : 0o600);
  }
  return { plain, protectedKey };
}

function shellEnvFile(env: Record<string, string>): string {
  return `${Object.entries(env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join('\n')}\n`;
}

/** Starts the lab: see tests/lab/types.ts and README.md "Try it against the lab". */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const tuwunelVersion = labTuwunelVersion(options.tuwunelVersion);
  const claimed = await claimLabDir(options.dir, () => mkdtemp(join(tmpdir(), 'hst-lab-')));
  const { dir, temporary } = claimed;
  const secrets = {
    sudoPassword: options.sudoPassword ?? 'lab-sudo-password',
    vaultPassword: options.vaultPassword ?? 'lab-vault-password',
    registrationToken: options.registrationToken ?? (await defaultRegistrationToken()),
    adminAccessToken: options.adminAccessToken ?? randomHex(24),
    adminPassword: 'lab-admin-password',
    adminUserId: ADMIN_USER_ID,
  };
  const hostDirs: Record<LabHostRole, string> = {
    homeserver: join(dir, 'homeserver'),
    deploy: join(dir, 'deploy'),
  };
  const clientDir = join(dir, 'client');
  const tuwunelConfigDir = join(hostDirs.homeserver, 'state', 'tuwunel', 'config');
  // Every process the lab starts carries this; the env file a user's shell sources does not (see lab-dir.ts).
  const processMarker = ownerEntry(claimed.owner);
  const marker = { [LAB_OWNER_VAR]: claimed.owner };
  const addresses: Record<LabHostRole, string> = {
    homeserver: homeserverAddress(),
    deploy: loopbackAddress(),
  };
  while (addresses.deploy === addresses.homeserver) addresses.deploy = loopbackAddress();

  const stops: (() => Promise<void>)[] = [];
  // Everything started in parallel; on a failure the others are awaited first, so that stop() also
  // reaches what came up after the failure.
  const launched: Promise<unknown>[] = [];
  const launch = <T>(p: Promise<T>): Promise<T> => {
    launched.push(p);
    return p;
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const errors: unknown[] = [];
    for (const s of stops.reverse()) await s().catch((e) => errors.push(e));
    await sweepProcesses(processMarker).catch((e) => errors.push(e));
    if (temporary) await rm(dir, { recursive: true, force: true }).catch((e) => errors.push(e));
    await claimed.release().catch((e) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, `Stopping the lab in ${dir} failed`);
  };

  try {
    await mkdir(clientDir, { recursive: true });

    const keysReady = launch(clientKeys(clientDir));
    const homeserverReady = launch(
      setupHomeserver({
        hostDir: hostDirs.homeserver,
        cacheDir: LAB_CACHE_DIR,
        serverName: SERVER_NAME,
        tuwunelVersion,
        sudoPassword: secrets.sudoPassword,
        units: LAB_UNITS,
        journalIntervalSeconds: options.journalIntervalSeconds,
        healthCheckSeconds: options.healthCheckSeconds,
        migrationSeconds: options.migrationSeconds,
        users: [
          {
            userId: ADMIN_USER_ID,
            admin: true,
            deactivated: false,
            displayName: 'admin',
            password: secrets.adminPassword,
          },
          {
            userId: `@alice:${SERVER_NAME}`,
            admin: false,
            deactivated: false,
            displayName: 'Alice',
            password: randomHex(12),
          },
          {
            userId: `@bob:${SERVER_NAME}`,
            admin: false,
            deactivated: false,
            displayName: 'Bob',
            password: randomHex(12),
          },
          { userId: `@carol:${SERVER_NAME}`, admin: false, deactivated: true, displayName: 'Carol' },
          ...seededUsers(options.seedUsers ?? 0),
        ],
        devices: [...labDevices(), ...seededDevices(options.seedUsers ?? 0)],
      }),
    );
    const deployHostReady = launch(
      setupHost(hostDirs.deploy, deployHostBin).then(() => setupPbs(hostDirs.deploy, Date.now())),
    );
    const tlsReady = launch(
      makeLabTls({
        dir: clientDir,
        cacheDir: LAB_CACHE_DIR,
        address: addresses.homeserver,
        serverName: SERVER_NAME,
      }),
    );
    // Needs neither the homeserver nor sshd: the repositories come from the cache, the rest are paths.
    const deployReady = launch(
      setupDeployHost({
        hostDir: hostDirs.deploy,
        homeserverDir: hostDirs.homeserver,
        serverName: SERVER_NAME,
        tuwunelVersion,
        vaultPassword: secrets.vaultPassword,
        registrationToken: secrets.registrationToken,
        playbookSeconds: options.playbookSeconds ?? 0.2,
        playbookTuwunelVersion: options.playbookTuwunelVersion
          ? labTuwunelVersion(options.playbookTuwunelVersion)
          : undefined,
        synapseAdminApiRouted: options.synapseAdminApiRouted,
        autoJoinRooms: options.autoJoinRooms,
        databaseBackupPath: options.databaseBackupPath,
        upstreamTuwunelVersion: options.playbookUpstreamTuwunelVersion
          ? labTuwunelVersion(options.playbookUpstreamTuwunelVersion)
          : undefined,
        cacheDir: LAB_CACHE_DIR,
        tuwunelConfigDir,
      }),
    );
    const keyringReady = launch(
      options.keyring === false
        ? Promise.resolve(undefined)
        : startKeyring(join(dir, 'keyring'), marker).then((k) => {
            stops.push(k.stop);
            return k;
          }),
    );

    const keys = await keysReady;
    const authorizedKeys = join(clientDir, 'authorized_keys');
    await writeFile(
      authorizedKeys,
      (await readFile(`${keys.plain}.pub`, 'utf8')) + (await readFile(`${keys.protectedKey}.pub`, 'utf8')),
    );
    await Promise.all([homeserverReady, deployHostReady]);

    const startHostSshd = (role: LabHostRole) =>
      launch(
        startSshd({
          hostDir: hostDirs[role],
          address: addresses[role],
          authorizedKeysFile: authorizedKeys,
          sessionEnv: {
            ...marker,
            LAB_DIR: dir,
            LAB_HOST_DIR: hostDirs[role],
            HOME: join(hostDirs[role], 'root'),
          },
          processEnv: marker,
        }).then((s) => {
          stops.push(s.stop);
          return s;
        }),
      );
    const httpReady = launch(
      tlsReady.then((tls) =>
        startHomeserverHttp({
          address: addresses.homeserver,
          homeserverDir: hostDirs.homeserver,
          serverName: SERVER_NAME,
          keyPem: tls.keyPem,
          certPem: tls.certPem,
          tuwunelVersion,
          adminUserId: secrets.adminUserId,
          adminAccessToken: secrets.adminAccessToken,
          adminDeviceId: ADMIN_DEVICE_ID,
          processEnv: marker,
        }).then((h) => {
          stops.push(h.stop);
          return h;
        }),
      ),
    );
    const [homeserverSshd, deploySshd, deploy, http, tls, keyring] = await Promise.all([
      startHostSshd('homeserver'),
      startHostSshd('deploy'),
      deployReady,
      httpReady,
      tlsReady,
      keyringReady,
    ]);
    const sshds: Record<LabHostRole, Sshd> = { homeserver: homeserverSshd, deploy: deploySshd };

    const knownHostsPath = join(clientDir, 'known_hosts');
    const writeKnownHosts = () =>
      writeFile(
        knownHostsPath,
        options.trustHostKeys === false
          ? ''
          : `${sshds.homeserver.knownHostsLine}\n${sshds.deploy.knownHostsLine}\n`,
      );
    await writeKnownHosts();

    const hostEntry = (role: LabHostRole) => ({
      address: addresses[role],
      port: sshds[role].port,
      user: 'root',
      identityFile: keys.plain,
      agent: false,
    });
    const profile: ProfileInput = {
      name: `Lab (${SERVER_NAME})`,
      serverName: SERVER_NAME,
      publicUrl: http.publicUrl,
      apexUrl: http.apexUrl,
      caFile: tls.caCertPath,
      hosts: {
        homeserver: {
          ...hostEntry('homeserver'),
          sudo: true,
          ...(options.jumpThroughDeploy ? { jump: 'deploy' as const } : {}),
        },
        deploy: hostEntry('deploy'),
      },
      knownHostsFile: knownHostsPath,
      units: [...LAB_UNITS],
      homeserver: {
        image: 'ghcr.io/matrix-construct/tuwunel',
        version: `v${tuwunelVersion}`,
        // The runbook's /matrix/tuwunel/{data,config} are these folders here: checks that read files in them
        // (tuwunel.toml, the backup folder) find what the stand-ins and the playbook wrote.
        dataDir: join(hostDirs.homeserver, 'state', 'tuwunel', 'data'),
        configDir: tuwunelConfigDir,
      },
      deploy: {
        host: 'deploy',
        dir: deploy.playbookDir,
        inventory: deploy.inventory,
        vaultPasswordFile: deploy.vaultPasswordFile,
        varsFile: deploy.varsFile,
        logDir: deploy.logDir,
      },
      ...(options.pbs
        ? {
            checks: {
              pbs: {
                host: 'deploy' as const,
                repository: LAB_PBS_REPOSITORY,
                group: LAB_PBS.group,
                passwordFile: pbsPasswordFile(hostDirs.deploy),
                fingerprint: LAB_PBS.fingerprint,
                maxAgeHours: 26,
              },
            },
          }
        : {}),
      vault: {
        repo: deploy.vaultWorkstation,
        file: deploy.vaultFile,
        key: 'vault_matrix_registration_token',
        deployCheckout: deploy.vaultDeploy,
      },
    };
    const profilePath = join(dir, 'profile.yaml');
    await writeFile(profilePath, profileYaml(profile));

    const env: Record<string, string> = { LAB_DIR: dir };
    if (keyring) env.DBUS_SESSION_BUS_ADDRESS = keyring.env.DBUS_SESSION_BUS_ADDRESS;
    await writeFile(join(dir, 'env'), shellEnvFile(env));

    // A Tuwunel start still under way settles when a stand-in next runs (homeserver/lib/tuwunel-boot.sh);
    // reading its state here runs one first, as anything on the host would.
    const settle = async () => {
      if (existsSync(join(hostDirs.homeserver, 'state', 'tuwunel', 'starting')))
        await hostShell(hostDirs.homeserver, dir, 'systemctl is-active matrix-tuwunel', undefined, marker);
    };

    const makeHost = (role: LabHostRole): LabHost => {
      const hostDir = hostDirs[role];
      const host: LabHost = {
        role,
        address: addresses[role],
        port: sshds[role].port,
        dir: hostDir,
        keyType: sshds[role].keyType,
        fingerprint: sshds[role].fingerprint,
        knownHostsLine: sshds[role].knownHostsLine,
        execLog: () => execLog(hostDir),
        async rotateHostKey() {
          await sshds[role].rotateHostKey();
          host.keyType = sshds[role].keyType;
          host.fingerprint = sshds[role].fingerprint;
          host.knownHostsLine = sshds[role].knownHostsLine;
        },
        sh: (command) => hostShell(hostDir, dir, command, undefined, marker),
      };
      return host;
    };

    return {
      dir,
      profile,
      profilePath,
      clientKeyPath: keys.plain,
      passphraseKeyPath: keys.protectedKey,
      keyPassphrase: KEY_PASSPHRASE,
      knownHostsPath,
      caCertPath: tls.caCertPath,
      env,
      processMarker,
      hosts: { homeserver: makeHost('homeserver'), deploy: makeHost('deploy') },
      http: {
        apexUrl: http.apexUrl,
        publicUrl: http.publicUrl,
        setTuwunelVersion: (v) => http.setTuwunelVersion(labTuwunelVersion(v)),
      },
      adminRoomLogPath: join(hostDirs.homeserver, 'admin-room.jsonl'),
      adminRoomLog: () => jsonLines<AdminRoomLogEvent>(join(hostDirs.homeserver, 'admin-room.jsonl')),
      serverNotices: () => jsonLines<ServerNoticeLogEntry>(join(hostDirs.homeserver, 'server-notices.jsonl')),
      roomInvites: () => jsonLines<RoomInviteLogEntry>(join(hostDirs.homeserver, 'room-invites.jsonl')),
      client: labMatrixClient(http.publicUrl, await readFile(tls.caCertPath, 'utf8')),
      publishPlaybookRelease: (version) =>
        publishPlaybookRelease({
          playbookRemote: deploy.playbookRemote,
          tuwunelVersion: labTuwunelVersion(version),
        }),
      secrets,
      repos: {
        vaultWorkstation: deploy.vaultWorkstation,
        vaultRemote: deploy.vaultRemote,
        vaultDeploy: deploy.vaultDeploy,
        playbook: deploy.playbookDir,
      },
      faults: createFaults(hostDirs),
      pbs: {
        repository: LAB_PBS_REPOSITORY,
        group: LAB_PBS.group,
        fingerprint: LAB_PBS.fingerprint,
        passwordFile: pbsPasswordFile(hostDirs.deploy),
        snapshots: () => readSnapshots(hostDirs.deploy),
        setSnapshots: (list) => writeSnapshots(hostDirs.deploy, list),
      },
      state: {
        unitActive: async (unit) => {
          await settle();
          return (await unitState(hostDirs.homeserver, unit)) === 'active';
        },
        setUnitActive: (unit, active) =>
          setUnits(hostDirs.homeserver, active ? 'active' : 'inactive', [unit]),
        setUnitState: (unit, state) => setUnits(hostDirs.homeserver, state, [unit]),
        setDiskPercent: (percent) => setDiskPercent(hostDirs.homeserver, percent),
        setDiskFree: (bytes) => setDiskFree(hostDirs.homeserver, bytes),
        users: () => readUsers(hostDirs.homeserver),
        migrations: async () => {
          await settle();
          return (
            await readFile(join(hostDirs.homeserver, 'state', 'tuwunel', 'migrations'), 'utf8').catch(
              () => '',
            )
          )
            .split('\n')
            .filter((m) => m !== '');
        },
      },
      stop,
    };
  } catch (error) {
    await Promise.allSettled(launched);
    await stop().catch(() => {});
    throw error;
  }
}

/** Devices the lab's users have: the admin's (this app's session), Alice's phone, Bob's laptop. */
function labDevices() {
  const now = Date.now();
  return [
    {
      userId: ADMIN_USER_ID,
      deviceId: ADMIN_DEVICE_ID,
      displayName: 'Homeserver Tray',
      lastSeenMs: now,
      lastSeenIp: '127.0.0.1',
    },
    {
      userId: `@alice:${SERVER_NAME}`,
      deviceId: 'ALICEPHONE',
      displayName: 'Element X (Pixel 8)',
      lastSeenMs: now - 2 * 3600_000,
      lastSeenIp: '192.168.1.50',
    },
    {
      userId: `@bob:${SERVER_NAME}`,
      deviceId: 'BOBLAPTOP1',
      displayName: 'Element Desktop',
      lastSeenMs: now - 3 * 86400_000,
      lastSeenIp: '192.168.1.61',
    },
  ];
}

/** A JSON-lines log of the lab (the admin room's events, server notices), oldest first. */
function jsonLines<T>(path: string): T[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

/** `@member0001:lab.test` …: seedUsers' people, each with a password (a random one) and one device. */
function seededUsers(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    return {
      userId: `@member${n}:${SERVER_NAME}`,
      admin: false,
      deactivated: false,
      displayName: `Member ${n}`,
      password: randomHex(8),
    };
  });
}

function seededDevices(count: number) {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    return {
      userId: `@member${n}:${SERVER_NAME}`,
      deviceId: `MEMBER${n}`,
      displayName: 'Element X',
      // Spread over the last six weeks, most recent first.
      lastSeenMs: now - ((i * 3_600_000) % (42 * 86_400_000)) - 60_000,
      lastSeenIp: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    };
  });
}

/** The command lines a host's sshd ran, oldest first (NUL-separated in `<host>/exec.log`). */
function execLog(hostDir: string): string[] {
  return readFileSync(join(hostDir, 'exec.log'), 'utf8').split('\0').slice(0, -1);
}
