import { Notification } from 'electron';
import type { AppService } from '../../app/app-service';
import type { Settings } from '../../ipc/contract';
import {
  alertNotification,
  type DesktopNotification,
  inviteEndedNotification,
  runNotification,
  shouldShow,
} from '../model/notifications';

/** Notifications the OS still holds: kept referenced, or a click after garbage collection does nothing. */
const MAX_KEPT = 20;

export interface Notifier {
  show(notification: DesktopNotification): void;
}

/**
 * Desktop notifications: the alert policy's events (one per poll of a server, merged), failed runs and
 * used invites ("Alice joined") of every watched server, each naming its server and opening the window on its item when clicked. Texts
 * come from desktop/model/notifications.ts.
 */
export function setupNotifications(options: {
  app: Pick<AppService, 'onAlerts' | 'onRunFinished' | 'onInviteEnded'>;
  settings: () => Settings | null;
  open: (notification: DesktopNotification) => void;
}): Notifier {
  const kept: Notification[] = [];
  const show = (n: DesktopNotification) => {
    if (!shouldShow(n, options.settings()) || !Notification.isSupported()) return;
    const notification = new Notification({
      title: n.title,
      body: n.body,
      urgency: n.urgency,
      timeoutType: n.urgency === 'critical' ? 'never' : 'default',
    });
    notification.on('click', () => options.open(n));
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
