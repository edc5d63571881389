import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processStartOf } from '../../../../src-main/core/lib/lock-file';
import { CATALOG } from '../../../../src-main/core/runbook/catalog';
import { MAINTENANCE_MODE_KEY, MaintenanceStore } from '../../../../src-main/core/runbook/maintenance';
import {
  interruptedAlertId,
  MAINTENANCE_REMINDER_ALERT,
  Recovery,
} from '../../../../src-main/core/runbook/recovery';
import {
  ROTATION_UNAPPLIED_ALERT,
  ROTATION_UNPUSHED_ALERT,
  rotatedTokenNotLive,
} from '../../../../src-main/core/runbook/rotation-alerts';
import {
  type ActiveRun,
  ActiveRuns,
  ownerOfRun,
  type RunOwner,
  runEnded,
  runStarted,
} from '../../../../src-main/core/runbook/run-record';
import { Runbook } from '../../../../src-main/core/runbook/runner';
import { StickyAlerts } from '../../../../src-main/core/runbook/sticky-alerts';
import { HostLocks } from '../../../../src-main/core/ssh/host-lock';
import { systemGit } from '../../../../src-main/core/vault/git';
import {
  acquireRotationLock,
  type RotationJournal,
  rotationFolder,
  writeJournal,
} from '../../../../src-main/core/vault/rotation-lock';
import { LocalExec } from './local-exec';
import { deployAt, MemorySecrets, testProfile } from './test-profile';

/**
 * Recovery of what a killed run left, against real processes (a killed child's pid and start time), real
 * files (the shared state of a data folder) and a local bash for the homeserver: every case resolves the
 * way the next poll of any process would.
 */

const UNITS = ['matrix-tuwunel', 'matrix-traefik', 'matrix-postgres'];

let exec: LocalExec;
let dir: string;
let maintenance: MaintenanceStore;
let alerts: StickyAlerts;
let runs: ActiveRuns;
let locks: HostLocks;
let now = Date.now();

function profile(extra: Record<string, unknown> = {}) {
  return testProfile({ units: UNITS, ...extra });
}

function recovery(p = profile()) {
  return new Recovery({
    profile: p,
    catalog: CATALOG,
    maintenance,
    alerts,
    activeRuns: runs,
    locks,
    exec,
    settings: () => ({ maintenanceReminderMs: 60 * 60_000, unitCommandTimeoutMs: 5_000 }),
    now: () => now,
  });
}

/** The owner of a run in a process that was killed (`kill -9`): its pid and start time, and it is gone. */
async function deadOwner(runId: string, actionId: string): Promise<RunOwner> {
  const child = spawn('sleep', ['30']);
  const pid = child.pid as number;
  const processStart = processStartOf(pid);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return { runId, actionId, pid, host: hostname(), processStart };
}

/** The record a run of `actionId` left when its process died at step `at` of its plan. */
async function leftRun(
  actionId: string,
  at: string | null,
  route: ActiveRun['route'] = null,
  p = profile(),
): Promise<ActiveRun> {
  const action = CATALOG.find((a) => a.id === actionId);
  if (!action) throw new Error(actionId);
  const secrets = new MemorySecrets();
  if (route === 'admin-room') await secrets.set({ profile: 'lab.test', kind: 'matrix-admin-token' }, 'syt_x');
  const rb = new Runbook({ profile: p, exec, secrets, maintenance: new MaintenanceStore() });
  const plan = await rb.plan(actionId, actionId.startsWith('user.') ? { user: 'bob' } : {});
  // Planning may read (an apply lints the vars.yml it would deploy): what recovery sends is logged from here.
  exec.log.length = 0;
  const steps = plan.steps;
  const run: ActiveRun = {
    owner: await deadOwner(`${actionId}-run-1`, actionId),
    title: action.title,
    params: plan.params,
    route,
    startedAt: new Date(now - 5_000).toISOString(),
    steps: steps.map((s) => ({ id: s.id, title: s.title, phase: s.phase })),
    at: at === null ? -1 : steps.findIndex((s) => s.id === at),
  };
  runs.begin(run);
  return run;
}

async function units(active: boolean, only?: string[]) {
  for (const u of only ?? UNITS)
    await exec.setState('homeserver', `units/${u}`, active ? 'active\n' : 'inactive\n');
}

