import type { AlertChannel, ChannelView, Delivery, ErrorInfo, Result } from '../../../src-main/ipc/contract';
import { call } from './call';
import type { SliceCreator } from './types';

export interface AlertsSlice {
  /** The saved off-host alert channels as Settings → Alerts shows them; null until loaded. */
  channels: ChannelView[] | null;
  channelsError: ErrorInfo | null;
  loadChannels(): Promise<void>;
  /** Saves the whole list (the settings hold it); the main process validates every field. */
  saveChannels(channels: AlertChannel[]): Promise<ErrorInfo | null>;
  setChannelSecret(channelId: string, value: string): Promise<ErrorInfo | null>;
  deleteChannelSecret(channelId: string): Promise<ErrorInfo | null>;
  testChannel(channelId: string): Promise<Result<Delivery>>;
}

export const createAlertsSlice: SliceCreator<AlertsSlice> =
  ({ api }) =>
  (set, get) => ({
    channels: null,
    channelsError: null,

    async loadChannels() {
      const r = await call(() => api.alerts.channels());
      if (r.ok) set({ channels: r.value.channels, channelsError: null });
      else set({ channelsError: r.error });
    },

    async saveChannels(channels) {
      const error = await get().saveSettings({ alertChannels: channels });
      if (!error) await get().loadChannels();
      return error;
    },

    async setChannelSecret(channelId, value) {
      const r = await call(() => api.alerts.setSecret({ channelId, value }));
      if (!r.ok) return r.error;
      await get().loadChannels();
      return null;
    },

    async deleteChannelSecret(channelId) {
      const r = await call(() => api.alerts.deleteSecret({ channelId }));
      if (!r.ok) return r.error;
      await get().loadChannels();
      return null;
    },

    testChannel(channelId) {
      return call(() => api.alerts.test({ channelId }));
    },
  });
