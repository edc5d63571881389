import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_UNITS } from '../../../src-main/core/profile/schema';
import { readUsers, setUnits, setupHomeserver, unitState } from '../../lab/homeserver/setup-homeserver';
import { hostEnv, hostShell } from '../../lab/host/setup-host';
import { LAB_CACHE_DIR, labTuwunelVersion } from '../../lab/lab';
import { sweepProcesses } from '../../lab/process-sweep';
import { TUWUNEL_VERSIONS } from '../../lab/types';
import { eventually } from './ssh-helpers';

// The Tuwunel stand-in of the homeserver host (real bash over the lab state, no sshd) answering as each
// release. Every expected text below is quoted from matrix-construct/tuwunel at the tag named beside it;
// clap's texts from clap_builder 4.6 (Tuwunel builds clap with error-context, help and usage, without
// suggestions: Cargo.toml [workspace.dependencies.clap]).

const SERVER = 'lab.test';
const CONFIG_TOKEN = 'from-config-token';

let labDir: string;
let hostDir: string;
const sh = (command: string) => hostShell(hostDir, labDir, command);
const state = (path: string) => join(hostDir, 'state', path);

/** One admin command as the admin room bot answers it: the body, and whether it goes out as Markdown. */
async function admin(
  version: string,
  command: string,
): Promise<{ body: string; kind: 'markdown' | 'plain' }> {
  await writeFile(state('tuwunel/version'), `${version}\n`);
  const r = await sh(`tuwunel-admin ${JSON.stringify(command).replaceAll('$', '\\$')}`);
  expect([0, 3]).toContain(r.exitCode);
  return { body: r.stdout.replace(/\n$/, ''), kind: r.exitCode === 3 ? 'plain' : 'markdown' };
}

const body = async (version: string, command: string) => (await admin(version, command)).body;

beforeAll(async () => {
  labDir = await mkdtemp(join(tmpdir(), 'hst-versions-'));
  hostDir = join(labDir, 'homeserver');
  await setupHomeserver({
    hostDir,
    cacheDir: LAB_CACHE_DIR,
    serverName: SERVER,
    tuwunelVersion: '1.7.0',
    sudoPassword: 'pw',
    units: DEFAULT_UNITS,
    healthCheckSeconds: 2,
    users: [
      { userId: '@admin:lab.test', admin: true, deactivated: false, password: 'a', displayName: 'admin' },
      { userId: '@alice:lab.test', admin: false, deactivated: false, password: 'b', displayName: 'Alice' },
      { userId: '@bob:lab.test', admin: false, deactivated: false, password: 'c' },
      { userId: '@carol:lab.test', admin: false, deactivated: true },
    ],
    devices: [
      {
        userId: '@alice:lab.test',
        deviceId: 'ALICEPHONE',
        displayName: 'Pixel',
        lastSeenMs: 1_800_000_000_000,
        lastSeenIp: '192.168.1.50',
      },
      {
        userId: '@admin:lab.test',
        deviceId: 'HSTRAYLAB1',
        displayName: 'Tray',
        lastSeenMs: 1_800_000_100_000,
        lastSeenIp: '127.0.0.1',
      },
    ],
  });
  await writeFile(
    state('tuwunel/config/tuwunel.toml'),
    `server_name = "lab.test"\nregistration_token = "${CONFIG_TOKEN}"\n`,
  );
});

beforeEach(async () => {
  await sweepProcesses(`LAB_DIR=${labDir}`);
  await setUnits(hostDir, 'active', DEFAULT_UNITS);
});

afterAll(async () => {
  await sweepProcesses(`LAB_DIR=${labDir}`);
  await rm(labDir, { recursive: true, force: true });
});

describe('which releases the lab plays', () => {
  it('every tag from 1.7.0 to 1.9.0, with or without v; anything else is refused with the list', () => {
    expect(TUWUNEL_VERSIONS).toEqual(['1.7.0', '1.7.1', '1.8.0', '1.8.1', '1.8.2', '1.8.3', '1.9.0']);
    expect(labTuwunelVersion('v1.8.2')).toBe('1.8.2');
    expect(labTuwunelVersion(undefined)).toBe('1.7.0');
    expect(() => labTuwunelVersion('1.6.2')).toThrow(
      'The lab plays Tuwunel 1.7.0, 1.7.1, 1.8.0, 1.8.1, 1.8.2, 1.8.3, 1.9.0; "1.6.2" is not one of those releases.',
    );
  });
});

