import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUid } from '../../../src-main/core/profile/load';
import { TUWUNEL_STOPPED_ALERT } from '../../../src-main/core/runbook/catalog';
import { MAINTENANCE_MODE_KEY, MaintenanceStore } from '../../../src-main/core/runbook/maintenance';
import { interruptedAlertId } from '../../../src-main/core/runbook/recovery';
import { ROTATION_UNAPPLIED_ALERT } from '../../../src-main/core/runbook/rotation-alerts';
import { ActiveRuns } from '../../../src-main/core/runbook/run-record';
import { StickyAlerts } from '../../../src-main/core/runbook/sticky-alerts';
import type { LabHostRole } from '../../lab/types';
import { type CliLab, startCliLab } from '../cli/cli-harness';
import { liveProcessesOf } from '../ssh/lab-processes';
import { type CliProcess, startCli } from '../token/cli-process';
import { hangTaken, until } from './cli-processes';

/**
 * Several processes of one profile against the lab, as a user runs them: the tray app, a CLI, `status
 * --watch`. First the fault matrix's kill -9 rows: the acting process — the command line, a real process — is killed with
 * SIGKILL at each step of every mutating action that waits on a host (a hang switch holds it in that step's
 * command), against the lab. Then another process polls, as the tray app or `status` would, and must find
 * the truth: the killed run's record and windows resolved, maintenance mode on only where the stop took
 * effect, and a sticky alert exactly when something is left — naming it and the action that fixes it,
 * which then clears it. Steps that only work on this computer (turning maintenance mode on or off, the
 * rotation's vault steps, which rotation-kill.test.ts kills one by one) finish within the step before them;
 * the HTTP wait after a restart has no command a switch can hold. Then one process's maintenance stop as
 * another process's status watch sees it.
 */

const TOKEN_ROTATION = 'token.rotate';

interface KillRow {
  action: string;
  params?: Record<string, string>;
  /** The step the run is in when it is killed, the host and the glob of the command that hangs there. */
  step: string;
  host: LabHostRole;
  pattern: string;
  /** Lab and app state the action starts from, and faults on the way to the step. */
  before?: (t: CliLab, state: SharedState) => Promise<void>;
  /** After the next poll of another process: the sticky alert left (null: none; its fix clears it), and maintenance mode. */
  left: { alert: string | null; maintenance: boolean };
}

interface SharedState {
  dir: string;
  maintenance: MaintenanceStore;
  alerts: StickyAlerts;
  runs: ActiveRuns;
}

const NOTHING = { alert: null, maintenance: false };

async function allUnits(t: CliLab, active: boolean): Promise<void> {
  for (const unit of t.lab.profile.units as string[]) await t.lab.state.setUnitActive(unit, active);
}

function userRows(action: 'user.make-admin' | 'user.deactivate'): KillRow[] {
  const params: Record<string, string> =
    action === 'user.make-admin' ? { user: 'bob' } : { user: 'alice', leaveRooms: 'false' };
  const stopped = { alert: interruptedAlertId(action), maintenance: false };
  return [
    { action, params, step: 'stop-tuwunel', host: 'homeserver', pattern: 'systemctl stop*', left: NOTHING },
    { action, params, step: 'execute', host: 'homeserver', pattern: 'docker run*', left: stopped },
    { action, params, step: 'start-tuwunel', host: 'homeserver', pattern: 'systemctl start*', left: stopped },
    {
      action,
      params,
      step: 'confirm-tuwunel',
      host: 'homeserver',
      pattern: 'systemctl is-active*',
      left: NOTHING,
    },
  ];
}

