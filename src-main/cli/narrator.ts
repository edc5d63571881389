import type { RunRecord, StepRecord } from '../core/runbook/run-record';
import type { Runbook, RunHandle } from '../core/runbook/runner';
import type { CliIo } from './io';

/** How a step's command is shown: remote ones with their host (and sudo), the others as they describe it. */
export function stepLine(step: Pick<StepRecord, 'kind' | 'command' | 'host' | 'sudo'>): string {
  if (step.kind !== 'remote') return step.command;
  return `[${step.host}${step.sudo ? ', sudo' : ''}] $ ${step.command}`;
}

/** Writes a run's events to the terminal, keeping status lines on lines of their own. */
function narrator(io: CliIo) {
  let atLineStart = true;
  const write = (text: string) => {
    if (!text) return;
    io.stdout(text);
    atLineStart = text.endsWith('\n');
  };
  const line = (text: string) => {
    if (!atLineStart) write('\n');
    write(`${text}\n`);
  };
  return {
    started: (s: StepRecord) => line(`→ ${s.title}${s.kind === 'remote' ? `\n  ${stepLine(s)}` : ''}`),
    output: (stream: 'stdout' | 'stderr' | 'info', text: string) => {
      if (stream === 'stderr') {
        if (!atLineStart) write('\n');
        io.stderr(text);
      } else write(text);
    },
    finished: (s: StepRecord) => {
      if (s.state === 'ok') line(`  ✓ ${s.summary ?? s.title}`);
      else if (s.state === 'failed') line(`  ✗ ${s.error?.message ?? 'failed'}`);
      else if (s.state === 'skipped') line('  – skipped');
    },
    end: (text: string) => line(text),
  };
}

/**
 * The command line's one narrator: follows a started run step by step (the runner has already masked
 * every stored secret in what it reports), cancels it on Ctrl-C (its finally steps still run), ends with
 * its sentence and returns its record. The run's steps start after start() returned its handle, so the
 * narration begins with the first step. `quiet`: no narration, only the record (`--json`).
 */
export async function narrateRun(
  runbook: Pick<Runbook, 'events'>,
  handle: RunHandle,
  io: CliIo,
  options: { quiet?: boolean } = {},
): Promise<RunRecord> {
  const say = narrator(io);
  const mine = (id: string) => id === handle.id;
  const offs = options.quiet
    ? []
    : [
        runbook.events.on('step-started', (e) => mine(e.runId) && say.started(e.step)),
        runbook.events.on('step-output', (e) => mine(e.runId) && say.output(e.stream, e.text)),
        runbook.events.on('step-finished', (e) => mine(e.runId) && say.finished(e.step)),
      ];
  const onStop = () => handle.cancel();
  io.stop?.addEventListener('abort', onStop, { once: true });
  try {
    const record = await handle.done;
    if (!options.quiet) say.end(record.sentence ?? `${record.title}: ${record.state}.`);
    return record;
  } finally {
    io.stop?.removeEventListener('abort', onStop);
    for (const off of offs) off();
  }
}
