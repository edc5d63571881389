import { join } from 'node:path';
import { AlertDispatcher, type ChannelProblem } from '../core/alerts/dispatcher';
import { describeError } from '../core/errors';
import { IANA_DNS_BOOTSTRAP_URL, refreshBootstrap } from '../core/forecast/rdap';
import { HistoryUnavailable } from '../core/history/errors';
import { DAY_MS, HistoryStore, type RetentionSettings, type ServerRef } from '../core/history/history-store';
import { type HttpRequester, httpRequest } from '../core/lib/http-request';
import type { Profile } from '../core/profile/schema';
import type { SecretStore } from '../core/secrets/types';
import { type WriteOnlySecretStore, writeOnlySecretStore } from '../core/secrets/write-only';
import type { Settings } from '../core/settings/schema';
import type { SettingsStore } from '../core/settings/store';
import type { StatusScheduler } from '../core/status/scheduler';
import { dueForecastNotices, refreshDomainExpiry } from './forecasts';
import { createHistoryRecorder } from './history-recorder';
import type { MonitorNotice } from './views/monitor-notice';

export type { MonitorNotice };

/** The history file in the data folder, shared by the app, the tray and the command line. */
export const HISTORY_FILE = 'history.sqlite';
/** IANA's bootstrap file changes a few times a year: asked for at most once a week (and only before a lookup). */
export const BOOTSTRAP_REFRESH_EVERY_MS = 7 * DAY_MS;

export interface MonitoringOptions {
  dataDir: string;
  settings: SettingsStore;
  /** The raw keychain: channel secrets live beside the profiles' (profileSecretStore refuses their kinds). */
  keychain: SecretStore;
  now?: () => number;
  /** For tests: HTTP for the channels, RDAP and IANA's bootstrap file (default: the real network). */
  request?: HttpRequester;
  /** For tests: where IANA's bootstrap file is fetched from. */
  bootstrapUrl?: string;
  /** For tests: the dispatcher's pause before its one retry. */
  retryDelayMs?: number;
}

/** What the monitoring needs of one profile's core. */
export interface MonitoredCore {
  profile: Profile;
  scheduler: Pick<StatusScheduler, 'subscribe'>;
}

/**
 * The history, the off-host alerts and the forecasts around the app's cores: one history file and one
 * dispatcher per app, attached to every watched profile's scheduler (each server is recorded under its uid,
 * alerted and forecast under its name). A history that cannot be opened leaves the app running without it
 * (historyProblem says why, once, where the charts would be).
 */
export interface Monitoring {
  readonly history: HistoryStore | null;
  /** Why there is no history; null when there is one. */
  readonly historyProblem: HistoryUnavailable | null;
  readonly dispatcher: AlertDispatcher;
  /** The channels' secrets as the window may touch them: set, check, delete, never read. */
  readonly channelSecrets: WriteOnlySecretStore;
  /**
   * Records every poll of this core, sends its alerts off-host and tells its forecasts; `profileId` (the
   * profile's id in the store) goes on its notices, so a click opens the window on that server. Returns detach.
   */
  attach(core: MonitoredCore, profileId?: string): () => void;
  onNotice(listener: (notice: MonitorNotice) => void): () => void;
  /** Stops lookups in flight, waits for the work of the last poll, closes the history. Idempotent. */
  close(): Promise<void>;
}

function retentionOf(s: Settings): RetentionSettings {
  return { retentionDays: s.historyRetentionDays, detailDays: s.historyDetailDays };
}

/** A profile's place in the history: its uid stays when it is renamed; its server name is what is shown. */
export function historyServer(profile: Profile): ServerRef {
  if (!profile.uid) throw new TypeError('a profile in use has a uid');
  return { key: profile.uid, name: profile.serverName };
}