const ROWS: KillRow[] = [
  // Held before the stand-in stops anything: every unit still runs, so maintenance mode goes, silently.
  { action: 'stack.stop', step: 'stop-all', host: 'homeserver', pattern: 'systemctl stop*', left: NOTHING },
  {
    action: 'stack.stop',
    step: 'confirm-stopped',
    host: 'homeserver',
    pattern: 'systemctl is-active*',
    left: { alert: interruptedAlertId('stack.stop'), maintenance: true },
  },
  {
    // The stop fails, so the clean-up looks whether the units still run; killed while it looks.
    action: 'stack.stop',
    step: 'maintenance-off-if-running',
    host: 'homeserver',
    pattern: 'systemctl is-active*',
    before: async (t) => t.lab.faults.exit('homeserver', 'systemctl stop*', 1, 'Job failed.\n', 1),
    left: NOTHING,
  },
  {
    action: 'stack.start',
    step: 'start-units',
    host: 'homeserver',
    pattern: 'systemctl start*',
    before: async (t, s) => {
      await allUnits(t, false);
      s.maintenance.enter({
        key: MAINTENANCE_MODE_KEY,
        units: 'all',
        reason: 'Maintenance stop',
        persistent: true,
      });
    },
    left: { alert: interruptedAlertId('stack.start'), maintenance: false },
  },
  {
    action: 'stack.start',
    step: 'confirm-active',
    host: 'homeserver',
    pattern: 'systemctl is-active*',
    before: async (t, s) => {
      await allUnits(t, false);
      s.maintenance.enter({
        key: MAINTENANCE_MODE_KEY,
        units: 'all',
        reason: 'Maintenance stop',
        persistent: true,
      });
    },
    left: NOTHING,
  },
  {
    action: 'tuwunel.restart',
    step: 'restart',
    host: 'homeserver',
    pattern: 'systemctl restart*',
    left: NOTHING,
  },
  {
    action: 'stack.restart',
    step: 'playbook-start',
    host: 'deploy',
    pattern: 'ansible-playbook*',
    // Held before any unit restarts: all run, so nothing is left.
    left: NOTHING,
  },
  {
    action: 'config.apply',
    step: 'playbook-install-all',
    host: 'deploy',
    pattern: 'ansible-playbook*',
    left: { alert: interruptedAlertId('config.apply'), maintenance: false },
  },
  {
    action: 'deploy.update',
    step: 'git-pull',
    host: 'deploy',
    pattern: 'git pull*',
    left: { alert: interruptedAlertId('deploy.update'), maintenance: false },
  },
  {
    action: 'deploy.update',
    step: 'galaxy-install',
    host: 'deploy',
    pattern: 'ansible-galaxy*',
    left: { alert: interruptedAlertId('deploy.update'), maintenance: false },
  },
  ...userRows('user.make-admin'),
  ...userRows('user.deactivate'),
  {
    action: 'federation.allow',
    params: { server: 'friends.example' },
    step: 'playbook-install-all',
    host: 'deploy',
    pattern: 'ansible-playbook*',
    left: { alert: interruptedAlertId('federation.allow'), maintenance: false },
  },
  {
    action: 'federation.disallow',
    params: { server: 'friends.example' },
    step: 'playbook-install-all',
    host: 'deploy',
    pattern: 'ansible-playbook*',
    left: { alert: interruptedAlertId('federation.disallow'), maintenance: false },
  },
  {
    // Pushed, not pulled: every process says the token is not live, whoever ran the rotation.
    action: TOKEN_ROTATION,
    step: 'pull-deploy',
    host: 'deploy',
    pattern: 'git pull*',
    left: { alert: ROTATION_UNAPPLIED_ALERT, maintenance: false },
  },
  {
    action: TOKEN_ROTATION,
    step: 'apply',
    host: 'deploy',
    pattern: 'ansible-playbook*',
    left: { alert: ROTATION_UNAPPLIED_ALERT, maintenance: false },
  },
  // token.apply after an applied rotation: its journal has nothing to say, and its window goes.
  { action: 'token.apply', step: 'pull-deploy', host: 'deploy', pattern: 'git pull*', left: NOTHING },
  { action: 'token.apply', step: 'apply', host: 'deploy', pattern: 'ansible-playbook*', left: NOTHING },
  ...upgradeRows(),
];

