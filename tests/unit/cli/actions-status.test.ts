import { describe, expect, it } from 'vitest';
import { actionsCommand, formatActions, paramsText } from '../../../src-main/cli/actions-command';
import { EXIT } from '../../../src-main/cli/exit-codes';
import { statusAllCommand, statusCommand } from '../../../src-main/cli/status-command';
import { HostKeyChanged, HostKeyUnknown, SudoFailed } from '../../../src-main/core/errors';
import { MaintenanceStore } from '../../../src-main/core/runbook/maintenance';
import { Runbook } from '../../../src-main/core/runbook/runner';
import { StatusScheduler, type StatusSnapshot } from '../../../src-main/core/status/scheduler';
import type { StatusSource } from '../../../src-main/core/status/service';
import type { CheckResult, Level } from '../../../src-main/core/status/types';
import { MemorySecrets, testProfile } from '../core/runbook/test-profile';
import { memoryIo } from './cli-io';

const profile = testProfile();
const refuse = { exec: async () => Promise.reject(new Error('no remote in this test')) };

describe('actions', () => {
  const runbook = new Runbook({
    profile,
    exec: refuse,
    maintenance: new MaintenanceStore(),
    secrets: new MemorySecrets(),
  });

  it('lists every action of the catalog by group with its parameters', async () => {
    const { io, out } = memoryIo();
    expect(await actionsCommand([], { runbook }, io)).toBe(0);
    const lines = out.stdout.split('\n');
    for (const a of runbook.actions()) {
      const line = lines.find((l) => l.startsWith(`  ${a.id} `));
      expect(
        line
          ?.slice(a.id.length + 2)
          .trimStart()
          .startsWith(a.title),
      ).toBe(true);
    }
    expect(out.stdout).toMatch(
      /\n {2}user\.deactivate +Close someone's account +user=… \[leaveRooms=true\]\n/,
    );
    expect(out.stdout).toMatch(/^Stack\n/);
    expect(out.stdout).toContain('logs.follow');
    expect(out.stdout).toContain('(read-only)');
  });

  it('--json gives the catalog as data', async () => {
    const { io, out } = memoryIo();
    expect(await actionsCommand(['--json'], { runbook }, io)).toBe(0);
    expect(JSON.parse(out.stdout).map((a: { id: string }) => a.id)).toEqual(
      runbook.actions().map((a) => a.id),
    );
  });

  it('refuses arguments', async () => {
    const { io } = memoryIo();
    expect(await actionsCommand(['stack.stop'], { runbook }, io)).toBe(64);
  });

  it('writes optional parameters in brackets with their default', () => {
    expect(
      paramsText({
        params: { properties: { a: {}, b: { default: 3 }, c: {} }, required: ['a'] },
      }),
    ).toBe('a=… [b=3] [c=…]');
    expect(
      formatActions(
        [{ id: 'x.y', title: 'X', description: '', group: 'G', host: 'deploy', readOnly: false, params: {} }],
        'npm run cli --',
      ),
    ).toMatch(/^G\n {2}x\.y {2}X\n[\s\S]*See what an action would do: npm run cli -- run <id> --dry-run\n$/);
  });
});

function result(id: string, level: Level, host: CheckResult['host'] = 'homeserver'): CheckResult {
  const now = new Date().toISOString();
  return {
    id,
    host,
    group: 'g',
    title: id,
    level,
    detail: `${id} is ${level}.`,
    since: now,
    checkedAt: now,
    units: [],
  };
}

function schedulerWith(results: CheckResult[], hosts: StatusSnapshot['hosts'] = {}) {
  const snapshot: StatusSnapshot = {
    profile: 'lab.test',
    overall: 'ok',
    results,
    alerts: {},
    refreshedAt: new Date().toISOString(),
    refreshing: false,
    hosts,
    maintenance: [],
    intervalSeconds: 30,
  };
  return { refreshNow: async () => snapshot, stop: async () => {} } as unknown as StatusScheduler;
}

