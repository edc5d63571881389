import type { RunRecord } from '../core/runbook/run-record';
import { Batcher, LineSplitter } from './batcher';
import { OutputRing } from './output-ring';
import type { Core } from './session';
import type { ErrorInfo } from './views/common-schema';
import type { OutputChunk, RunState } from './views/run-schema';
import { runState } from './views/run-view';

/** The catalog's log follower: its runs are log streams, shown as lines in the Logs panel, not as runs. */
export const LOGS_ACTION = 'logs.follow';
/** Output kept per run for runs.get (the live events carry all of it). */
const MAX_OUTPUT_CHARS = 1024 * 1024;

export function isLogStream(run: Pick<RunRecord, 'actionId'>): boolean {
  return run.actionId === LOGS_ACTION;
}

export type RunEvent =
  | { channel: 'run.updated' | 'run.finished'; payload: RunState }
  | { channel: 'run.output'; payload: { runId: string; chunks: OutputChunk[] } }
  | { channel: 'logs.lines'; payload: { streamId: string; lines: string[] } }
  | { channel: 'logs.ended'; payload: { streamId: string; error: ErrorInfo | null } };

interface RunOutput {
  seq: number;
  kept: OutputRing;
  pending: Batcher<OutputChunk>;
}

interface LogStream {
  lines: LineSplitter;
  pending: Batcher<string>;
}

export interface RunTrackerOptions {
  /** How long output and log lines are collected before one event carries them. */
  batchMs: number;
  emit(event: RunEvent): void;
  /** A run started or finished: whether the app is busy changed. */
  runsChanged(): void;
}

/**
 * The runs of one core as the fronts follow them: run states as steps change, each run's output kept
 * (its tail, for runs.get) and batched for the live view, and log streams (logs.follow runs) as lines.
 */
export class RunTracker {
  private readonly outputs = new Map<string, RunOutput>();
  private readonly streams = new Map<string, LogStream>();
  private readonly offs: (() => void)[];

  constructor(
    private readonly core: Core,
    private readonly options: RunTrackerOptions,
  ) {
    const { runbook } = core;
    this.offs = [
      runbook.events.on('run-started', ({ run }) => {
        if (isLogStream(run)) return;
        options.emit({ channel: 'run.updated', payload: this.view(run) });
        options.runsChanged();
      }),
      runbook.events.on('step-started', ({ runId }) => this.stepChanged(runId)),
      runbook.events.on('step-output', ({ runId, stepId, stream, text }) => {
        if (this.streams.has(runId) || runbook.get(runId)?.actionId === LOGS_ACTION) {
          // Log streams print their journal on stdout; the app's own lines (retries) are not journal lines.
          if (stream === 'stdout') {
            const s = this.streamOf(runId);
            s.pending.push(...s.lines.push(text));
          }
          return;
        }
        this.record(runId, stepId, stream, text);
      }),
      runbook.events.on('step-finished', ({ runId }) => this.stepChanged(runId)),
      runbook.events.on('run-finished', ({ run }) => {
        if (isLogStream(run)) return this.endStream(run);
        this.outputs.get(run.id)?.pending.flush();
        options.emit({ channel: 'run.finished', payload: this.view(run) });
        options.runsChanged();
      }),
    ];
  }

  /** The run as the fronts show it. */
  view(run: RunRecord): RunState {
    const catalog = this.core.runbook.catalog;
    return runState(run, {
      profile: this.core.profile,
      actionTitle: (id) => catalog.find((a) => a.id === id)?.title ?? null,
    });
  }

  /** The (redacted) output of a run so far: its last MB, after a line saying how much fell off before it. */
  output(runId: string): OutputChunk[] {
    return this.outputs.get(runId)?.kept.chunks() ?? [];
  }

  /** Follows a logs.follow run as a stream of lines. */
  follow(runId: string): void {
    this.streamOf(runId);
  }

  /** Stops listening and drops what was not sent yet. */
  dispose(): void {
    for (const off of this.offs) off();
    for (const out of this.outputs.values()) out.pending.discard();
    for (const s of this.streams.values()) s.pending.discard();
    this.outputs.clear();
    this.streams.clear();
  }

  private stepChanged(runId: string): void {
    const run = this.core.runbook.get(runId);
    if (!run || isLogStream(run)) return;
    this.outputs.get(runId)?.pending.flush();
    this.options.emit({ channel: 'run.updated', payload: this.view(run) });
  }

  private record(runId: string, stepId: string, stream: OutputChunk['stream'], text: string): void {
    let out = this.outputs.get(runId);
    if (!out) {
      out = {
        seq: 0,
        kept: new OutputRing(MAX_OUTPUT_CHARS),
        pending: new Batcher(this.options.batchMs, (chunks) =>
          this.options.emit({ channel: 'run.output', payload: { runId, chunks } }),
        ),
      };
      this.outputs.set(runId, out);
    }
    const chunk: OutputChunk = { seq: out.seq++, stepId, stream, text };
    out.kept.push(chunk);
    out.pending.push(chunk);
  }

  private streamOf(runId: string): LogStream {
    let s = this.streams.get(runId);
    if (!s) {
      s = {
        lines: new LineSplitter(),
        pending: new Batcher(this.options.batchMs, (lines) =>
          this.options.emit({ channel: 'logs.lines', payload: { streamId: runId, lines } }),
        ),
      };
      this.streams.set(runId, s);
    }
    return s;
  }

  private endStream(run: RunRecord): void {
    const s = this.streams.get(run.id);
    if (s) {
      s.pending.push(...s.lines.end());
      s.pending.flush();
      this.streams.delete(run.id);
    }
    const failed = run.steps.find((st) => st.id === run.failingStep)?.error;
    this.options.emit({
      channel: 'logs.ended',
      payload: { streamId: run.id, error: run.state === 'failed' && failed ? failed : null },
    });
  }
}