describe('the command grammar of each release (src/admin/**, the clap enums)', () => {
  it('`rooms info` is a group in 1.7.0 (src/admin/room/info.rs RoomInfoCommand) and a command from 1.8.3', async () => {
    // v1.7.0 src/admin/room/mod.rs: `Info(RoomInfoCommand)` with list-joined-members, view-room-topic.
    expect(await admin('1.7.0', 'rooms info #admins:lab.test')).toEqual({
      kind: 'plain',
      body: "error: unrecognized subcommand '#admins:lab.test'\n\nUsage: admin rooms info <COMMAND>\n\nFor more information, try '--help'.\n",
    });
    expect(await body('1.8.2', 'rooms info view-room-topic #admins:lab.test')).toBe(
      "error: invalid value '#admins:lab.test' for '<ROOM_ID>': leading sigil is incorrect or missing\n\nFor more information, try '--help'.\n",
    );
    // v1.8.3 src/admin/room/info.rs room_info.
    const info = await body('1.8.3', 'rooms info #admins:lab.test');
    expect(info).toMatch(
      /^```\nRoom information for ![A-Za-z0-9]{18}:lab\.test\n\nRoom version: 11\n\nName: lab\.test Admin Room\nTopic: \nManage lab\.test \| Run commands prefixed with `!admin`/,
    );
    expect(info).toContain(
      '\nAliases:\n  Canonical: #admins:lab.test\n  Alternative:\n    none\n  Local unlisted:\n    none\n\nAdmins (power level >= 50):\n  - @conduit:lab.test (69420)\n  - @admin:lab.test (100)\n```\n',
    );
    expect(await body('1.9.0', 'rooms info #nope:lab.test')).toBe(
      'Command failed with error:\n```\nM_NOT_FOUND: Room with alias not found.\n```',
    );
    // 1.9.0 moved list-joined-members up to `rooms` (src/admin/room/list_joined_members.rs).
    expect(await body('1.9.0', 'rooms list-joined-members !x:lab.test')).toBe(
      '0 Members in Room "!x:lab.test":\n```\n```',
    );
    expect((await admin('1.8.2', 'rooms list-joined-members !x:lab.test')).kind).toBe('plain');
  });

  it('aliases of each release resolve: users list, users create, server reload, appservices show', async () => {
    for (const version of ['1.7.0', '1.9.0']) {
      // src/admin/user/mod.rs `#[clap(alias = "list")] ListUsers`.
      expect(await body(version, 'users list')).toBe(
        'Found 3 local user account(s):\n```\n@admin:lab.test\n@alice:lab.test\n@bob:lab.test\n```',
      );
      // src/admin/server/mod.rs `#[clap(alias = "reload")] ReloadMods`: in the grammar, not acted out.
      expect(await body(version, 'server reload')).toBe(
        `Command failed with error:\n\`\`\`\nThe Homeserver Tray lab does not model \`server reload-mods\` (Tuwunel ${version} has it).\n\`\`\``,
      );
    }
    expect(await body('1.7.0', 'users create dave secret-pw')).toBe(
      'Created user with user_id: @dave:lab.test and password: `secret-pw`',
    );
    expect(await body('1.7.0', 'users create dave')).toBe(
      'Command failed with error:\n```\nUser @dave:lab.test already exists\n```',
    );
  });

  it('federation incoming-federation is a one-line stub in every release', async () => {
    // src/admin/federation/incoming_federation.rs (1.7.0: federation/commands.rs).
    for (const version of TUWUNEL_VERSIONS)
      expect(await body(version, 'federation incoming-federation')).toBe(
        'Command failed with error:\n```\nThis command is temporarily disabled\n```',
      );
  });

  it("answers clap's usage errors as plain text, usage named after the command's first word", async () => {
    expect(await admin('1.9.0', '!admin users frobnicate')).toEqual({
      kind: 'plain',
      body: "error: unrecognized subcommand 'frobnicate'\n\nUsage: !admin users <COMMAND>\n\nFor more information, try '--help'.\n",
    });
    // parser.rs did_you_mean_error: a leaf with positionals suggests `--`; missing ones get the smart usage.
    expect(await body('1.9.0', 'users deactivate --force @bob:lab.test')).toBe(
      "error: unexpected argument '--force' found\n\n  tip: to pass '--force' as a value, use '-- --force'\n\nUsage: admin users deactivate [OPTIONS] <USER_ID>\n\nFor more information, try '--help'.\n",
    );
    expect(await body('1.9.0', 'users deactivate')).toBe(
      "error: the following required arguments were not provided:\n  <USER_ID>\n\nUsage: admin users deactivate <USER_ID>\n\nFor more information, try '--help'.\n",
    );
    expect(await body('1.9.0', 'users make-user-admin @bob:lab.test @alice:lab.test')).toBe(
      "error: unexpected argument '@alice:lab.test' found\n\nUsage: admin users make-user-admin <USER_ID>\n\nFor more information, try '--help'.\n",
    );
    expect(await body('1.8.2', 'server verify-backup latest')).toBe(
      "error: invalid value 'latest' for '[BACKUP_ID]': invalid digit found in string\n\nFor more information, try '--help'.\n",
    );
    expect(await body('1.9.0', 'users delete-device bob DEVICE')).toBe(
      "error: invalid value 'bob' for '<USER_ID>': leading sigil is incorrect or missing\n\nFor more information, try '--help'.\n",
    );
  });

  it('shows help for a group without its subcommand, for -h and for `help X` (parse_line: X --help)', async () => {
    const group = await admin('1.7.0', 'token');
    expect(group.kind).toBe('plain');
    expect(group.body).toBe(
      '- Commands for managing registration tokens\n\nUsage: admin token <COMMAND>\n\nCommands:\n  issue   - Issue a new registration token\n  revoke  - Revoke a registration token\n  list    - List all registration tokens\n  help    Print this message or the help of the given subcommand(s)\n\nOptions:\n  -h, --help  Print help\n',
    );
    expect(await body('1.7.0', 'help token')).toBe(group.body);
    expect(await body('1.9.0', 'token issue -h')).toContain(
      '\nUsage: admin token issue [OPTIONS]\n\nOptions:\n      --max-uses <MAX_USES>  The maximum number of times this token is allowed to be used before it expires\n',
    );
    expect(await body('1.9.0', '--version')).toBe('tuwunel 1.9.0\n');
  });

  it('commands that exist only in later releases are unknown before (server verify-backup from 1.8.2)', async () => {
    expect(await body('1.8.1', 'server verify-backup')).toBe(
      "error: unrecognized subcommand 'verify-backup'\n\nUsage: admin server <COMMAND>\n\nFor more information, try '--help'.\n",
    );
    // 1.8.3 moved rebuild-relation-index from server to debug (RELEASE.md v1.8.3).
    expect(await body('1.8.2', 'server rebuild-relation-index')).toContain('does not model');
    expect(await body('1.8.3', 'server rebuild-relation-index')).toContain(
      "error: unrecognized subcommand 'rebuild-relation-index'",
    );
  });
});

