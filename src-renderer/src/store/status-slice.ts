import type { ErrorInfo, Result, StatusSnapshot } from '../../../src-main/ipc/contract';
import { call } from './call';
import type { SliceCreator } from './types';

export interface StatusSlice {
  /** The status of the server the window shows (the selected profile). */
  status: StatusSnapshot | null;
  /** Every watched server's latest status, in the store's order: the server switcher. */
  servers: StatusSnapshot[];
  statusError: ErrorInfo | null;
  /** A refresh asked for from this window is in flight (the snapshot's own flag covers scheduled polls). */
  refreshing: boolean;
  /** `answer`: a status.get sent earlier (boot sends all its requests at once); else one is sent now. */
  loadStatus(answer?: Result<StatusSnapshot> | Promise<Result<StatusSnapshot>>): Promise<void>;
  refreshStatus(): Promise<void>;
  /** `answer`: a status.all sent earlier; else one is sent now. */
  loadServers(answer?: Promise<Result<{ servers: StatusSnapshot[] }>>): Promise<void>;
  /** A status.changed of any server: kept for the switcher, shown when it is the selected server's. */
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
    /** The server the window shows: the store's selection, or before it is known the status shown. */
    const shownId = (): string | null => get().profiles?.selectedId ?? get().status?.profileId ?? null;
    return {
      status: null,
      servers: [],
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

      async loadServers(answer) {
        const r = await (answer ?? call(() => api.status.all()));
        if (r.ok) set({ servers: r.value.servers });
      },

      setStatus(snapshot) {
        const servers = get().servers;
        const i = servers.findIndex((s) => s.profileId === snapshot.profileId);
        if (i >= 0) set({ servers: servers.with(i, snapshot) });
        // Before the window knows which server it shows, it shows what comes (boot's status.get answer
        // replaces another server's); after, only the shown server's polls.
        const shown = shownId();
        if (shown !== null && snapshot.profileId !== shown) return;
        set({ status: snapshot, statusError: null });
        for (const h of snapshot.hosts) {
          if (h.error?.code === 'HostKeyUnknown' && h.error.hostKey)
            get().promptHostKey(h.error.hostKey, 'status');
        }
      },
    };
  };
