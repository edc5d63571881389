import type { ActionInfo, Check, Level, NavigateTarget, StatusSnapshot } from '../../ipc/contract';
import { clip, serverLabel, trayState } from './tray-state';

/** What clicking a tray item does; the shell executes it (tray-commands.ts). */
export type TrayCommand =
  | { kind: 'navigate'; target: NavigateTarget }
  | { kind: 'run'; actionId: string; title: string }
  | { kind: 'copy-token' }
  | { kind: 'quit' };

/** The tray menu as data; desktop/electron/tray.ts turns it into Electron MenuItems. */
export type TrayMenuItem =
  | { type: 'label'; id: string; label: string }
  | { type: 'separator' }
  | {
      type: 'item';
      id: string;
      label: string;
      enabled: boolean;
      command: TrayCommand;
      /** An outage or disruptive action: a native dialog confirms its effect first (label ends with "…"). */
      confirm: boolean;
    };

export interface TrayMenuInput {
  /** null before the app answered the first time. */
  status: StatusSnapshot | null;
  actions: readonly ActionInfo[];
  /** How times are shown (the shell passes the user's locale clock). */
  formatTime?: (iso: string) => string;
}

/** Check lines beyond this collapse into one "…and N more" line: a tray menu is not a dashboard. */
export const MAX_CHECK_LINES = 8;
/** Menu labels longer than this get cut (GNOME and Windows menus do not wrap). */
export const MAX_LABEL = 80;

const LEVEL_WORD: Record<Level, string> = {
  ok: 'OK',
  warn: 'Warning',
  fail: 'Failing',
  unknown: 'Unknown',
  maintenance: 'Maintenance',
};

const STATE_PHRASE = {
  ok: 'all OK',
  warn: 'warnings',
  fail: 'failing',
  unknown: 'state unknown',
  maintenance: 'maintenance',
  busy: 'busy',
} as const;

const PROBLEM_ORDER: Level[] = ['fail', 'unknown', 'warn'];

/** The tray menu: header, one line per problem, sticky alerts, quick actions, Quit. */
export function trayMenu(input: TrayMenuInput): TrayMenuItem[] {
  const { status, actions } = input;
  const formatTime = input.formatTime ?? localClock;
  const ready = status !== null && status.profileId !== null;
  const items: TrayMenuItem[] = [...header(status, formatTime)];

  if (ready) {
    const problems = problemLines(status);
    const alerts = status.stickyAlerts.map(
      (a): TrayMenuItem =>
        runItem(
          `alert:${a.id}`,
          `${a.title}: ${fixTitle(actions, a.fixActionId)}`,
          a.fixActionId,
          status,
          actions,
        ),
    );
    if (problems.length || alerts.length) items.push({ type: 'separator' }, ...problems, ...alerts);
  }

  const maintenanceOn = ready && status.maintenance.on;
  items.push(
    { type: 'separator' },
    runItem('action:tuwunel.restart', 'Restart Tuwunel', 'tuwunel.restart', status, actions),
    runItem('action:stack.restart', 'Restart all services', 'stack.restart', status, actions),
    maintenanceOn
      ? runItem('action:stack.start', 'Start the stack (end maintenance)', 'stack.start', status, actions)
      : runItem('action:stack.stop', 'Maintenance stop', 'stack.stop', status, actions),
    runItem('action:config.apply', 'Apply configuration', 'config.apply', status, actions),
    { type: 'separator' },
    plainItem('copy-token', 'Copy registration token', ready, { kind: 'copy-token' }),
    plainItem('invite', 'Invite someone…', ready, {
      kind: 'navigate',
      target: { panel: 'people', focus: 'invite' },
    }),
    plainItem('reset-password', 'Reset a password…', ready, {
      kind: 'navigate',
      target: { panel: 'people', focus: 'reset-password' },
    }),
    { type: 'separator' },
    plainItem('open-dashboard', 'Open dashboard', true, { kind: 'navigate', target: { panel: 'dashboard' } }),
    plainItem('open-logs', 'Open logs', ready, { kind: 'navigate', target: logsTarget(actions) }),
    { type: 'separator' },
    plainItem('quit', 'Quit Homeserver Tray', true, { kind: 'quit' }),
  );
  return items;
}

