import type { AlertView } from '../../app/views/alert-view';
import type { MonitorNotice } from '../../app/views/monitor-notice';
import { STICKY_CHECK_PREFIX } from '../../app/views/status-view';
import type { MuteDuration } from '../../core/vocab';
import type { ErrorInfo, MuteTarget, NavigateTarget, RunState, Settings } from '../../ipc/contract';
import { clip } from './tray-state';

/**
 * A desktop notification as data. Texts are built only from what the core already made safe to show
 * (check titles and details, run titles, outcome sentences and next steps): never a run's output, its
 * commands or its parameters, so a secret cannot reach the notification centre's history.
 */
export interface DesktopNotification {
  /** `alert` and `run` follow the notifications setting; `feedback` answers a click in the tray. */
  kind: 'alert' | 'run' | 'feedback';
  title: string;
  body: string;
  urgency: 'low' | 'normal' | 'critical';
  /** Clicking it shows the window on this… */
  target: NavigateTarget;
  /** …of this server (the profile's id), when it is about one of several. */
  profileId?: string;
  /**
   * A down or still-down alert: what its mute buttons mute (the check, or the server for several), on the
   * server the notification names (`profileId`).
   */
  mute?: MuteTarget;
}

/** The server a notification is about: its title names it, and a click opens the window on it. */
export interface NotifiedServer {
  profileId: string;
  serverName: string;
}

/** The buttons of a notification that can be muted, in order (the OS reports the index pressed). */
export const MUTE_BUTTONS: readonly { label: string; duration: MuteDuration }[] = [
  { label: 'Mute 1 h', duration: '1h' },
  { label: 'Mute 8 h', duration: '8h' },
  { label: 'Mute until recovered', duration: 'recovered' },
];

/**
 * Electron shows notification buttons on macOS and Windows only; on Linux a click opens the dashboard,
 * where the same mutes are one click away.
 */
export function muteButtons(n: DesktopNotification, platform: string): typeof MUTE_BUTTONS {
  return n.mute && (platform === 'darwin' || platform === 'win32') ? MUTE_BUTTONS : [];
}

/** macOS shows about two lines of title; notification daemons on Linux cut long bodies anyway. */
export const TITLE_MAX = 64;
export const BODY_MAX = 240;

/** Whether to show it: the setting silences alerts and run outcomes, never the answer to the user's own click. */
export function shouldShow(
  n: DesktopNotification,
  settings: Pick<Settings, 'notifications'> | null,
): boolean {
  return n.kind === 'feedback' || (settings?.notifications ?? true);
}

/**
 * One notification for all alerts of one poll: a single alert names its check and the next step (the
 * check's detail ends with it); several are merged into one that names them all.
 */
export function alertNotification(
  alerts: readonly AlertView[],
  server: NotifiedServer,
): DesktopNotification | null {
  const first = alerts[0];
  if (!first) return null;
  const { serverName } = server;
  const profileId = server.profileId ? { profileId: server.profileId } : {};
  if (alerts.length === 1) return { ...single(first, serverName), ...profileId };

  const down = alerts.filter((a) => a.kind === 'down');
  const still = alerts.filter((a) => a.kind === 'still-down');
  const recovered = alerts.filter((a) => a.kind === 'recovered');
  const bad = [...down, ...still];
  const counts = [
    down.length ? `${down.length} down` : null,
    still.length ? `${still.length} still down` : null,
    recovered.length ? `${recovered.length} recovered` : null,
  ].filter((p): p is string => p !== null);
  const lists = [
    down.length ? `Down: ${titles(down)}.` : null,
    still.length ? `Still down: ${titles(still)}.` : null,
    recovered.length ? `Recovered: ${titles(recovered)}.` : null,
  ].filter((p): p is string => p !== null);
  const next = bad[0] ? `${bad[0].check.title}: ${bad[0].check.detail}` : null;
  return {
    kind: 'alert',
    title: clip(`${serverName}: ${counts.join(', ')}`, TITLE_MAX),
    body: clip([...lists, next].filter(Boolean).join(' '), BODY_MAX),
    urgency: bad.length ? 'critical' : 'normal',
    target: bad[0] ? { panel: 'dashboard', checkId: bad[0].check.id } : { panel: 'dashboard' },
    ...(bad.length ? { mute: { kind: 'server' } as const } : {}),
    ...profileId,
  };
}