describe('status exit codes', () => {
  it.each([
    [['ok', 'ok'], 0],
    [['ok', 'warn'], 1],
    [['ok', 'maintenance'], 1],
    [['warn', 'unknown'], 2],
    [['ok', 'fail'], 2],
  ] as [Level[], number][])('%j → %i', async (levels, code) => {
    const { io, out } = memoryIo();
    const scheduler = schedulerWith(levels.map((l, i) => result(`c${i}`, l)));
    expect(await statusCommand([], { profile, remote: refuse, scheduler }, io)).toBe(code);
    expect(out.stdout).toMatch(/^HOST +CHECK +LEVEL +SINCE +DETAIL\n/);
    const json = memoryIo();
    expect(await statusCommand(['--json'], { profile, remote: refuse, scheduler }, json.io)).toBe(code);
    expect(JSON.parse(json.out.stdout)).toMatchObject({ profile: 'lab.test', exitCode: code });
  });

  it('an unknown host key is exit 3 with the fingerprint and the trust command', async () => {
    const e = new HostKeyUnknown('deploy', '[127.0.0.2]:22', 'ssh-ed25519', 'SHA256:abc');
    const scheduler = schedulerWith([result('ssh:deploy', 'fail', 'deploy')], {
      deploy: { ok: false, failures: 1, error: e.toJSON() },
    });
    const { io, out } = memoryIo();
    io.name = 'npm run cli --';
    expect(await statusCommand([], { profile, remote: refuse, scheduler }, io)).toBe(3);
    expect(out.stderr).toBe(
      `${e.message}\nCompare the fingerprint with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on that machine; if it is the same, trust it with \`npm run cli -- hostkey trust deploy\`.\n`,
    );
  });

  it('a changed host key is exit 3 with the warning and the explicit way out', async () => {
    const e = new HostKeyChanged(
      'homeserver',
      'a',
      'ssh-ed25519',
      ['ssh-ed25519 SHA256:old (f:1)'],
      'SHA256:new',
    );
    const scheduler = schedulerWith([result('ssh:homeserver', 'fail')], {
      homeserver: { ok: false, failures: 1, error: e.toJSON() },
    });
    const { io, out } = memoryIo();
    io.name = 'npm run cli --';
    expect(await statusCommand([], { profile, remote: refuse, scheduler }, io)).toBe(3);
    expect(out.stderr).toContain(e.message);
    expect(out.stderr).toContain(
      'only then run `npm run cli -- hostkey forget homeserver` and `npm run cli -- hostkey trust homeserver`',
    );
  });

  it('a host refused for a secret says which command stores it, not where the window keeps it', async () => {
    const e = new SudoFailed('homeserver', 'a password is required');
    const scheduler = schedulerWith([result('ssh:homeserver', 'fail')], {
      homeserver: { ok: false, failures: 1, error: e.toJSON() },
    });
    const { io, out } = memoryIo();
    expect(await statusCommand([], { profile, remote: refuse, scheduler }, io)).toBe(2);
    expect(out.stderr).toBe(
      `${e.message}\nStore the sudo password for the homeserver host with \`homeserver-tray secret set sudo-password --host homeserver\` (typed without echo, or piped on stdin), then run the command again.\n`,
    );
  });

  it('refuses an unknown option or an argument with 64, naming it', async () => {
    const { io, out } = memoryIo();
    expect(
      await statusCommand(['--jsn'], { profile, remote: refuse, scheduler: schedulerWith([]) }, io),
    ).toBe(EXIT.usage);
    expect(out.stderr).toContain('--jsn: is not an option of this command');
    const extra = memoryIo();
    expect(
      await statusCommand(['all'], { profile, remote: refuse, scheduler: schedulerWith([]) }, extra.io),
    ).toBe(EXIT.usage);
    expect(extra.out.stderr).toContain('all: is not an argument of status');
  });
});

/** A status source whose refresh breaks as a whole, as one malformed server value once made it. */
const broken: StatusSource = {
  refresh: async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'hostname')");
  },
};

function brokenScheduler(intervalSeconds = 30): StatusScheduler {
  return new StatusScheduler(broken, {
    profileName: 'lab.test',
    hosts: ['homeserver'],
    intervalSeconds,
    failuresBeforeDown: 2,
    realertEvery: 0,
  });
}

