import type {
  ErrorInfo,
  HistoryRange,
  HistorySummary,
  IncidentTimeline,
} from '../../../src-main/ipc/contract';
import { call } from './call';
import type { SliceCreator } from './types';

/** Days of incidents the timeline shows for each range of the charts. */
export const INCIDENT_DAYS: Record<HistoryRange, number> = { '24h': 1, '7d': 7, '30d': 30 };

export interface HistorySlice {
  historyRange: HistoryRange;
  /** The charts of `historyRange`; null until loaded. */
  history: HistorySummary | null;
  /** Incidents of the range, with the actions run meanwhile. */
  incidents: IncidentTimeline | null;
  /** Why there are no charts (no history on this computer, no profile): shown where they would be. */
  historyError: ErrorInfo | null;
  /** The server (profile id) `history`, `incidents` and `historyError` are of: another's are not shown. */
  historyOf: string | null;
  setHistoryRange(range: HistoryRange): void;
  /**
   * Loads the charts and the incidents of the current range for the server the window shows (after each poll,
   * when the range changes, when the window shows another server).
   */
  loadHistory(): Promise<void>;
}

export const createHistorySlice: SliceCreator<HistorySlice> =
  ({ api }) =>
  (set, get) => ({
    historyRange: '24h',
    history: null,
    incidents: null,
    historyError: null,
    historyOf: null,

    setHistoryRange(range) {
      if (range === get().historyRange) return;
      set({ historyRange: range });
      void get().loadHistory();
    },

    async loadHistory() {
      const range = get().historyRange;
      const shown = get().status?.profileId ?? null;
      const server = shown ? { profileId: shown } : {};
      const [summary, incidents] = await Promise.all([
        call(() => api.history.summary({ range, ...server })),
        call(() => api.history.incidents({ days: INCIDENT_DAYS[range], ...server })),
      ]);
      // A range switched, or another server shown, meanwhile: its own load answers.
      if (get().historyRange !== range || (get().status?.profileId ?? null) !== shown) return;
      if (!summary.ok) {
        set({ history: null, incidents: null, historyError: summary.error, historyOf: shown });
        return;
      }
      set({
        history: summary.value,
        incidents: incidents.ok ? incidents.value : null,
        historyError: incidents.ok ? null : incidents.error,
        historyOf: shown,
      });
    },
  });
