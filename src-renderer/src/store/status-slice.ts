import type {
  ErrorInfo,
  MuteDuration,
  MuteTarget,
  Result,
  StatusSnapshot,
} from '../../../src-main/ipc/contract';
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
  /** Why the last mute or unmute from this window was refused; null after one that worked. */
  muteError: ErrorInfo | null;
  /** Mutes through the app (the data folder): the tray, the CLI and this window then show the same mutes. */
  mute(target: MuteTarget, duration: MuteDuration): Promise<void>;
  unmute(key: string): Promise<void>;
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
      muteError: null,

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

      async mute(target, duration) {
        const r = await call(() => api.mutes.set({ target, duration }));
        set({ muteError: r.ok ? null : r.error });
        if (r.ok) await get().loadStatus();
      },

      async unmute(key) {
        const r = await call(() => api.mutes.clear({ key }));
        set({ muteError: r.ok ? null : r.error });
        if (r.ok) await get().loadStatus();
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
