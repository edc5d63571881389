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

/** Keeps chunks in seq order without duplicates (events can overlap a runs.get answer). */
function merge(held: OutputChunk[], incoming: OutputChunk[]): OutputChunk[] {
  if (incoming.length === 0) return held;
  const last = held.at(-1)?.seq ?? -1;
  if (incoming.every((c, i) => c.seq > last && (i === 0 || c.seq > (incoming[i - 1]?.seq ?? -1))))
    return held.concat(incoming);
  const bySeq = new Map(held.map((c) => [c.seq, c]));
  for (const c of incoming) bySeq.set(c.seq, c);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
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
