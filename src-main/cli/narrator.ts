import type { RunRecord, StepRecord } from '../core/runbook/run-record';
import type { Runbook, RunHandle } from '../core/runbook/runner';
import type { CliIo } from './io';

/** How a step's command is shown: remote ones with their host (and sudo), the others as they describe it. */
export function stepLine(step: Pick<StepRecord, 'kind' | 'command' | 'host' | 'sudo'>): string {
  if (step.kind !== 'remote') return step.command;
  return `[${step.host}${step.sudo ? ', sudo' : ''}] $ ${step.command}`;
}

/** How a run ended, for a run without a sentence of its own. */
const RUN_ENDS: Record<RunRecord['state'], string> = {
  ok: 'is done',
  failed: 'failed',
  cancelled: 'was cancelled',
  running: 'is still running',
};

/** A line longer than this is shown in parts rather than held back (remote output is bounded, not trusted). */
const MAX_HELD_CHARS = 16 * 1024;

/**
 * Writes a run's events to the terminal in whole lines: remote output arrives in chunks that break lines
 * anywhere (mid-word), so each stream's text is held until its line ends, and a step's unfinished last line
 * is shown when the step ends.
 */
function narrator(io: CliIo) {
  const held: Record<'stdout' | 'stderr' | 'info', string> = { stdout: '', stderr: '', info: '' };
  const show = (stream: keyof typeof held, lines: string) => {
    if (stream === 'stderr') io.stderr(lines);
    else io.stdout(lines);
  };
  const flush = () => {
    for (const stream of ['stdout', 'info', 'stderr'] as const) {
      if (held[stream]) show(stream, `${held[stream]}\n`);
      held[stream] = '';
    }
  };
  const line = (text: string) => {
    flush();
    io.stdout(`${text}\n`);
  };
  return {
    started: (s: StepRecord) => line(`→ ${s.title}${s.kind === 'remote' ? `\n  ${stepLine(s)}` : ''}`),
    output: (stream: 'stdout' | 'stderr' | 'info', text: string) => {
      const all = held[stream] + text;
      const end = all.lastIndexOf('\n') + 1;
      held[stream] = all.slice(end);
      let whole = all.slice(0, end);
      if (held[stream].length > MAX_HELD_CHARS) {
        whole += `${held[stream]}\n`;
        held[stream] = '';
      }
      if (whole) show(stream, whole);
    },
    finished: (s: StepRecord) => {
      if (s.state === 'ok') line(`  ✓ ${s.summary ?? s.title}`);
      else if (s.state === 'failed') line(`  ✗ ${s.error?.message ?? `${s.title} failed.`}`);
      else if (s.state === 'skipped') line('  – skipped');
      else flush();
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
    if (!options.quiet) say.end(record.sentence ?? `${record.title} ${RUN_ENDS[record.state]}.`);
    return record;
  } finally {
    io.stop?.removeEventListener('abort', onStop);
    for (const off of offs) off();
  }
}
