import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Notification, NotificationAction, NotificationConstructorOptions } from 'electron';
import { type Imitation, INSIDE, type OnlyElectron } from './imitation';
import { electronEvent, later, record } from './recorder';
import { readiness } from './registry';

/** Whether the desktop has a notification server (Notification.isSupported()); a test may turn it off. */
export const notificationSupport = { supported: true };

/** Every notification shown, in order: what the user saw. */
export const shownNotifications: StandInNotification[] = [];

let nextNotificationId = 1;

class StandInNotification extends EventEmitter implements Imitation<Notification> {
  readonly [INSIDE]: { label: string; shown: boolean; closed: boolean };
  readonly id: string;
  title: string;
  subtitle: string;
  body: string;
  silent: boolean;
  hasReply: boolean;
  replyPlaceholder: string;
  sound: string;
  urgency: Notification['urgency'];
  timeoutType: Notification['timeoutType'];
  actions: NotificationAction[];
  closeButtonText: string;
  toastXml: string;

  static isSupported(): boolean {
    return notificationSupport.supported;
  }

  constructor(options: NotificationConstructorOptions = {}) {
    super();
    if (!readiness.ready) throw new Error('Cannot create Notification before app is ready');
    const label = `Notification ${nextNotificationId++}`;
    record(label, 'constructor', [options]);
    this[INSIDE] = { label, shown: false, closed: false };
    this.id = options.id ?? randomUUID();
    this.title = options.title ?? '';
    this.subtitle = options.subtitle ?? '';
    this.body = options.body ?? '';
    this.silent = options.silent ?? false;
    this.hasReply = options.hasReply ?? false;
    this.replyPlaceholder = options.replyPlaceholder ?? '';
    this.sound = options.sound ?? '';
    this.urgency = options.urgency ?? 'normal';
    this.timeoutType = options.timeoutType ?? 'default';
    this.actions = options.actions ?? [];
    this.closeButtonText = options.closeButtonText ?? '';
    this.toastXml = options.toastXml ?? '';
  }

  /** Hands it to the notification server; 'show' follows on a later turn. */
  show(): void {
    const s = this[INSIDE];
    record(s.label, 'show', []);
    s.shown = true;
    s.closed = false;
    shownNotifications.push(this);
    later(() => this.emit('show', electronEvent()));
  }

  close(): void {
    const s = this[INSIDE];
    record(s.label, 'close', []);
    if (!s.shown || s.closed) return;
    s.closed = true;
    this.emit('close', electronEvent({}));
  }
}
const notificationOnly: OnlyElectron<StandInNotification, Notification> = true;
void notificationOnly;
const notificationStatics: OnlyElectron<typeof StandInNotification, typeof Notification> = true;
void notificationStatics;

export { StandInNotification };

/** The user clicks a notification on screen. Only a shown, not yet closed one can be clicked. */
export function clickNotification(notification: StandInNotification): void {
  const s = notification[INSIDE];
  if (!s.shown || s.closed) throw new Error(`${s.label} is not on screen: it cannot be clicked`);
  notification.emit('click', electronEvent());
}

/** The notification goes away without a click: dismissed by the user, or timed out. */
export function dismissNotification(
  notification: StandInNotification,
  reason: 'userCanceled' | 'timedOut' = 'userCanceled',
): void {
  const s = notification[INSIDE];
  if (!s.shown || s.closed) throw new Error(`${s.label} is not on screen: it cannot be dismissed`);
  s.closed = true;
  notification.emit('close', electronEvent({ reason }));
}

/**
 * The user presses one of a notification's buttons (macOS and Windows show them): Electron emits 'action'
 * with the button's index. Only a shown notification that has that button can be pressed.
 */
export function pressNotificationAction(notification: StandInNotification, index: number): void {
  const s = notification[INSIDE];
  if (!s.shown || s.closed) throw new Error(`${s.label} is not on screen: its buttons cannot be pressed`);
  if (!notification.actions[index]) throw new Error(`${s.label} has no button ${index}`);
  notification.emit('action', electronEvent({ actionIndex: index, selectionIndex: -1 }), index, -1);
}
