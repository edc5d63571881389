import { describe, expect, it } from 'vitest';
import { narrateRun } from '../../../src-main/cli/narrator';
import { TypedEmitter } from '../../../src-main/core/runbook/emitter';
import type { RunbookEvents, RunRecord, StepRecord } from '../../../src-main/core/runbook/run-record';
import { memoryIo } from './cli-io';

/**
 * Remote output arrives in chunks cut anywhere — Ansible's lines broke mid-word in `token rotate` — and
 * stdout and stderr interleave. The narrator shows whole lines only, each on the stream it came from.
 */

function step(partial: Partial<StepRecord>): StepRecord {
  return {
    id: 'apply',
    title: 'Apply the configuration',
    phase: 'main',
    kind: 'remote',
    host: 'deploy',
    sudo: false,
    command: 'ansible-playbook -i inventory/hosts setup.yml --tags=install-all,start',
    stdin: null,
    timeoutMs: 1000,
    state: 'running',
    startedAt: null,
    endedAt: null,
    exitCode: null,
    attempts: 1,
    output: '',
    summary: null,
    error: null,
    ...partial,
  };
}

function record(): RunRecord {
  return {
    id: 'run-1',
    actionId: 'config.apply',
    title: 'Apply the configuration',
    profile: 'lab.test',
    params: {},
    danger: 'disruptive',
    route: null,
    state: 'ok',
    sentence: 'The configuration is applied.',
    startedAt: new Date(0).toISOString(),
    endedAt: null,
    durationMs: null,
    failingStep: null,
    steps: [],
    alert: null,
    ansible: null,
  };
}

/** Plays `chunks` as one step's output and narrates it; returns what each stream got, write by write. */
async function narrate(chunks: [RunbookEvents['step-output']['stream'], string][]) {
  const events = new TypedEmitter<RunbookEvents>();
  const writes = { stdout: [] as string[], stderr: [] as string[] };
  const { io } = memoryIo();
  io.stdout = (t) => writes.stdout.push(t);
  io.stderr = (t) => writes.stderr.push(t);
  let finish: (r: RunRecord) => void = () => {};
  const done = new Promise<RunRecord>((r) => {
    finish = r;
  });
  const narrated = narrateRun({ events }, { id: 'run-1', done, cancel: () => {}, snapshot: record }, io);
  events.emit('step-started', { runId: 'run-1', step: step({}) });
  for (const [stream, text] of chunks)
    events.emit('step-output', { runId: 'run-1', stepId: 'apply', stream, text });
  events.emit('step-finished', { runId: 'run-1', step: step({ state: 'ok', summary: 'Applied.' }) });
  finish(record());
  await narrated;
  return writes;
}

describe('narrateRun shows whole lines', () => {
  it('holds a line until it ends, even when the chunks cut words and the streams interleave', async () => {
    const writes = await narrate([
      ['stdout', 'TASK [matrix-tuwunel : Ensure matrix-tuwunel is star'],
      ['stderr', '[WARNING]: Platform linux on host matrix.lab.test is using the discovered Py'],
      ['stdout', 'ted] ***\nok: [matrix.lab.test]\nPLAY RE'],
      ['stderr', 'thon interpreter\n'],
      ['stdout', 'CAP ***\nmatrix.lab.test : ok=3 changed=1'],
    ]);
    expect(writes.stdout).toEqual([
      '→ Apply the configuration\n  [deploy] $ ansible-playbook -i inventory/hosts setup.yml --tags=install-all,start\n',
      'TASK [matrix-tuwunel : Ensure matrix-tuwunel is started] ***\nok: [matrix.lab.test]\n',
      'PLAY RECAP ***\n',
      // The last line had no newline: shown whole when the step ends, before its result.
      'matrix.lab.test : ok=3 changed=1\n',
      '  ✓ Applied.\n',
      'The configuration is applied.\n',
    ]);
    expect(writes.stderr).toEqual([
      '[WARNING]: Platform linux on host matrix.lab.test is using the discovered Python interpreter\n',
    ]);
    for (const w of [...writes.stdout, ...writes.stderr]) expect(w.endsWith('\n'), w).toBe(true);
  });

  it('shows a line without an end in parts once it passes the cap, rather than holding it forever', async () => {
    const writes = await narrate([
      ['stdout', 'x'.repeat(10_000)],
      ['stdout', 'y'.repeat(10_000)],
    ]);
    expect(writes.stdout[1]).toBe(`${'x'.repeat(10_000)}${'y'.repeat(10_000)}\n`);
  });
});
