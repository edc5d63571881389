import type { MuteDuration } from '../../core/vocab';
import type {
  ActionInfo,
  Check,
  Level,
  MuteTarget,
  NavigateTarget,
  StatusSnapshot,
} from '../../ipc/contract';
import { clip, serverLabel, trayState, worstTrayState } from './tray-state';

/**
 * What clicking a tray item does; the shell executes it (tray-commands.ts). In the menu of several
 * servers, an item of a server's section names it (`profileId`): it acts on that server, and the window
 * opens on it. Without one it is the selected server's.
 */
export type TrayCommand =
  | { kind: 'navigate'; target: NavigateTarget; profileId?: string }
  | { kind: 'run'; actionId: string; title: string; profileId?: string }
  | { kind: 'copy-token'; profileId?: string }
  | { kind: 'mute'; target: MuteTarget; duration: MuteDuration; title: string; profileId?: string }
  | { kind: 'unmute'; key: string; title: string; profileId?: string }
  | { kind: 'quit' };

/** The tray menu as data; desktop/electron/tray.ts turns it into Electron MenuItems. */
export type TrayMenuItem =
  | { type: 'label'; id: string; label: string }
  | { type: 'separator' }
  /** A server's quick actions, when the menu has a section per server. */
  | { type: 'submenu'; id: string; label: string; items: TrayMenuItem[] }
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
  /** Every watched server's status, in the store's order; empty before the app answered or without a profile. */
  servers: readonly StatusSnapshot[];
  actions: readonly ActionInfo[];
  /** How times are shown (the shell passes the user's locale clock). */
  formatTime?: (iso: string) => string;
}

/** Check lines beyond this collapse into one "…and N more" line: a tray menu is not a dashboard. */
export const MAX_CHECK_LINES = 8;
/** The same per server when the menu has several sections: the menu must still fit on a screen. */
export const MAX_CHECK_LINES_PER_SERVER = 3;
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

/**
 * The tray menu. One server: its header, one line per problem, sticky alerts, quick actions, Quit.
 * Several: a line with the worst of them, then one section per server (its header, problems and alerts,
 * and its quick actions in a submenu), then the dashboard and Quit.
 */
export function trayMenu(input: TrayMenuInput): TrayMenuItem[] {
  const { servers, actions } = input;
  const formatTime = input.formatTime ?? localClock;
  if (servers.length <= 1) {
    const status = servers[0] ?? null;
    const mutes = status && status.profileId !== null ? muteLines(status, formatTime, '') : [];
    return [
      ...serverLines(status, actions, formatTime, { prefix: '', maxChecks: MAX_CHECK_LINES }),
      ...(mutes.length ? [{ type: 'separator' } as const, ...mutes] : []),
      { type: 'separator' },
      ...quickActions(status, actions, ''),
      { type: 'separator' },
      plainItem('open-dashboard', 'Open dashboard', true, {
        kind: 'navigate',
        target: { panel: 'dashboard' },
      }),
      plainItem('open-logs', 'Open logs', status !== null && status.profileId !== null, {
        kind: 'navigate',
        target: logsTarget(actions),
      }),
      { type: 'separator' },
      plainItem('quit', 'Quit Homeserver Tray', true, { kind: 'quit' }),
    ];
  }
  const items: TrayMenuItem[] = [
    labelItem('header:all', `${servers.length} servers: ${STATE_PHRASE[worstTrayState(servers)]}`),
  ];
  for (const status of servers) {
    const prefix = `${status.profileId}/`;
    // A section says which mutes are in force; muting and unmuting that server sit with its actions.
    const mutes = status.profileId !== null ? muteLines(status, formatTime, prefix) : [];
    const muteItems = mutes.filter((m) => m.type === 'item');
    items.push(
      { type: 'separator' },
      ...serverLines(status, actions, formatTime, { prefix, maxChecks: MAX_CHECK_LINES_PER_SERVER }),
      ...mutes.filter((m) => m.type === 'label'),
      {
        type: 'submenu',
        id: `${prefix}actions`,
        label: clip(`Actions for ${status.profileName}`, MAX_LABEL),
        items: [
          ...quickActions(status, actions, prefix),
          ...(muteItems.length ? [{ type: 'separator' } as const, ...muteItems] : []),
          { type: 'separator' },
          plainItem(`${prefix}open-logs`, 'Open logs', true, {
            kind: 'navigate',
            target: logsTarget(actions),
            ...profileOf(status, prefix),
          }),
        ],
      },
    );
  }
  items.push(
    { type: 'separator' },
    plainItem('open-dashboard', 'Open dashboard', true, { kind: 'navigate', target: { panel: 'dashboard' } }),
    { type: 'separator' },
    plainItem('quit', 'Quit Homeserver Tray', true, { kind: 'quit' }),
  );
  return items;
}

