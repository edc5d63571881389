import { describe, expect, it } from 'vitest';
import {
  paramValues,
  parseAllowlistDiff,
  runState,
  runSummary,
} from '../../../../src-main/app/views/run-view';
import { EXAMPLE_PROFILE_YAML } from '../../../../src-main/core/profile/example';
import { parseProfile } from '../../../../src-main/core/profile/load';
import { editAllowlist } from '../../../../src-main/core/runbook/federation-edit';
import {
  ROTATION_UNPUSHED_ALERT,
  TOKEN_ROLLBACK_ACTION,
} from '../../../../src-main/core/runbook/rotation-alerts';
import type { RunRecord, StepRecord } from '../../../../src-main/core/runbook/run-record';
import {
  runState as runStateSchema,
  runSummary as runSummarySchema,
} from '../../../../src-main/ipc/contract';

const profile = parseProfile(EXAMPLE_PROFILE_YAML);
const titles: Record<string, string> = {
  'stack.start': 'Start the stack',
  [TOKEN_ROLLBACK_ACTION]: 'Roll back',
};
const ctx = { profile, actionTitle: (id: string) => titles[id] ?? null };

function step(id: string, patch: Partial<StepRecord> = {}): StepRecord {
  return {
    id,
    title: id,
    phase: 'main',
    kind: 'remote',
    host: 'homeserver',
    sudo: true,
    command: 'true',
    stdin: null,
    timeoutMs: 1000,
    state: 'ok',
    startedAt: '2026-11-26T10:00:00.000Z',
    endedAt: '2026-11-26T10:00:01.000Z',
    exitCode: 0,
    attempts: 1,
    output: '',
    summary: null,
    error: null,
    ...patch,
  };
}

function record(patch: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'run-1',
    actionId: 'tuwunel.restart',
    title: 'Restart Tuwunel',
    profile: profile.name,
    params: {},
    danger: 'disruptive',
    route: null,
    state: 'ok',
    sentence: 'Tuwunel was restarted.',
    startedAt: '2026-11-26T10:00:00.000Z',
    endedAt: '2026-11-26T10:00:02.000Z',
    durationMs: 2000,
    failingStep: null,
    steps: [step('restart')],
    alert: null,
    ansible: null,
    ...patch,
  };
}

const VARS = `matrix_tuwunel_config_allowed_remote_server_names: ['^rampancy\\\\.cloud$', '^matrix\\\\.org$']\nother: 1\n`;

describe('runState', () => {
  it('maps a run to the contract shape, without the steps’ output', () => {
    const view = runState(record({ steps: [step('restart', { output: 'secret-free output' })] }), ctx);
    expect(runStateSchema.safeParse(view).success).toBe(true);
    expect(view).toMatchObject({ runId: 'run-1', nextStep: null, recap: null, diff: null, followUps: [] });
    expect(view.steps[0]).not.toHaveProperty('output');
  });

  it('says what to do next: the failing step first, else the alert it raised', () => {
    const failing = step('restart', {
      state: 'failed',
      error: {
        code: 'Timeout',
        message: 'Restart did not finish within 5 s and was stopped.',
        nextStep: 'Look at the logs.',
      },
    });
    const alert = {
      id: 'tuwunel-stopped',
      title: 'matrix-tuwunel is stopped',
      message: 'Start it again.',
      fixActionId: 'stack.start',
      profile: profile.name,
      runId: 'run-1',
      raisedAt: '2026-11-26T10:00:02.000Z',
    };
    const failed = runState(
      record({ state: 'failed', failingStep: 'restart', steps: [failing], alert }),
      ctx,
    );
    expect(failed.nextStep).toBe('Look at the logs.');
    expect(failed.followUps).toEqual([{ kind: 'action', actionId: 'stack.start', label: 'Start the stack' }]);
    expect(runState(record({ state: 'failed', alert }), ctx).nextStep).toBe('Start it again.');
    expect(runState(record({ state: 'running', alert, sentence: null }), ctx).nextStep).toBeNull();
    const unknownFix = runState(record({ alert: { ...alert, fixActionId: 'gone' } }), ctx);
    expect(unknownFix.followUps).toEqual([{ kind: 'action', actionId: 'gone', label: alert.title }]);
  });

  it('offers the rollback after a rotation that stopped before the push', () => {
    const alert = {
      id: ROTATION_UNPUSHED_ALERT,
      title: 'A token rotation stopped before it was pushed',
      message: 'Roll it back.',
      fixActionId: TOKEN_ROLLBACK_ACTION,
      profile: profile.name,
      runId: 'run-1',
      raisedAt: '2026-11-26T10:00:02.000Z',
    };
    const view = runState(record({ actionId: 'token.rotate', state: 'failed', alert }), ctx);
    expect(view.followUps).toEqual([{ kind: 'rollback', label: 'Roll back the vault' }]);
  });

  it('shows the PLAY RECAP and the first failed task', () => {
    const view = runState(
      record({
        actionId: 'config.apply',
        ansible: {
          recap: [
            {
              host: 'matrix',
              ok: 10,
              changed: 2,
              unreachable: 0,
              failed: 1,
              skipped: 3,
              rescued: 0,
              ignored: 0,
            },
          ],
          firstFailure: {
            kind: 'failed',
            play: 'all',
            task: 'Ensure tuwunel config',
            host: 'matrix',
            item: null,
            message: 'x',
          },
          error: null,
          ok: false,
        },
      }),
      ctx,
    );
    expect(view.recap).toEqual({
      rows: [
        { host: 'matrix', ok: 10, changed: 2, unreachable: 0, failed: 1, skipped: 3, rescued: 0, ignored: 0 },
      ],
      firstFailedTask: 'Ensure tuwunel config',
      error: null,
    });
  });

  it('parses the allowlist diff the federation edit step printed (notes and headers left out)', () => {
    const edit = editAllowlist(VARS, 'allow', 'chat.example.org', 'rampancy.cloud', profile.deploy.varsFile);
    const output = `Note: something to know\n${edit.diff}`;
    const view = runState(
      record({
        actionId: 'federation.allow',
        steps: [step('read-vars'), step('edit', { kind: 'local', output })],
      }),
      ctx,
    );
    expect(view.diff?.file).toBe(profile.deploy.varsFile);
    expect(view.diff?.lines.some((l) => l.op === '+' && l.text.includes('chat\\.example\\.org'))).toBe(true);
    expect(view.diff?.lines.every((l) => !l.text.startsWith('@@') && !l.text.startsWith('++'))).toBe(true);
    expect(runStateSchema.safeParse(view).success).toBe(true);
    expect(parseAllowlistDiff('no diff here', 'f')).toBeNull();
    expect(parseAllowlistDiff('@@ k @@\n-a\n+b\n c\nNote: after', 'f')?.lines).toEqual([
      { op: '-', text: 'a' },
      { op: '+', text: 'b' },
      { op: ' ', text: 'c' },
    ]);
  });

  it('summarises a run for the list', () => {
    const s = runSummary(record());
    expect(runSummarySchema.safeParse(s).success).toBe(true);
    expect(Object.keys(s).sort()).toEqual([
      'actionId',
      'endedAt',
      'runId',
      'sentence',
      'startedAt',
      'state',
      'title',
    ]);
  });
});

describe('paramValues', () => {
  it('keeps plain values and makes the rest strings', () => {
    expect(paramValues({ a: 'x', b: 2, c: true, d: null, e: undefined, f: Number.NaN, g: [1, 2] })).toEqual({
      a: 'x',
      b: 2,
      c: true,
      f: 'NaN',
      g: '1,2',
    });
  });
});
