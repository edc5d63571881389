import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src-main/cli/exit-codes';
import { formatPlan, runCommand } from '../../../src-main/cli/run-command';
import { TypedEmitter } from '../../../src-main/core/runbook/emitter';
import { MaintenanceStore } from '../../../src-main/core/runbook/maintenance';
import type { RunbookEvents, RunRecord, StepRecord } from '../../../src-main/core/runbook/run-record';
import { type Plan, Runbook } from '../../../src-main/core/runbook/runner';
import type { RemoteExec } from '../../../src-main/core/ssh/types';
import { MemorySecrets, testProfile } from '../core/runbook/test-profile';
import { memoryIo } from './cli-io';

/** The real runbook over a "remote" that records and refuses: dry runs and refusals must send nothing. */
function realRunbook() {
  const sent: string[] = [];
  const exec: RemoteExec = {
    exec: async (_host, command) => {
      sent.push(command);
      throw new Error('nothing may be sent in this test');
    },
  };
  const runbook = new Runbook({
    profile: testProfile(),
    exec,
    maintenance: new MaintenanceStore(),
    secrets: new MemorySecrets(),
  });
  return { runbook, sent };
}

function step(partial: Partial<StepRecord>): StepRecord {
  return {
    id: 's1',
    title: 'Stop all matrix-* units',
    phase: 'main',
    kind: 'remote',
    host: 'homeserver',
    sudo: true,
    command: "systemctl stop 'matrix-*'",
    stdin: null,
    timeoutMs: 1000,
    state: 'pending',
    startedAt: null,
    endedAt: null,
    exitCode: null,
    attempts: 0,
    output: '',
    summary: null,
    error: null,
    ...partial,
  };
}

/** A runbook that plays a scripted run: the CLI's streaming, outcome and exit code, without a server. */
function scriptedRunbook(outcome: 'ok' | 'failed', danger: Plan['danger'] = 'outage') {
  const events = new TypedEmitter<RunbookEvents>();
  const started: { id: string; params: Record<string, unknown>; confirmation: string | null | undefined }[] =
    [];
  let cancelled = false;
  const record = (state: RunRecord['state'], steps: StepRecord[]): RunRecord => ({
    id: 'run-1',
    actionId: 'stack.stop',
    title: 'Stop the stack (maintenance)',
    profile: 'lab.test',
    params: {},
    danger,
    route: null,
    state,
    sentence: {
      ok: 'The stack is stopped.',
      running: null,
      failed: 'Stopping the stack failed.',
      cancelled: 'Stopping the stack was cancelled.',
    }[state],
    startedAt: new Date(0).toISOString(),
    endedAt: null,
    durationMs: null,
    failingStep: state === 'failed' ? 's1' : null,
    steps,
    alert: null,
    ansible: null,
  });
  const runbook = {
    events,
    plan: async (id: string, params: Record<string, unknown>) =>
      ({
        action: { id, title: 'Stop the stack (maintenance)' },
        params,
        danger,
        downtime: 'Until started again.',
        confirm: 'Stop all matrix-* services: Matrix is down for everyone.',
        route: null,
        locks: ['homeserver'],
        steps: [step({})],
        confirmation: danger === 'safe' ? null : 'confirmation-of-the-plan',
      }) as unknown as Plan,
    start: async (
      id: string,
      params: Record<string, unknown>,
      options: { confirmation?: string | null } = {},
    ) => {
      started.push({ id, params, confirmation: options.confirmation });
      events.emit('run-started', { run: record('running', [step({})]) });
      const done = (async () => {
        await new Promise((r) => setTimeout(r, 5));
        events.emit('step-started', { runId: 'run-1', step: step({ state: 'running' }) });
        events.emit('step-output', {
          runId: 'run-1',
          stepId: 's1',
          stream: 'stdout',
          text: 'inactive\ninact',
        });
        events.emit('step-output', { runId: 'run-1', stepId: 's1', stream: 'stdout', text: 'ive' });
        events.emit('step-output', { runId: 'other', stepId: 's1', stream: 'stdout', text: 'NOT MINE' });
        const final =
          outcome === 'ok'
            ? step({ state: 'ok', summary: 'All 9 units stopped.' })
            : step({
                state: 'failed',
                error: { code: 'SudoFailed', message: 'sudo refused.', nextStep: 'Store the sudo password.' },
              });
        events.emit('step-finished', { runId: 'run-1', step: final });
        return record(cancelled ? 'cancelled' : outcome, [final]);
      })();
      return { id: 'run-1', done, cancel: () => (cancelled = true), snapshot: () => record('running', []) };
    },
  };
  return { runbook, started };
}

