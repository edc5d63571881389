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
 * Desktop notifications: the alert policy's events (one per poll, merged) and failed runs, each opening
 * the window on its item when clicked. Texts come from desktop/model/notifications.ts.
 */
export function setupNotifications(options: {
  app: Pick<AppService, 'onAlerts' | 'subscribe'>;
  serverName: () => string;
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
  options.app.onAlerts((alerts) => {
    const n = alertNotification(alerts, options.serverName());
    if (n) show(n);
  });
  options.app.subscribe((event) => {
    const n =
      event.channel === 'run.finished'
        ? runNotification(event.payload)
        : event.channel === 'invite.ended'
          ? inviteEndedNotification(event.payload)
          : null;
    if (n) show(n);
  });
  return { show };
}
