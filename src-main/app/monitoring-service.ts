import type { AlertChannel } from '../core/alerts/channel-schema';
import { InvalidInput } from '../core/errors';
import { HistoryUnavailable } from '../core/history/errors';
import { DAY_MS, type HistoryStore } from '../core/history/history-store';
import {
  channelViews,
  deleteChannelSecret,
  sendChannelTest,
  setChannelSecret,
  type WatchedServer,
} from './alert-channels';
import { checkHistoryView, historySummaryView, incidentTimelineView } from './history-views';
import { historyServer } from './monitoring';
import type { AppHost, Core } from './session';
import type { ChannelView, Delivery } from './views/alert-channel-schema';
import type { CheckHistory, HistoryRange, HistorySummary, IncidentTimeline } from './views/history-schema';

/** The longest incident timeline the window asks for: what the hourly totals keep by default. */
export const INCIDENT_DAYS_MAX = 90;

/**
 * The use cases of the history (the dashboard's charts and incident timeline) and of the off-host alert
 * channels (Settings → Alerts), for the window through the router. The history answers for the profile the
 * window shows (its id; null: the selected one): every watched server is recorded, and an answer names no
 * other server than the one asked for. The channels are the app's, whichever profile is shown.
 */
export function monitoringUseCases(
  app: AppHost,
  coreFor: (profileId: string | null) => Core,
  now: () => number = Date.now,
) {
  function requireHistory(): HistoryStore {
    const history = app.monitoring.history;
    if (history) return history;
    throw app.monitoring.historyProblem ?? new HistoryUnavailable('the app is closing');
  }

  function channelOf(channelId: string): AlertChannel {
    const channel = app.settings.get().alertChannels.find((c) => c.id === channelId);
    if (!channel)
      throw new InvalidInput(
        'channelId',
        `"${channelId}" is not a saved alert channel; save the channel first`,
      );
    return channel;
  }

  /** Every profile's server (as its file says: nothing is written): a channel through one of them is flagged. */
  async function watched(): Promise<WatchedServer[]> {
    const list = await app.profiles.list();
    const drafts = await Promise.all(list.profiles.map((p) => app.profiles.get(p.id).catch(() => null)));
    return list.profiles.map((p, i) => {
      const publicUrl = drafts[i]?.draft.publicUrl;
      return { serverName: p.serverName, publicUrl: typeof publicUrl === 'string' ? publicUrl : '' };
    });
  }

  return {
    history: {
      summary: (range: HistoryRange, profileId: string | null = null): HistorySummary => {
        const core = coreFor(profileId);
        return historySummaryView(requireHistory(), historyServer(core.profile).key, range, now());
      },
      check: (check: string, range: HistoryRange, profileId: string | null = null): CheckHistory => {
        const core = coreFor(profileId);
        return checkHistoryView(requireHistory(), historyServer(core.profile).key, check, range, now());
      },
      incidents: async (days: number, profileId: string | null = null): Promise<IncidentTimeline> => {
        const core = coreFor(profileId);
        const history = requireHistory();
        const at = now();
        // The audit trail says what was run between down and recovered; without it the incidents still show.
        const audit = await core.audit.read().catch(() => []);
        return incidentTimelineView(
          history,
          historyServer(core.profile).key,
          core.profile.name,
          audit,
          at - Math.min(days, INCIDENT_DAYS_MAX) * DAY_MS,
          at,
        );
      },
    },

    alerts: {
      channels: async (): Promise<{ channels: ChannelView[] }> => ({
        channels: await channelViews(
          app.settings.get().alertChannels,
          app.monitoring.channelSecrets,
          await watched(),
        ),
      }),
      setSecret: (channelId: string, value: string) =>
        setChannelSecret(app.monitoring.channelSecrets, channelOf(channelId), value),
      deleteSecret: (channelId: string) =>
        deleteChannelSecret(app.monitoring.channelSecrets, channelOf(channelId)),
      /** "Send test": one message to this channel, enabled or not; the answer says whether it arrived. */
      test: (channelId: string): Promise<Delivery> => {
        const channel = channelOf(channelId);
        const serverName = app.core()?.profile.serverName ?? 'Homeserver Tray';
        return sendChannelTest(app.monitoring.dispatcher, serverName, channel);
      },
    },
  };
}
