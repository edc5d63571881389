import type { ErrorInfo, LogLine } from '../../../src-main/ipc/contract';
import { LogBuffer } from '../lib/log-buffer';
import { call } from './call';
import type { SliceCreator } from './types';

export interface LogsSlice {
  /** Mutable, never replaced; `logVersion` changes when it did. */
  logBuffer: LogBuffer;
  logVersion: number;
  logUnit: string | null;
  logStreamId: string | null;
  logState: 'idle' | 'starting' | 'following' | 'ended';
  /** The view is frozen (lines keep arriving underneath). */
  logPaused: boolean;
  logFilter: string;
  logError: ErrorInfo | null;

  followLogs(unit: string): Promise<void>;
  stopLogs(): Promise<void>;
  setLogPaused(paused: boolean): void;
  setLogFilter(filter: string): void;
  logLines(streamId: string, lines: LogLine[]): void;
  logEnded(streamId: string, error: ErrorInfo | null): void;
}

export const createLogsSlice: SliceCreator<LogsSlice> =
  ({ api, schedule }) =>
  (set, get) => {
    let bumpPending = false;
    /** Answers to an older follow/stop are stale: their stream is stopped, not shown. */
    let request = 0;
    /** Lines that raced ahead of the logs.follow answer naming their stream. */
    let early = new Map<string, LogLine[]>();
    function bump(): void {
      if (bumpPending) return;
      bumpPending = true;
      schedule(() => {
        bumpPending = false;
        set({ logVersion: get().logVersion + 1 });
      });
    }

    return {
      logBuffer: new LogBuffer(),
      logVersion: 0,
      logUnit: null,
      logStreamId: null,
      logState: 'idle',
      logPaused: false,
      logFilter: '',
      logError: null,

      async followLogs(unit) {
        if (get().logStreamId) await get().stopLogs();
        const mine = ++request;
        get().logBuffer.clear();
        set({
          logUnit: unit,
          logState: 'starting',
          logError: null,
          logPaused: false,
          logVersion: get().logVersion + 1,
        });
        const r = await call(() => api.logs.follow({ unit }));
        if (mine !== request) {
          if (r.ok) void call(() => api.logs.stop({ streamId: r.value.streamId }));
          return;
        }
        const ahead = r.ok ? early.get(r.value.streamId) : undefined;
        early = new Map();
        if (!r.ok) {
          set({ logState: 'ended', logError: r.error });
          return;
        }
        set({ logStreamId: r.value.streamId, logState: 'following' });
        if (ahead) get().logLines(r.value.streamId, ahead);
      },

      async stopLogs() {
        request += 1;
        const streamId = get().logStreamId;
        set({ logStreamId: null, logState: get().logState === 'idle' ? 'idle' : 'ended' });
        if (streamId) {
          const r = await call(() => api.logs.stop({ streamId }));
          if (!r.ok) get().notifyError(r.error);
        }
      },

      setLogPaused(paused) {
        set({ logPaused: paused });
      },

      setLogFilter(filter) {
        set({ logFilter: filter });
      },

      logLines(streamId, lines) {
        if (get().logState === 'starting' && get().logStreamId === null) {
          early.set(streamId, [...(early.get(streamId) ?? []), ...lines]);
          return;
        }
        if (streamId !== get().logStreamId) return;
        get().logBuffer.append(lines);
        bump();
      },

      logEnded(streamId, error) {
        if (streamId !== get().logStreamId) return;
        set({ logStreamId: null, logState: 'ended', logError: error });
      },
    };
  };