describe('run: confirmation', () => {
  it('refuses an outage action without --yes and without a terminal, naming the effect, sending nothing', async () => {
    const { runbook, sent } = realRunbook();
    const { io, out } = memoryIo();
    expect(await runCommand(['stack.stop'], { runbook }, io)).toBe(1);
    expect(out.stderr).toContain('Stop all matrix-* services on the homeserver host (127.0.0.1)');
    expect(out.stderr).toContain('Not confirmed, nothing was done: run it again with --yes');
    expect(sent).toEqual([]);
    expect(runbook.list()).toEqual([]);
  });

  it('asks on a terminal and does nothing on "n"', async () => {
    const { runbook, started } = scriptedRunbook('ok');
    const { io, out } = memoryIo({ tty: true, input: 'n\n' });
    expect(await runCommand(['stack.stop'], { runbook }, io)).toBe(1);
    expect(out.stderr).toContain(
      'Stop all matrix-* services: Matrix is down for everyone.\nGo ahead? [y/N] ',
    );
    expect(out.stderr).toContain('Nothing was done.');
    expect(started).toEqual([]);
  });

  it('runs after "yes" on a terminal, confirmed', async () => {
    const { runbook, started } = scriptedRunbook('ok');
    const { io } = memoryIo({ tty: true, input: 'yes\n' });
    expect(await runCommand(['stack.stop'], { runbook }, io)).toBe(0);
    // The terminal's yes starts the very plan it was shown, with the confirmation issued for it.
    expect(started).toEqual([{ id: 'stack.stop', params: {}, confirmation: 'confirmation-of-the-plan' }]);
  });

  it('does not ask for a safe action', async () => {
    const { runbook, started } = scriptedRunbook('ok', 'safe');
    const { io, out } = memoryIo();
    expect(await runCommand(['stack.stop'], { runbook }, io)).toBe(0);
    expect(out.stderr).toBe('');
    expect(started).toHaveLength(1);
  });
});

describe('run: output and exit code', () => {
  it('streams step lines and output as they come, only of its own run, and exits 0 on success', async () => {
    const { runbook } = scriptedRunbook('ok');
    const { io, out } = memoryIo();
    expect(await runCommand(['stack.stop', '--yes'], { runbook }, io)).toBe(0);
    expect(out.stdout).toBe(
      [
        '→ Stop all matrix-* units',
        "  [homeserver, sudo] $ systemctl stop 'matrix-*'",
        'inactive',
        'inactive',
        '  ✓ All 9 units stopped.',
        'The stack is stopped.',
        '',
      ].join('\n'),
    );
  });

  it('exits 1 on failure with the failing step’s sentence and next step', async () => {
    const { runbook } = scriptedRunbook('failed');
    const { io, out } = memoryIo();
    expect(await runCommand(['stack.stop', '--yes'], { runbook }, io)).toBe(1);
    expect(out.stdout).toContain('  ✗ sudo refused.\nStopping the stack failed.\n');
    expect(out.stderr).toBe('Store the sudo password.\n');
  });

  it('--json prints only the run record', async () => {
    const { runbook } = scriptedRunbook('ok');
    const { io, out } = memoryIo();
    expect(await runCommand(['stack.stop', '--yes', '--json'], { runbook }, io)).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ id: 'run-1', state: 'ok' });
  });

  it('cancels the run when the stop signal fires', async () => {
    const { runbook } = scriptedRunbook('ok');
    const stop = new AbortController();
    const { io, out } = memoryIo({ stop: stop.signal });
    const code = runCommand(['stack.stop', '--yes'], { runbook }, io);
    await new Promise((r) => setTimeout(r, 1));
    stop.abort();
    expect(await code).toBe(EXIT.interrupted);
    expect(out.stdout).toContain('Stopping the stack was cancelled.');
  });
});

