import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HostBusy, InvalidInput, SecretMissing } from '../../../../src-main/core/errors';
import { pinnedFacts } from '../../../../src-main/core/matrix/server-facts';
import { AuditLog } from '../../../../src-main/core/runbook/audit';
import { TUWUNEL_STOPPED_ALERT } from '../../../../src-main/core/runbook/catalog';
import { ActionRefused, ConfirmationRequired, UnknownAction } from '../../../../src-main/core/runbook/errors';
import {
  MAINTENANCE_MODE_KEY,
  MaintenanceStore,
  type MaintenanceWindow,
} from '../../../../src-main/core/runbook/maintenance';
import { MASK } from '../../../../src-main/core/runbook/redact';
import { ActiveRuns, type RunbookEvents } from '../../../../src-main/core/runbook/run-record';
import { Runbook } from '../../../../src-main/core/runbook/runner';
import { type AnyAction, DEFAULT_SETTINGS, defineAction } from '../../../../src-main/core/runbook/types';
import { LocalExec } from './local-exec';
import { deployAt, MemorySecrets, testProfile } from './test-profile';

const UNITS = ['matrix-tuwunel', 'matrix-traefik', 'matrix-postgres'];
const profile = testProfile({ units: UNITS });
const FAST = {
  cliExecuteTimeoutSeconds: 1,
  unitCommandTimeoutMs: 5_000,
  unitsSettleTimeoutMs: 1_500,
  tuwunelReadyTimeoutMs: 1_500,
  pollIntervalMs: 100,
  finallyAttempts: 3,
  finallyRetryDelayMs: 50,
};

/** Unit-test stand-ins: systemctl keeps unit states in files, docker answers like Tuwunel's --execute. */
async function standIns(exec: LocalExec) {
  await exec.script(
    'homeserver',
    'systemctl',
    `verb=$1; shift
case $verb in
  stop)
    if [[ -f $STATE/stop-fails ]]; then echo "Job for matrix-tuwunel.service failed because the control process exited with error code." >&2; exit 1; fi
    for u; do if [[ $u == 'matrix-*' ]]; then for f in "$STATE"/units/*; do echo inactive > "$f"; done; else echo inactive > "$STATE/units/$u"; fi; done ;;
  start|restart)
    if [[ -f $STATE/start-fails ]]; then echo "Job for $1.service failed because the control process exited with error code." >&2; exit 1; fi
    for u; do echo active > "$STATE/units/$u"; done ;;
  is-active) rc=3; for u; do s=$(cat "$STATE/units/$u" 2>/dev/null || echo inactive); echo "$s"; [[ $s == active ]] && rc=0; done; exit $rc ;;
esac`,
  );
  await exec.script(
    'homeserver',
    'docker',
    `cmds=(); prev=
for a; do [[ $prev == --execute ]] && cmds+=("$a"); prev=$a; done
cmd=\${cmds[0]}; u=\${cmd##* }
if [[ $(cat "$STATE/units/matrix-tuwunel") == active ]]; then echo "Error: IO error: While lock file: /var/lib/tuwunel/LOCK: Resource temporarily unavailable" >&2; exit 1; fi
mode=$(cat "$STATE/docker-mode" 2>/dev/null)
case $mode in
  hang) exec sleep 1000 ;;
  fail) echo "Command failed with error: User $u does not exist"; echo "Error: Execute command #0 failed." >&2; exit 1 ;;
  exit-*) cat "$STATE/docker-stderr" >&2; exit "\${mode#exit-}" ;;
  *) case $cmd in
       "users make-user-admin "*) echo "$u has been granted admin privileges." ;;
       "users deactivate "*) echo "User $u has been deactivated" ;;
     esac ;;
esac
# Like Tuwunel: "server shutdown" among the commands ends it; without, --execute keeps serving until stopped.
for c in "\${cmds[@]}"; do [[ $c == 'server shutdown' ]] && exit 0; done
exec sleep 1000`,
  );
  await exec.script(
    'homeserver',
    'journalctl',
    'echo "-- Journal begins --"; while :; do echo "tuwunel: tick"; sleep 0.05; done',
  );
  await (await import('node:fs/promises')).mkdir(join(exec.hostDir('homeserver'), 'state', 'units'), {
    recursive: true,
  });
  for (const u of UNITS) await exec.setState('homeserver', `units/${u}`, 'active\n');
}

let exec: LocalExec;
let dataDir: string;
let maintenance: MaintenanceStore;
let audit: AuditLog;

beforeEach(async () => {
  exec = await LocalExec.create();
  await standIns(exec);
  dataDir = await mkdtemp(join(tmpdir(), 'runbook-data-'));
  maintenance = new MaintenanceStore(join(dataDir, 'maintenance.json'));
  audit = new AuditLog(dataDir);
});