/** In a section of the menu of several servers, commands name their server. */
function profileOf(status: StatusSnapshot | null, prefix: string): { profileId?: string } {
  return prefix !== '' && status?.profileId ? { profileId: status.profileId } : {};
}

/** A server's header, its problems and its sticky alerts. */
function serverLines(
  status: StatusSnapshot | null,
  actions: readonly ActionInfo[],
  formatTime: (iso: string) => string,
  options: { prefix: string; maxChecks: number },
): TrayMenuItem[] {
  const { prefix, maxChecks } = options;
  const items = header(status, formatTime, prefix);
  if (status === null || status.profileId === null) return items;
  const problems = problemLines(status, prefix, maxChecks);
  const alerts = status.stickyAlerts.map(
    (a): TrayMenuItem =>
      runItem(
        `${prefix}alert:${a.id}`,
        `${a.title}: ${fixTitle(actions, a.fixActionId)}`,
        a.fixActionId,
        status,
        actions,
        prefix,
      ),
  );
  if (problems.length || alerts.length) {
    // One server: its problems stand apart from its header; in a section they belong right under it.
    if (prefix === '') items.push({ type: 'separator' });
    items.push(...problems, ...alerts);
  }
  return items;
}

/** The quick actions of one server (the tray's reason to exist): restarts, maintenance, apply, token, invite. */
function quickActions(
  status: StatusSnapshot | null,
  actions: readonly ActionInfo[],
  prefix: string,
): TrayMenuItem[] {
  const ready = status !== null && status.profileId !== null;
  const maintenanceOn = ready && status.maintenance.on;
  const run = (id: string, text: string) =>
    runItem(`${prefix}action:${id}`, text, id, status, actions, prefix);
  return [
    run('tuwunel.restart', 'Restart Tuwunel'),
    run('stack.restart', 'Restart all services'),
    maintenanceOn
      ? run('stack.start', 'Start the stack (end maintenance)')
      : run('stack.stop', 'Maintenance stop'),
    run('config.apply', 'Apply configuration'),
    { type: 'separator' },
    plainItem(`${prefix}copy-token`, 'Copy registration token', ready, {
      kind: 'copy-token',
      ...profileOf(status, prefix),
    }),
    plainItem(`${prefix}invite`, 'Invite someone…', ready, {
      kind: 'navigate',
      target: { panel: 'people', focus: 'invite' },
      ...profileOf(status, prefix),
    }),
    plainItem(`${prefix}reset-password`, 'Reset a password…', ready, {
      kind: 'navigate',
      target: { panel: 'people', focus: 'reset-password' },
      ...profileOf(status, prefix),
    }),
  ];
}

function header(
  status: StatusSnapshot | null,
  formatTime: (iso: string) => string,
  prefix: string,
): TrayMenuItem[] {
  const label = (id: string, text: string) => labelItem(`${prefix}${id}`, text);
  // A section is named as the window's server switcher names it: by the profile's (unique) name.
  const name = prefix !== '' && status ? status.profileName : serverLabel(status);
  const lines: TrayMenuItem[] = [label('header:server', `${name}: ${STATE_PHRASE[trayState(status)]}`)];
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
    lines.push(label('header:maintenance', `Maintenance mode${since}`));
    // Its own line: beside the time it would be cut off in a tray menu's width.
    const reason = status.maintenance.reason;
    if (reason)
      lines.push(label('header:maintenance-reason', `${reason.charAt(0).toUpperCase()}${reason.slice(1)}`));
  }
  if (status.error) lines.push(label('header:error', `Status check broke: ${status.error.message}`));
  return lines;
}