describe('run: dry run and parameters', () => {
  it('prints the exact commands of make-admin and sends nothing', async () => {
    const { runbook, sent } = realRunbook();
    const { io, out } = memoryIo();
    expect(await runCommand(['user.make-admin', '--param', 'user=bob', '--dry-run'], { runbook }, io)).toBe(
      0,
    );
    expect(out.stdout).toContain('Parameters: user=@bob:lab.test');
    expect(out.stdout).toContain('Impact: outage');
    expect(out.stdout).toContain('[homeserver, sudo] $ systemctl stop matrix-tuwunel');
    expect(out.stdout).toContain("--execute 'users make-user-admin @bob:lab.test'");
    expect(out.stdout).toMatch(
      /Finally \(always run[^\n]*\n {2}3\. Start matrix-tuwunel again\n {5}\[homeserver, sudo\] \$ systemctl start matrix-tuwunel/,
    );
    expect(sent).toEqual([]);
  });

  it('--dry-run --json is the plan without the catalog entry', async () => {
    const { runbook } = realRunbook();
    const { io, out } = memoryIo();
    await runCommand(['user.make-admin', '--param=user=bob', '--dry-run', '--json'], { runbook }, io);
    const plan = JSON.parse(out.stdout);
    expect(plan).toMatchObject({ actionId: 'user.make-admin', danger: 'outage', route: 'cli' });
    expect(plan.action).toBeUndefined();
    expect(plan.steps.map((s: { id: string }) => s.id)).toEqual([
      'stop-tuwunel',
      'execute',
      'start-tuwunel',
      'confirm-tuwunel',
    ]);
  });

  it.each([
    [['user.make-admin', '--param', 'user=bad user', '--dry-run'], /user/],
    [['user.make-admin', '--param', 'user=bob', '--param', 'nope=1', '--dry-run'], /nope/],
    [['no.such-action'], /There is no action "no.such-action"/],
    [[], /give an action id/],
    [['stack.stop', 'extra'], /extra: is not an argument of run/],
    [['stack.stop', '--force'], /--force: is not an option/],
  ])('refuses %j with exit 64', async (args, message) => {
    const { runbook, sent } = realRunbook();
    const { io, out } = memoryIo();
    expect(await runCommand(args, { runbook }, io)).toBe(64);
    expect(out.stderr).toMatch(message);
    expect(sent).toEqual([]);
  });

  it('formatPlan leaves out the confirm line for a safe action', () => {
    const text = formatPlan({
      action: { id: 'logs.follow', title: 'Follow a service log' },
      params: { unit: 'matrix-tuwunel' },
      danger: 'safe',
      downtime: '',
      confirm: 'Follow the log.',
      route: null,
      routeWhy: null,
      locks: [],
      steps: [step({ kind: 'remote', sudo: false, command: 'journalctl -fu matrix-tuwunel', stdin: null })],
    });
    expect(text).toBe(
      [
        'Follow a service log (logs.follow)',
        'Parameters: unit=matrix-tuwunel',
        'Impact: no downtime',
        'Steps:',
        '  1. Stop all matrix-* units',
        '     [homeserver] $ journalctl -fu matrix-tuwunel',
        '',
      ].join('\n'),
    );
  });
});
