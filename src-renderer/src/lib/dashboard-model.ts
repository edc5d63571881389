import type {
  ActionInfo,
  Check,
  CheckHost,
  ErrorInfo,
  HostState,
  Level,
  ParamValues,
  StatusSnapshot,
} from '../../../src-main/ipc/contract';
import { HOST_TITLE, plural, severity, worstLevel } from './format';

/**
 * What the dashboard shows, worked out from one status snapshot: the problems first (each in plain words,
 * with its next step and the action that fixes it), then every other check folded into a few groups of one
 * line each. Pure, so the same snapshot always reads the same.
 */

export interface Fix {
  actionId: string;
  label: string;
  params: ParamValues;
}

export interface Problem {
  /** Stable across polls: `host:<role>`, `unit:<unit>` or `check:<id>`. */
  key: string;
  level: Level;
  headline: string;
  /** The check's own sentence, ending with its next step (or the host's error). */
  sentence: string;
  /** A separate next step, where the source keeps one (host errors). */
  nextStep: string | null;
  host: CheckHost;
  /** The checks this problem stands for, worst first. */
  checks: Check[];
  since: string | null;
  alert: 'pending' | 'down' | null;
  fix: Fix | null;
  /** The unit whose journal tells more. */
  logsUnit: string | null;
  /** An unreachable host's error (the dashboard offers the host-key way out for HostKeyChanged). */
  hostError: ErrorInfo | null;
  /** Checks on an unreachable host that wait for it (shown as a count, not one problem each). */
  waiting: number;
}

export const FOLD_KEYS = ['services', 'endpoints', 'data', 'config', 'tls', 'connections', 'other'] as const;
export type FoldKey = (typeof FOLD_KEYS)[number];

/** One systemd unit with its container: a row, not two. */
export interface UnitRow {
  unit: string;
  level: Level;
  unitCheck: Check | null;
  container: Check | null;
}

export interface Fold {
  key: FoldKey;
  level: Level;
  /** One line: "9 units running", "HTTPS endpoints OK", "4 of 5 OK, 1 warning". */
  summary: string;
  checks: Check[];
  /** The services fold only. */
  units: UnitRow[];
}

export interface DashboardModel {
  problems: Problem[];
  folds: Fold[];
  /** The header's sentence. */
  sentence: string;
}

/** Plain names for the units matrix-docker-ansible-deploy renders; others show as written. */
export const UNIT_NAMES: Record<string, { name: string; role: string }> = {
  'matrix-tuwunel': { name: 'Tuwunel', role: 'the Matrix server' },
  'matrix-traefik': { name: 'Traefik', role: 'the web proxy in front of everything' },
  'matrix-postgres': { name: 'Postgres', role: 'database' },
  'matrix-client-element': { name: 'Element Web', role: 'the chat app in the browser' },
  'matrix-livekit-server': { name: 'LiveKit', role: 'voice and video calls' },
  'matrix-livekit-jwt-service': { name: 'LiveKit sign-in', role: 'lets Element start calls' },
  'matrix-static-files': { name: 'Static files', role: 'the .well-known answers' },
  'matrix-container-socket-proxy': { name: 'Docker socket proxy', role: 'lets Traefik find the services' },
  'matrix-exim-relay': { name: 'Mail relay', role: 'sends the server’s e-mail' },
};

export function unitName(unit: string): string {
  return UNIT_NAMES[unit]?.name ?? unit;
}

const TUWUNEL = 'matrix-tuwunel';

function kind(check: Check): string {
  return check.id.slice(0, check.id.indexOf(':'));
}

function foldOf(check: Check): FoldKey {
  switch (kind(check)) {
    case 'unit':
    case 'container':
      return 'services';
    case 'http':
      return 'endpoints';
    case 'image':
    case 'disk':
    case 'backup':
      return 'data';
    case 'config':
      return 'config';
    case 'tls':
      return 'tls';
    case 'ssh':
      return 'connections';
    default:
      return 'other';
  }
}

const FOLD_TITLE: Record<FoldKey, string> = {
  services: 'Services',
  endpoints: 'HTTPS endpoints',
  data: 'Data, image and backup',
  config: 'Playbook configuration',
  tls: 'TLS certificates',
  connections: 'SSH connections',
  other: 'Other checks',
};

const ALL_OK: Record<FoldKey, (checks: Check[]) => string> = {
  services: () => '',
  endpoints: () => 'HTTPS endpoints OK',
  data: (checks) => {
    const names = checks.map((c) =>
      kind(c) === 'disk' ? 'disk space' : kind(c) === 'image' ? 'image version' : c.title.toLowerCase(),
    );
    const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0];
    return `${(list ?? '').replace(/^./, (c) => c.toUpperCase())} OK`;
  },
  config: () => 'Playbook configuration OK',
  tls: (checks) => (checks.length === 1 ? 'TLS certificate valid' : 'TLS certificates valid'),
  connections: (checks) =>
    checks.length === 2
      ? 'Both hosts answer over SSH'
      : plural(checks.length, 'host answers', 'hosts answer'),
  other: () => 'Other checks OK',
};