export async function openMonitoring(options: MonitoringOptions): Promise<Monitoring> {
  const now = options.now ?? Date.now;
  // Everything the monitoring sends goes through one signal, so closing the app ends a lookup at once.
  const stop = new AbortController();
  const baseRequest = options.request ?? httpRequest;
  const request: HttpRequester = (req) => baseRequest({ ...req, signal: req.signal ?? stop.signal });
  const listeners = new Set<(notice: MonitorNotice) => void>();
  const pending = new Set<Promise<unknown>>();
  let closed: Promise<void> | null = null;
  let lastBootstrapAttempt = Number.NEGATIVE_INFINITY;
  /** The latest fetch of IANA's file: every server's lookup waits for it, not only the one that started it. */
  let bootstrapFetch: Promise<unknown> = Promise.resolve();

  let history: HistoryStore | null = null;
  let historyProblem: HistoryUnavailable | null = null;
  try {
    history = await HistoryStore.open(
      join(options.dataDir, HISTORY_FILE),
      retentionOf(options.settings.get()),
    );
  } catch (e) {
    if (!(e instanceof HistoryUnavailable)) throw e;
    historyProblem = e;
  }
  const stopFollowingSettings = options.settings.subscribe((s) => history?.setRetention(retentionOf(s)));

  const dispatcher = new AlertDispatcher({
    channels: () => options.settings.get().alertChannels,
    secrets: options.keychain,
    request,
    now,
    ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
  });

  function tell(notice: MonitorNotice): void {
    for (const l of listeners) {
      try {
        l(notice);
      } catch {
        // A listener is a front (desktop notifications); the others still hear it.
      }
    }
  }

  dispatcher.onChannelProblem((p: ChannelProblem) =>
    tell(
      p.kind === 'failed'
        ? {
            kind: 'channel-failed',
            title: `Alert channel "${p.channelName}" failed`,
            text: p.error
              ? `${p.error.message} ${p.error.nextStep}`
              : 'Its alerts did not arrive. Send a test from Settings → Alerts.',
            urgent: true,
            panel: 'settings',
          }
        : {
            kind: 'channel-works-again',
            title: `Alert channel "${p.channelName}" works again`,
            text: 'It delivered the last message.',
            urgent: false,
            panel: 'settings',
          },
    ),
  );

  /** Work started by a poll: tracked, so close() waits for it before it closes the history. */
  function track(work: Promise<unknown>): void {
    const p = work.catch(() => undefined).finally(() => pending.delete(p));
    pending.add(p);
  }

  async function refreshDomain(store: HistoryStore, server: ServerRef, serverName: string): Promise<void> {
    const at = now();
    if (at - lastBootstrapAttempt >= BOOTSTRAP_REFRESH_EVERY_MS) {
      lastBootstrapAttempt = at;
      // A failure leaves the file in use (shipped or fetched earlier): the lookup goes on with it.
      bootstrapFetch = refreshBootstrap(
        options.dataDir,
        request,
        options.bootstrapUrl ?? IANA_DNS_BOOTSTRAP_URL,
      ).catch(() => undefined);
    }
    // A second server's first poll comes while the first one's fetch is under way: read with the shipped file,
    // its lookup would fail (no registry for a TLD the fetch brings) and be asked again only a day later.
    await bootstrapFetch;
    // RdapLookupFailed (no registry for the TLD, a registry down) keeps the last reading; asked again tomorrow.
    await refreshDomainExpiry(store, server, serverName, { dataDir: options.dataDir, request, now: at });
  }

  function attach(core: MonitoredCore, profileId?: string): () => void {
    if (closed) return () => {};
    const server = historyServer(core.profile);
    const serverName = core.profile.serverName;
    const about = profileId ? { profileId } : {};
    let lastPoll: string | null = null;
    let lastDomainAttempt = Number.NEGATIVE_INFINITY;
    let domainInFlight = false;

    const offs = [
      history
        ? core.scheduler.subscribe(
            createHistoryRecorder(history, server, (e) =>
              tell({
                kind: 'history-failed',
                title: `${serverName}: the uptime history is not being written`,
                text: `${describeError(e).message} The status goes on without it; the charts show a gap.`,
                urgent: false,
                panel: 'dashboard',
                ...about,
              }),
            ),
          )
        : () => {},
      // The scheduler leaves muted checks out of `alerts`: a muted check is not sent off-host either.
      core.scheduler.subscribe((_snapshot, alerts) => {
        if (alerts.length > 0 && !closed) track(dispatcher.notify(serverName, alerts));
      }),
      // After the recorder (subscribers run in order): the forecasts read the poll just written.
      core.scheduler.subscribe((snapshot) => {
        const store = history;
        if (!store || closed || !snapshot.refreshedAt || snapshot.refreshedAt === lastPoll) return;
        lastPoll = snapshot.refreshedAt;
        let notices: ReturnType<typeof dueForecastNotices> = [];
        try {
          notices = dueForecastNotices(store, server, options.settings.get(), now());
        } catch {
          // The history could not be read: the recorder has said so.
        }
        for (const n of notices) {
          tell({
            kind: 'forecast',
            title: `${serverName}: ${n.title}`,
            text: n.text,
            urgent: false,
            panel: 'dashboard',
            ...about,
          });
          track(dispatcher.notifyForecast(serverName, n.title, n.text));
        }
        if (domainInFlight || now() - lastDomainAttempt < DAY_MS) return;
        lastDomainAttempt = now();
        domainInFlight = true;
        track(
          refreshDomain(store, server, serverName).finally(() => {
            domainInFlight = false;
          }),
        );
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  return {
    get history() {
      return closed ? null : history;
    },
    historyProblem,
    dispatcher,
    channelSecrets: writeOnlySecretStore(options.keychain),
    attach,
    onNotice(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed ??= (async () => {
        stopFollowingSettings();
        stop.abort();
        while (pending.size > 0) await Promise.all(pending);
        listeners.clear();
        history?.close();
        history = null;
      })();
      return closed;
    },
  };
}
