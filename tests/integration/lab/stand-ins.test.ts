import { execFileSync, spawn } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_UNITS } from '../../../src-main/core/profile/schema';
import { createFaults } from '../../lab/faults';
import {
  readUsers,
  setDiskFree,
  setDiskPercent,
  setUnits,
  setupHomeserver,
} from '../../lab/homeserver/setup-homeserver';
import { hostEnv, hostShell } from '../../lab/host/setup-host';
import { LAB_CACHE_DIR } from '../../lab/lab';
import { processesWithEnv, sweepProcesses } from '../../lab/process-sweep';
import { eventually, sleep } from './ssh-helpers';

/**
 * A command whose stdout is a real pipe (a FIFO), like the one sshd gives a session: closing our end is
 * what a closed ssh channel does to the command. (Node's own stdio pipes are socketpairs.)
 */
function onChannel(hostDir: string, labDir: string, command: string) {
  const fifo = join(labDir, `channel-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', [fifo]);
  // Read end opened first (O_RDWR: open does not wait for a writer); through libuv so that closing it
  // closes the fd at once — a blocking fs read on a FIFO would keep it open.
  const reader = new Socket({ fd: openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK), readable: true });
  const child = spawn('/bin/bash', ['-c', `exec ${command} >${fifo}`], {
    env: hostEnv(hostDir, labDir),
    stdio: 'ignore',
  });
  let output = '';
  reader.on('data', (c) => {
    output += c.toString();
  });
  reader.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => output, close: () => reader.destroy(), exited };
}

const tails = async (labDir: string) =>
  (await processesWithEnv(`LAB_DIR=${labDir}`)).filter((pid) => {
    try {
      return execFileSync('cat', [`/proc/${pid}/comm`], { encoding: 'utf8' }).trim() === 'tail';
    } catch {
      return false;
    }
  });

// The homeserver's stand-ins (real bash scripts over the lab state), run as an ssh session would run
// them but without sshd: output formats and exit codes of systemd 252, docker 28, sudo 1.9, coreutils df
// and Tuwunel's admin commands.
describe('homeserver stand-ins (bash)', () => {
  let labDir: string;
  let hostDir: string;
  const sh = (command: string, stdin?: string) => hostShell(hostDir, labDir, command, stdin);
  const write = (path: string, content: string) => writeFile(join(hostDir, 'state', path), content);

  beforeAll(async () => {
    labDir = await mkdtemp(join(tmpdir(), 'hst-stand-ins-'));
    hostDir = join(labDir, 'homeserver');
    await setupHomeserver({
      hostDir,
      cacheDir: LAB_CACHE_DIR,
      serverName: 'lab.test',
      tuwunelVersion: '1.7.0',
      sudoPassword: 'pw',
      units: DEFAULT_UNITS,
      journalIntervalSeconds: 1,
      users: [
        { userId: '@admin:lab.test', admin: true, deactivated: false },
        { userId: '@bob:lab.test', admin: false, deactivated: false },
      ],
    });
  });
  beforeEach(async () => {
    // A test that failed half-way must not leave a hung command for the next one to count.
    await sweepProcesses(`LAB_DIR=${labDir}`);
    await setUnits(hostDir, 'active', DEFAULT_UNITS);
    await write('tuwunel/version', '1.7.0\n');
  });
  afterAll(async () => {
    await sweepProcesses(`LAB_DIR=${labDir}`);
    await rm(labDir, { recursive: true, force: true });
  });

  describe('systemctl', () => {
    it('is-active prints the state and exits 0 when one unit is active, else 3', async () => {
      expect(await sh('systemctl is-active matrix-tuwunel')).toEqual({
        exitCode: 0,
        stdout: 'active\n',
        stderr: '',
      });
      expect((await sh("systemctl is-active 'matrix-*'")).stdout).toBe('active\n'.repeat(9));
      await setUnits(hostDir, 'inactive', ['matrix-tuwunel']);
      expect(await sh('systemctl is-active matrix-tuwunel.service')).toEqual({
        exitCode: 3,
        stdout: 'inactive\n',
        stderr: '',
      });
      await setUnits(hostDir, 'failed', ['matrix-tuwunel']);
      expect(await sh('systemctl is-active --quiet matrix-tuwunel')).toEqual({
        exitCode: 3,
        stdout: '',
        stderr: '',
      });
      expect((await sh('systemctl is-failed matrix-tuwunel')).stdout).toBe('failed\n');
      expect(await sh('systemctl is-active no-such-unit')).toEqual({
        exitCode: 3,
        stdout: 'inactive\n',
        stderr: '',
      });
    });

    it('start/stop/restart are silent; unknown units fail with systemd 252 texts and exit 5', async () => {
      expect(await sh("systemctl stop 'matrix-*'")).toEqual({ exitCode: 0, stdout: '', stderr: '' });
      expect((await sh("systemctl is-active 'matrix-*'")).stdout).toBe('inactive\n'.repeat(9));
      expect(await sh('systemctl start matrix-tuwunel nope')).toEqual({
        exitCode: 5,
        stdout: '',
        stderr: 'Failed to start nope.service: Unit nope.service not found.\n',
      });
      expect((await sh('systemctl is-active matrix-tuwunel')).stdout).toBe('active\n');
      expect(await sh('systemctl stop nope.service')).toEqual({
        exitCode: 5,
        stdout: '',
        stderr: 'Failed to stop nope.service: Unit nope.service not loaded.\n',
      });
      expect((await sh('systemctl restart nope')).stderr).toBe(
        'Failed to restart nope.service: Unit nope.service not found.\n',
      );
    });

    it('show prints key=value lines in bus order; -p, --value; timestamps as systemd formats them', async () => {
      const r = await sh(
        'systemctl show matrix-tuwunel -p SubState,ActiveState,MainPID,NRestarts,Result,ActiveEnterTimestamp,ActiveExitTimestamp --no-pager',
      );
      expect(r.stdout).toMatch(
        /^MainPID=\d+\nResult=success\nNRestarts=0\nActiveState=active\nSubState=running\nActiveEnterTimestamp=[A-Z][a-z]{2} \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [A-Z]+\nActiveExitTimestamp=\n$/,
      );
      expect((await sh('systemctl show -p ActiveState --value matrix-tuwunel matrix-traefik')).stdout).toBe(
        'active\n\nactive\n',
      );
      const all = (await sh('systemctl show matrix-tuwunel')).stdout;
      expect(all).toContain('Id=matrix-tuwunel.service\n');
      expect(all).toContain('Description=Tuwunel Matrix homeserver\n');
      expect(all).not.toContain('ActiveExitTimestamp=\n');
      expect((await sh('systemctl show -p LoadState,ActiveState nope')).stdout).toBe(
        'LoadState=not-found\nActiveState=inactive\n',
      );
      await setUnits(hostDir, 'failed', ['matrix-tuwunel']);
      expect((await sh('systemctl show -p Result,ActiveState,SubState matrix-tuwunel')).stdout).toBe(
        'Result=exit-code\nActiveState=failed\nSubState=failed\n',
      );
    });

    it('show -p prints every property it names in bus order, empty ones and those of a missing unit too', async () => {
      expect(
        (await sh('systemctl show -p Id,LoadState,ActiveState,SubState,StateChangeTimestamp nope')).stdout,
      ).toBe(
        'Id=nope.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nStateChangeTimestamp=\n',
      );
      // Each property once, whatever the -p order; names systemd does not have print nothing.
      expect((await sh('systemctl show -p SubState,Id,Bogus -p Id matrix-tuwunel')).stdout).toBe(
        'Id=matrix-tuwunel.service\nSubState=running\n',
      );
      await setUnits(hostDir, 'failed', ['matrix-postgres']);
      expect(
        (
          await sh(
            'systemctl show -p InvocationID,ExecMainCode,ControlGroup --value matrix-postgres matrix-tuwunel',
          )
        ).stdout,
      ).toMatch(/^1\n\n[0-9a-f]{32}\n\n0\n\/system\.slice\/matrix-tuwunel\.service\n[0-9a-f]{32}\n$/);
    });

    it("list-units prints systemd's table and legend", async () => {
      await setUnits(hostDir, 'failed', ['matrix-postgres']);
      await setUnits(hostDir, 'inactive', ['matrix-exim-relay']);
      const r = await sh("systemctl list-units 'matrix-*' --no-pager");
      const lines = r.stdout.split('\n');
      expect(lines[0]).toBe('  UNIT                                  LOAD   ACTIVE SUB     DESCRIPTION');
      expect(lines).toContain(
        '● matrix-postgres.service               loaded failed failed  Matrix Postgres server',
      );
      expect(lines).toContain(
        '  matrix-tuwunel.service                loaded active running Tuwunel Matrix homeserver',
      );
      expect(r.stdout).not.toContain('matrix-exim-relay');
      expect(
        r.stdout.endsWith(
          '\nLOAD   = Reflects whether the unit definition was properly loaded.\n' +
            'ACTIVE = The high-level unit activation state, i.e. generalization of SUB.\n' +
            'SUB    = The low-level unit activation state, values depend on unit type.\n' +
            '8 loaded units listed. Pass --all to see loaded but inactive units, too.\n' +
            "To show all installed unit files use 'systemctl list-unit-files'.\n",
        ),
      ).toBe(true);
      const plain = await sh("systemctl list-units --all --plain --no-legend 'matrix-*'");
      expect(plain.stdout.split('\n')).toContain(
        'matrix-exim-relay.service             loaded inactive dead    Exim relay (matrix-exim-relay)',
      );
      expect(plain.stdout.trim().split('\n')).toHaveLength(9);
    });
  });

  describe('docker', () => {
    it("ps with the runbook's table format aligns like docker's tabwriter", async () => {
      const r = await sh("docker ps --filter name=matrix- --format 'table {{.Names}}\\t{{.Status}}'");
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`${'NAMES'.padEnd(32)}STATUS`);
      expect(lines).toHaveLength(10);
      expect(lines.find((l) => l.startsWith('matrix-container-socket-proxy'))).toMatch(
        /^matrix-container-socket-proxy {3}Up (Less than a second|\d+ seconds?)$/,
      );
      expect(r.exitCode).toBe(0);
    });

    it('ps --format {{json .}} prints docker 28 fields, keys sorted; the image follows the version', async () => {
      await write('tuwunel/version', '1.9.0\n');
      const r = await sh("docker ps --filter name=tuwunel --format '{{json .}}'");
      const row = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(Object.keys(row)).toEqual([
        'Command',
        'CreatedAt',
        'ID',
        'Image',
        'Labels',
        'LocalVolumes',
        'Mounts',
        'Names',
        'Networks',
        'Platform',
        'Ports',
        'RunningFor',
        'Size',
        'State',
        'Status',
      ]);
      expect(row).toMatchObject({
        Image: 'ghcr.io/matrix-construct/tuwunel:v1.9.0',
        Names: 'matrix-tuwunel',
        State: 'running',
        Command: '"/usr/bin/tuwunel"',
      });
      // 1.8.2 and later images have a HEALTHCHECK (docker/bake.hcl), so docker appends its state.
      expect(row.Status).toMatch(/^Up .+ \((healthy|health: starting)\)$/);
      expect(row.ID).toMatch(/^[0-9a-f]{12}$/);
      expect(row.CreatedAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} [A-Z]+$/);
    });

    it('containers follow their units: stopped and failed ones show as Exited under -a', async () => {
      await setUnits(hostDir, 'inactive', ['matrix-tuwunel']);
      await setUnits(hostDir, 'failed', ['matrix-traefik']);
      const running = await sh("docker ps --format '{{.Names}}'");
      expect(running.stdout).not.toContain('matrix-tuwunel');
      const all = await sh("docker ps -a --format '{{.Names}} {{.State}} {{.Status}}'");
      expect(all.stdout).toMatch(
        /^matrix-tuwunel exited Exited \(0\) (Less than a second|\d+ seconds?) ago$/m,
      );
      expect(all.stdout).toMatch(
        /^matrix-traefik exited Exited \(1\) (Less than a second|\d+ seconds?) ago$/m,
      );
      const table = (await sh('docker ps')).stdout.split('\n');
      expect(table[0]).toMatch(
        /^CONTAINER ID {3}IMAGE {2,}COMMAND {2,}CREATED {2,}STATUS {2,}PORTS {2,}NAMES$/,
      );
    });

    it('ps gives every container its own age and status time, whatever the order they are listed in', async () => {
      const hour = 3600 * 1_000_000;
      await setUnits(hostDir, 'restart', DEFAULT_UNITS, Date.now() * 1000 - 3 * hour);
      await setUnits(
        hostDir,
        'failed',
        ['matrix-exim-relay', 'matrix-postgres'],
        Date.now() * 1000 - hour / 2,
      );
      try {
        const rows = (await sh("docker ps -a --format '{{json .}}'")).stdout
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as { Names: string; RunningFor: string; Status: string });
        expect(rows).toHaveLength(9);
        for (const row of rows) {
          expect(row.RunningFor).toBe('3 hours ago');
          expect(row.Status).toBe(
            ['matrix-exim-relay', 'matrix-postgres'].includes(row.Names)
              ? 'Exited (1) 30 minutes ago'
              : 'Up 3 hours',
          );
        }
      } finally {
        // The tests after this one expect containers started just now.
        await setUnits(hostDir, 'restart', DEFAULT_UNITS);
      }
    });

    it('ps -s pads empty cells too, so SIZE lines up as tabwriter aligns it', async () => {
      const lines = (await sh('docker ps -s')).stdout.trimEnd().split('\n');
      const at = lines[0]?.indexOf('SIZE') ?? -1;
      expect(at).toBeGreaterThan(0);
      expect(lines).toHaveLength(10);
      for (const line of lines.slice(1)) expect(line.slice(at)).toBe('0B (virtual 52.4MB)');
    });

    it('refuses unknown commands and template fields as docker does', async () => {
      expect(await sh('docker compose up')).toMatchObject({
        exitCode: 1,
        stderr: "docker: unknown command: docker compose\n\nRun 'docker --help' for more information\n",
      });
      const bad = await sh("docker ps --format '{{.Nope}}'");
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toContain("can't evaluate field Nope");
    });

    it('run --execute is refused with the RocksDB lock error while matrix-tuwunel runs', async () => {
      const r = await sh(
        'docker run --rm -v /matrix/tuwunel/data:/var/lib/tuwunel ghcr.io/matrix-construct/tuwunel:v1.7.0 --execute "users make-user-admin @bob:lab.test"',
      );
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toBe(
        'Error: IO error: While lock file: /var/lib/tuwunel/LOCK: Resource temporarily unavailable\n',
      );
      expect(r.stdout).toContain('ERROR tuwunel: Critical error starting server: IO error: While lock file');
      expect((await readUsers(hostDir)).find((u) => u.userId === '@bob:lab.test')?.admin).toBe(false);
    });

    it('run --execute answers, then keeps serving until SIGTERM (like the real server)', async () => {
      await setUnits(hostDir, 'inactive', ['matrix-tuwunel']);
      const child = spawn(
        '/bin/bash',
        [
          '-c',
          'exec docker run --rm ghcr.io/matrix-construct/tuwunel:v1.7.0 --execute "users make-user-admin @bob:lab.test"',
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
      await eventually(() => out.includes('Listening on'), 'the server to listen');
      expect(out).toContain('\n@bob:lab.test has been granted admin privileges.\n');
      expect((await readUsers(hostDir)).find((u) => u.userId === '@bob:lab.test')?.admin).toBe(true);
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(out).toContain('Shutdown complete.');
      const once = await sh(
        'docker run --rm ghcr.io/matrix-construct/tuwunel:v1.7.0 --execute "users make-user-admin @bob:lab.test" --execute "server shutdown"',
      );
      // 1.7.0 refuses an admin who already is one; a failed --execute aborts start-up.
      expect(once.exitCode).toBe(1);
      expect(once.stdout).toContain('User is already joined in the admin room');
      expect(once.stderr).toBe('Error: Execute command #0 failed.\n');
    });

    it('run --execute "rooms list" answers and then never ends by itself (the runbook\'s "hang"), until its channel closes', async () => {
      await setUnits(hostDir, 'inactive', ['matrix-tuwunel']);
      const run = onChannel(
        hostDir,
        labDir,
        'docker run --rm ghcr.io/matrix-construct/tuwunel:v1.7.0 --execute "rooms list"',
      );
      await eventually(() => run.output().includes('Listening on'), 'start-up');
      await sleep(300);
      expect(run.child.exitCode).toBeNull();
      expect(await tails(labDir)).toHaveLength(1);
      expect(run.output()).toMatch(
        /\nRooms \(2\):\n!\w+:lab\.test\tMembers: \d+\tName: lab\.test Admin Room\n/,
      );
      run.close();
      await run.exited;
      await eventually(async () => (await tails(labDir)).length === 0, 'the hung command to end');
    });
  });

  describe('tuwunel-admin (admin room replies)', () => {
    it('users make-user-admin and deactivate, with Tuwunel 1.7.0 and 1.9.0 texts', async () => {
      expect((await sh("tuwunel-admin 'users make-user-admin @admin:lab.test'")).stdout).toBe(
        'Command failed with error:\n```\nUser is already joined in the admin room\n```\n',
      );
      await write('tuwunel/version', '1.9.0\n');
      expect((await sh("tuwunel-admin 'users make-user-admin @admin:lab.test'")).stdout).toBe(
        '@admin:lab.test has been granted admin privileges.\n',
      );
      expect((await sh("tuwunel-admin 'users make-user-admin @eve:other.example'")).stdout).toBe(
        'Command failed with error:\n```\nUser "@eve:other.example" does not belong to our server.\n```\n',
      );
      expect((await sh("tuwunel-admin 'users deactivate --no-leave-rooms @bob:lab.test'")).stdout).toBe(
        'User @bob:lab.test has been deactivated\n',
      );
      expect((await readUsers(hostDir)).find((u) => u.userId === '@bob:lab.test')?.deactivated).toBe(true);
      expect((await sh("tuwunel-admin 'users deactivate @conduit:lab.test'")).stdout).toContain(
        'Not allowed to deactivate the server service account.',
      );
      // clap's message ends with a newline (error/format.rs try_help); the stand-in adds one for the terminal.
      expect((await sh("tuwunel-admin 'users frobnicate'")).stdout).toBe(
        "error: unrecognized subcommand 'frobnicate'\n\nUsage: admin users <COMMAND>\n\nFor more information, try '--help'.\n\n",
      );
    });

    it('token issue, list and revoke', async () => {
      await write(
        'tuwunel/config/tuwunel.toml',
        'server_name = "lab.test"\nregistration_token = "from-config"\n',
      );
      const issued = (await sh("tuwunel-admin 'token issue --max-uses 1'")).stdout;
      const m =
        /^New registration token issued: `([A-Za-z0-9]{16})` - Token used 0 times\. Expires after 1 uses\.\n$/.exec(
          issued,
        );
      expect(m).not.toBeNull();
      const token = m![1]!;
      expect((await sh("tuwunel-admin 'token issue --max-age 7d'")).stdout).toMatch(
        /^New registration token issued: `[A-Za-z0-9]{16}` - Token used 0 times\. Expires in 6\.99 days \(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\)\.\n$/,
      );
      const list = (await sh("tuwunel-admin 'token list'")).stdout;
      expect(list).toMatch(/^Found 3 registration tokens:\n- `from-config` --- Token defined in config\.\n/);
      expect(list).toContain(`- \`${token}\` --- Token used 0 times. Expires after 1 uses.\n`);
      await write('tuwunel/version', '1.9.0\n');
      expect((await sh("tuwunel-admin 'token list'")).stdout).toContain(
        '- `from-config` --- Token defined in config file\n',
      );
      expect((await sh(`tuwunel-admin 'token revoke ${token}'`)).stdout).toBe(
        'Token revoked successfully.\n',
      );
      expect((await sh(`tuwunel-admin 'token revoke ${token}'`)).stdout).toBe(
        'Command failed with error:\n```\nM_NOT_FOUND: Registration token not found\n```\n',
      );
      expect((await sh("tuwunel-admin 'token revoke from-config'")).stdout).toBe(
        'Command failed with error:\n```\nM_FORBIDDEN: The token set in the config file cannot be revoked. Edit the config file to change it.\n```\n',
      );
    });
  });

  describe('journalctl', () => {
    it('prints the unit journal in short, short-iso and json formats', async () => {
      await setUnits(hostDir, 'restart', ['matrix-tuwunel']);
      const short = await sh('journalctl -u matrix-tuwunel -n 6 --no-pager');
      const lines = short.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(6);
      for (const l of lines)
        expect(l).toMatch(
          /^[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} matrix (systemd\[1\]|matrix-tuwunel\[\d+\]): /,
        );
      const all = (await sh('journalctl -u matrix-tuwunel --no-pager')).stdout;
      expect(all).toContain('systemd[1]: Stopping matrix-tuwunel.service - Tuwunel Matrix homeserver...\n');
      expect(all).toContain('systemd[1]: matrix-tuwunel.service: Deactivated successfully.\n');
      expect(all).toContain('systemd[1]: Started matrix-tuwunel.service - Tuwunel Matrix homeserver.\n');
      expect((await sh('journalctl -u matrix-tuwunel -n 1 -o short-iso')).stdout).toMatch(
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4} matrix /,
      );
      const json = (await sh('journalctl -u matrix-tuwunel -n 3 -o json')).stdout.trimEnd().split('\n');
      for (const l of json) {
        const e = JSON.parse(l) as Record<string, string>;
        expect(Object.keys(e).slice(0, 4)).toEqual([
          '__CURSOR',
          '__REALTIME_TIMESTAMP',
          '__MONOTONIC_TIMESTAMP',
          '_BOOT_ID',
        ]);
        expect(e.MESSAGE).toEqual(expect.any(String));
        expect(e._HOSTNAME).toBe('matrix');
      }
      expect((await sh('journalctl -u nope')).stdout).toBe('-- No entries --\n');
    });

    it('-f keeps printing while the unit runs and ends when its channel closes', async () => {
      const follow = onChannel(hostDir, labDir, 'journalctl -u matrix-tuwunel -f -n 0');
      await eventually(() => follow.output().split('\n').length >= 3, 'two followed lines', 8000);
      expect(follow.output()).toMatch(/matrix-tuwunel\[\d+\]: \d{4}-\d{2}-\d{2}T/);
      follow.close();
      await follow.exited;
      await eventually(
        async () => (await processesWithEnv(`LAB_DIR=${labDir}`)).length === 0,
        'journalctl to end',
      );
    });

    it('-f ends when the channel closes even while nothing is logged', async () => {
      await setUnits(hostDir, 'inactive', ['matrix-tuwunel']);
      const follow = onChannel(hostDir, labDir, 'journalctl -u matrix-tuwunel -f');
      await eventually(() => follow.output().includes('Stopped matrix-tuwunel.service'), 'the last lines');
      follow.close();
      await follow.exited;
      await eventually(
        async () => (await processesWithEnv(`LAB_DIR=${labDir}`)).length === 0,
        'journalctl to end',
      );
    });
  });

  describe('df', () => {
    it('reports the data disk as GNU df does, Use% from the state', async () => {
      expect((await sh('df -P /matrix/tuwunel/data')).stdout).toBe(
        'Filesystem     1024-blocks     Used Available Capacity Mounted on\n' +
          '/dev/sda1         63157895 25200000  34800000      42% /\n',
      );
      await setDiskPercent(hostDir, 91);
      expect((await sh('df --output=pcent /matrix/tuwunel/data')).stdout).toBe('Use%\n 91%\n');
      expect(await sh('df /no/such/dir')).toEqual({
        exitCode: 1,
        stdout: '',
        stderr: 'df: /no/such/dir: No such file or directory\n',
      });
      expect((await sh('df -P --output=pcent /')).stderr).toBe(
        "df: options -P and --output are mutually exclusive\nTry 'df --help' for more information.\n",
      );
      await setDiskPercent(hostDir, 42);
    });

    it('can report an exact amount free instead (a backup that would not fit), Use% rounded up as df does', async () => {
      await setDiskFree(hostDir, 150 * 1024 * 1024);
      expect((await sh('df -P /matrix/tuwunel/data/backups')).stdout).toBe(
        'Filesystem     1024-blocks     Used Available Capacity Mounted on\n' +
          '/dev/sda1         63157895 59846400    153600     100% /\n',
      );
      await setDiskFree(hostDir, 30_000_000 * 1024);
      expect((await sh('df --output=avail,pcent /matrix/tuwunel/data')).stdout).toBe(
        '   Avail Use%\n30000000  50%\n',
      );
      await setDiskFree(hostDir, undefined);
      expect((await sh('df --output=pcent /matrix/tuwunel/data')).stdout).toBe('Use%\n 42%\n');
    });
  });

  describe('sudo', () => {
    it('gives up after three wrong passwords', async () => {
      expect(await sh("sudo -S -p '' true", 'a\nb\nc\n')).toEqual({
        exitCode: 1,
        stdout: '',
        stderr: 'Sorry, try again.\nSorry, try again.\nsudo: 3 incorrect password attempts\n',
      });
      expect(await sh("sudo -S -p '' true", 'a\npw\n')).toEqual({
        exitCode: 0,
        stdout: '',
        stderr: 'Sorry, try again.\n',
      });
      expect((await sh("sudo -S -p '' nosuchcommand", 'pw\n')).stderr).toBe(
        'sudo: nosuchcommand: command not found\n',
      );
    });
  });

  describe('status polls', () => {
    it('run on bash builtins alone, so they cost what the real tools cost', async () => {
      await setUnits(hostDir, 'failed', ['matrix-postgres']);
      await setUnits(hostDir, 'inactive', ['matrix-exim-relay']);
      const polled = [
        `systemctl show -p Id,LoadState,ActiveState,SubState,StateChangeTimestamp ${DEFAULT_UNITS.join(' ')} nope`,
        `systemctl is-active ${DEFAULT_UNITS.join(' ')}`,
        "docker ps -a --filter name=matrix- --format '{{json .}}'",
        'df -P -- /matrix/tuwunel/data',
      ];
      // Container ages tick between the two runs.
      const aged = (r: { exitCode: number; stdout: string; stderr: string }) => ({
        ...r,
        stdout: r.stdout.replace(/Less than a second|\d+ seconds?|About a minute/g, 'a while'),
      });
      for (const command of polled) {
        const normal = aged(await sh(command));
        expect(normal.stdout).not.toBe('');
        // Only the host's own bin on PATH: a stat, date, sed, cat or sort would be "command not found".
        expect(aged(await sh(`PATH=${join(hostDir, 'bin')}; ${command}`))).toEqual(normal);
      }
    });
  });

  describe('fault switches', () => {
    it('hand out `times` uses exactly once, even to concurrent commands', async () => {
      const faults = createFaults({ homeserver: hostDir, deploy: join(labDir, 'deploy') });
      faults.exit('homeserver', 'systemctl is-active*', 9, 'boom\n', 2);
      const results = await Promise.all(
        Array.from({ length: 6 }, () => sh('systemctl is-active matrix-tuwunel')),
      );
      expect(results.filter((r) => r.exitCode === 9)).toHaveLength(2);
      expect(results.filter((r) => r.exitCode === 0)).toHaveLength(4);
      expect(results.find((r) => r.exitCode === 9)?.stderr).toBe('boom\n');
      faults.clear();
      expect(await readFile(join(hostDir, 'exec.log'), 'utf8')).toBe('');
    });
  });
});
