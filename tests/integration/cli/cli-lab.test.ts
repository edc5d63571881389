import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_UNITS } from '../../../src-main/core/profile/schema';
import { ProfileStore } from '../../../src-main/core/profile/store';
import { MuteStore } from '../../../src-main/core/status/mutes';
import { type CliLab, startCliLab } from './cli-harness';

/**
 * The command line against the lab (real sshd, bash stand-ins for systemd/docker, HTTPS behind the lab CA,
 * gnome-keyring), run in-process through runCli with a fresh data folder — and once as a real process.
 */

let t: CliLab;
beforeAll(async () => {
  t = await startCliLab();
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const homeserverLog = () => t.lab.hosts.homeserver.execLog();

describe('status', () => {
  it('is all green: a table with every check OK, exit 0', async () => {
    const r = await t.cli(['status']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^HOST +CHECK +LEVEL +SINCE +DETAIL\n/);
    expect(r.stdout).toMatch(/\nhomeserver +matrix-tuwunel unit +OK +/);
    expect(r.stdout).toMatch(/\ndeploy +SSH to the deploy host +OK +/);
    expect(r.stdout).toMatch(/\npublic +Federation API and version +OK +/);
    expect(r.stdout).toMatch(/\n\nOverall: OK\n$/);
  });

  it('--json gives every result and the exit code', async () => {
    const r = await t.cli(['status', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      overall: string;
      exitCode: number;
      results: { id: string; level: string }[];
    };
    expect(json).toMatchObject({ overall: 'ok', exitCode: 0 });
    expect(json.results.map((x) => x.id)).toEqual(
      expect.arrayContaining([
        'ssh:homeserver',
        'ssh:deploy',
        'unit:matrix-tuwunel',
        'http:federation-version',
      ]),
    );
    expect(json.results.every((x) => x.level === 'ok')).toBe(true);
  });

  it('exits 2 when a unit is stopped behind the app’s back', async () => {
    await t.lab.state.setUnitActive('matrix-postgres', false);
    try {
      const r = await t.cli(['status']);
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/\nhomeserver +matrix-postgres unit +FAIL +\d+ s +matrix-postgres is stopped/);
      expect(r.stdout).toMatch(/\n\nOverall: FAIL\n$/);
    } finally {
      await t.lab.state.setUnitActive('matrix-postgres', true);
    }
  });

  it('--watch --json prints a line per poll and ends when stopped', async () => {
    const stop = new AbortController();
    const r = await t.cli(['status', '--watch', '--json'], {
      stop: stop.signal,
      onOutput: (stdout) => {
        if (stdout.endsWith('\n')) stop.abort();
      },
    });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ exitCode: 0, overall: 'ok' });
  });

  it('uses the profile selected in the data folder when no --profile is given', async () => {
    const draft = parse(await readFile(t.lab.profilePath, 'utf8')) as Record<string, unknown>;
    await new ProfileStore(t.dataDir).save(null, draft);
    // A profile of its own: the secrets stored for the lab's file (--profile) are not its.
    const stored = await t.cli(['secret', 'set', 'sudo-password', '--host', 'homeserver'], {
      input: `${t.lab.secrets.sudoPassword}\n`,
      profile: false,
    });
    expect(stored.code).toBe(0);
    const r = await t.cli(['status', '--json'], { profile: false });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ profile: t.lab.profile.name, exitCode: 0 });
  });
});

describe('mute', () => {
  it('mutes a unit for every process (the data folder), refuses what it cannot mean, and unmutes', async () => {
    const r = await t.cli(['mute', 'unit', 'matrix-postgres', '--for', '8h']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Alerts about unit matrix-postgres are muted until \d{4}-\d\d-\d\dT/);
    // What the tray app of this data folder reads at its next poll.
    const state = join(t.dataDir, 'state');
    const uid = readdirSync(state).find((d) => existsSync(join(state, d, 'mutes.json')));
    const file = join(state, uid ?? 'none', 'mutes.json');
    expect(new MuteStore(file).list().map((m) => m.key)).toEqual(['unit:matrix-postgres']);

    const recovered = await t.cli(['mute', 'server', '--for', 'recovered']);
    expect(recovered.code).toBe(64);
    expect(recovered.stderr).toContain('nothing it covers is failing now');
    expect((await t.cli(['mute', 'unit'])).code).toBe(64);
    expect((await t.cli(['mute', 'server', '--for', '2d'])).stderr).toContain('must be 1h, 8h, recovered');

    const off = await t.cli(['unmute', 'unit', 'matrix-postgres']);
    expect(off.stdout).toBe('Unmuted (unit:matrix-postgres): its alerts are told again.\n');
    expect(new MuteStore(file).list()).toEqual([]);
    expect((await t.cli(['unmute', 'unit', 'matrix-postgres'])).stdout).toBe(
      'Nothing was muted as unit:matrix-postgres.\n',
    );
  });
});

