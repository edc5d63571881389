import type { AlertKindName, CheckHost } from '../vocab';

/** One event of the alert policy, as the scheduler hands it out (its AlertEvent satisfies this). */
export interface AlertEventLike {
  kind: AlertKindName;
  check: { id: string; title: string; host: CheckHost; detail: string };
  at: string;
}

export type MessageKind = AlertKindName | 'test' | 'channel-failed' | 'forecast';

/**
 * What goes to an off-host channel. Built only from what the core already made safe to show (check titles and
 * details, the server's name, a channel's name and failure sentence): never a command, its output or a secret.
 */
export interface AlertMessage {
  kind: MessageKind;
  server: string;
  title: string;
  text: string;
  /** The events it tells of (none for a test or a channel failure). */
  events: AlertEventLike[];
  /** Whether someone should look now: down and still down are, a recovery is not. */
  urgent: boolean;
  at: string;
}

const TITLE_MAX = 120;
const TEXT_MAX = 2000;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function kindTitle(kind: AlertKindName, what: string): string {
  return kind === 'down'
    ? `${what} is down`
    : kind === 'still-down'
      ? `${what} is still down`
      : `${what} recovered`;
}

/** One message for the events of one poll: a single event names its check, several are listed. */
export function alertMessage(
  server: string,
  events: readonly AlertEventLike[],
  at: string,
): AlertMessage | null {
  const first = events[0];
  if (!first) return null;
  const urgent = events.some((e) => e.kind !== 'recovered');
  if (events.length === 1) {
    return {
      kind: first.kind,
      server,
      title: clip(`${server}: ${kindTitle(first.kind, first.check.title)}`, TITLE_MAX),
      text: clip(first.check.detail, TEXT_MAX),
      events: [...events],
      urgent,
      at,
    };
  }
  const count = (k: AlertKindName) => events.filter((e) => e.kind === k).length;
  const counts = [
    count('down') ? `${count('down')} down` : null,
    count('still-down') ? `${count('still-down')} still down` : null,
    count('recovered') ? `${count('recovered')} recovered` : null,
  ].filter(Boolean);
  const lines = events.map((e) => `${kindTitle(e.kind, e.check.title)}: ${e.check.detail}`);
  const worst = events.find((e) => e.kind === 'down') ?? events.find((e) => e.kind === 'still-down') ?? first;
  return {
    kind: worst.kind,
    server,
    title: clip(`${server}: ${counts.join(', ')}`, TITLE_MAX),
    text: clip(lines.join('\n'), TEXT_MAX),
    events: [...events],
    urgent,
    at,
  };
}

export function testMessage(server: string, channelName: string, at: string): AlertMessage {
  return {
    kind: 'test',
    server,
    title: `${server}: test alert`,
    text: `A test from Homeserver Tray through "${channelName}". Down, still-down and recovered alerts come here.`,
    events: [],
    urgent: false,
    at,
  };
}

/** Told to the other channels (once) when one stops delivering, so silence there is not mistaken for health. */
export function channelFailedMessage(
  server: string,
  channelName: string,
  reason: string,
  at: string,
): AlertMessage {
  return {
    kind: 'channel-failed',
    server,
    title: clip(`${server}: alert channel "${channelName}" fails`, TITLE_MAX),
    text: clip(`Alerts cannot reach "${channelName}": ${reason}`, TEXT_MAX),
    events: [],
    urgent: true,
    at,
  };
}

/** A forecast (a certificate or the domain about to expire, a disk about to fill): told once per threshold. */
export function forecastMessage(server: string, title: string, text: string, at: string): AlertMessage {
  return {
    kind: 'forecast',
    server,
    title: clip(`${server}: ${title}`, TITLE_MAX),
    text: clip(text, TEXT_MAX),
    events: [],
    urgent: true,
    at,
  };
}