beforeEach(async () => {
  exec = await LocalExec.create();
  await exec.script(
    'homeserver',
    'systemctl',
    `verb=$1; shift
case $verb in
  start) for u; do echo active > "$STATE/units/$u"; done ;;
  is-active) rc=3; for u; do s=$(cat "$STATE/units/$u" 2>/dev/null || echo inactive); echo "$s"; [[ $s == active ]] && rc=0; done; exit $rc ;;
esac`,
  );
  await mkdir(join(exec.hostDir('homeserver'), 'state', 'units'), { recursive: true });
  await units(true);
  dir = await mkdtemp(join(tmpdir(), 'recovery-'));
  maintenance = new MaintenanceStore(join(dir, 'maintenance.json'));
  alerts = new StickyAlerts(join(dir, 'alerts.json'));
  runs = new ActiveRuns(join(dir, 'runs'));
  locks = new HostLocks(profile(), join(dir, 'locks'));
  now = Date.now();
});

afterEach(async () => {
  await exec.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('a killed stack.stop', () => {
  it('leaves maintenance mode only while its effect shows: every unit still runs, so the mode goes, silently', async () => {
    const run = await leftRun('stack.stop', 'stop-all');
    maintenance.enter({
      key: MAINTENANCE_MODE_KEY,
      units: 'all',
      reason: 'Maintenance stop',
      persistent: true,
      setBy: run.owner,
    });
    // Another process (the tray) finds it at its next poll.
    const tray = new MaintenanceStore(join(dir, 'maintenance.json'));
    const trayAlerts = new StickyAlerts(join(dir, 'alerts.json'));
    const report = await new Recovery({
      profile: profile(),
      catalog: CATALOG,
      maintenance: tray,
      alerts: trayAlerts,
      activeRuns: runs,
      locks,
      exec,
      settings: () => ({ maintenanceReminderMs: 3_600_000 }),
    }).run();
    expect(report).toEqual([
      expect.stringMatching(
        /^Stop everything for maintenance \(run stack\.st\) was interrupted, and every unit it touches is active again\.$/,
      ),
    ]);
    expect(tray.modeActive).toBe(false);
    expect(trayAlerts.list()).toEqual([]);
    expect(runs.list()).toEqual([]);
    expect(exec.log.map((l) => l.command)).toEqual([
      'systemctl is-active matrix-tuwunel matrix-traefik matrix-postgres',
    ]);
    maintenance.reload();
    expect(maintenance.modeActive).toBe(false);
  });

  it('keeps maintenance mode when units are down, and names them and the fix; a successful stack.start clears it', async () => {
    const run = await leftRun('stack.stop', 'confirm-stopped');
    maintenance.enter({
      key: MAINTENANCE_MODE_KEY,
      units: 'all',
      reason: 'Maintenance stop',
      persistent: true,
      setBy: run.owner,
    });
    await units(false, ['matrix-tuwunel', 'matrix-traefik']);
    await recovery().run();
    expect(maintenance.get(MAINTENANCE_MODE_KEY)).toMatchObject({ setBy: null });
    expect(alerts.list()).toEqual([
      expect.objectContaining({
        id: interruptedAlertId('stack.stop'),
        title: 'Stop everything for maintenance was interrupted',
        message:
          'Stop everything for maintenance was interrupted: its process ended during "Confirm the units are stopped", before the run finished or cleaned up, and matrix-tuwunel, matrix-traefik are not active. Maintenance mode stays on, so alerts about the units stay quiet. Run "Start all services" to fix it.',
        fixActionId: 'stack.start',
        runId: run.owner.runId,
      }),
    ]);
    expect(runs.list()).toEqual([]);
    // A second pass (another process) changes nothing.
    await recovery().run();
    expect(alerts.list()).toHaveLength(1);

    const rb = new Runbook({
      profile: profile(),
      exec,
      maintenance,
      alerts,
      settings: { pollIntervalMs: 50 },
    });
    expect((await (await rb.start('stack.start')).done).state).toBe('ok');
    expect(alerts.list()).toEqual([]);
    expect(maintenance.modeActive).toBe(false);
  });

  it('left nothing when it died before stopping anything: no host is asked', async () => {
    const run = await leftRun('stack.stop', 'maintenance-on');
    maintenance.enter({
      key: MAINTENANCE_MODE_KEY,
      units: 'all',
      reason: 'Maintenance stop',
      persistent: true,
      setBy: run.owner,
    });
    await recovery().run();
    expect(maintenance.modeActive).toBe(false);
    expect(alerts.list()).toEqual([]);
    expect(exec.log).toEqual([]);
  });

  it('waits while a live run holds the host, and leaves a run that is alive alone', async () => {
    const run = await leftRun('stack.stop', 'stop-all');
    await units(false);
    const live = locks.acquire('homeserver', 'Start all services (run 12345678)');
    await recovery().run();
    expect(runs.list()).toHaveLength(1);
    expect(alerts.list()).toEqual([]);
    live.release();

    runs.end(run.owner.runId);
    const mine: ActiveRun = { ...run, owner: ownerOfRun('live-run', 'stack.stop') };
    runs.begin(mine);
    runStarted('live-run');
    try {
      await recovery().run();
      expect(runs.list().map((r) => r.owner.runId)).toEqual(['live-run']);
    } finally {
      runEnded('live-run');
    }
    // Once this process's run is over without its end being recorded, it counts as gone too.
    await recovery().run();
    expect(runs.list()).toEqual([]);
    expect(alerts.list().map((a) => a.id)).toEqual([interruptedAlertId('stack.stop')]);
  });
});

describe('other killed runs', () => {
  it('a CLI-mode make-admin that stopped Tuwunel: its window goes and the alert says Tuwunel is down', async () => {
    const run = await leftRun('user.make-admin', 'execute', 'cli');
    maintenance.enter({
      key: `run:${run.owner.runId}`,
      units: ['matrix-tuwunel'],
      reason: 'CLI mode',
      persistent: false,
      setBy: run.owner,
    });
    await units(false, ['matrix-tuwunel']);
    await recovery().run();
    expect(maintenance.list()).toEqual([]);
    expect(alerts.list()[0]?.message).toMatch(
      /during "Run the command with Tuwunel's CLI", before the run finished or cleaned up, and matrix-tuwunel is not active\. Run "Start all services" to fix it\.$/,
    );
  });

  it('through the admin room nothing was stopped: nothing to say', async () => {
    await leftRun('user.make-admin', 'admin-room', 'admin-room');
    await recovery().run();
    expect(alerts.list()).toEqual([]);
    expect(exec.log).toEqual([]);
  });

  it('a configuration apply cannot be shown undone: the alert says so and offers the apply again', async () => {
    // The plan of an apply reads the vars.yml it would deploy, to lint it.
    const deployDir = join(exec.hostDir('deploy'), 'matrix-deploy');
    const deployed = profile({ deploy: deployAt(deployDir) });
    await mkdir(join(deployDir, 'inventory/host_vars/matrix.lab.test'), { recursive: true });
    await writeFile(
      join(deployDir, 'inventory/host_vars/matrix.lab.test/vars.yml'),
      'matrix_domain: lab.test\nmatrix_tuwunel_config_allowed_remote_server_names:\n  - lab.test\n',
    );
    const run = await leftRun('config.apply', 'playbook-install-all', null, deployed);
    maintenance.enter({
      key: `run:${run.owner.runId}`,
      units: 'all',
      reason: 'Applying',
      persistent: false,
      setBy: run.owner,
    });
    await recovery(deployed).run();
    expect(maintenance.list()).toEqual([]);
    expect(alerts.list()).toEqual([
      expect.objectContaining({
        id: interruptedAlertId('config.apply'),
        fixActionId: 'config.apply',
        message: expect.stringContaining(
          'and the configuration may be only partly applied. Run "Apply configuration changes" to fix it.',
        ),
      }),
    ]);
    expect(exec.log).toEqual([]);
  });

  it('a window whose run ended without its record is no longer that run’s', async () => {
    const owner = await deadOwner('gone', 'stack.stop');
    maintenance.enter({
      key: MAINTENANCE_MODE_KEY,
      units: 'all',
      reason: 'r',
      persistent: true,
      setBy: owner,
    });
    maintenance.enter({
      key: 'run:gone',
      units: ['matrix-tuwunel'],
      reason: 'r',
      persistent: false,
      setBy: owner,
    });
    await recovery().run();
    expect(maintenance.list().map((w) => [w.key, w.setBy])).toEqual([[MAINTENANCE_MODE_KEY, null]]);
  });
});

describe('maintenance reminder', () => {
  it('reminds once after the set time, in whichever process looks first, and goes with the mode', async () => {
    maintenance.enter({
      key: MAINTENANCE_MODE_KEY,
      units: 'all',
      reason: 'all services stopped',
      persistent: true,
      since: new Date(now - 30 * 60_000).toISOString(),
    });
    await recovery().run();
    expect(alerts.list()).toEqual([]);
    now += 31 * 60_000;
    await recovery().run();
    expect(alerts.list()).toEqual([
      expect.objectContaining({
        id: MAINTENANCE_REMINDER_ALERT,
        fixActionId: 'stack.start',
        message: expect.stringMatching(
          /^Maintenance mode has been on for 61 min \(since \d\d:\d\d UTC: all services stopped\)/,
        ),
      }),
    ]);
    alerts.clear(MAINTENANCE_REMINDER_ALERT);
    const other = new Recovery({
      profile: profile(),
      catalog: CATALOG,
      maintenance: new MaintenanceStore(join(dir, 'maintenance.json')),
      alerts,
      activeRuns: runs,
      locks,
      exec,
      settings: () => ({ maintenanceReminderMs: 60 * 60_000 }),
      now: () => now,
    });
    await other.run();
    expect(alerts.list()).toEqual([]);

    // Raised again (say a second reminder were due), it goes when maintenance mode goes.
    await recovery().run();
    maintenance.leave(MAINTENANCE_MODE_KEY);
    maintenance.enter({
      key: MAINTENANCE_MODE_KEY,
      units: 'all',
      reason: 'r',
      persistent: true,
      since: new Date(0).toISOString(),
    });
    await recovery().run();
    expect(alerts.list().map((a) => a.id)).toEqual([MAINTENANCE_REMINDER_ALERT]);
    maintenance.leave(MAINTENANCE_MODE_KEY);
    await recovery().run();
    expect(alerts.list()).toEqual([]);
  });
});

describe('the rotation journal, read by every process', () => {
  let repo: string;
  const journal = (stage: RotationJournal['stage']): RotationJournal => ({
    runId: '1a2b3c4d-rotation',
    startedAt: new Date(now).toISOString(),
    file: join(repo, 'vault.yml'),
    backup: join(repo, 'vault.yml.bak.1'),
    previousHead: 'a'.repeat(40),
    commit: 'b'.repeat(40),
    upstream: 'origin/main',
    stage,
  });

  beforeEach(async () => {
    repo = join(dir, 'vault-repo');
    await mkdir(repo);
    execFileSync('git', ['init', '-q', repo]);
  });

  const withVault = () =>
    profile({
      vault: {
        repo,
        file: 'vault.yml',
        key: 'vault_matrix_registration_token',
        deployCheckout: '/root/homelab-ansible',
      },
    });

  it('raises and clears what each stage means, and token copy says when the token is not live', async () => {
    const folder = await rotationFolder(repo, systemGit);
    const p = withVault();
    const ids = () => alerts.list().map((a) => a.id);

    await writeJournal(folder, journal('committed'));
    await recovery(p).run();
    expect(ids()).toEqual([ROTATION_UNPUSHED_ALERT]);
    expect(await rotatedTokenNotLive(p)).toBeNull();

    alerts.clear(ROTATION_UNPUSHED_ALERT);
    await writeJournal(folder, journal('pushed'));
    await recovery(p).run();
    expect(ids()).toEqual([ROTATION_UNAPPLIED_ALERT]);
    expect(alerts.get(ROTATION_UNAPPLIED_ALERT)?.clearedOnlyBy).toEqual(['token.apply', 'token.rotate']);
    expect(await rotatedTokenNotLive(p)).toMatch(
      /^this is the new token of rotation 1a2b3c4d, pushed but not applied yet: Tuwunel still accepts only the old one/,
    );

    alerts.clear(ROTATION_UNAPPLIED_ALERT);
    await writeJournal(folder, journal('pulled'));
    await recovery(p).run();
    expect(alerts.get(ROTATION_UNAPPLIED_ALERT)?.clearedOnlyBy).toBeUndefined();

    await writeJournal(folder, journal('applied'));
    await recovery(p).run();
    expect(ids()).toEqual([]);
    expect(await rotatedTokenNotLive(p)).toBeNull();
  });

  it('leaves a rotation in progress to its own run, and an earlier version’s "pushed" alone', async () => {
    const folder = await rotationFolder(repo, systemGit);
    const p = withVault();
    await writeJournal(folder, journal('committed'));
    const lock = await acquireRotationLock(folder, repo, 'live');
    await recovery(p).run();
    expect(alerts.list()).toEqual([]);
    await lock.release();

    // An earlier version wrote no writer, and stayed at "pushed" after a successful apply.
    const { writer: _, ...legacy } = { ...journal('pushed'), writer: undefined };
    await writeFile(join(folder, 'rotation.json'), JSON.stringify(legacy));
    await recovery(p).run();
    expect(alerts.list()).toEqual([]);
    expect(await rotatedTokenNotLive(p)).toBeNull();
  });
});