/**
 * The upgrade without an admin token (CLI mode): held while it pulls the image (nothing changed yet), while the
 * one-off container backs up (Tuwunel stopped), and in the apply (vars.yml pins the new release, Tuwunel still
 * stopped). Each starts from vars.yml pinning the lab's release again.
 */
function upgradeRows(): KillRow[] {
  const action = 'tuwunel.upgrade';
  const params = { version: 'v1.9.0' };
  const before = async (t: CliLab) => pinVersion(t, 'v1.7.0');
  const left = { alert: interruptedAlertId(action), maintenance: false };
  return [
    {
      action,
      params,
      before,
      step: 'pull-image',
      host: 'homeserver',
      pattern: 'docker pull*',
      left: NOTHING,
    },
    { action, params, before, step: 'backup-one-off', host: 'homeserver', pattern: 'docker run*', left },
    {
      action,
      params,
      before,
      step: 'playbook-install-all',
      host: 'deploy',
      pattern: 'ansible-playbook*',
      left,
    },
  ];
}

async function pinVersion(t: CliLab, version: string): Promise<void> {
  const file = join(t.lab.repos.playbook, t.lab.profile.deploy?.varsFile ?? '');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace(/^matrix_tuwunel_version: .*$/m, `matrix_tuwunel_version: ${version}`));
}

let t: CliLab;
let state: SharedState;