describe('status never says OK when it could not look', () => {
  it('a refresh that breaks is FAIL and exit 2, in the table and in JSON', async () => {
    const { io, out } = memoryIo();
    expect(await statusCommand([], { profile, remote: refuse, scheduler: brokenScheduler() }, io)).toBe(2);
    expect(out.stdout).not.toMatch(/Overall: OK/);
    expect(out.stdout).toMatch(/\npublic +Status refresh +FAIL +\d+ s +The status refresh itself failed/);
    expect(out.stdout).toMatch(/\nOverall: FAIL\n$/);
    expect(out.stderr).toMatch(/^Something unexpected went wrong: Cannot read properties of undefined/);
    const json = memoryIo();
    expect(
      await statusCommand(['--json'], { profile, remote: refuse, scheduler: brokenScheduler() }, json.io),
    ).toBe(2);
    expect(JSON.parse(json.out.stdout)).toMatchObject({ overall: 'unknown', exitCode: 2 });
  });

  it('no result at all is UNKNOWN and exit 2', async () => {
    const { io, out } = memoryIo();
    expect(await statusCommand([], { profile, remote: refuse, scheduler: schedulerWith([]) }, io)).toBe(2);
    expect(out.stdout).toMatch(/\nOverall: UNKNOWN \(no check has a result: nothing could be looked at\)\n$/);
  });

  it('--watch reports every broken poll, keeps polling and ends with 2', async () => {
    const stop = new AbortController();
    const { io, out } = memoryIo();
    let reports = 0;
    const counting = {
      ...io,
      stdout: (t: string) => {
        io.stdout(t);
        if (t.startsWith('{') && ++reports === 3) stop.abort();
      },
    };
    const scheduler = brokenScheduler(0.05);
    const code = await statusCommand(
      ['--watch', '--json'],
      { profile, remote: refuse, scheduler, stop: stop.signal },
      counting,
    );
    expect(code).toBe(2);
    const lines = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { overall: string; exitCode: number });
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.overall === 'unknown' && l.exitCode === 2)).toBe(true);
    expect(out.stderr).toMatch(/^DOWN: Status refresh — The status refresh itself failed/m);
  });

  it('--watch stopped before its first report has not looked: exit 2', async () => {
    const stop = new AbortController();
    stop.abort();
    const { io } = memoryIo();
    const scheduler = brokenScheduler();
    expect(
      await statusCommand(['--watch'], { profile, remote: refuse, scheduler, stop: stop.signal }, io),
    ).toBe(2);
  });
});

describe('status --all', () => {
  const server = (id: string, name: string, levels: Level[], hosts: StatusSnapshot['hosts'] = {}) => ({
    id,
    profile: { ...profile, name, serverName: `${id}.example` },
    scheduler: schedulerWith(
      levels.map((l, i) => result(`c${i}`, l)),
      hosts,
    ),
  });

  it('a table per server under a line naming it and its level; the exit code is the worst server’s', async () => {
    const { io, out } = memoryIo();
    const servers = [server('home', 'Home', ['ok']), server('family', 'Family', ['ok', 'warn'])];
    expect(await statusAllCommand(['--all'], servers, io)).toBe(1);
    expect(out.stdout).toMatch(/^== Home \(home\.example\): OK ==\nHOST +CHECK/);
    expect(out.stdout).toMatch(/\n\n== Family \(family\.example\): WARN ==\nHOST +CHECK/);
    const failing = memoryIo();
    expect(
      await statusAllCommand(['--all'], [...servers, server('club', 'Club', ['fail'])], failing.io),
    ).toBe(2);
  });

  it('--json: one object with every server in the given order, each with its own exit code', async () => {
    const { io, out } = memoryIo();
    const servers = [server('home', 'Home', ['ok']), server('family', 'Family', ['unknown'])];
    expect(await statusAllCommand(['--all', '--json'], servers, io)).toBe(2);
    const parsed = JSON.parse(out.stdout);
    expect(parsed.exitCode).toBe(2);
    expect(
      parsed.servers.map((s: { id: string; serverName: string; overall: string; exitCode: number }) => [
        s.id,
        s.serverName,
        s.overall,
        s.exitCode,
      ]),
    ).toEqual([
      ['home', 'home.example', 'ok', 0],
      ['family', 'family.example', 'unknown', 2],
    ]);
  });

  it('a host key to trust on any server is exit 3, whatever the others say', async () => {
    const e = new HostKeyUnknown('deploy', '[127.0.0.2]:22', 'ssh-ed25519', 'SHA256:abc');
    const { io, out } = memoryIo();
    const servers = [
      server('home', 'Home', ['fail']),
      server('family', 'Family', ['fail'], { deploy: { ok: false, failures: 1, error: e.toJSON() } }),
    ];
    expect(await statusAllCommand(['--all'], servers, io)).toBe(EXIT.hostKey);
    expect(out.stderr).toContain('SHA256:abc');
  });

  it('refuses --watch and stray arguments, polling nothing', async () => {
    let polled = 0;
    const counted = {
      ...server('home', 'Home', ['ok']),
      scheduler: {
        refreshNow: async () => {
          polled += 1;
          throw new Error('not polled');
        },
      } as unknown as StatusScheduler,
    };
    const watch = memoryIo();
    expect(await statusAllCommand(['--all', '--watch'], [counted], watch.io)).toBe(EXIT.usage);
    expect(watch.out.stderr).toContain('--watch: follows one server');
    const stray = memoryIo();
    expect(await statusAllCommand(['--all', 'home'], [counted], stray.io)).toBe(EXIT.usage);
    expect(polled).toBe(0);
  });
});
