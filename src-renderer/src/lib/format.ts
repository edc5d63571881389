import { CHECK_HOSTS, HOST_ROLES } from '../../../src-main/core/vocab';
import type { ActionInfo, CheckHost, Level } from '../../../src-main/ipc/contract';

// Orders the window shows things in, from the vocabulary (dependency-free: zod stays out of the bundle).
export const CARD_ORDER = CHECK_HOSTS;
export const HOST_ORDER = HOST_ROLES;
export const GROUP_ORDER = [
  'Stack',
  'Homeserver',
  'Users',
  'Federation',
  'Deploy',
] as const satisfies readonly ActionInfo['group'][];

/** The catalog's groups as the Actions page names them: what they act on, not how. */
export const GROUP_TITLE: Record<(typeof GROUP_ORDER)[number], { title: string; help: string }> = {
  Stack: { title: 'All services', help: 'Everything that makes up your Matrix server, at once.' },
  Homeserver: { title: 'Tuwunel', help: 'The Matrix server itself.' },
  Users: {
    title: 'People and sign-ups',
    help: 'Accounts on your server and the token new people sign up with.',
  },
  Federation: {
    title: 'Other servers',
    help: 'Which other Matrix servers yours talks to (the federation allowlist).',
  },
  Deploy: {
    title: 'Configuration and updates',
    help: 'The playbook that installs and configures the server.',
  },
};

export const LEVEL_TEXT: Record<Level, string> = {
  ok: 'OK',
  warn: 'Warning',
  fail: 'Failing',
  unknown: 'Unknown',
  maintenance: 'Maintenance',
};

/** A shape per level so the meaning survives without colour (and for colour-blind users). */
export const LEVEL_GLYPH: Record<Level, string> = {
  ok: '✓',
  warn: '!',
  fail: '✕',
  unknown: '?',
  maintenance: '‖',
};

export const HOST_TITLE: Record<CheckHost, string> = {
  homeserver: 'Homeserver',
  deploy: 'Deploy host',
  public: 'Public side',
};

/**
 * One severity order for the core, the tray and the window: the vocabulary's. `severity` is the rank, for
 * sorting (the higher, the worse).
 */
export { levelRank as severity, worstLevel } from '../../../src-main/core/vocab';

/** Times cross IPC as ISO 8601 strings; the window computes with epoch ms. */
export function ms(iso: string): number {
  return Date.parse(iso);
}

export function clockTime(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** "12 s", "4 min", "3 h", "2 d": short, for dense badges. */
export function duration(millis: number): string {
  const s = Math.max(0, Math.round(millis / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

export function ago(iso: string, now: number): string {
  const t = ms(iso);
  return now - t < 1500 ? 'just now' : `${duration(now - t)} ago`;
}

export function dateTime(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function secondsLeft(until: string, now: number): number {
  return Math.max(0, Math.ceil((ms(until) - now) / 1000));
}

/** "1 unit", "9 units": a count with its noun. */
export function plural(n: number, one: string, many: string = one): string {
  return `${n} ${n === 1 ? one : many}`;
}