beforeAll(async () => {
  // The upgrade's rows need a backup path (its pre-flight refuses without one).
  t = await startCliLab({ playbookSeconds: 0, databaseBackupPath: '/var/lib/tuwunel/backups' });
  const stored = await t.cli(['secret', 'set', 'vault-password'], {
    input: `${t.lab.secrets.vaultPassword}\n`,
  });
  if (stored.code !== 0) throw new Error(stored.stderr);
  const dir = join(t.dataDir, 'state', await fileUid(t.lab.profilePath));
  state = {
    dir,
    maintenance: new MaintenanceStore(join(dir, 'maintenance.json')),
    alerts: new StickyAlerts(join(dir, 'alerts.json')),
    runs: new ActiveRuns(join(dir, 'runs')),
  };
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

/** Every unit running, no fault switch, nothing in the profile's shared state. */
async function reset(): Promise<void> {
  t.lab.faults.clear();
  await allUnits(t, true);
  await rm(state.dir, { recursive: true, force: true });
  state.maintenance.reload();
  state.alerts.reload();
}

/**
 * A held command whose output goes through a pipe (the playbook's `| tee`) does not notice that the SSH
 * session is gone: nothing reads what it never writes. A real one goes on until it ends (or dies of
 * SIGPIPE at its next line of output); the hang switch would wait forever, so it is ended here, as the real
 * command would end. Everything else of the run must then be gone by itself (noLeftovers).
 */
function endHeldCommands(): void {
  for (const host of ['homeserver', 'deploy'] as const)
    for (const p of liveProcessesOf(t.lab.hosts[host].dir))
      if (p.command === 'tail -f /dev/null') {
        try {
          process.kill(p.pid, 'SIGTERM');
        } catch {
          // It noticed the session was gone after all.
        }
      }
}

/**
 * What the hosts still run, after ending the held commands for up to 5 s: a hang switch marks itself taken
 * before it becomes `tail -f /dev/null`, so a held command may only now have become one.
 */
async function noLeftovers(): Promise<string[]> {
  for (let waited = 0; ; waited += 100) {
    endHeldCommands();
    const left = (['homeserver', 'deploy'] as const).flatMap((h) =>
      liveProcessesOf(t.lab.hosts[h].dir).map((p) => `${h}: ${p.command}`),
    );
    if (left.length === 0 || waited >= 5_000) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function killCell(row: KillRow): Promise<void> {
  await reset();
  await row.before?.(t, state);
  t.lab.faults.hang(row.host, row.pattern, 1);
  const params = Object.entries(row.params ?? {}).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
  const acting = startCli(['run', row.action, '--yes', ...params, '--profile', t.lab.profilePath], t.env);
  let exited = false;
  void acting.exited.then(() => {
    exited = true;
  });
  await until(`${row.action} to reach ${row.step}`, () => {
    if (exited)
      throw new Error(`${row.action} ended before ${row.step}: ${acting.stdout()}${acting.stderr()}`);
    return hangTaken(t.lab.hosts[row.host].dir);
  });
  // The run is on record, at the step it is killed in, by the process that is killed.
  const [record] = state.runs.list();
  expect(record?.steps[record.at]?.id).toBe(row.step);
  expect(record?.owner.pid).toBe(acting.child.pid);
  acting.child.kill('SIGKILL');
  expect(await acting.exited).toBeNull();
  t.lab.faults.clear();
  expect(await noLeftovers()).toEqual([]);

  // The next poll of another process.
  const polled = await t.cli(['status', '--json']);
  const status = JSON.parse(polled.stdout) as { results: { id: string; level: string }[] };
  state.maintenance.reload();
  state.alerts.reload();
  expect(state.runs.list()).toEqual([]);
  expect(state.maintenance.list().filter((w) => w.setBy)).toEqual([]);
  expect(state.maintenance.list().filter((w) => w.key !== MAINTENANCE_MODE_KEY)).toEqual([]);
  expect(state.maintenance.modeActive).toBe(row.left.maintenance);
  expect(state.alerts.list().map((a) => a.id)).toEqual(row.left.alert ? [row.left.alert] : []);
  if (!row.left.maintenance) expect(status.results.filter((r) => r.level === 'maintenance')).toEqual([]);
  const alert = state.alerts.list()[0];
  if (!alert) return;
  // The alert is in every front's status (here the command line's), and names what fixes it.
  expect(status.results).toContainEqual(expect.objectContaining({ id: `alert:${alert.id}`, level: 'warn' }));
  const fixed = await t.cli(['run', alert.fixActionId, '--yes']);
  expect(fixed.code, `${alert.fixActionId}: ${fixed.stdout}${fixed.stderr}`).toBe(0);
  state.alerts.reload();
  state.maintenance.reload();
  expect(state.alerts.list()).toEqual([]);
  expect(state.maintenance.modeActive).toBe(false);
  for (const unit of t.lab.profile.units as string[])
    expect(await t.lab.state.unitActive(unit), unit).toBe(true);
}

describe('kill -9 of the acting process at each step, then the next poll of another process', () => {
  for (const row of ROWS) {
    it(`${row.action} killed at ${row.step}`, async () => {
      await killCell(row);
    }, 90_000);
  }

  it('a run from another process first resolves what a killed run left on its hosts, and its success clears it', async () => {
    await reset();
    t.lab.faults.hang('homeserver', 'systemctl is-active*', 1);
    const acting = startCli(['run', 'stack.stop', '--yes', '--profile', t.lab.profilePath], t.env);
    await until('the stop to be held', () => hangTaken(t.lab.hosts.homeserver.dir));
    acting.child.kill('SIGKILL');
    await acting.exited;
    t.lab.faults.clear();
    expect(await noLeftovers()).toEqual([]);
    // No poll in between: the next thing is another stop, from another command line.
    const again = await t.cli(['run', 'stack.stop', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    state.maintenance.reload();
    state.alerts.reload();
    expect(state.runs.list()).toEqual([]);
    expect(state.alerts.list()).toEqual([]);
    expect(state.maintenance.get(MAINTENANCE_MODE_KEY)).toMatchObject({ setBy: null });
    expect((await t.cli(['run', 'stack.start', '--yes'])).code).toBe(0);
  }, 90_000);

  it('a CLI-mode command whose Tuwunel stays down is told at once, while the clean-up retries', async () => {
    await reset();
    // Tuwunel does not start: the first failed start raises the alert before the retries end.
    t.lab.faults.exit('homeserver', 'systemctl start*', 1, 'Job for matrix-tuwunel.service failed.\n');
    const acting = startCli(
      ['run', 'user.make-admin', '--param', 'user=bob', '--yes', '--profile', t.lab.profilePath],
      t.env,
    );
    const alert = await until('the alert', () => {
      state.alerts.reload();
      return state.alerts.get(TUWUNEL_STOPPED_ALERT);
    });
    expect(alert.message).toMatch(/The first attempt failed \(.*\); retrying for up to 3 min\.$/);
    acting.child.kill('SIGKILL');
    await acting.exited;
    t.lab.faults.clear();
    expect(await noLeftovers()).toEqual([]);
    await t.cli(['status', '--json']);
    state.alerts.reload();
    // Recovery adds what the killed run left; the alert raised at the first failure stays until fixed.
    expect(
      state.alerts
        .list()
        .map((a) => a.id)
        .sort(),
    ).toEqual([TUWUNEL_STOPPED_ALERT, interruptedAlertId('user.make-admin')].sort());
    expect((await t.cli(['run', 'stack.start', '--yes'])).code).toBe(0);
    state.alerts.reload();
    expect(state.alerts.list()).toEqual([]);
  }, 90_000);
});

describe('one truth across processes', () => {
  it('a status --watch running while another process runs stack.stop prints no DOWN line (nor RECOVERED)', async () => {
    await reset();
    // A server as its admin keeps it, whatever ran before: vars.yml pins what runs (an upgrade row killed in
    // the apply leaves v1.9.0 there), and a backup is in the backup path the upgrade rows configured.
    await pinVersion(t, 'v1.7.0');
    const backup = await t.cli(['run', 'tuwunel.backup', '--yes']);
    expect(backup.code, `${backup.stdout}${backup.stderr}`).toBe(0);
    // Its own profile file, alerting at the first failing poll: any unit it took for down would show.
    const profilePath = join(t.dataDir, '..', 'watch-profile.yaml');
    await writeFile(
      profilePath,
      `${await readFile(t.lab.profilePath, 'utf8')}status:\n  intervalSeconds: 5\n  failuresBeforeDown: 1\n`,
    );
    const sudo = await t.cli(
      ['secret', 'set', 'sudo-password', '--host', 'homeserver', '--profile', profilePath],
      {
        profile: false,
        input: `${t.lab.secrets.sudoPassword}\n`,
      },
    );
    expect(sudo.code, sudo.stderr).toBe(0);
    await writeFile(join(t.dataDir, 'settings.json'), JSON.stringify({ pollIntervalSeconds: 5 }));
    const polls = (w: CliProcess) => w.stdout().split('Overall:').length - 1;

    const watch = startCli(['status', '--watch', '--profile', profilePath], t.env);
    try {
      await until('the first poll', () => polls(watch) >= 1);
      const stop = startCli(['run', 'stack.stop', '--yes', '--profile', profilePath], t.env);
      expect(await stop.exited, stop.stderr()).toBe(0);
      const stoppedAt = polls(watch);
      await until('two polls of the stopped stack', () => polls(watch) >= stoppedAt + 2, 30_000);
      const stoppedTables = watch.stdout().split('Overall:').slice(stoppedAt);
      expect(stoppedTables.join('')).toMatch(/matrix-tuwunel .* MAINT /);

      const start = startCli(['run', 'stack.start', '--yes', '--profile', profilePath], t.env);
      expect(await start.exited, start.stderr()).toBe(0);
      const startedAt = polls(watch);
      // The poll in flight when the start ended may have looked before it; the next one is after.
      await until('a poll of the started stack', () => polls(watch) >= startedAt + 2, 30_000);
    } finally {
      watch.child.kill('SIGTERM');
      await watch.exited;
    }
    expect(watch.stderr()).not.toMatch(/^(DOWN|RECOVERED):/m);
    const tables = watch.stdout().split('Overall:');
    expect(tables.at(-1), tables.at(-2)).toMatch(/^ OK\n/);
  }, 120_000);
});