/** "2 OK, 1 warning, 3 held for maintenance": what a fold holds, worst first. */
function counts(checks: Check[]): string {
  const n = (l: Level) => checks.filter((c) => c.level === l).length;
  const parts = [
    n('fail') && plural(n('fail'), 'failing'),
    n('warn') && plural(n('warn'), 'warning', 'warnings'),
    n('unknown') && plural(n('unknown'), 'unknown'),
    n('ok') && `${n('ok')} OK`,
    n('maintenance') && `${n('maintenance')} held for maintenance`,
  ];
  return parts.filter(Boolean).join(', ');
}

function unitRows(checks: Check[], units: readonly string[]): UnitRow[] {
  const names = [...units];
  for (const c of checks) {
    const u = c.id.slice(c.id.indexOf(':') + 1);
    if (!names.includes(u)) names.push(u);
  }
  return names
    .map((unit) => {
      const unitCheck = checks.find((c) => c.id === `unit:${unit}`) ?? null;
      const container = checks.find((c) => c.id === `container:${unit}`) ?? null;
      const levels = [unitCheck, container].filter((c): c is Check => c !== null).map((c) => c.level);
      return { unit, unitCheck, container, level: worstLevel(levels) };
    })
    .filter((r) => r.unitCheck || r.container);
}

function servicesSummary(rows: UnitRow[]): string {
  const running = rows.filter((r) => r.level === 'ok').length;
  const held = rows.filter((r) => r.level === 'maintenance').length;
  if (running === rows.length) return plural(rows.length, 'unit running', 'units running');
  if (held === rows.length) return `${plural(rows.length, 'unit', 'units')} stopped for maintenance`;
  const parts = [`${running} of ${plural(rows.length, 'unit', 'units')} running`];
  if (held) parts.push(`${held} stopped for maintenance`);
  const trouble = rows.length - running - held;
  if (trouble) parts.push(`${trouble} with a problem`);
  return parts.join(', ');
}

function folds(checks: Check[], units: readonly string[]): Fold[] {
  return FOLD_KEYS.flatMap((key): Fold[] => {
    const list = checks.filter((c) => foldOf(c) === key);
    if (list.length === 0) return [];
    const level = worstLevel(list.map((c) => c.level));
    const rows = key === 'services' ? unitRows(list, units) : [];
    const summary =
      key === 'services'
        ? servicesSummary(rows)
        : level === 'ok'
          ? ALL_OK[key](list)
          : `${FOLD_TITLE[key]}: ${counts(list)}`;
    return [{ key, level, summary, checks: list, units: rows }];
  });
}

// ───────────────────────────── problems ─────────────────────────────

const PROBLEM_LEVELS: readonly Level[] = ['fail', 'warn', 'unknown'];
/** Within one unit, the check that says most about it leads. */
const KIND_RANK = ['unit', 'container', 'http', 'image', 'disk'];

function lead(checks: Check[]): Check[] {
  const rank = (c: Check) => {
    const i = KIND_RANK.indexOf(kind(c));
    return i < 0 ? KIND_RANK.length : i;
  };
  return [...checks].sort((a, b) => severity(b.level) - severity(a.level) || rank(a) - rank(b));
}

/** What a problem is about, in the words of someone who runs the server rather than the playbook. */
const HEADLINES: [RegExp, string][] = [
  [/^config:allowlist-patterns$/, 'The federation allowlist also lets look-alike servers in'],
  [/^config:allowlist-own-server$/, 'Your own server is not in the federation allowlist'],
  [/^config:vars-file$/, 'The playbook’s settings file (vars.yml) cannot be used'],
  [/^config:legacy-media$/, 'Element Web may show broken images'],
  [/^config:version-pin$/, 'The playbook would install another Tuwunel version'],
  [/^disk:/, 'Disk space is running low'],
  [/^image:/, 'Tuwunel runs another version than the one pinned'],
  [/^backup:/, 'Backups need a look'],
  [/^http:well-known-server$/, 'Other servers may not find yours'],
  [/^http:well-known-client$/, 'Apps may not find your server'],
];

function headline(first: Check, unit: string | null): string {
  const k = kind(first);
  if (unit) {
    const name = unitName(unit);
    if (first.level === 'unknown') return `${name}: state unknown`;
    if ((k === 'unit' || k === 'container') && first.level === 'fail') return `${name} is not running`;
    if (k === 'unit' || k === 'container') return `${name} needs a look`;
    if (k === 'http' && first.level === 'fail') return `${name} does not answer`;
  }
  return HEADLINES.find(([re]) => re.test(first.id))?.[1] ?? first.title;
}

function action(catalog: readonly ActionInfo[], id: string): ActionInfo | undefined {
  return catalog.find((a) => a.id === id && !a.readOnly);
}

