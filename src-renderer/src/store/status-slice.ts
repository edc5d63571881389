import type { ErrorInfo, Result, StatusSnapshot } from '../../../src-main/ipc/contract';
import { call } from './call';
import type { SliceCreator } from './types';

export interface StatusSlice {
  status: StatusSnapshot | null;
  statusError: ErrorInfo | null;
  /** A refresh asked for from this window is in flight (the snapshot's own flag covers scheduled polls). */
  refreshing: boolean;
  /** `answer`: a status.get sent earlier (boot sends all its requests at once); else one is sent now. */
  loadStatus(answer?: Result<StatusSnapshot> | Promise<Result<StatusSnapshot>>): Promise<void>;
  refreshStatus(): Promise<void>;
  setStatus(snapshot: StatusSnapshot): void;
}

export const createStatusSlice: SliceCreator<StatusSlice> =
  ({ api }) =>
  (set, get) => {
    function settle(r: Awaited<ReturnType<typeof api.status.get>>): void {
      if (r.ok) {
        set({ status: r.value, statusError: null });
        return;
      }
      set({ statusError: r.error });
      if (r.error.code === 'HostKeyUnknown' && r.error.hostKey)
        get().promptHostKey(r.error.hostKey, 'status');
    }
    return {
      status: null,
      statusError: null,
      refreshing: false,

      async loadStatus(answer) {
        settle(await (answer ?? call(() => api.status.get())));
      },

      async refreshStatus() {
        set({ refreshing: true });
        try {
          settle(await call(() => api.status.refresh()));
        } finally {
          set({ refreshing: false });
        }
      },

      setStatus(snapshot) {
        set({ status: snapshot, statusError: null });
        for (const h of snapshot.hosts) {
          if (h.error?.code === 'HostKeyUnknown' && h.error.hostKey)
            get().promptHostKey(h.error.hostKey, 'status');
        }
      },
    };
  };
