import { Notification } from 'electron';
import type { AppService } from '../../app/app-service';
import { errorInfo } from '../../app/views/error-view';
import type { Settings } from '../../ipc/contract';
import {
  alertNotification,
  commandErrorNotification,
  type DesktopNotification,
  inviteEndedNotification,
  muteButtons,
  noticeNotification,
  runNotification,
  shouldShow,
} from '../model/notifications';

/** Notifications the OS still holds: kept referenced, or a click after garbage collection does nothing. */
const MAX_KEPT = 20;

export interface Notifier {
  show(notification: DesktopNotification): void;
}

/**
 * Desktop notifications: the alert policy's events (one per poll of a server, merged), the monitoring's
 * notices (forecasts, failing alert channels), failed runs and used invites ("Alice joined") of every
 * watched server, each naming its server and opening the window on its item when clicked; a down alert's
 * Mute buttons mute the server it names. Texts come from desktop/model/notifications.ts.
 */
export function setupNotifications(options: {
  app: Pick<AppService, 'onAlerts' | 'onNotice' | 'onRunFinished' | 'onInviteEnded' | 'mutes'>;
  /** process.platform: buttons exist on macOS and Windows only. */
  platform: string;
  settings: () => Settings | null;
  open: (notification: DesktopNotification) => void;
}): Notifier {
  const kept: Notification[] = [];
  const show = (n: DesktopNotification) => {
    if (!shouldShow(n, options.settings()) || !Notification.isSupported()) return;
    const buttons = muteButtons(n, options.platform);
    const notification = new Notification({
      title: n.title,
      body: n.body,
      urgency: n.urgency,
      timeoutType: n.urgency === 'critical' ? 'never' : 'default',
      ...(buttons.length
        ? { actions: buttons.map((b) => ({ type: 'button' as const, text: b.label })) }
        : {}),
    });
    notification.on('click', () => options.open(n));
    notification.on('action', (details) => {
      const button = buttons[details.actionIndex];
      if (!button || !n.mute) return;
      options.app.mutes.set(n.mute, button.duration, n.profileId ?? null).catch((e: unknown) => {
        const failed = commandErrorNotification(button.label, errorInfo(e), { panel: 'dashboard' });
        show(n.profileId ? { ...failed, profileId: n.profileId } : failed);
      });
    });
    notification.on('close', () => {
      const i = kept.indexOf(notification);
      if (i >= 0) kept.splice(i, 1);
    });
    kept.push(notification);
    if (kept.length > MAX_KEPT) kept.shift();
    notification.show();
  };
  options.app.onAlerts((alerts, server) => {
    const n = alertNotification(alerts, server);
    if (n) show(n);
  });
  options.app.onNotice((notice) => show(noticeNotification(notice)));
  options.app.onRunFinished((run, server) => {
    const n = runNotification(run, server);
    if (n) show(n);
  });
  options.app.onInviteEnded((ended, server) => {
    const n = inviteEndedNotification(ended, server);
    if (n) show(n);
  });
  return { show };
}
