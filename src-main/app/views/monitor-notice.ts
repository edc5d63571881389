/**
 * Something the monitoring (app/monitoring.ts) has to tell the user on the desktop: a forecast that crossed a
 * threshold, an off-host channel that fails or works again, a history that stopped being written. Texts are
 * built from what the core made safe to show; never a secret or a channel's URL.
 */
export interface MonitorNotice {
  kind: 'forecast' | 'channel-failed' | 'channel-works-again' | 'history-failed';
  title: string;
  text: string;
  /** Someone should look now. */
  urgent: boolean;
  /** Where the window shows more: the dashboard (forecasts, history) or Settings (channels). */
  panel: 'dashboard' | 'settings';
  /** The server it is about (a forecast, its polls not written), by profile id: a click opens the window on it. */
  profileId?: string;
}