afterEach(async () => {
  await exec.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

function runbook(extra: Partial<ConstructorParameters<typeof Runbook>[0]> = {}) {
  return new Runbook({ profile, exec, maintenance, audit, settings: FAST, ...extra });
}

const unit = (u: string) => exec.state('homeserver', `units/${u}`).then((s) => s.trim());
const commands = () => exec.log.map((l) => l.command);

describe('user.make-admin in CLI mode (no admin token stored)', () => {
  it('stops Tuwunel, runs the runbook command, starts it again and says so', async () => {
    const rb = runbook();
    const windows: MaintenanceWindow[][] = [];
    maintenance.subscribe((w) => windows.push(w));
    const run = await rb.start('user.make-admin', { user: 'bob' }, { confirmed: true });
    const record = await run.done;
    expect(record.state).toBe('ok');
    expect(record.route).toBe('cli');
    expect(record.sentence).toMatch(
      /^@bob:lab\.test is now a server admin \(CLI mode; Tuwunel was stopped for \d+ s and is running again\)\.$/,
    );
    expect(commands()).toEqual([
      'systemctl stop matrix-tuwunel',
      "timeout 1 docker run --rm -v /matrix/tuwunel/data:/var/lib/tuwunel -v /matrix/tuwunel/config:/etc/tuwunel:ro -e TUWUNEL_CONFIG=/etc/tuwunel/tuwunel.toml ghcr.io/matrix-construct/tuwunel:v1.7.0 --maintenance --execute 'users make-user-admin @bob:lab.test' --execute 'server shutdown'",
      'systemctl start matrix-tuwunel',
      'systemctl is-active matrix-tuwunel',
    ]);
    expect(exec.log.map((l) => l.sudo)).toEqual([true, true, true, false]);
    // The container ended by itself: no timeout, no early stop.
    expect(record.steps.find((s) => s.id === 'execute')?.exitCode).toBe(0);
    expect(record.steps.map((s) => [s.id, s.state])).toEqual([
      ['stop-tuwunel', 'ok'],
      ['execute', 'ok'],
      ['start-tuwunel', 'ok'],
      ['confirm-tuwunel', 'ok'],
    ]);
    expect(await unit('matrix-tuwunel')).toBe('active');
    // Alerts about matrix-tuwunel were suppressed for the run, and only for it.
    expect(windows[0]).toEqual([
      expect.objectContaining({ key: `run:${run.id}`, units: ['matrix-tuwunel'] }),
    ]);
    expect(maintenance.list()).toEqual([]);
  });

  it('kills a hanging docker step after its timeout, then starts Tuwunel again', async () => {
    await exec.setState('homeserver', 'docker-mode', 'hang');
    const record = await (
      await runbook().start('user.make-admin', { user: '@bob:lab.test' }, { confirmed: true })
    ).done;
    expect(record.state).toBe('failed');
    expect(record.failingStep).toBe('execute');
    expect(record.sentence).toBe(
      'Make someone a server admin failed at "Run the command with Tuwunel\'s CLI": Tuwunel\'s CLI did not end within 1 s and was stopped (timeout). Clean-up done: start matrix-tuwunel again, confirm matrix-tuwunel is active.',
    );
    expect(record.steps.find((s) => s.id === 'execute')?.exitCode).toBe(124);
    expect(await unit('matrix-tuwunel')).toBe('active');
  });

  it('reads failure from the reply text; the failed command ends the container by itself', async () => {
    await exec.setState('homeserver', 'docker-mode', 'fail');
    const rb = runbook({ settings: { ...FAST, cliExecuteTimeoutSeconds: 30 } });
    const record = await (await rb.start('user.make-admin', { user: 'nobody' }, { confirmed: true })).done;
    expect(record.state).toBe('failed');
    const step = record.steps.find((s) => s.id === 'execute');
    expect(step).toMatchObject({ exitCode: 1, state: 'failed' });
    expect(record.sentence).toContain(
      'Tuwunel answered: Command failed with error: User @nobody:lab.test does not exist (exit code 1)',
    );
    expect(record.durationMs).toBeLessThan(5_000);
    expect(await unit('matrix-tuwunel')).toBe('active');
  });

  it.each([
    [
      125,
      // docker/cli run.go: reportError prints the daemon's error, runStartContainerErr exits 125.
      "docker: Error response from daemon: error while creating mount source path '/matrix/tuwunel/data': mkdir /matrix/tuwunel/data: read-only file system.",
    ],
    [
      127,
      // …and 127 when the error says the executable was not found.
      'docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "tuwunel": executable file not found in $PATH: unknown.',
    ],
    [126, "timeout: failed to run command 'docker': Permission denied"],
  ])('says docker run failed (exit %i), not that Tuwunel answered', async (code, stderr) => {
    await exec.setState('homeserver', 'docker-mode', `exit-${code}`);
    await exec.setState('homeserver', 'docker-stderr', `${stderr}\n`);
    const record = await (await runbook().start('user.make-admin', { user: 'bob' }, { confirmed: true }))
      .done;
    expect(record.state).toBe('failed');
    expect(record.steps.find((s) => s.id === 'execute')?.error?.message).toBe(
      `docker run failed (exit ${code}): ${stderr.endsWith('.') ? stderr : `${stderr}.`}`,
    );
    expect(record.sentence).not.toContain('Tuwunel answered');
    expect(await unit('matrix-tuwunel')).toBe('active');
  });

  it('starts Tuwunel again when the connection drops during the docker step', async () => {
    await exec.setState('homeserver', 'docker-mode', 'hang');
    exec.dropNext(/docker run/, 200);
    const record = await (await runbook().start('user.make-admin', { user: 'bob' }, { confirmed: true }))
      .done;
    expect(record.state).toBe('failed');
    expect(record.steps.find((s) => s.id === 'execute')?.error?.code).toBe('ConnectionLost');
    expect(record.steps.find((s) => s.id === 'start-tuwunel')?.state).toBe('ok');
    expect(await unit('matrix-tuwunel')).toBe('active');
  });

  it('retries the finally start after a dropped connection (bounded)', async () => {
    exec.dropNext(/systemctl start/, 0);
    const record = await (await runbook().start('user.make-admin', { user: 'bob' }, { confirmed: true }))
      .done;
    expect(record.state).toBe('ok');
    const start = record.steps.find((s) => s.id === 'start-tuwunel');
    expect(start).toMatchObject({ state: 'ok', attempts: 2 });
    expect(start?.output).toMatch(/Attempt 1 of 3 failed \(The connection to the homeserver host dropped/);
  });

  it('ends failed with a sticky "matrix-tuwunel is stopped" alert when the start cannot be confirmed; stack.start clears it', async () => {
    await exec.setState('homeserver', 'start-fails', '1');
    const rb = runbook({ settings: { ...FAST, tuwunelReadyTimeoutMs: 300 } });
    const raised: RunbookEvents['alert-raised'][] = [];
    rb.events.on('alert-raised', (e) => raised.push(e));
    const record = await (
      await rb.start('user.deactivate', { user: 'bob', leaveRooms: 'false' }, { confirmed: true })
    ).done;
    expect(record.state).toBe('failed');
    expect(commands()[1]).toContain("--execute 'users deactivate --no-leave-rooms @bob:lab.test'");
    expect(
      record.steps
        .filter((s) => s.id === 'start-tuwunel' || s.id === 'confirm-tuwunel')
        .map((s) => [s.state, s.attempts]),
    ).toEqual([
      ['failed', 3],
      ['failed', 3],
    ]);
    expect(record.alert).toMatchObject({
      id: TUWUNEL_STOPPED_ALERT,
      title: 'matrix-tuwunel is stopped',
      fixActionId: 'stack.start',
    });
    expect(rb.alerts.list()).toHaveLength(1);
    // Raised at the first failed start, saying it retries; then once more when the retries are over.
    const messages = raised.map((e) => e.alert.message);
    expect(messages[0]).toMatch(/The first attempt failed \(.+\); retrying for up to 3 min\.$/);
    expect(messages.at(-1)).toMatch(/Matrix is down until it is started\.$/);
    expect(record.sentence).toMatch(/matrix-tuwunel is stopped: use "Start all services"\.$/);

    await rm(join(exec.hostDir('homeserver'), 'state', 'start-fails'));
    const start = await (await rb.start('stack.start')).done;
    expect(start.state).toBe('ok');
    expect(rb.alerts.list()).toEqual([]);
  });

  it('cancels: the remote step is killed, finally still runs, and the run says cancelled', async () => {
    await exec.setState('homeserver', 'docker-mode', 'hang');
    const rb = runbook({ settings: { ...FAST, cliExecuteTimeoutSeconds: 30 } });
    const run = await rb.start('user.make-admin', { user: 'bob' }, { confirmed: true });
    rb.events.on('step-started', (e) => {
      if (e.step.id === 'execute') setTimeout(() => run.cancel(), 200);
    });
    const record = await run.done;
    expect(record.state).toBe('cancelled');
    expect(record.sentence).toMatch(
      /^Make someone a server admin was cancelled during "Run the command with Tuwunel's CLI"\. Clean-up done: start matrix-tuwunel again, confirm matrix-tuwunel is active\.$/,
    );
    expect(record.steps.map((s) => s.state)).toEqual(['ok', 'failed', 'ok', 'ok']);
    expect(await unit('matrix-tuwunel')).toBe('active');
    expect(record.durationMs).toBeLessThan(10_000);
  });
});

describe('the route of user actions: admin API, admin room, CLI mode — and why', () => {
  const withToken = async () => {
    const secrets = new MemorySecrets();
    await secrets.set({ profile: 'lab.test', kind: 'matrix-admin-token' }, 'syt_bGFi_admin_token_0001');
    return secrets;
  };
  const facts = (over: Partial<ReturnType<typeof pinnedFacts>>) => async () => ({
    ...pinnedFacts(profile),
    ...over,
  });

  it('takes the admin API where the server serves it (1.8.1 on, routed), and stops nothing', async () => {
    const rb = runbook({
      secrets: await withToken(),
      server: facts({ running: '1.9.0', source: '/_tuwunel/server_version', adminApi: 'served' }),
    });
    const plan = await rb.plan('user.make-admin', { user: 'bob' });
    expect(plan).toMatchObject({
      route: 'admin-api',
      routeWhy: 'Tuwunel 1.9.0 (as the server says) serves the admin API: no downtime.',
      danger: 'disruptive',
      downtime: 'None, through the admin API.',
    });
    expect(plan.steps.map((s) => [s.id, s.kind, s.command])).toEqual([
      [
        'look-up-user',
        'admin-api',
        'GET https://matrix.lab.test/_synapse/admin/v2/users/%40bob%3Alab.test  (admin API, with the stored admin token)',
      ],
      [
        'grant-admin',
        'admin-api',
        'PUT https://matrix.lab.test/_synapse/admin/v2/users/%40bob%3Alab.test {"admin":true}  (admin API, with the stored admin token)',
      ],
    ]);
    expect(plan.locks).toEqual(['homeserver']);
  });

  it('takes the admin room when the API cannot: an old release, no route, or a request the API cannot do', async () => {
    const secrets = await withToken();
    const old = await runbook({ secrets, server: facts({ running: '1.7.0', adminApi: 'not-served' }) }).plan(
      'user.make-admin',
      { user: 'bob' },
    );
    expect(old).toMatchObject({
      route: 'admin-room',
      routeWhy:
        'Through the admin room, with no downtime: Tuwunel 1.7.0 (as the server says) has no admin API (it came with Tuwunel 1.8.1).',
      downtime: 'None, through the admin room.',
    });
    const unrouted = await runbook({
      secrets,
      server: facts({ running: '1.9.0', adminApi: 'not-routed' }),
    }).plan('user.make-admin', { user: 'bob' });
    expect(unrouted.routeWhy).toMatch(
      /the proxy does not route \/_synapse\/admin to Tuwunel \(set matrix_tuwunel_container_labels_public_client_synapse_admin_api_enabled: true/,
    );
    const served = runbook({ secrets, server: facts({ running: '1.9.0', adminApi: 'served' }) });
    const leaving = await served.plan('user.deactivate', { user: 'bob' });
    expect(leaving).toMatchObject({ route: 'admin-room' });
    expect(leaving.routeWhy).toMatch(/the admin API cannot take someone out of their rooms/);
    expect(leaving.steps.map((s) => s.command)).toEqual([
      '!admin users deactivate @bob:lab.test  (in #admins:lab.test)',
    ]);
    const staying = await served.plan('user.deactivate', { user: 'bob', leaveRooms: false });
    expect(staying).toMatchObject({ route: 'admin-api', danger: 'disruptive' });
    expect(staying.steps.map((s) => s.command)).toEqual([
      'POST https://matrix.lab.test/_synapse/admin/v1/deactivate/%40bob%3Alab.test {"erase":false}  (admin API, with the stored admin token)',
    ]);
  });

  it('falls back to CLI mode only when neither can work, and shows it as an outage', async () => {
    const none = await runbook({ server: facts({ running: '1.9.0', adminApi: 'served' }) }).plan(
      'user.make-admin',
      { user: 'bob' },
    );
    expect(none).toMatchObject({ route: 'cli', danger: 'outage' });
    expect(none.routeWhy).toMatch(/^No Matrix admin sign-in is stored/);
    expect(none.downtime).toBe('About 30 seconds while Tuwunel is stopped for the command.');
    const down = await runbook({
      secrets: await withToken(),
      server: facts({
        unreachable: 'https://matrix.lab.test/_matrix/federation/v1/version answered HTTP 502',
      }),
    }).plan('user.make-admin', { user: 'bob' });
    expect(down).toMatchObject({ route: 'cli', danger: 'outage' });
    expect(down.routeWhy).toMatch(/^The homeserver did not answer \(.*HTTP 502\), so neither/);
    expect(down.steps.map((s) => s.id)).toEqual([
      'stop-tuwunel',
      'execute',
      'start-tuwunel',
      'confirm-tuwunel',
    ]);
  });

  it('never deactivates the admin bot, on any route', async () => {
    await expect(
      runbook({ secrets: await withToken() }).plan('user.deactivate', { user: '@conduit:lab.test' }),
    ).rejects.toThrow(/Tuwunel's own service account/);
  });
});

describe('guards', () => {
  it('refuses a second mutating run on the same host, naming the running one; read-only runs are not locked', async () => {
    await exec.setState('homeserver', 'docker-mode', 'hang');
    const rb = runbook({ settings: { ...FAST, cliExecuteTimeoutSeconds: 30 } });
    const first = await rb.start('user.make-admin', { user: 'bob' }, { confirmed: true });
    const refused = await rb.start('tuwunel.restart', {}, { confirmed: true }).catch((e) => e);
    expect(refused).toBeInstanceOf(HostBusy);
    expect(refused.message).toMatch(
      /^The homeserver host is busy with "Make someone a server admin \(run [0-9a-f]{8}\)"\.$/,
    );
    const logs = await rb.start('logs.follow', { unit: 'matrix-tuwunel' });
    await new Promise((r) => setTimeout(r, 300));
    logs.cancel();
    const logRecord = await logs.done;
    expect(logRecord.state).toBe('cancelled');
    expect(logRecord.sentence).toBe('Stopped following the log of matrix-tuwunel.');
    expect(logRecord.steps[0]?.output).toContain('tuwunel: tick');
    first.cancel();
    await first.done;
    const records = await audit.read();
    expect(records.map((r) => [r.action, r.outcome])).toEqual([
      ['tuwunel.restart', 'refused'],
      ['logs.follow', 'cancelled'],
      ['user.make-admin', 'cancelled'],
    ]);
  });

  it('needs confirmation for disruptive and outage actions, validates parameters at the edge', async () => {
    const rb = runbook();
    const error = await rb.start('stack.stop').catch((e) => e);
    expect(error).toBeInstanceOf(ConfirmationRequired);
    expect(error.confirm).toBe(
      'Stop all matrix-* services on the homeserver host (127.0.0.1): Matrix is down for everyone until you run "Start all services". Alerts about them are suppressed meanwhile.',
    );
    await expect(rb.start('user.make-admin', { user: '@bob:evil.org' }, { confirmed: true })).rejects.toThrow(
      'user: is on evil.org; only users of lab.test can be managed here',
    );
    await expect(rb.start('user.make-admin', {}, { confirmed: true })).rejects.toBeInstanceOf(InvalidInput);
    await expect(rb.start('user.make-admin', { user: 'bob', extra: 1 }, { confirmed: true })).rejects.toThrow(
      /unknown parameter/,
    );
    await expect(rb.start('logs.follow', { unit: 'sshd' })).rejects.toThrow(/not one of the profile's units/);
    await expect(rb.start('nope')).rejects.toBeInstanceOf(UnknownAction);
    await expect(rb.start('admin.command', { command: 'server uptime' })).rejects.toBeInstanceOf(
      SecretMissing,
    );
    expect(exec.log).toEqual([]);
  });

  it('admin.command: every spelling of listing all rooms, and token commands, are refused; stubs get a sentence', async () => {
    const secrets = new MemorySecrets();
    await secrets.set({ profile: 'lab.test', kind: 'matrix-admin-token' }, 'tok');
    const at = (running: string) =>
      runbook({ secrets, server: async () => ({ ...pinnedFacts(profile), running }) });
    for (const spelling of ['rooms list', '!admin   rooms  list 2 --no-details', 'ROOMS LIST'])
      await expect(at('1.9.0').plan('admin.command', { command: spelling })).rejects.toBeInstanceOf(
        ActionRefused,
      );
    // `help` only prints the command's help: nothing is listed.
    expect((await at('1.9.0').plan('admin.command', { command: 'help rooms list' })).danger).toBe('safe');
    const advice = async (running: string) =>
      (
        await at(running)
          .plan('admin.command', { command: 'rooms list' })
          .catch((e) => e)
      ).nextStep;
    expect(await advice('1.7.0')).toMatch(/"rooms info view-room-topic <room_id>"/);
    expect(await advice('1.7.0')).not.toMatch(/Use "rooms info <room_id>"/);
    expect(await advice('1.8.3')).toBe(
      'Use "rooms info <room_id>" for one room, or "rooms exists <room_id>".',
    );
    for (const command of ['token list', '!admin token issue --once', 'token revoke abc', 'TOKEN  LIST']) {
      const refused = await at('1.7.0')
        .plan('admin.command', { command })
        .catch((e) => e);
      expect(refused).toBeInstanceOf(ActionRefused);
      expect(refused.nextStep).toMatch(/invite/);
    }
    const stub = await at('1.9.0').plan('admin.command', { command: 'federation incoming-federation' });
    expect(stub.steps.map((s) => s.id)).toEqual(['known-stub']);
    const record = await (
      await at('1.9.0').start('admin.command', { command: 'federation incoming-federation' })
    ).done;
    expect(record).toMatchObject({ state: 'ok' });
    expect(record.sentence).toMatch(/^"federation incoming-federation" is disabled in Tuwunel 1\.9\.0/);
    expect(exec.log).toEqual([]);
  });

  it('refuses "rooms list" and asks confirmation for server shutdown', async () => {
    const secrets = new MemorySecrets();
    await secrets.set({ profile: 'lab.test', kind: 'matrix-admin-token' }, 'tok');
    const rb = runbook({ secrets });
    await expect(rb.start('admin.command', { command: '!admin rooms list' })).rejects.toBeInstanceOf(
      ActionRefused,
    );
    const plan = await rb.plan('admin.command', { command: '!admin server shutdown' });
    expect(plan.danger).toBe('outage');
    expect(plan.locks).toEqual(['homeserver']);
    await expect(rb.start('admin.command', { command: '!admin server shutdown' })).rejects.toBeInstanceOf(
      ConfirmationRequired,
    );
    expect((await rb.plan('admin.command', { command: 'server uptime' })).danger).toBe('safe');
  });
});

describe('starting a run', () => {
  it('hands back the run before its first step starts, so a listener can follow it by id from the first step', async () => {
    const rb = runbook();
    const seen: string[] = [];
    rb.events.on('step-started', (e) => seen.push(`${e.runId} ${e.step.id}`));
    const handle = await rb.start('stack.start', {}, { confirmed: true });
    expect(seen).toEqual([]);
    expect(handle.snapshot().steps.every((s) => s.state === 'pending')).toBe(true);
    const record = await handle.done;
    expect(record.state).toBe('ok');
    expect(seen[0]).toBe(`${handle.id} ${record.steps[0]?.id}`);
    expect(seen).toHaveLength(record.steps.filter((s) => s.state !== 'skipped').length);
  });

  it('prepares once: the plan a dialog shows starts as it is, reading the keychain once', async () => {
    const secrets = new MemorySecrets();
    await secrets.set({ profile: profile.name, kind: 'sudo-password', host: 'homeserver' }, 'sudo-secret');
    const reads: string[] = [];
    type Ref = Parameters<MemorySecrets['get']>[0];
    const counting = {
      get: (ref: Ref) => {
        reads.push(`get ${ref.kind}`);
        return secrets.get(ref);
      },
      has: (ref: Ref) => {
        reads.push(`has ${ref.kind}`);
        return secrets.has(ref);
      },
      set: secrets.set.bind(secrets),
      delete: secrets.delete.bind(secrets),
    };
    const rb = runbook({ secrets: counting });
    const prepared = await rb.prepare('stack.stop');
    expect(prepared.plan.danger).toBe('outage');
    const afterPlan = reads.length;
    // 1 has (admin token) + one get per secret slot (5 kinds, 3 of them per host: 2 + 3 × 2 = 8).
    expect(afterPlan).toBe(9);
    await expect(prepared.start()).rejects.toBeInstanceOf(ConfirmationRequired);
    const again = await rb.prepare('stack.stop');
    const handle = await again.start({ confirmed: true });
    await expect(again.start({ confirmed: true })).rejects.toThrow(/already started/);
    const record = await handle.done;
    expect(record.state).toBe('ok');
    expect(reads.length).toBe(afterPlan * 2);
    expect(record.steps.map((s) => s.command)).toEqual(again.plan.steps.map((s) => s.command));
  });
});

describe('maintenance mode', () => {
  it('stack.stop turns it on (persisted), stack.start turns it off once the units are active', async () => {
    const rb = runbook();
    const stop = await (await rb.start('stack.stop', {}, { confirmed: true })).done;
    expect(stop.state).toBe('ok');
    expect(commands()).toEqual([
      "systemctl stop 'matrix-*'",
      'systemctl is-active matrix-tuwunel matrix-traefik matrix-postgres',
    ]);
    expect(maintenance.modeActive).toBe(true);
    expect(new MaintenanceStore(join(dataDir, 'maintenance.json')).get(MAINTENANCE_MODE_KEY)).toMatchObject({
      units: 'all',
    });
    for (const u of UNITS) expect(await unit(u)).toBe('inactive');

    const start = await (await rb.start('stack.start')).done;
    expect(start.state).toBe('ok');
    expect(start.sentence).toBe('All 3 units are active and maintenance mode is off.');
    expect(commands().slice(2, 4)).toEqual([
      'systemctl start matrix-tuwunel matrix-traefik matrix-postgres',
      'systemctl is-active matrix-tuwunel matrix-traefik matrix-postgres',
    ]);
    expect(maintenance.modeActive).toBe(false);
    expect(new MaintenanceStore(join(dataDir, 'maintenance.json')).list()).toEqual([]);
  });

  it('stack.start that fails still turns maintenance off, so alerts show what is down', async () => {
    await (await runbook().start('stack.stop', {}, { confirmed: true })).done;
    await exec.setState('homeserver', 'start-fails', '1');
    const start = await (await runbook().start('stack.start')).done;
    expect(start.state).toBe('failed');
    expect(maintenance.modeActive).toBe(false);
    expect(start.steps.map((s) => s.state)).toEqual(['failed', 'skipped', 'skipped', 'ok']);
  });

  it('a stop that failed while every unit still runs leaves maintenance mode again, and says so', async () => {
    await exec.setState('homeserver', 'stop-fails', '1');
    const stop = await (await runbook().start('stack.stop', {}, { confirmed: true })).done;
    expect(stop.state).toBe('failed');
    expect(maintenance.modeActive).toBe(false);
    expect(new MaintenanceStore(join(dataDir, 'maintenance.json')).list()).toEqual([]);
    expect(commands()).toEqual([
      "systemctl stop 'matrix-*'",
      'systemctl is-active matrix-tuwunel matrix-traefik matrix-postgres',
    ]);
    expect(stop.steps.map((s) => [s.id, s.state])).toEqual([
      ['maintenance-on', 'ok'],
      ['stop-all', 'failed'],
      ['confirm-stopped', 'skipped'],
      ['maintenance-off-if-running', 'ok'],
    ]);
    expect(stop.sentence).toMatch(
      /^Stop everything for maintenance failed at "Stop all matrix-\* units": .* Clean-up done: leave maintenance mode if the units still run\. Every unit is still active, so maintenance mode is off again and alerts about them are on\.$/,
    );
  });

  it('keeps maintenance mode on when some units are down, or when they cannot be checked, and says why', async () => {
    await exec.setState('homeserver', 'stop-fails', '1');
    await exec.setState('homeserver', 'units/matrix-traefik', 'inactive\n');
    const partly = await (await runbook().start('stack.stop', {}, { confirmed: true })).done;
    expect(partly.state).toBe('failed');
    expect(maintenance.modeActive).toBe(true);
    expect(partly.sentence).toMatch(
      /Maintenance mode stays on, because matrix-traefik is not active: alerts about the units stay quiet until "Start all services"\.$/,
    );

    await exec.setState('homeserver', 'units/matrix-traefik', 'active\n');
    for (let i = 0; i < FAST.finallyAttempts; i++) exec.dropNext(/is-active/);
    const unchecked = await (await runbook().start('stack.stop', {}, { confirmed: true })).done;
    expect(unchecked.state).toBe('failed');
    expect(unchecked.steps.at(-1)).toMatchObject({ state: 'failed', attempts: FAST.finallyAttempts });
    expect(maintenance.modeActive).toBe(true);
    expect(unchecked.sentence).toMatch(
      /Maintenance mode stays on, because the units could not be checked: alerts about them stay quiet until "Start all services"\.$/,
    );
  });
});

describe('deploy host: config.apply and federation edits', () => {
  const fixture = (name: string) =>
    readFile(join(import.meta.dirname, 'fixtures', 'ansible', `${name}.txt`), 'utf8');
  const VARS = `# host_vars for lab.test\nmatrix_domain: lab.test\nmatrix_tuwunel_config_allowed_remote_server_names:\n  - lab.test # own\n  - '^matrix\\.org$'\nsecret_key: 'k'\n`;
  let deployDir: string;
  let deployProfile: ReturnType<typeof testProfile>;
  const varsPath = () => join(deployDir, 'inventory/host_vars/matrix.lab.test/vars.yml');
  const isRead = (command: string) => command.startsWith(`f=${varsPath()};`) && command.includes('cat <');
  const ran = () => exec.log.filter((l) => !isRead(l.command)).map((l) => l.command.split(' ')[0]);

  beforeEach(async () => {
    const fs = await import('node:fs/promises');
    deployDir = join(exec.hostDir('deploy'), 'matrix-deploy');
    await fs.mkdir(join(deployDir, 'inventory/host_vars/matrix.lab.test'), { recursive: true });
    await fs.writeFile(varsPath(), VARS, { mode: 0o640 });
    deployProfile = testProfile({ units: UNITS, deploy: deployAt(deployDir) });
    await exec.script(
      'deploy',
      'ansible-playbook',
      'echo ran > "$STATE/playbook-ran"; cat "$STATE/playbook-output"; exit "$(cat "$STATE/playbook-rc")"',
    );
    await exec.setState('deploy', 'playbook-output', await fixture('ok1'));
    await exec.setState('deploy', 'playbook-rc', '0');
  });

  it('config.apply on a vars.yml Ansible refuses ends failed with Ansible’s error; the output is teed to a log', async () => {
    await exec.setState('deploy', 'playbook-output', await fixture('broken-yaml'));
    await exec.setState('deploy', 'playbook-rc', '4');
    const rb = runbook({ profile: deployProfile });
    const record = await (await rb.start('config.apply', {}, { confirmed: true })).done;
    expect(record.state).toBe('failed');
    expect(record.sentence).toMatch(
      /^Apply configuration changes failed at "Apply the configuration \(ansible-playbook --tags=install-all,start\)": Ansible stopped with an error: We were unable to read either as JSON nor YAML.*Syntax Error while loading YAML\. did not find expected key \(.*vars\.yml, line 4, column 2\)\.$/,
    );
    const logs = await (await import('node:fs/promises')).readdir(join(deployDir, 'logs'));
    expect(logs).toEqual([expect.stringMatching(/^config-apply-\d{8}T\d{6}Z\.log$/)]);
    expect(await readFile(join(deployDir, 'logs', logs[0] as string), 'utf8')).toBe(
      await fixture('broken-yaml'),
    );
  });

  it('config.apply names the first failed task and keeps the PLAY RECAP', async () => {
    await exec.setState('deploy', 'playbook-output', await fixture('failed-task'));
    await exec.setState('deploy', 'playbook-rc', '2');
    const record = await (
      await runbook({ profile: deployProfile }).start('config.apply', {}, { confirmed: true })
    ).done;
    expect(record.state).toBe('failed');
    expect(record.sentence).toContain(
      'Ansible failed at task "Check allowed list" on matrix.lab.test: Assertion failed.',
    );
    expect(record.ansible?.recap).toEqual([expect.objectContaining({ host: 'matrix.lab.test', failed: 1 })]);
    expect(record.steps.find((s) => s.id === 'playbook-install-all')?.output).toContain(
      'matrix.lab.test: ok=1 changed=1 unreachable=0 failed=1 skipped=0',
    );
  });

  describe('pre-flight: the vars.yml an apply deploys is linted before anything runs', () => {
    const WITHOUT_OWN = VARS.replace('  - lab.test # own\n', '');
    const facts = (running: string | null) => async () => ({
      ...pinnedFacts(deployProfile),
      running,
      source: running ? ('/_tuwunel/server_version' as const) : null,
    });

    it('refuses config.apply when the own server is missing at 1.7.0, and runs nothing but the read', async () => {
      await writeFile(varsPath(), WITHOUT_OWN);
      const rb = runbook({ profile: deployProfile, server: facts('1.7.0') });
      const refused = await rb.start('config.apply', {}, { confirmed: true }).catch((e) => e);
      expect(refused).toBeInstanceOf(ActionRefused);
      expect(refused.message).toMatch(
        /^The configuration was not applied, because vars\.yml would break the server: The federation allowlist does not admit lab\.test, and Tuwunel 1\.7\.0 then silently drops local users' events \(tuwunel#489\)/,
      );
      expect(exec.log.map((l) => isRead(l.command))).toEqual([true]);
      // The dry run says the same, and the window's plan does too.
      await expect(rb.plan('config.apply')).rejects.toBeInstanceOf(ActionRefused);
      expect(ran()).toEqual([]);
    });

    it('judges by the running release too: pinned 1.9.0 but running 1.7.0 is refused; running 1.9.0 gets a note', async () => {
      await writeFile(varsPath(), `${WITHOUT_OWN}matrix_tuwunel_version: v1.9.0\n`);
      const old = runbook({ profile: deployProfile, server: facts('1.7.0') });
      await expect(old.plan('config.apply')).rejects.toThrow(
        /Tuwunel 1\.7\.0 \(running\) then silently drops/,
      );
      const current = runbook({ profile: deployProfile, server: facts('1.9.0') });
      const plan = await current.plan('config.apply');
      expect(plan.steps.map((s) => s.id)).toEqual(['preflight', 'playbook-install-all']);
      expect(plan.steps[0]?.command).toMatch(
        /passes the runbook's checks; the apply runs only on exactly this file/,
      );
      expect(plan.steps[0]?.command).not.toContain('does not admit lab.test');
    });

    it('shows warnings in the plan and the run, and applies', async () => {
      const rb = runbook({ profile: deployProfile, server: facts('1.7.0') });
      const plan = await rb.plan('config.apply');
      // VARS has no version pin, no legacy-media flag, and unanchored allowlist entries: warnings, not refusals.
      expect(plan.confirm).toMatch(/vars\.yml has 3 warnings \(they do not stop the apply\): /);
      expect(plan.steps[0]?.command).toMatch(/Warnings: .*TUWUNEL_ALLOW_LEGACY_MEDIA=true is missing/);
      const record = await (await rb.start('config.apply', {}, { confirmed: true })).done;
      expect(record.state).toBe('ok');
      expect(record.steps[0]?.output).toMatch(/^Warning: .*unanchored|^Warning: Entries are regexes/m);
      expect(ran()).toEqual(['bash']);
    });

    it.each([
      [
        'registration on without a token',
        `${VARS}matrix_tuwunel_config_allow_registration: true\nmatrix_tuwunel_config_registration_token: ''\n`,
        /matrix_tuwunel_config_allow_registration is true but matrix_tuwunel_config_registration_token is empty/,
      ],
      [
        'YAML that does not parse',
        `${VARS}broken: [unclosed\n`,
        /inventory\/host_vars\/matrix\.lab\.test\/vars\.yml is not valid YAML \(line \d+\)/,
      ],
      [
        'an alias bomb',
        `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
        /vars\.yml expands YAML aliases more than 100 times \(an "alias bomb"/,
      ],
    ])('refuses %s, naming vars.yml', async (_name, text, message) => {
      await writeFile(varsPath(), text);
      const refused = await runbook({ profile: deployProfile })
        .start('config.apply', {}, { confirmed: true })
        .catch((e) => e);
      expect(refused).toBeInstanceOf(ActionRefused);
      expect(refused.message).toMatch(message);
      expect(refused.nextStep).toMatch(/Fix vars\.yml on the deploy host/);
      expect(ran()).toEqual([]);
    });

    it('runs the playbook only on the file it linted: an edit after the plan stops it before ansible', async () => {
      const rb = runbook({ profile: deployProfile });
      const prepared = await rb.prepare('config.apply');
      appendFileSync(varsPath(), 'matrix_tuwunel_config_allow_registration: true\n');
      const record = await (await prepared.start({ confirmed: true })).done;
      expect(record.state).toBe('failed');
      expect(record.steps.find((s) => s.id === 'playbook-install-all')?.error?.code).toBe(
        'RemoteFileChanged',
      );
      expect(record.sentence).toMatch(/vars\.yml changed after it was checked, so the playbook did not run/);
      expect(await exec.state('deploy', 'playbook-ran')).toBe('');
    });
  });

  it('federation.allow edits vars.yml (comments, order, mode kept), shows the diff, then applies', async () => {
    const fs = await import('node:fs/promises');
    const rb = runbook({ profile: deployProfile });
    const plan = await rb.plan('federation.allow', { server: 'chat.example.org' });
    // The plan shows the change itself, not only what the step will do.
    expect(plan.steps.find((s) => s.id === 'edit')?.command).toContain("+  - '^chat\\.example\\.org$'");
    exec.log.length = 0;
    const record = await (
      await rb.start('federation.allow', { server: 'chat.example.org' }, { confirmed: true })
    ).done;
    expect(record.state).toBe('ok');
    expect(record.sentence).toBe(
      'Added ^chat\\.example\\.org$ to the allowlist. The configuration was applied.',
    );
    expect(await fs.readFile(varsPath(), 'utf8')).toBe(
      VARS.replace("  - '^matrix\\.org$'\n", () => "  - '^matrix\\.org$'\n  - '^chat\\.example\\.org$'\n"),
    );
    expect((await fs.stat(varsPath())).mode & 0o777).toBe(0o640);
    expect(record.steps.find((s) => s.id === 'edit')?.output).toContain("+  - '^chat\\.example\\.org$'");
    expect(JSON.stringify(record)).not.toContain('secret_key');
    const kinds = () =>
      exec.log.map((l) => (l.command.startsWith(`f=${varsPath()};`) ? 'file' : l.command.split(' ')[0]));
    expect(kinds()).toEqual(['file', 'file', 'bash']);
    expect(exec.log[1]?.stdin).toContain('^chat');
    // The apply runs on exactly the edited file: its hash is the one the guard names.
    expect(exec.log[2]?.command).toContain(
      createHash('sha256')
        .update(exec.log[1]?.stdin ?? '')
        .digest('hex'),
    );
    expect(await fs.readdir(join(deployDir, 'inventory/host_vars/matrix.lab.test'))).toEqual(['vars.yml']);
  });

  it('federation.disallow refuses to drop the own server (lesson #1) before the plan, and writes nothing', async () => {
    const rb = runbook({ profile: deployProfile });
    const refused = await rb
      .start('federation.disallow', { server: 'lab.test' }, { confirmed: true })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(ActionRefused);
    expect(refused.message).toMatch(/Refusing to remove lab\.test from the allowlist.*lesson #1/);
    expect(await readFile(varsPath(), 'utf8')).toBe(VARS);
    expect(ran()).toEqual([]);
  });

  it('refuses to write when vars.yml changed after the plan read it', async () => {
    const fs = await import('node:fs/promises');
    const rb = runbook({ profile: deployProfile });
    const prepared = await rb.prepare('federation.disallow', { server: 'matrix.org' });
    appendFileSync(varsPath(), '# edited by someone else\n');
    const record = await (await prepared.start({ confirmed: true })).done;
    expect(record.state).toBe('failed');
    expect(record.failingStep).toBe('write-vars');
    expect(record.steps.find((s) => s.id === 'write-vars')?.error?.code).toBe('RemoteFileChanged');
    expect(await fs.readFile(varsPath(), 'utf8')).toBe(`${VARS}# edited by someone else\n`);
    expect(ran()).not.toContain('bash');
  });

  it('nothing to change ends the run early and successfully', async () => {
    const record = await (
      await runbook({ profile: deployProfile }).start(
        'federation.allow',
        { server: 'matrix.org' },
        { confirmed: true },
      )
    ).done;
    expect(record).toMatchObject({
      state: 'ok',
      sentence: 'matrix.org is already in the allowlist (as "^matrix\\.org$"); nothing changed.',
    });
    expect(record.steps.map((s) => [s.id, s.state])).toEqual([['edit', 'ok']]);
    expect(ran()).toEqual([]);
  });
});

describe('sticky alerts', () => {
  /** One local step that fails on request; it raises alert "x" (naming `clearedOnlyBy` when given) and clears it. */
  const alerting = (id: string, clearedOnlyBy?: string[]): AnyAction =>
    defineAction<{ fail: boolean }>({
      id,
      title: id,
      description: 'Fails on request.',
      group: 'Admin',
      host: 'homeserver',
      danger: () => 'safe',
      downtime: () => 'None.',
      params: z.object({ fail: z.boolean().default(false) }).strict(),
      confirm: () => id,
      locks: () => [],
      steps: [
        {
          kind: 'local',
          id: 'work',
          title: 'Work',
          describe: () => 'Works, or fails on request.',
          alert: () => ({
            id: 'x',
            title: 'X is broken',
            message: 'X is broken.',
            fixActionId: 'test.fix',
            ...(clearedOnlyBy ? { clearedOnlyBy } : {}),
          }),
          run: (ctx) => (ctx.params.fail ? { ok: false, message: 'it broke' } : { ok: true }),
        },
      ],
      finally: [],
      success: () => 'Done.',
    });

  it('an alert raised with clearedOnlyBy is cleared only by a run of those actions', async () => {
    const rb = runbook({
      catalog: [alerting('test.narrow', ['test.fix']), alerting('test.other'), alerting('test.fix')],
    });
    const run = async (id: string, fail = false) => (await rb.start(id, { fail })).done;
    expect((await run('test.narrow', true)).alert).toMatchObject({ id: 'x', clearedOnlyBy: ['test.fix'] });
    expect((await run('test.other')).state).toBe('ok');
    expect(rb.alerts.list().map((a) => a.id)).toEqual(['x']);
    expect((await run('test.fix')).state).toBe('ok');
    expect(rb.alerts.list()).toEqual([]);
    // Raised without the list, any step that clears it does.
    await run('test.other', true);
    expect(rb.alerts.list().map((a) => a.id)).toEqual(['x']);
    await run('test.narrow');
    expect(rb.alerts.list()).toEqual([]);
  });
});

describe('output, dry run and audit', () => {
  const secret = 'sudo-pw-that-must-not-leak';
  const leaky: AnyAction = defineAction<{ n: number }>({
    id: 'test.leaky',
    title: 'Leaky test action',
    description: 'Prints a secret in pieces.',
    group: 'Admin',
    host: 'homeserver',
    danger: () => 'safe',
    downtime: () => 'None.',
    params: z.object({ n: z.number().default(1) }).strict(),
    confirm: () => 'Print things.',
    locks: () => ['homeserver'],
    steps: [
      {
        kind: 'remote',
        id: 'print',
        title: 'Print',
        host: () => 'homeserver',
        privileged: false,
        command: () =>
          `printf 'a ${secret.slice(0, 9)}'; sleep 0.2; printf '${secret.slice(9)} b\\n'; echo '${secret}' >&2; exit 3`,
        timeoutMs: () => 5000,
      },
    ],
    finally: [],
    success: () => 'done',
  });

  it('masks secrets in live output, records, errors and the audit trail, even split across chunks', async () => {
    const secrets = new MemorySecrets();
    await secrets.set({ profile: 'lab.test', kind: 'sudo-password', host: 'homeserver' }, secret);
    const rb = runbook({ secrets, catalog: [leaky] });
    const live: string[] = [];
    const stdout: string[] = [];
    rb.events.on('step-output', (e) => {
      live.push(e.text);
      if (e.stream === 'stdout') stdout.push(e.text);
    });
    const record = await (await rb.start('test.leaky')).done;
    expect(record.state).toBe('failed');
    const everything = JSON.stringify({ live, record, audit: await readFile(audit.path, 'utf8') });
    expect(everything).not.toContain(secret);
    expect(stdout.join('')).toBe(`a ${MASK} b\n`);
    expect(record.steps[0]?.output).toContain(MASK);
    expect(record.steps[0]?.command).toContain(MASK);
    expect(record.sentence).toContain(MASK);
  });

  it('dry run: the exact commands of each step; it reads vars.yml to lint it, and changes nothing', async () => {
    const dir = join(exec.hostDir('deploy'), 'checkout');
    const vars = join(dir, 'inventory/host_vars/matrix.lab.test/vars.yml');
    await mkdir(join(dir, 'inventory/host_vars/matrix.lab.test'), { recursive: true });
    const text = "matrix_tuwunel_config_allowed_remote_server_names: ['^lab\\.test$']\n";
    await writeFile(vars, text);
    const hash = createHash('sha256').update(text).digest('hex');
    const rb = runbook({ profile: testProfile({ units: UNITS, deploy: deployAt(dir) }) });
    const plan = await rb.plan('config.apply');
    expect(plan.steps).toEqual([
      expect.objectContaining({ id: 'preflight', kind: 'local', host: null }),
      expect.objectContaining({
        id: 'playbook-install-all',
        host: 'deploy',
        sudo: false,
        command: `bash --noprofile --norc -c 'set -o pipefail; h=$(sha256sum < ${vars}) || exit 1; if [ "\${h%% *}" != ${hash} ]; then echo '\\''${vars} changed since it was checked; the playbook did not run.'\\'' >&2; exit 75; fi; cd ${dir} && mkdir -p ${dir}/logs && ansible-playbook -i inventory/hosts setup.yml --tags=install-all,start --vault-password-file /root/.vault_pass 2>&1 | tee ${dir}/logs/config-apply-${plan.steps[1]?.command.match(/config-apply-(\d{8}T\d{6}Z)\.log/)?.[1]}.log'`,
      }),
    ]);
    expect(exec.log.map((l) => l.command)).toEqual([`f=${vars}; sha256sum < "$f" && cat < "$f"`]);
    exec.log.length = 0;
    const restart = await rb.plan('stack.restart');
    expect(restart.steps.map((s) => s.command)).toEqual([
      `cd ${dir} && ansible-playbook -i inventory/hosts setup.yml --tags=start --vault-password-file /root/.vault_pass`,
      'GET https://matrix.lab.test/_matrix/federation/v1/version until it answers',
    ]);
    const update = await rb.plan('deploy.update');
    expect(update.steps.map((s) => s.command)).toEqual([
      `cd ${dir} && git pull`,
      `cd ${dir} && rm -rf roles/galaxy`,
      `cd ${dir} && ansible-galaxy install -r requirements.yml -p roles/galaxy/ --force`,
    ]);
    const restartTuwunel = await rb.plan('tuwunel.restart');
    expect(restartTuwunel.steps[0]).toMatchObject({
      command: 'systemctl restart matrix-tuwunel',
      sudo: true,
      host: 'homeserver',
    });
    const allow = await rb.plan('federation.allow', { server: 'chat.example.org' });
    expect(allow.confirm).toContain('Add ^chat\\.example\\.org$ to the federation allowlist');
    expect(allow.steps.map((s) => s.id)).toEqual(['edit', 'preflight', 'write-vars', 'playbook-install-all']);
    expect(allow.steps[2]).toMatchObject({ stdin: 'the edited vars.yml' });
    expect(allow.steps[2]?.command).toContain(hash);
    expect(allow.steps[3]?.command).toContain(
      createHash('sha256')
        .update(
          "matrix_tuwunel_config_allowed_remote_server_names: ['^lab\\.test$', '^chat\\.example\\.org$']\n",
        )
        .digest('hex'),
    );
    expect(allow.steps[3]?.command).toContain(
      createHash('sha256')
        .update(
          "matrix_tuwunel_config_allowed_remote_server_names: ['^lab\\.test$', '^chat\\.example\\.org$']\n",
        )
        .digest('hex'),
    );
    // Reading vars.yml for the lint and the diff is all a dry run sends.
    expect(exec.log.map((l) => l.command)).toEqual([`f=${vars}; sha256sum < "$f" && cat < "$f"`]);
    expect(await readFile(vars, 'utf8')).toBe(text);
  });

  it('lists the catalog with the ids of the interface and JSON-schema parameters', () => {
    const actions = runbook().actions();
    expect(actions.map((a) => a.id)).toEqual([
      'stack.stop',
      'stack.start',
      'stack.restart',
      'tuwunel.restart',
      'config.apply',
      'deploy.update',
      'user.make-admin',
      'user.deactivate',
      'federation.allow',
      'federation.disallow',
      'logs.follow',
      'admin.command',
    ]);
    const deactivate = actions.find((a) => a.id === 'user.deactivate');
    expect(deactivate?.params).toMatchObject({
      type: 'object',
      required: ['user'],
      properties: { user: { type: 'string' }, leaveRooms: { default: true } },
    });
    expect(actions.filter((a) => a.readOnly).map((a) => a.id)).toEqual(['logs.follow']);
  });

  it('uses the runbook defaults unless told otherwise', () => {
    expect(new Runbook({ profile, exec, maintenance }).settings).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS.cliExecuteTimeoutSeconds).toBe(60);
  });
});

describe('confirmations of a plan', () => {
  it('start exactly the confirmed plan, once; a made-up, reused or other plan’s confirmation is refused', async () => {
    const rb = runbook();
    expect((await rb.plan('stack.start')).confirmation).toBeNull();
    const stop = await rb.plan('stack.stop');
    const restart = await rb.plan('tuwunel.restart');
    expect(stop.confirmation).toMatch(/^[A-Za-z0-9_-]{24}$/);
    await expect(rb.start('stack.stop', {}, { confirmation: 'made-up' })).rejects.toBeInstanceOf(
      ConfirmationRequired,
    );
    await expect(rb.start('stack.stop', {}, { confirmation: restart.confirmation })).rejects.toBeInstanceOf(
      ConfirmationRequired,
    );
    // Refused attempts spend a confirmation: the other plan's is gone too.
    await expect(
      rb.start('tuwunel.restart', {}, { confirmation: restart.confirmation }),
    ).rejects.toBeInstanceOf(ConfirmationRequired);
    expect(exec.log).toEqual([]);
    const run = await rb.start('stack.stop', {}, { confirmation: stop.confirmation });
    expect((await run.done).state).toBe('ok');
    await expect(rb.start('stack.stop', {}, { confirmation: stop.confirmation })).rejects.toBeInstanceOf(
      ConfirmationRequired,
    );
  });

  it('is bound to the parameters and to the route the plan showed', async () => {
    const secrets = new MemorySecrets();
    const rb = runbook({ secrets });
    const bob = await rb.plan('user.make-admin', { user: 'bob' });
    expect(bob.route).toBe('cli');
    await expect(
      rb.start('user.make-admin', { user: 'carol' }, { confirmation: bob.confirmation }),
    ).rejects.toBeInstanceOf(ConfirmationRequired);
    const again = await rb.plan('user.make-admin', { user: 'bob' });
    // The admin token was stored meanwhile: the run would take another route than the one confirmed.
    await secrets.set({ profile: 'lab.test', kind: 'matrix-admin-token' }, 'tok');
    await expect(
      rb.start('user.make-admin', { user: '@bob:lab.test' }, { confirmation: again.confirmation }),
    ).rejects.toBeInstanceOf(ConfirmationRequired);
  });
});

describe('what a run leaves for other processes', () => {
  it('records itself while it runs, marks its windows and alerts as its own, and removes its record at the end', async () => {
    const runs = new ActiveRuns(join(dataDir, 'runs'));
    const rb = runbook({ activeRuns: runs });
    const seen: { at: number; step: string | undefined; window: unknown }[] = [];
    rb.events.on('step-started', (e) => {
      const [record] = runs.list();
      seen.push({
        at: record?.at ?? -2,
        step: record?.steps[record.at]?.id,
        window: maintenance.get(`run:${e.runId}`)?.setBy?.runId,
      });
    });
    const run = await rb.start('user.make-admin', { user: 'bob' }, { confirmed: true });
    expect(runs.list()[0]?.owner).toEqual({
      runId: run.id,
      actionId: 'user.make-admin',
      pid: process.pid,
      host: hostname(),
      processStart: expect.any(String),
    });
    await run.done;
    expect(seen.map((s) => s.step)).toEqual(['stop-tuwunel', 'execute', 'start-tuwunel', 'confirm-tuwunel']);
    expect(seen.map((s) => s.at)).toEqual([0, 1, 2, 3]);
    expect(seen.every((s) => s.window === run.id)).toBe(true);
    expect(runs.list()).toEqual([]);
    expect(maintenance.list()).toEqual([]);
  });

  it('a read-only run (no host lock) is not recorded', async () => {
    const runs = new ActiveRuns(join(dataDir, 'runs'));
    const run = await runbook({ activeRuns: runs }).start('logs.follow', { unit: 'matrix-tuwunel' });
    await new Promise((r) => setTimeout(r, 100));
    expect(runs.list()).toEqual([]);
    run.cancel();
    await run.done;
  });

  it('shows stopWhen each line of stdout once, however the chunks are cut', async () => {
    const lines: string[] = [];
    const action = defineAction({
      id: 'test.lines',
      title: 'Lines',
      description: 'Prints lines in small chunks.',
      group: 'Admin',
      host: 'homeserver',
      danger: () => 'safe',
      downtime: () => 'None.',
      params: z.object({}).strict(),
      confirm: () => 'Lines.',
      locks: () => [],
      steps: [
        {
          kind: 'remote',
          id: 'print',
          title: 'Print',
          host: () => 'homeserver',
          privileged: false,
          command: () =>
            "for i in $(seq 1 400); do printf 'line %s\\n' $i; done; printf 'DONE\\n'; printf 'after\\n'; sleep 5",
          timeoutMs: () => 10_000,
          stopWhen: (line) => {
            lines.push(line);
            return line === 'DONE';
          },
          check: (out) => (out.stoppedEarly ? { ok: true } : { ok: false, message: 'it was not stopped' }),
        },
      ],
      finally: [],
      success: () => 'Done.',
    });
    const record = await (await runbook({ catalog: [action] }).start('test.lines')).done;
    expect(record.state).toBe('ok');
    expect(lines).toEqual([...Array.from({ length: 400 }, (_, i) => `line ${i + 1}`), 'DONE']);
  });

  it('bounds the clean-up’s retries by the retry budget, and raises the alert at the first failure', async () => {
    await exec.setState('homeserver', 'start-fails', '1');
    const rb = runbook({
      settings: {
        ...FAST,
        finallyAttempts: 50,
        finallyRetryDelayMs: 20,
        tuwunelReadyTimeoutMs: 200,
        finallyRetryBudgetMs: 600,
      },
    });
    const raised: string[] = [];
    rb.events.on('alert-raised', (e) => raised.push(e.alert.message));
    const record = await (await rb.start('user.make-admin', { user: 'bob' }, { confirmed: true })).done;
    expect(record.state).toBe('failed');
    const start = record.steps.find((s) => s.id === 'start-tuwunel');
    expect(start?.attempts).toBeGreaterThan(1);
    expect(start?.attempts).toBeLessThan(50);
    expect(start?.output).toMatch(/no more retries: the clean-up may take 1 s at most\./);
    expect(raised[0]).toMatch(/retrying for up to 1 s\.$/);
    expect(rb.alerts.list().map((a) => a.id)).toEqual([TUWUNEL_STOPPED_ALERT]);
  });
});
