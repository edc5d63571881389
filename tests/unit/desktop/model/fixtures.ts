import {
  type ActionInfo,
  actionInfo,
  type Check,
  check,
  type Plan,
  plan,
  type RunState,
  runState,
  type StatusSnapshot,
  statusSnapshot,
} from '../../../../src-main/ipc/contract';

export const T0 = Date.UTC(2026, 10, 26, 14, 3, 0);
export const at = (ms = 0): string => new Date(T0 + ms).toISOString();
/** A fixed clock for labels: "HH:MM" in UTC. */
export const utcClock = (iso: string): string => iso.slice(11, 16);

export function aCheck(partial: Partial<Check> & Pick<Check, 'id'>): Check {
  return check.parse({
    host: 'homeserver',
    group: 'matrix-tuwunel',
    title: partial.id,
    level: 'ok',
    detail: 'Active (running).',
    since: at(),
    checkedAt: at(),
    alert: 'up',
    ...partial,
  });
}

/** A snapshot checked against the contract's schema, so fixtures cannot drift from what the router sends. */
export function aStatus(partial: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return statusSnapshot.parse({
    profileId: 'rampancy',
    profileName: 'rampancy.cloud',
    serverName: 'rampancy.cloud',
    overall: 'ok',
    hosts: [],
    checks: [
      aCheck({ id: 'unit:matrix-tuwunel', title: 'matrix-tuwunel unit' }),
      aCheck({ id: 'http:federation-version', host: 'public', group: 'federation', title: 'Federation API' }),
    ],
    lastRefresh: at(),
    refreshing: false,
    intervalSeconds: 30,
    maintenance: { on: false, since: null, reason: null },
    stickyAlerts: [],
    busy: null,
    error: null,
    ...partial,
  });
}

function action(
  id: string,
  title: string,
  danger: ActionInfo['danger'],
  extra: Partial<ActionInfo> = {},
): ActionInfo {
  return actionInfo.parse({
    id,
    title,
    description: `${title}.`,
    group: 'Stack',
    host: 'homeserver',
    danger,
    downtime: danger === 'safe' ? null : 'A few seconds.',
    readOnly: false,
    requiresAdminToken: false,
    params: [],
    ...extra,
  });
}

/** The catalog's quick actions with the dangers the runbook gives them. */
export const ACTIONS: ActionInfo[] = [
  action('stack.stop', 'Stop the stack (maintenance)', 'outage'),
  action('stack.start', 'Start the stack', 'safe'),
  action('stack.restart', 'Restart all services', 'disruptive'),
  action('tuwunel.restart', 'Restart Tuwunel', 'disruptive', { group: 'Homeserver' }),
  action('config.apply', 'Apply the configuration', 'disruptive', { group: 'Deploy', host: 'deploy' }),
  action('logs.follow', 'Follow a service log', 'safe', {
    group: 'Logs',
    readOnly: true,
    params: [
      {
        name: 'unit',
        label: 'Unit',
        kind: 'choice',
        required: true,
        default: 'matrix-tuwunel',
        options: [{ value: 'matrix-tuwunel', label: 'matrix-tuwunel' }],
      },
    ],
  }),
];

export function aPlan(partial: Partial<Plan> = {}): Plan {
  return plan.parse({
    actionId: 'stack.stop',
    params: {},
    danger: 'outage',
    downtime: 'Until you start the stack again: Matrix is down for everyone.',
    confirm:
      'Stop all matrix-* services on admin@192.168.1.243: Matrix is down for everyone until you run "Start the stack".',
    route: null,
    routeWhy: null,
    steps: [],
    confirmation: 'confirmation-of-the-plan',
    ...partial,
  });
}

export function aRun(partial: Partial<RunState> = {}): RunState {
  return runState.parse({
    runId: 'run-1a2b3c4d',
    actionId: 'tuwunel.restart',
    title: 'Restart Tuwunel',
    params: {},
    danger: 'disruptive',
    route: null,
    state: 'failed',
    startedAt: at(),
    endedAt: at(30_000),
    steps: [],
    sentence: 'Tuwunel did not answer again within 60 s.',
    nextStep: 'Look at the output and the logs of the host, then try again.',
    failingStep: 'wait-federation',
    recap: null,
    diff: null,
    followUps: [],
    ...partial,
  });
}