/**
 * One line per failing, unknown or warning check, worst first. A host that cannot be reached makes all its
 * other checks `unknown`; its `ssh:<host>` line says it once instead of repeating it per check.
 */
function problemLines(status: StatusSnapshot, prefix: string, maxChecks: number): TrayMenuItem[] {
  const unreachable = new Set(
    status.checks.filter((c) => c.id.startsWith('ssh:') && c.level === 'fail').map((c) => c.host),
  );
  const problems = status.checks
    .filter((c) => PROBLEM_ORDER.includes(c.level))
    .filter((c) => !(c.level === 'unknown' && unreachable.has(c.host) && !c.id.startsWith('ssh:')))
    .sort((a, b) => rank(a) - rank(b) || a.title.localeCompare(b.title));
  const shown = problems.slice(0, maxChecks).map(
    (c): TrayMenuItem =>
      plainItem(`${prefix}check:${c.id}`, `${LEVEL_WORD[c.level]}: ${c.title}`, true, {
        kind: 'navigate',
        target: { panel: 'dashboard', checkId: c.id },
        ...profileOf(status, prefix),
      }),
  );
  const rest = problems.length - shown.length;
  if (rest > 0)
    shown.push(
      plainItem(`${prefix}check:more`, `…and ${rest} more`, true, {
        kind: 'navigate',
        target: { panel: 'dashboard' },
        ...profileOf(status, prefix),
      }),
    );
  return shown;
}

/**
 * The mutes in force, each with its Unmute, and while the server is not muted as a whole, its mutes: 1 h,
 * 8 h, and until it recovers when something is failing (mutes of one check or unit are on the dashboard).
 * In a section of the menu of several servers they name that server: a click mutes that server only.
 */
function muteLines(
  status: StatusSnapshot,
  formatTime: (iso: string) => string,
  prefix: string,
): TrayMenuItem[] {
  const server = profileOf(status, prefix);
  const lines: TrayMenuItem[] = status.mutes.flatMap((m): TrayMenuItem[] => [
    labelItem(
      `${prefix}muted:${m.key}`,
      `Muted: ${m.label} ${m.until ? `until ${formatTime(m.until)}` : 'until it recovers'}`,
    ),
    plainItem(`${prefix}unmute:${m.key}`, `Unmute ${m.label}`, true, {
      kind: 'unmute',
      key: m.key,
      title: `Unmute ${m.label}`,
      ...server,
    }),
  ]);
  if (status.mutes.some((m) => m.target.kind === 'server')) return lines;
  const mute = (duration: MuteDuration, text: string): TrayMenuItem =>
    plainItem(`${prefix}mute:server:${duration}`, text, true, {
      kind: 'mute',
      target: { kind: 'server' },
      duration,
      title: text,
      ...server,
    });
  lines.push(mute('1h', 'Mute alerts for 1 hour'), mute('8h', 'Mute alerts for 8 hours'));
  if (status.checks.some((c) => c.level === 'fail' || c.alert === 'down'))
    lines.push(mute('recovered', 'Mute alerts until it recovers'));
  return lines;
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
  prefix: string,
): TrayMenuItem {
  const action = actions.find((a) => a.id === actionId);
  const ready = status !== null && status.profileId !== null;
  const confirm = action ? action.danger !== 'safe' : true;
  return {
    type: 'item',
    id,
    label: clip(confirm ? `${text}…` : text, MAX_LABEL),
    enabled: ready && action !== undefined && status.busy === null,
    command: { kind: 'run', actionId, title: action?.title ?? text, ...profileOf(status, prefix) },
    confirm,
  };
}

function fixTitle(actions: readonly ActionInfo[], actionId: string): string {
  return actions.find((a) => a.id === actionId)?.title ?? actionId;
}

function plainItem(id: string, text: string, enabled: boolean, command: TrayCommand): TrayMenuItem {
  return { type: 'item', id, label: clip(text, MAX_LABEL), enabled, command, confirm: false };
}

function labelItem(id: string, text: string): TrayMenuItem {
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