function header(status: StatusSnapshot | null, formatTime: (iso: string) => string): TrayMenuItem[] {
  const lines: TrayMenuItem[] = [
    label('header:server', `${serverLabel(status)}: ${STATE_PHRASE[trayState(status)]}`),
  ];
  if (!status || status.profileId === null) {
    lines.push(label('header:setup', 'Open the dashboard to set up a server'));
    return lines;
  }
  lines.push(
    label(
      'header:checked',
      status.lastRefresh
        ? `Last check ${formatTime(status.lastRefresh)}${status.refreshing ? ' (checking…)' : ''}`
        : status.refreshing
          ? 'Checking…'
          : 'Not checked yet',
    ),
  );
  if (status.busy) lines.push(label('header:busy', `Running: ${status.busy.title}`));
  if (status.maintenance.on) {
    const since = status.maintenance.since ? ` since ${formatTime(status.maintenance.since)}` : '';
    const reason = status.maintenance.reason ? ` (${status.maintenance.reason})` : '';
    lines.push(label('header:maintenance', `Maintenance mode${since}${reason}`));
  }
  if (status.error) lines.push(label('header:error', `Status check broke: ${status.error.message}`));
  return lines;
}

/**
 * One line per failing, unknown or warning check, worst first. A host that cannot be reached makes all its
 * other checks `unknown`; its `ssh:<host>` line says it once instead of repeating it per check.
 */
function problemLines(status: StatusSnapshot): TrayMenuItem[] {
  const unreachable = new Set(
    status.checks.filter((c) => c.id.startsWith('ssh:') && c.level === 'fail').map((c) => c.host),
  );
  const problems = status.checks
    .filter((c) => PROBLEM_ORDER.includes(c.level))
    .filter((c) => !(c.level === 'unknown' && unreachable.has(c.host) && !c.id.startsWith('ssh:')))
    .sort((a, b) => rank(a) - rank(b) || a.title.localeCompare(b.title));
  const shown = problems.slice(0, MAX_CHECK_LINES).map(
    (c): TrayMenuItem =>
      plainItem(`check:${c.id}`, `${LEVEL_WORD[c.level]}: ${c.title}`, true, {
        kind: 'navigate',
        target: { panel: 'dashboard', checkId: c.id },
      }),
  );
  const rest = problems.length - shown.length;
  if (rest > 0)
    shown.push(
      plainItem('check:more', `…and ${rest} more`, true, {
        kind: 'navigate',
        target: { panel: 'dashboard' },
      }),
    );
  return shown;
}

function rank(c: Check): number {
  return PROBLEM_ORDER.indexOf(c.level);
}

function runItem(
  id: string,
  text: string,
  actionId: string,
  status: StatusSnapshot | null,
  actions: readonly ActionInfo[],
): TrayMenuItem {
  const action = actions.find((a) => a.id === actionId);
  const ready = status !== null && status.profileId !== null;
  const confirm = action ? action.danger !== 'safe' : true;
  return {
    type: 'item',
    id,
    label: clip(confirm ? `${text}…` : text, MAX_LABEL),
    enabled: ready && action !== undefined && status.busy === null,
    command: { kind: 'run', actionId, title: action?.title ?? text },
    confirm,
  };
}

function fixTitle(actions: readonly ActionInfo[], actionId: string): string {
  return actions.find((a) => a.id === actionId)?.title ?? actionId;
}

function plainItem(id: string, text: string, enabled: boolean, command: TrayCommand): TrayMenuItem {
  return { type: 'item', id, label: clip(text, MAX_LABEL), enabled, command, confirm: false };
}

function label(id: string, text: string): TrayMenuItem {
  return { type: 'label', id, label: clip(text, MAX_LABEL) };
}

/** The log viewer opens on the unit `logs.follow` defaults to (matrix-tuwunel in the catalog). */
function logsTarget(actions: readonly ActionInfo[]): NavigateTarget {
  const unit = actions.find((a) => a.id === 'logs.follow')?.params.find((p) => p.name === 'unit')?.default;
  return typeof unit === 'string' ? { panel: 'logs', unit } : { panel: 'logs' };
}

/** Hours and minutes in the user's locale and time zone. */
export function localClock(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}
