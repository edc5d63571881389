import { Notification } from 'electron';
import type { AppService } from '../../app/app-service';
import { errorInfo } from '../../app/views/error-view';
import type { Settings } from '../../ipc/contract';
import {
  alertNotification,
  commandErrorNotification,
  type DesktopNotification,
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
 * Desktop notifications: the alert policy's events (one per poll, merged), the monitoring's notices
 * (forecasts, failing alert channels) and failed runs, each opening
 * the window on its item when clicked. Texts come from desktop/model/notifications.ts.
 */
export function setupNotifications(options: {
  app: Pick<AppService, 'onAlerts' | 'onNotice' | 'subscribe' | 'mutes'>;
  /** process.platform: buttons exist on macOS and Windows only. */
  platform: string;
  serverName: () => string;
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
      options.app.mutes.set(n.mute, button.duration).catch((e: unknown) => {
        show(commandErrorNotification(button.label, errorInfo(e), { panel: 'dashboard' }));
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
  options.app.onAlerts((alerts) => {
    const n = alertNotification(alerts, options.serverName());
    if (n) show(n);
  });
  options.app.onNotice((notice) => show(noticeNotification(notice)));
  options.app.subscribe((event) => {
    if (event.channel !== 'run.finished') return;
    const n = runNotification(event.payload);
    if (n) show(n);
  });
  return { show };
}