/** The catalog action that is the next step for this problem, when there is one. */
function fixFor(
  first: Check,
  unit: string | null,
  serverName: string,
  catalog: readonly ActionInfo[],
): Fix | null {
  const k = kind(first);
  const byId = (id: string, params: ParamValues = {}, label?: string): Fix | null => {
    const a = action(catalog, id);
    return a ? { actionId: a.id, label: label ?? a.title, params } : null;
  };
  if (unit && (k === 'unit' || k === 'container' || k === 'http') && first.level !== 'warn')
    return unit === TUWUNEL ? byId('tuwunel.restart') : byId('stack.start');
  if (first.id === 'config:allowlist-own-server')
    return byId('federation.allow', { server: serverName }, `Allow ${serverName} again`);
  if (k === 'image') return byId('config.apply');
  if (first.id === 'backup:tuwunel' && (first.level === 'warn' || first.level === 'fail'))
    return byId('tuwunel.backup');
  return null;
}

function alertOf(checks: Check[]): Problem['alert'] {
  if (checks.some((c) => c.alert === 'down')) return 'down';
  if (checks.some((c) => c.alert === 'pending')) return 'pending';
  return null;
}

function hostProblem(state: HostState, checks: Check[]): Problem {
  const onHost = checks.filter((c) => c.host === state.host);
  const ssh = onHost.filter((c) => kind(c) === 'ssh');
  const waiting = onHost.filter((c) => c.level === 'unknown' && kind(c) !== 'ssh');
  return {
    key: `host:${state.host}`,
    level: 'fail',
    headline:
      state.host === 'public'
        ? 'The server cannot be reached over HTTPS'
        : `Can’t reach the ${HOST_TITLE[state.host].toLowerCase()}`,
    sentence: state.error?.message ?? `${state.target} does not answer.`,
    nextStep: state.error?.nextStep ?? null,
    host: state.host,
    checks: ssh,
    since: ssh[0]?.since ?? null,
    alert: alertOf(ssh),
    fix: null,
    logsUnit: null,
    hostError: state.error,
    waiting: waiting.length,
  };
}

function problems(status: StatusSnapshot, catalog: readonly ActionInfo[]): Problem[] {
  const down = status.hosts.filter((h) => h.reachable === false);
  const downHosts = new Set(down.map((h) => h.host));
  const found: Problem[] = down.map((h) => hostProblem(h, status.checks));
  // A check about a unit shares its problem with the unit's other checks: one card for "Tuwunel is down".
  const unitGroups = new Set(status.checks.filter((c) => kind(c) === 'unit').map((c) => c.group));
  const byKey = new Map<string, Check[]>();
  for (const c of status.checks) {
    if (!PROBLEM_LEVELS.includes(c.level)) continue;
    if (downHosts.has(c.host) && (c.level === 'unknown' || kind(c) === 'ssh')) continue;
    const key = unitGroups.has(c.group) ? `unit:${c.group}` : `check:${c.id}`;
    byKey.set(key, [...(byKey.get(key) ?? []), c]);
  }
  for (const [key, list] of byKey) {
    const sorted = lead(list);
    const first = sorted[0] as Check;
    const unit = key.startsWith('unit:') ? first.group : null;
    found.push({
      key,
      level: first.level,
      headline: headline(first, unit),
      sentence: first.detail,
      nextStep: null,
      host: first.host,
      checks: sorted,
      since: first.since,
      alert: alertOf(sorted),
      fix: fixFor(first, unit, status.serverName, catalog),
      logsUnit: unit,
      hostError: null,
      waiting: 0,
    });
  }
  return found.sort((a, b) => severity(b.level) - severity(a.level));
}

function sentence(status: StatusSnapshot, found: Problem[]): string {
  const total = status.checks.length;
  if (total === 0) return status.lastRefresh === null ? 'Checking the server…' : 'No checks have run yet.';
  const ok = status.checks.filter((c) => c.level === 'ok').length;
  const n = (l: Level) => found.filter((p) => p.level === l).length;
  const parts = [
    n('fail') && plural(n('fail'), 'problem', 'problems'),
    n('warn') && plural(n('warn'), 'warning', 'warnings'),
    n('unknown') && plural(n('unknown'), 'unknown state', 'unknown states'),
  ].filter(Boolean);
  const tally = ok === total ? `All ${total} checks are OK.` : `${ok} of ${total} checks OK.`;
  if (parts.length === 0) {
    if (status.maintenance.on) return `Stopped for maintenance. ${tally}`;
    return ok === total ? `Everything is running. ${tally}` : tally;
  }
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0];
  return `${list} to look at. ${tally}`.replace(/^./, (c) => c.toUpperCase());
}

export function dashboardModel(
  status: StatusSnapshot,
  catalog: readonly ActionInfo[],
  units: readonly string[],
): DashboardModel {
  const found = problems(status, catalog);
  return { problems: found, folds: folds(status.checks, units), sentence: sentence(status, found) };
}

/** Which fold holds a check (to open it when a notification points there). */
export function foldKeyOf(check: Check): FoldKey {
  return foldOf(check);
}
