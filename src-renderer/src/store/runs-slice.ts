import type {
  FollowUp,
  OutputChunk,
  Result,
  RunState,
  RunSummary,
  ValueOf,
} from '../../../src-main/ipc/contract';
import { call } from './call';
import type { SliceCreator } from './types';

export interface RunsSlice {
  runs: Record<string, RunState>;
  outputs: Record<string, OutputChunk[]>;
  /** The run the run panel shows. */
  activeRunId: string | null;
  recentRuns: RunSummary[];

  /** `answer`: a runs.list sent earlier (boot sends all its requests at once); else one is sent now. */
  loadRecentRuns(
    answer?: Result<ValueOf<'runs.list'>> | Promise<Result<ValueOf<'runs.list'>>>,
  ): Promise<void>;
  openRun(runId: string): Promise<void>;
  closeRun(): void;
  runUpdated(run: RunState): void;
  runOutput(runId: string, chunks: OutputChunk[]): void;
  runFinished(run: RunState): void;
  cancelRun(runId: string): Promise<void>;
  copyRunOutput(runId: string): Promise<void>;
  followUp(runId: string, followUp: FollowUp): Promise<void>;
}

/** Output the window keeps per run, as the main process does (app/run-tracker.ts): the rest is said, not kept. */
const MAX_OUTPUT_CHARS = 1024 * 1024;
const DROPPED = /^… (\d+) bytes dropped/;

/**
 * Keeps chunks in seq order without duplicates (events can overlap a runs.get answer), and only the last
 * MAX_OUTPUT_CHARS of them: a chatty run costs the window a bounded array, with a first line saying how many
 * bytes went before it.
 */
function merge(held: OutputChunk[], incoming: OutputChunk[]): OutputChunk[] {
  if (incoming.length === 0) return held;
  const last = held.at(-1)?.seq ?? -1;
  if (incoming.every((c, i) => c.seq > last && (i === 0 || c.seq > (incoming[i - 1]?.seq ?? -1))))
    return bounded(held.concat(incoming));
  const bySeq = new Map(held.map((c) => [c.seq, c]));
  for (const c of incoming) bySeq.set(c.seq, c);
  return bounded([...bySeq.values()].sort((a, b) => a.seq - b.seq));
}

function bounded(chunks: OutputChunk[]): OutputChunk[] {
  let chars = 0;
  let from = chunks.length;
  while (from > 0 && chars + (chunks[from - 1]?.text.length ?? 0) <= MAX_OUTPUT_CHARS) {
    from -= 1;
    chars += chunks[from]?.text.length ?? 0;
  }
  if (from === 0) return chunks;
  // The newest chunk stays even when it alone is over the cap: it is what the run says now.
  if (from === chunks.length) from -= 1;
  let dropped = 0;
  for (const c of chunks.slice(0, from)) {
    const said = c.stream === 'info' ? DROPPED.exec(c.text) : null;
    dropped += said ? Number(said[1]) : new TextEncoder().encode(c.text).length;
  }
  const kept = chunks.slice(from);
  const first = kept[0] as OutputChunk;
  const note: OutputChunk = {
    seq: first.seq - 1,
    stepId: null,
    stream: 'info',
    text: `… ${dropped} bytes dropped: the output kept here is its last ${MAX_OUTPUT_CHARS / 1024} KB …\n`,
  };
  return [note, ...kept];
}

function summary(run: RunState): RunSummary {
  const { runId, actionId, title, state, startedAt, endedAt, sentence } = run;
  return { runId, actionId, title, state, startedAt, endedAt, sentence };
}

export const createRunsSlice: SliceCreator<RunsSlice> =
  ({ api }) =>
  (set, get) => ({
    runs: {},
    outputs: {},
    activeRunId: null,
    recentRuns: [],

    async loadRecentRuns(answer) {
      const r = await (answer ?? call(() => api.runs.list()));
      if (r.ok) set({ recentRuns: r.value.runs });
    },

    async openRun(runId) {
      set({ activeRunId: runId });
      const r = await call(() => api.runs.get({ runId }));
      if (!r.ok) return get().notifyError(r.error);
      const { output, ...run } = r.value;
      set({
        runs: { ...get().runs, [runId]: run },
        outputs: { ...get().outputs, [runId]: merge(get().outputs[runId] ?? [], output) },
      });
    },

    closeRun() {
      set({ activeRunId: null });
    },

    runUpdated(run) {
      set({ runs: { ...get().runs, [run.runId]: run } });
    },

    runOutput(runId, chunks) {
      set({ outputs: { ...get().outputs, [runId]: merge(get().outputs[runId] ?? [], chunks) } });
    },

    runFinished(run) {
      const recent = [summary(run), ...get().recentRuns.filter((r) => r.runId !== run.runId)].slice(0, 20);
      set({ runs: { ...get().runs, [run.runId]: run }, recentRuns: recent });
    },

    async cancelRun(runId) {
      const r = await call(() => api.runs.cancel({ runId }));
      if (!r.ok) get().notifyError(r.error);
    },

    async copyRunOutput(runId) {
      const r = await call(() => api.runs.copyOutput({ runId }));
      if (r.ok) get().notify('info', 'The output was copied to the clipboard.');
      else get().notifyError(r.error);
    },

    async followUp(runId, followUp) {
      if (followUp.kind === 'rollback') return get().rollbackToken(runId);
      await get().requestRun(followUp.actionId, {});
    },
  });