function single(alert: AlertView, serverName: string): DesktopNotification {
  const what = alert.check.title;
  const title =
    alert.kind === 'down'
      ? `${what} is down`
      : alert.kind === 'still-down'
        ? `${what} is still down`
        : `${what} recovered`;
  return {
    kind: 'alert',
    title: clip(`${title} (${serverName})`, TITLE_MAX),
    body: clip(alert.check.detail, BODY_MAX),
    urgency: alert.kind === 'recovered' ? 'normal' : 'critical',
    target: { panel: 'dashboard', checkId: alert.check.id },
    ...(alert.kind === 'recovered' || alert.check.id.startsWith(STICKY_CHECK_PREFIX)
      ? {}
      : { mute: { kind: 'check', checkId: alert.check.id } as const }),
  };
}

function titles(alerts: readonly AlertView[]): string {
  return alerts.map((a) => a.check.title).join(', ');
}

/**
 * What the monitoring tells (a forecast crossing a threshold, an alert channel failing or working again, the
 * history no longer written): an alert-kind notification, so the notifications setting silences it too.
 */
export function noticeNotification(notice: MonitorNotice): DesktopNotification {
  return {
    kind: 'alert',
    title: clip(notice.title, TITLE_MAX),
    body: clip(notice.text, BODY_MAX),
    urgency: notice.urgent ? 'critical' : 'normal',
    target: { panel: notice.panel },
    ...(notice.profileId ? { profileId: notice.profileId } : {}),
  };
}

/**
 * A failed run: its outcome sentence and what to do next, the server named; clicking opens the run on
 * that server. Other outcomes: none.
 */
export function runNotification(run: RunState, server: NotifiedServer): DesktopNotification | null {
  if (run.state !== 'failed') return null;
  const sentence = run.sentence ?? `${run.title} failed.`;
  return {
    kind: 'run',
    title: clip(`${run.title} failed (${server.serverName})`, TITLE_MAX),
    body: clip(run.nextStep ? `${sentence} ${run.nextStep}` : sentence, BODY_MAX),
    urgency: 'critical',
    target: { panel: 'actions', runId: run.runId, actionId: run.actionId },
    ...(server.profileId ? { profileId: server.profileId } : {}),
  };
}

/** A tray command that could not start (refused, host busy, no profile): the error's sentence and next step. */
export function commandErrorNotification(
  what: string,
  error: ErrorInfo,
  target: NavigateTarget,
): DesktopNotification {
  return {
    kind: 'feedback',
    title: clip(`${what}: not done`, TITLE_MAX),
    body: clip(`${error.message} ${error.nextStep}`, BODY_MAX),
    urgency: 'normal',
    target,
  };
}

/**
 * The answer to "Copy registration token" in the tray, which has no window to show a countdown in. A token
 * Tuwunel does not accept yet (a rotation pushed but not applied) is said first: the tray never hands one
 * out silently.
 */
export function tokenCopiedNotification(
  clearsAt: string | null,
  formatTime: (iso: string) => string,
  notLive: string | null = null,
): DesktopNotification {
  if (notLive)
    return {
      kind: 'feedback',
      title: 'Copied a token the server does not accept yet',
      body: clip(notLive.charAt(0).toUpperCase() + notLive.slice(1), BODY_MAX),
      urgency: 'normal',
      target: { panel: 'tokens' },
    };
  return {
    kind: 'feedback',
    title: 'Registration token copied',
    body:
      clearsAt === null
        ? 'It stays on the clipboard until you copy something else (Settings → clipboard clear delay).'
        : `The clipboard is cleared at ${formatTime(clearsAt)} if it still holds the token.`,
    urgency: 'low',
    target: { panel: 'tokens' },
  };
}

/**
 * An invite the app issued was used: "@alice:example.org joined", the server named; clicking opens the
 * People panel on that server.
 */
export function inviteEndedNotification(
  ended: {
    hint: string;
    state: 'used' | 'expired';
    joined: readonly string[];
    invitedTo?: string | null;
    inviteProblem?: string | null;
  },
  server: NotifiedServer,
): DesktopNotification | null {
  if (ended.state !== 'used') return null;
  const who = ended.joined[0];
  const room = ended.inviteProblem
    ? ` Inviting them into the room failed: ${ended.inviteProblem} Invite them from your Matrix client.`
    : ended.invitedTo
      ? ` They were invited to ${ended.invitedTo}.`
      : ' Say hello, or add them to the family room.';
  return {
    kind: 'alert',
    title: clip(
      who
        ? `${ended.joined.join(', ')} joined (${server.serverName})`
        : `An invite was used (${server.serverName})`,
      TITLE_MAX,
    ),
    body: clip(
      who
        ? `They registered with the invite ${ended.hint}.${room}`
        : `Someone registered with the invite ${ended.hint}; the admin room did not say who.`,
      BODY_MAX,
    ),
    urgency: 'normal',
    target: { panel: 'people' },
    ...(server.profileId ? { profileId: server.profileId } : {}),
  };
}
