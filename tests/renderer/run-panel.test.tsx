import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { chunksToLines, RunPanel } from '../../src-renderer/src/panels/run-panel';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

async function openRun(overrides = {}) {
  h = harness({
    'runs.get': () => ({
      ...fx.run(),
      output: [
        { seq: 0, stepId: 'stop', stream: 'info', text: '$ systemctl stop matrix-tuwunel\n' },
        { seq: 1, stepId: 'exec', stream: 'stdout', text: 'Waiting for the ' },
        { seq: 2, stepId: 'exec', stream: 'stdout', text: 'RocksDB lock…\n' },
      ],
    }),
    'runs.cancel': () => ({ cancelling: true }),
    'runs.copyOutput': () => ({ copied: true }),
    ...overrides,
  });
  await h.store.getState().openRun('run-1');
  renderWith(h, <RunPanel />);
}

describe('Run panel', () => {
  it('joins output chunks into lines', () => {
    expect(
      chunksToLines([
        { seq: 0, stepId: null, stream: 'stdout', text: 'a' },
        { seq: 1, stepId: null, stream: 'stdout', text: 'b\nc\n' },
        { seq: 2, stepId: null, stream: 'stderr', text: '\nd' },
      ]),
    ).toEqual([
      { text: 'ab', stream: 'stdout' },
      { text: 'c', stream: 'stdout' },
      { text: '', stream: 'stderr' },
      { text: 'd', stream: 'stderr' },
    ]);
  });

  it('shows each step with its state in words, the live output and a cancel button', async () => {
    await openRun();
    const steps = screen.getByRole('list', { name: 'Steps' });
    const items = within(steps).getAllByRole('listitem');
    expect(items.map((i) => i.textContent)).toEqual([
      expect.stringContaining('Stop matrix-tuwunelDone'),
      expect.stringContaining('users make-user-adminRunning'),
      expect.stringContaining('Start matrix-tuwunel againPendingalways runs'),
    ]);
    const output = screen.getByRole('log', { name: 'Output' });
    expect(within(output).getByText('Waiting for the RocksDB lock…')).toBeTruthy();
    act(() =>
      h.fake.emit('run.output', {
        runId: 'run-1',
        chunks: [
          {
            seq: 3,
            stepId: 'exec',
            stream: 'stdout',
            text: '@bob:rampancy.cloud has been granted admin privileges.\n',
          },
        ],
      }),
    );
    expect(within(output).getByText('@bob:rampancy.cloud has been granted admin privileges.')).toBeTruthy();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Cancel run' })));
    expect(h.fake.callsTo('runs.cancel')).toEqual([{ runId: 'run-1' }]);
  });

  it('says there is no output instead of showing an empty box, until the first line arrives', async () => {
    await openRun({ 'runs.get': () => ({ ...fx.run(), output: [] }) });
    expect(screen.getByTestId('no-output').textContent).toBe('No output yet.');
    expect(screen.queryByRole('log', { name: 'Output' })).toBeNull();
    act(() =>
      h.fake.emit('run.output', {
        runId: 'run-1',
        chunks: [{ seq: 0, stepId: 'exec', stream: 'stdout', text: 'granted.\n' }],
      }),
    );
    expect(within(screen.getByRole('log', { name: 'Output' })).getByText('granted.')).toBeTruthy();
    expect(screen.queryByTestId('no-output')).toBeNull();
  });

  it('a finished run that printed nothing says "No output." and offers nothing to copy', async () => {
    await openRun({
      'runs.get': () => ({
        ...fx.run({
          state: 'ok',
          endedAt: fx.at(3_000),
          sentence: 'Tuwunel was restarted and answers again.',
        }),
        output: [],
      }),
    });
    expect(screen.getByTestId('no-output').textContent).toBe('No output.');
    expect(screen.queryByRole('log', { name: 'Output' })).toBeNull();
    expect((screen.getByRole('button', { name: 'Copy output' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('ends with the outcome sentence, copies the output through the main process, and offers the follow-up', async () => {
    await openRun({
      'actions.plan': () => fx.plan({ actionId: 'stack.start' }),
      'actions.run': () => ({ runId: 'run-2' }),
    });
    await h.store.getState().loadCatalog();
    act(() =>
      h.fake.emit(
        'run.finished',
        fx.run({
          state: 'failed',
          endedAt: fx.at(70_000),
          sentence: 'The admin command timed out, and matrix-tuwunel could not be confirmed running again.',
          nextStep: 'Start the stack, then look at the Tuwunel logs.',
          followUps: [{ kind: 'action', actionId: 'stack.start', label: 'Start stack' }],
        }),
      ),
    );
    expect(screen.getByTestId('run-state').textContent).toBe('Failed');
    expect(screen.getByTestId('run-outcome').textContent).toContain('could not be confirmed running again');
    expect(screen.queryByRole('button', { name: 'Cancel run' })).toBeNull();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Copy output' })));
    expect(h.fake.callsTo('runs.copyOutput')).toEqual([{ runId: 'run-1' }]);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start stack' })));
    expect(h.fake.callsTo('actions.run')).toEqual([
      { actionId: 'stack.start', params: {}, confirmation: null },
    ]);
  });

  it('shows the PLAY RECAP as a table and names the first failed task', async () => {
    await openRun();
    act(() =>
      h.fake.emit(
        'run.finished',
        fx.run({
          actionId: 'config.apply',
          state: 'failed',
          sentence: 'The playbook failed.',
          recap: {
            rows: [
              {
                host: 'matrix.lab.test',
                ok: 41,
                changed: 2,
                unreachable: 0,
                failed: 1,
                skipped: 9,
                rescued: 0,
                ignored: 0,
              },
            ],
            firstFailedTask: 'matrix-tuwunel : Validate configuration',
            error: null,
          },
        }),
      ),
    );
    const table = screen.getByRole('table', { name: 'PLAY RECAP' });
    const row = within(table).getByRole('row', { name: /matrix\.lab\.test/ });
    expect(
      within(row)
        .getAllByRole('cell')
        .map((c) => c.textContent),
    ).toEqual(['41', '2', '0', '1', '9', '0', '0']);
    expect(screen.getByText('matrix-tuwunel : Validate configuration')).toBeTruthy();
  });

  it('shows the federation allowlist diff while the run goes on to apply it', async () => {
    await openRun();
    act(() =>
      h.fake.emit(
        'run.updated',
        fx.run({
          actionId: 'federation.allow',
          title: 'Allow a server',
          diff: {
            file: '/root/matrix-deploy/inventory/host_vars/rampancy.cloud/vars.yml',
            lines: [
              { op: ' ', text: 'matrix_tuwunel_config_allowed_remote_server_names:' },
              { op: ' ', text: "  - '^rampancy\\.cloud$'" },
              { op: '+', text: "  - '^example\\.org$'" },
            ],
          },
        }),
      ),
    );
    const diff = screen.getByRole('figure');
    expect(diff.textContent).toContain('vars.yml');
    // The sign and a word say what changed, not only the colour.
    expect(within(diff).getByText("- '^example\\.org$'", { exact: false }).textContent).toMatch(
      /^added: \+ /,
    );
  });

  it('offers rollback after a failed rotation', async () => {
    await openRun({ 'token.rollback': () => ({ runId: 'run-3' }) });
    act(() =>
      h.fake.emit(
        'run.finished',
        fx.run({
          actionId: 'token.rotate',
          state: 'failed',
          sentence: 'git push was refused; the vault was not published.',
          followUps: [{ kind: 'rollback', label: 'Roll back the vault' }],
        }),
      ),
    );
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Roll back the vault' })));
    expect(h.fake.callsTo('token.rollback')).toEqual([{ runId: 'run-1' }]);
  });
});