describe('reply texts of each release', () => {
  it('users list-users, last-active, reset-password, make-user-admin and deactivate', async () => {
    // src/admin/user/last_active.rs: `{ts:?} {ip:<40} {localpart}`, newest first.
    expect(await body('1.9.0', 'users last-active')).toBe(
      `MilliSecondsSinceUnixEpoch(1800000100000) ${'127.0.0.1'.padEnd(40)} admin\nMilliSecondsSinceUnixEpoch(1800000000000) ${'192.168.1.50'.padEnd(40)} alice\n`,
    );
    expect(await body('1.9.0', 'users last-active -l 1')).toBe(
      `MilliSecondsSinceUnixEpoch(1800000100000) ${'127.0.0.1'.padEnd(40)} admin\n`,
    );
    // src/admin/user/reset_password.rs: a generated password is 25 alphanumerics (AUTO_GEN_PASSWORD_LENGTH).
    expect(await body('1.7.0', 'users reset-password bob')).toMatch(
      /^Successfully reset the password for user @bob:lab\.test: `[A-Za-z0-9]{25}`$/,
    );
    expect(await body('1.7.0', 'users reset-password @conduit:lab.test')).toBe(
      'Command failed with error:\n```\nNot allowed to set the password for the server account. Please use the emergency password config option.\n```',
    );
    // service/admin/grant.rs: a member of the admin room is refused before 1.8.0, re-granted after.
    expect(await body('1.7.1', 'users make-user-admin admin')).toBe(
      'Command failed with error:\n```\nUser is already joined in the admin room\n```',
    );
    expect(await body('1.8.0', 'users make-user-admin admin')).toBe(
      '@admin:lab.test has been granted admin privileges.',
    );
    expect(await body('1.9.0', 'users make-user-admin Alice')).toBe(
      '@alice:lab.test has been granted admin privileges.',
    );
    expect(await body('1.9.0', 'users deactivate @alice:lab.test')).toBe(
      'User @alice:lab.test has been deactivated',
    );
    const alice = (await readUsers(hostDir)).find((u) => u.userId === '@alice:lab.test');
    // Leaving every room includes the admin room; her device is gone (last-active no longer lists her).
    expect(alice).toEqual({ userId: '@alice:lab.test', admin: false, deactivated: true });
    expect(await body('1.9.0', 'users last-active')).not.toContain('alice');
    expect(await body('1.9.0', 'users list-users')).toBe(
      'Found 3 local user account(s):\n```\n@admin:lab.test\n@bob:lab.test\n@dave:lab.test\n```',
    );
    expect(await body('1.9.0', 'users make-user-admin @eve:other.example')).toBe(
      'Command failed with error:\n```\nUser "@eve:other.example" does not belong to our server.\n```',
    );
  });

  it('token issue, list (the config token first, in plaintext) and revoke, 1.7.0 and 1.9.0 wording', async () => {
    const issued = await body('1.7.0', 'token issue --once');
    const token =
      /^New registration token issued: `([A-Za-z0-9]{16})` - Token used 0 times\. Expires after 1 uses\.$/.exec(
        issued,
      )?.[1];
    expect(token).toBeDefined();
    // service/registration_tokens: iterate_tokens chains the config tokens first.
    expect(await body('1.7.0', 'token list')).toBe(
      `Found 2 registration tokens:\n- \`${CONFIG_TOKEN}\` --- Token defined in config.\n- \`${token}\` --- Token used 0 times. Expires after 1 uses.\n`,
    );
    expect((await body('1.9.0', 'token list')).split('\n')[1]).toBe(
      `- \`${CONFIG_TOKEN}\` --- Token defined in config file`,
    );
    expect(await body('1.8.3', `token revoke ${CONFIG_TOKEN}`)).toBe(
      'Command failed with error:\n```\nThe token set in the config file cannot be revoked. Edit the config file to change it.\n```',
    );
    expect(await body('1.9.0', `token revoke ${CONFIG_TOKEN}`)).toBe(
      'Command failed with error:\n```\nM_FORBIDDEN: The token set in the config file cannot be revoked. Edit the config file to change it.\n```',
    );
    expect(await body('1.9.0', `token revoke ${token}`)).toBe('Token revoked successfully.');
  });

  it('server backup-database, list-backups, verify-backup, delete-backups (src/database/engine/backup.rs)', async () => {
    const noPath =
      "Command failed with error:\n```\nThere was a problem with the 'database_backup_path' directive in your configuration: Configure path to enable backups\n```";
    expect(await body('1.7.0', 'server backup-database')).toBe(noPath);
    expect(await body('1.9.0', 'server list-backups')).toBe(noPath);
    await writeFile(
      state('tuwunel/config/tuwunel.toml'),
      `server_name = "lab.test"\nregistration_token = "${CONFIG_TOKEN}"\ndatabase_backup_path = "/var/lib/tuwunel/backups"\ndatabase_backups_to_keep = 2\n`,
    );
    expect(await body('1.7.0', 'server list-backups')).toBe(
      'Command failed with error:\n```\nNo backups found.\n```',
    );
    expect(await body('1.7.0', 'server backup-database')).toBe('Done. Currently have 1 backups.');
    expect(await body('1.8.2', 'server backup-database')).toBe('Done. Currently have 2 backups.');
    expect(await body('1.8.2', 'server backup-database')).toBe('Done. Currently have 2 backups.');
    const rfc2822 =
      /#\d+ [A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000: \d+ bytes, \d+ files/;
    // list-backups wrote the entries back to back until 1.8.3 made them one a line.
    expect(await body('1.8.2', 'server list-backups')).toMatch(
      new RegExp(`^${rfc2822.source}${rfc2822.source}$`),
    );
    expect(await body('1.8.3', 'server list-backups')).toMatch(/^#2 .+\n#3 .+\n$/);
    expect(await body('1.8.3', 'server verify-backup')).toBe(
      'Verified backup #3: all files present with expected sizes.',
    );
    expect(await body('1.9.0', 'server verify-backup 9')).toBe(
      'Command failed with error:\n```\nBackup #9 not found; available: 2, 3\n```',
    );
    expect(await body('1.9.0', 'server delete-backups 0')).toBe('Done. Currently have 0 backups.');
  });

  it('rooms list answers (the runbook\'s "hang" was --execute never exiting), 100 a page', async () => {
    // src/admin/room/list.rs: `{id}\tMembers: {n}\tName: {name}`, most members first.
    const list = await body('1.7.0', 'rooms list');
    const rows = list.split('\n').slice(2, -1);
    expect(list).toMatch(/^Rooms \(2\):\n```\n[\s\S]*\n```$/);
    expect(rows.map((r) => r.split('\tName: ')[1]).sort()).toEqual(['Family', 'lab.test Admin Room']);
    for (const row of rows) expect(row).toMatch(/^![A-Za-z0-9]{18}:lab\.test\tMembers: \d+\tName: /);
    const counts = rows.map((r) => Number(r.match(/Members: (\d+)/)?.[1]));
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(await body('1.9.0', 'rooms list 2')).toBe('Command failed with error:\n```\nNo more rooms.\n```');
    expect(await body('1.9.0', 'rooms list --no-details')).toMatch(
      /^Rooms \(2\):\n```\n![A-Za-z0-9]{18}:lab\.test\n/,
    );
  });
});

describe('server shutdown from the admin room', () => {
  it('answers, and the service comes back as systemd restarts it (MDAD unit: Restart=always)', async () => {
    const before = (await readFile(state('unit-meta/matrix-tuwunel'), 'utf8')).split(' ')[7];
    expect(await body('1.9.0', 'server shutdown')).toBe('Shutting down server...');
    expect(await unitState(hostDir, 'matrix-tuwunel')).toBe('active');
    // A new invocation: the container stopped and was started again.
    expect((await readFile(state('unit-meta/matrix-tuwunel'), 'utf8')).split(' ')[7]).not.toBe(before);
    expect((await sh('journalctl -u matrix-tuwunel -n 20 --no-pager')).stdout).toContain(
      'Stopping matrix-tuwunel.service',
    );
  });
});

describe('the Tuwunel binary in a one-off container (src/main/args.rs, src/service/admin/execute.rs)', () => {
  const run = (args: string) =>
    sh(
      `docker run --rm -v /matrix/tuwunel/data:/var/lib/tuwunel ghcr.io/matrix-construct/tuwunel:v1.7.0 ${args}`,
    );

  it('--maintenance --execute <cmd> --execute "server shutdown" answers and exits by itself', async () => {
    await setUnits(hostDir, 'inactive', ['matrix-tuwunel']);
    const r = await run(
      '--maintenance --execute "users make-user-admin @bob:lab.test" --execute "server shutdown"',
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(
      '\n@bob:lab.test has been granted admin privileges.\nShutting down server...\n',
    );
    expect(r.stdout).not.toContain('Listening on');
    expect(r.stdout).toMatch(/Shutdown complete\.\n$/);
    expect((await readUsers(hostDir)).find((u) => u.userId === '@bob:lab.test')?.admin).toBe(true);
  });

  it('without `server shutdown` it keeps serving, and holds the RocksDB lock: matrix-tuwunel cannot start', async () => {
    await setUnits(hostDir, 'inactive', ['matrix-tuwunel']);
    const child = spawn(
      '/bin/bash',
      [
        '-c',
        'exec docker run --rm ghcr.io/matrix-construct/tuwunel:v1.7.0 --maintenance --execute "server uptime"',
      ],
      {
        env: hostEnv(hostDir, labDir),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await eventually(() => /\n\d+\.\d+ (milliseconds|seconds)\.\n/.test(out), 'the uptime answer');
    expect(child.exitCode).toBeNull();
    // A second Tuwunel on the same data, and the service, both meet the lock.
    const second = await run('--execute "server uptime"');
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toBe(
      'Error: IO error: While lock file: /var/lib/tuwunel/LOCK: Resource temporarily unavailable\n',
    );
    expect((await sh('systemctl start matrix-tuwunel')).exitCode).toBe(0);
    expect(await unitState(hostDir, 'matrix-tuwunel')).toBe('failed');
    expect((await sh('journalctl -u matrix-tuwunel -n 3 --no-pager')).stdout).toContain(
      'Critical error starting server: IO error: While lock file: /var/lib/tuwunel/LOCK',
    );
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect((await sh('systemctl restart matrix-tuwunel')).exitCode).toBe(0);
    expect(await unitState(hostDir, 'matrix-tuwunel')).toBe('active');
  });

  it('refuses tags the registry lacks and arguments the binary lacks (--restore-backup from 1.8.2)', async () => {
    await setUnits(hostDir, 'inactive', ['matrix-tuwunel']);
    const missing = await sh(
      'docker run --rm ghcr.io/matrix-construct/tuwunel:v2.0.0 --execute "server shutdown"',
    );
    expect(missing.exitCode).toBe(125);
    expect(missing.stderr).toContain('docker: Error response from daemon: manifest unknown');
    const old = await run('--restore-backup=1 --maintenance --execute "server shutdown"');
    expect(old.exitCode).toBe(2);
    expect(old.stderr).toBe(
      "error: unexpected argument '--restore-backup' found\n\nUsage: tuwunel [OPTIONS]\n\nFor more information, try '--help'.\n",
    );
  });

  it('--restore-backup brings a backup back before the database opens (1.8.2)', async () => {
    await setUnits(hostDir, 'inactive', ['matrix-tuwunel']);
    const v19 = (args: string) => sh(`docker run --rm ghcr.io/matrix-construct/tuwunel:v1.9.0 ${args}`);
    expect(
      (await v19('--maintenance --execute "server backup-database" --execute "server shutdown"')).exitCode,
    ).toBe(0);
    const id = (await readFile(state('tuwunel/backups'), 'utf8')).trim().split('\n').at(-1)?.split('\t')[0];
    expect(
      (await v19('--maintenance --execute "users create frank" --execute "server shutdown"')).exitCode,
    ).toBe(0);
    expect((await readUsers(hostDir)).map((u) => u.userId)).toContain('@frank:lab.test');
    const restored = await v19(`--restore-backup=${id} --maintenance --execute "server shutdown"`);
    expect(restored.exitCode).toBe(0);
    expect(restored.stdout).toMatch(new RegExp(`Restoring database backup backup_id=${id} `));
    expect((await readUsers(hostDir)).map((u) => u.userId)).not.toContain('@frank:lab.test');
    const none = await v19('--restore-backup=99 --maintenance --execute "server shutdown"');
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toMatch(/^Error: Backup #99 not found; available: /);
  });
});

describe("docker ps health (1.8.2's HEALTHCHECK)", () => {
  it('no health before 1.8.2; (health: starting) for the first interval, then (healthy)', async () => {
    const status = async () =>
      (await sh("docker ps --filter name=matrix-tuwunel --format '{{.Status}}'")).stdout.trim();
    await writeFile(state('tuwunel/version'), '1.8.1\n');
    await setUnits(hostDir, 'restart', ['matrix-tuwunel']);
    expect(await status()).toMatch(/^Up (Less than a second|\d+ seconds?)$/);
    await writeFile(state('tuwunel/version'), '1.8.2\n');
    expect(await status()).toMatch(/^Up (Less than a second|\d+ seconds?) \(health: starting\)$/);
    await eventually(async () => (await status()).endsWith('(healthy)'), '(healthy)', 6000);
  });
});

describe('the first start of a newer release (lib/tuwunel-boot.sh, src/service/migrations)', () => {
  const status = async () =>
    (await sh("docker ps --filter name=matrix-tuwunel --format '{{.Status}}'")).stdout.trim();
  const migrationsFile = () => state('tuwunel/migrations');
  const startAs = async (version: string, seconds: { '1.8.0': number; '1.9.0': number }) => {
    await writeFile(migrationsFile(), '');
    await writeFile(
      state('tuwunel/migration-seconds'),
      `1.8.0 ${seconds['1.8.0']}\n1.9.0 ${seconds['1.9.0']}\n`,
    );
    await writeFile(state('tuwunel/version'), `${version}\n`);
    await setUnits(hostDir, 'restart', ['matrix-tuwunel']);
  };
  afterAll(async () => {
    await rm(state('tuwunel/start-faults'), { recursive: true, force: true });
    await writeFile(state('tuwunel/migration-seconds'), '1.8.0 0\n1.9.0 0\n');
  });

  it('health fails while it migrates: (health: starting), then (unhealthy) after three probes past the start period', async () => {
    // Probes every second here; the start period is two intervals.
    await writeFile(state('tuwunel/health-seconds'), '1\n');
    await startAs('1.8.2', { '1.8.0': 30, '1.9.0': 0 });
    expect((await sh('systemctl is-active matrix-tuwunel')).stdout).toBe('active\n');
    expect(await status()).toMatch(/\(health: starting\)$/);
    await eventually(async () => (await status()).endsWith('(unhealthy)'), '(unhealthy)', 8000);
    expect(await readFile(migrationsFile(), 'utf8')).toBe('');
    // Stopped mid-migration: the marker is never written, the next start migrates again.
    await setUnits(hostDir, 'inactive', ['matrix-tuwunel']);
    expect(await readFile(migrationsFile(), 'utf8')).toBe('');
    await writeFile(state('tuwunel/health-seconds'), '2\n');
  });

  it('a start fault after a migration: active at first, failed once it would listen', async () => {
    await mkdir(state('tuwunel/start-faults'), { recursive: true });
    await writeFile(state('tuwunel/start-faults/1.9.0'), 'I/O error: Permission denied (os error 13)\n');
    await startAs('1.9.0', { '1.8.0': 0, '1.9.0': 1 });
    expect((await sh('systemctl is-active matrix-tuwunel')).stdout).toBe('active\n');
    await eventually(
      async () => (await sh('systemctl is-active matrix-tuwunel')).stdout === 'failed\n',
      'the unit to fail',
      5000,
    );
    const journal = (await sh('journalctl -u matrix-tuwunel -o cat -n 4 --no-pager')).stdout;
    expect(journal).toMatch(
      /INFO main:start: tuwunel_service::services: Services startup complete\.\n.* ERROR main: tuwunel: Critical error running server: I\/O error: Permission denied \(os error 13\)\nmatrix-tuwunel\.service: Main process exited, code=exited, status=1\/FAILURE\nmatrix-tuwunel\.service: Failed with result 'exit-code'\.\n$/,
    );
    expect((await readFile(migrationsFile(), 'utf8')).split('\n').filter(Boolean)).toEqual([
      'clear_auth_chain_cache',
      'fix_short_injectivity',
      'rebuild_roomid_tscount_pducount',
    ]);
    expect(await status()).toBe('');
    // A one-off of that release that would listen fails the same way; in maintenance mode it runs.
    const listening = await sh(
      'docker run --rm ghcr.io/matrix-construct/tuwunel:v1.9.0 --execute "server uptime"',
    );
    expect(listening.exitCode).toBe(1);
    expect(listening.stderr).toBe('Error: I/O error: Permission denied (os error 13)\n');
    const maintenance = await sh(
      'docker run --rm ghcr.io/matrix-construct/tuwunel:v1.9.0 --maintenance --execute "server shutdown"',
    );
    expect(maintenance.exitCode).toBe(0);
    await setUnits(hostDir, 'inactive', ['matrix-tuwunel']);
  });
});