describe('actions and run', () => {
  it('lists the catalog', async () => {
    const r = await t.cli(['actions']);
    expect(r.code).toBe(0);
    for (const id of [
      'stack.stop',
      'stack.start',
      'user.make-admin',
      'federation.allow',
      'logs.follow',
      'token.rotate',
    ])
      expect(r.stdout).toContain(`  ${id} `);
  });

  it('refuses stack.stop without --yes and without a terminal: exit 1, the effect named, nothing sent', async () => {
    const before = homeserverLog().length;
    const r = await t.cli(['run', 'stack.stop']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Stop all matrix-* services on the homeserver host');
    expect(r.stderr).toContain('Not confirmed, nothing was done: run it again with --yes to go ahead.');
    expect(homeserverLog().length).toBe(before);
    expect(await t.lab.state.unitActive('matrix-tuwunel')).toBe(true);
  });

  it('prints the exact commands of make-admin on --dry-run and sends nothing', async () => {
    const before = homeserverLog().length;
    const r = await t.cli(['run', 'user.make-admin', '--param', 'user=bob', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Parameters: user=@bob:lab.test');
    // No admin sign-in stored: CLI mode, said with its reason, as upstream documents the one-shot form.
    expect(r.stdout).toContain("Route: Tuwunel's CLI (Tuwunel stopped) — No Matrix admin sign-in is stored");
    expect(r.stdout).toContain('[homeserver, sudo] $ systemctl stop matrix-tuwunel');
    expect(r.stdout).toContain(
      `[homeserver, sudo] $ timeout 60 docker run --rm -v ${t.lab.profile.homeserver?.dataDir}:/var/lib/tuwunel -v ${t.lab.profile.homeserver?.configDir}:/etc/tuwunel:ro -e TUWUNEL_CONFIG=/etc/tuwunel/tuwunel.toml ghcr.io/matrix-construct/tuwunel:v1.7.0 --maintenance --execute 'users make-user-admin @bob:lab.test' --execute 'server shutdown'`,
    );
    expect(r.stdout).toContain('[homeserver, sudo] $ systemctl start matrix-tuwunel');
    expect(homeserverLog().length).toBe(before);
    expect((await t.lab.state.users()).find((u) => u.userId === '@bob:lab.test')?.admin ?? false).toBe(false);
  });

  it('stack.stop --yes stops every unit and streams its steps; status then shows maintenance; stack.start brings it back', async () => {
    const stop = await t.cli(['run', 'stack.stop', '--yes']);
    expect(stop.stderr).toBe('');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain(
      "→ Stop all matrix-* units\n  [homeserver, sudo] $ systemctl stop 'matrix-*'\n",
    );
    expect(homeserverLog().some((l) => l.includes('systemctl stop') && l.includes('matrix-*'))).toBe(true);
    for (const unit of DEFAULT_UNITS) expect(await t.lab.state.unitActive(unit)).toBe(false);

    const status = await t.cli(['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/\nhomeserver +matrix-tuwunel unit +MAINT +/);
    expect(status.stdout).toMatch(/\n\nOverall: MAINT\n$/);

    const start = await t.cli(['run', 'stack.start', '--yes']);
    expect(start.code).toBe(0);
    for (const unit of DEFAULT_UNITS) expect(await t.lab.state.unitActive(unit)).toBe(true);
    expect((await t.cli(['status'])).code).toBe(0);
  });

  it('reports a failed run with exit 1 and its next step', async () => {
    t.lab.faults.exit('homeserver', 'systemctl restart*', 1, 'Job for matrix-tuwunel.service failed.', 1);
    try {
      const r = await t.cli(['run', 'tuwunel.restart', '--yes']);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('✗');
      expect(r.stderr.length).toBeGreaterThan(0);
    } finally {
      t.lab.faults.clear('homeserver');
    }
  });
});

describe('hostile remote text', () => {
  it('reaches the terminal escaped: no OSC 52 clipboard write, title change, line overwrite or bidi override', async () => {
    const hostile =
      'Job failed.\u001b]52;c;b3duZWQ=\u0007\u001b]0;owned\u0007\r\u001b[2KOK \u202esuccess\u009b2J';
    t.lab.faults.exit('homeserver', 'systemctl restart*', 1, `${hostile}\n`, 1);
    try {
      const r = await t.cli(['run', 'tuwunel.restart', '--yes']);
      expect(r.code).toBe(1);
      const printed = r.stdout + r.stderr;
      expect(printed).toContain(
        'Job failed.\\x1b]52;c;b3duZWQ=\\x07\\x1b]0;owned\\x07\\r\\x1b[2KOK \\u202esuccess\\u009b2J',
      );
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is looked for
      expect(printed).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    } finally {
      t.lab.faults.clear('homeserver');
    }
  });
});

describe('token and secret commands are wired', () => {
  it('secret delete of something never stored says so', async () => {
    const r = await t.cli(['secret', 'delete', 'matrix-admin-token']);
    expect(r).toMatchObject({
      code: 0,
      stdout: 'No Matrix admin access token was stored; nothing to delete.\n',
    });
  });

  it('invite instructions print the joining block with the server filled in', async () => {
    const r = await t.cli(['invite', 'instructions']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('lab.test');
  });
});

describe('the real entry', () => {
  it('npm run cli -- status runs and exits by itself', async () => {
    // Its own process group: npm runs the command line in a shell, and a hung one is killed with them.
    const child = spawn('npm', ['run', 'cli', '--', 'status', '--profile', t.lab.profilePath], {
      env: t.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
        reject(new Error(`the CLI did not exit by itself within 45 s: ${stderr}`));
      }, 45_000);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/\n\nOverall: OK\n$/);
  });
});

it('printed no secret of the lab in any command', () => {
  expect(t.leakedSecrets()).toEqual([]);
});
