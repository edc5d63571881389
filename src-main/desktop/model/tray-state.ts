import type { StatusSnapshot } from '../../ipc/contract';

/** One tray icon per state (assets/tray/tray-<state>…). */
export const TRAY_STATES = ['ok', 'warn', 'fail', 'maintenance', 'busy', 'unknown'] as const;
export type TrayState = (typeof TRAY_STATES)[number];

/** Windows cuts tray tooltips at 127 characters (NOTIFYICONDATA.szTip holds 128 with the NUL). */
export const TOOLTIP_MAX = 127;

/**
 * The icon's state. A run in progress wins: the user started it, and while it runs the checks it touches
 * are expected to be down. Otherwise the worst level the core computed, so a real failure outside the
 * maintenance window (a full disk) still shows red while the stack is stopped.
 */
export function trayState(status: StatusSnapshot | null): TrayState {
  if (!status || status.profileId === null) return 'unknown';
  if (status.busy) return 'busy';
  if (status.overall === 'ok' && status.maintenance.on) return 'maintenance';
  if (status.overall === 'ok' && status.lastRefresh === null) return 'unknown';
  return status.overall;
}

/**
 * Worst first, for one icon over several servers: a failure anywhere wins; a run in progress or
 * maintenance on one server must not hide another server's warning; all-OK needs every server OK.
 */
export const TRAY_STATE_ORDER: readonly TrayState[] = [
  'fail',
  'unknown',
  'warn',
  'busy',
  'maintenance',
  'ok',
];

/** The icon over every watched server: the worst of their states (unknown with none). */
export function worstTrayState(servers: readonly (StatusSnapshot | null)[]): TrayState {
  const states = servers.map(trayState);
  return TRAY_STATE_ORDER.find((s) => states.includes(s)) ?? 'unknown';
}

/** The tooltip: the server name and one line on its state. */
export function trayTooltip(status: StatusSnapshot | null): string {
  return clip(`${serverLabel(status)}: ${summary(status)}`, TOOLTIP_MAX);
}

/**
 * The tooltip over several servers: how many are not OK, then each server that is not (by its profile's
 * name, as the menu's sections and the window's switcher say it), worst first: a tooltip has one line.
 */
export function serversTooltip(servers: readonly StatusSnapshot[]): string {
  if (servers.length <= 1) return trayTooltip(servers[0] ?? null);
  const ranked = servers
    .map((s) => ({ s, state: trayState(s) }))
    .sort((a, b) => TRAY_STATE_ORDER.indexOf(a.state) - TRAY_STATE_ORDER.indexOf(b.state));
  const notOk = ranked.filter((r) => r.state !== 'ok');
  if (notOk.length === 0) return clip(`${servers.length} servers: all OK`, TOOLTIP_MAX);
  const parts = notOk.map((r) => `${r.s.profileName} ${STATE_WORD[r.state]}`);
  return clip(`${servers.length} servers: ${parts.join('; ')}`, TOOLTIP_MAX);
}

const STATE_WORD: Record<TrayState, string> = {
  ok: 'OK',
  warn: 'warning',
  fail: 'failing',
  unknown: 'unknown',
  maintenance: 'in maintenance',
  busy: 'busy',
};

export function serverLabel(status: StatusSnapshot | null): string {
  if (!status || status.profileId === null) return 'Homeserver Tray';
  return status.serverName;
}

function summary(status: StatusSnapshot | null): string {
  if (!status || status.profileId === null) return 'no server set up yet';
  if (status.busy) return `running “${status.busy.title}”`;
  if (status.error) return 'the status check itself failed';
  if (status.lastRefresh === null) return status.refreshing ? 'checking…' : 'not checked yet';
  const failing = status.checks.filter((c) => c.level === 'fail');
  const warning = status.checks.filter((c) => c.level === 'warn');
  const unknown = status.checks.filter((c) => c.level === 'unknown');
  const parts: string[] = [];
  if (failing.length) parts.push(`${count(failing.length, 'failing')} (${names(failing)})`);
  if (unknown.length) parts.push(count(unknown.length, 'unknown'));
  if (warning.length) parts.push(`${count(warning.length, 'warning')}`);
  if (status.maintenance.on) parts.unshift('maintenance');
  if (parts.length === 0) return `all ${status.checks.length} checks OK`;
  return parts.join(', ');
}

function count(n: number, what: string): string {
  return `${n} ${what}`;
}

function names(checks: readonly { title: string }[]): string {
  const shown = checks.slice(0, 2).map((c) => c.title);
  return checks.length > 2 ? `${shown.join(', ')}, …` : shown.join(', ');
}

/** Shortens to `max` characters (code points), ending with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars
    .slice(0, max - 1)
    .join('')
    .trimEnd()}…`;
}
