import type {
  ActionInfo,
  AppInfo,
  Check,
  Plan,
  ProfilesList,
  RunState,
  RunStep,
  SecretSlot,
  Settings,
  StatusSnapshot,
} from '../../src-main/ipc/contract';
import { paramRules } from '../../src-main/ipc/contract';

export const T0 = Date.UTC(2026, 4, 21, 16, 37, 49);
/** ISO time `ms` milliseconds after T0, as the core writes times. */
export const at = (ms = 0): string => new Date(T0 + ms).toISOString();

export const appInfo: AppInfo = { version: '0.1.0', platform: 'linux', firstRun: false };

export const settings: Settings = {
  clipboardClearSeconds: 30,
  pollIntervalSeconds: 30,
  maintenanceReminderMinutes: 60,
  startRetryMinutes: 3,
  notifications: true,
  launchAtLogin: false,
  alertChannels: [],
  expiryNotifyDays: [21, 14, 7],
  diskFullNotifyDays: 14,
  historyRetentionDays: 90,
  historyDetailDays: 7,
};

export const profiles: ProfilesList = {
  selectedId: 'rampancy',
  profiles: [
    {
      id: 'rampancy',
      name: 'rampancy.cloud',
      serverName: 'rampancy.cloud',
      file: '/home/me/.config/Homeserver Tray/profiles/rampancy.yaml',
      units: ['matrix-tuwunel', 'matrix-traefik', 'matrix-postgres'],
    },
  ],
};

function check(partial: Partial<Check> & Pick<Check, 'id' | 'host' | 'group' | 'title'>): Check {
  return {
    level: 'ok',
    detail: 'Active (running).',
    since: at(),
    checkedAt: at(60_000),
    alert: 'up',
    ...partial,
  };
}

const UNITS = ['matrix-tuwunel', 'matrix-traefik', 'matrix-postgres'];

/** A server where every check passes, shaped like the core's checks (ids, groups and titles). */
export const greenStatus: StatusSnapshot = {
  profileId: 'rampancy',
  profileName: 'rampancy.cloud',
  serverName: 'rampancy.cloud',
  overall: 'ok',
  lastRefresh: at(60_000),
  refreshing: false,
  intervalSeconds: 30,
  maintenance: { on: false, since: null, reason: null },
  stickyAlerts: [],
  busy: null,
  error: null,
  hosts: [
    { host: 'homeserver', target: 'admin@192.168.1.243', reachable: true, error: null, nextAttemptAt: null },
    { host: 'deploy', target: 'root@192.168.1.245', reachable: true, error: null, nextAttemptAt: null },
    {
      host: 'public',
      target: 'https://matrix.rampancy.cloud',
      reachable: true,
      error: null,
      nextAttemptAt: null,
    },
  ],
  checks: [
    check({
      id: 'ssh:homeserver',
      host: 'homeserver',
      group: 'ssh',
      title: 'SSH to the homeserver',
      detail: 'Connected and ran 3 probes in one command (78 ms).',
    }),
    ...UNITS.flatMap((u) => [
      check({
        id: `unit:${u}`,
        host: 'homeserver',
        group: u,
        title: `${u} unit`,
        detail: `${u} is active (running) since 2026-05-21 16:00 UTC.`,
      }),
      check({
        id: `container:${u}`,
        host: 'homeserver',
        group: u,
        title: `${u} container`,
        detail: `${u} is up 3 hours.`,
      }),
    ]),
    check({
      id: 'image:tuwunel',
      host: 'homeserver',
      group: 'matrix-tuwunel',
      title: 'Tuwunel image',
      detail: 'matrix-tuwunel runs ghcr.io/matrix-construct/tuwunel:v1.7.0, the pinned version.',
    }),
    check({
      id: 'disk:tuwunel-data',
      host: 'homeserver',
      group: 'matrix-tuwunel',
      title: 'RocksDB disk space',
      detail: '/matrix/tuwunel/data (/) is 42 % full with 33 GiB free.',
    }),
    check({
      id: 'ssh:deploy',
      host: 'deploy',
      group: 'ssh',
      title: 'SSH to the deploy host',
      detail: 'Connected and ran 1 probe in one command (121 ms).',
    }),
    check({
      id: 'config:vars-file',
      host: 'deploy',
      group: 'config',
      title: 'vars.yml',
      detail: '/root/matrix-deploy/inventory/host_vars/matrix.rampancy.cloud/vars.yml parses as YAML.',
    }),
    check({
      id: 'config:allowlist-own-server',
      host: 'deploy',
      group: 'config',
      title: 'Own server in federation allowlist',
      detail: 'The federation allowlist admits the own server rampancy.cloud.',
    }),
    check({
      id: 'http:well-known-server',
      host: 'public',
      group: 'federation',
      title: 'Federation delegation',
      detail:
        'https://rampancy.cloud/.well-known/matrix/server delegates federation to matrix.rampancy.cloud:443.',
    }),
    check({
      id: 'http:client-versions',
      host: 'public',
      group: 'matrix-tuwunel',
      title: 'Client API',
      detail: 'The client API answers (spec v1.15) in 11 ms.',
    }),
    check({
      id: 'http:federation-version',
      host: 'public',
      group: 'matrix-tuwunel',
      title: 'Federation API and version',
      detail: 'Tuwunel 1.7.0 answers federation requests, as pinned.',
    }),
    check({
      id: 'tls:public',
      host: 'public',
      group: 'tls',
      title: 'TLS certificate of matrix.rampancy.cloud',
      detail: 'The certificate of matrix.rampancy.cloud is valid for 64 days (until 2026-07-24).',
    }),
  ],
};

/** After "Stop the stack": every unit check held for maintenance, with what was measured underneath. */
export const maintenanceStatus: StatusSnapshot = {
  ...greenStatus,
  overall: 'maintenance',
  maintenance: { on: true, since: at(), reason: 'all services stopped' },
  checks: greenStatus.checks.map((c) =>
    /^(unit|container|http):/.test(c.id) && c.group.startsWith('matrix-')
      ? {
          ...c,
          level: 'maintenance',
          underlying: 'fail',
          alert: 'maintenance',
          detail: `Under maintenance (all services stopped); measured fail: ${c.group} is stopped.`,
        }
      : c,
  ),
};

const action = (a: Partial<ActionInfo> & Pick<ActionInfo, 'id' | 'title' | 'group'>): ActionInfo => ({
  description: `${a.title}.`,
  host: 'homeserver',
  danger: 'safe',
  downtime: null,
  readOnly: false,
  requiresAdminToken: false,
  params: [],
  ...a,
});

export const catalog: ActionInfo[] = [
  action({
    id: 'stack.start',
    title: 'Start stack',
    group: 'Stack',
    description: 'Start every matrix-* unit of the profile.',
  }),
  action({
    id: 'tuwunel.restart',
    title: 'Restart Tuwunel',
    group: 'Homeserver',
    danger: 'outage',
    downtime: 'about 10 s of Tuwunel',
  }),
  action({
    id: 'user.make-admin',
    title: 'Make admin',
    group: 'Users',
    danger: 'disruptive',
    downtime: 'about 30 s: Matrix is unavailable while Tuwunel is stopped',
    params: [
      {
        name: 'user',
        label: 'User ID',
        kind: 'text',
        required: true,
        format: 'matrix-user',
        placeholder: '@alice:rampancy.cloud',
        maxLength: 300,
        rules: paramRules.matrixUser('rampancy.cloud'),
      },
    ],
  }),
  action({
    id: 'federation.allow',
    title: 'Allow a server',
    group: 'Federation',
    host: 'deploy',
    danger: 'disruptive',
    downtime: 'a few seconds while changed services restart',
    params: [
      {
        name: 'server',
        label: 'Server name',
        kind: 'text',
        required: true,
        format: 'server-name',
        rules: paramRules.serverName(),
      },
    ],
  }),
  action({
    id: 'logs.follow',
    title: 'Follow logs',
    group: 'Logs',
    readOnly: true,
    params: [
      {
        name: 'unit',
        label: 'Unit',
        kind: 'choice',
        required: true,
        options: [{ value: 'matrix-tuwunel', label: 'matrix-tuwunel' }],
      },
    ],
  }),
];

/** The confirmation the main process issues with a plan that needs one (fixtures: always this one). */
export const CONFIRMATION = 'confirmation-of-the-plan';

export function plan(partial: Partial<Plan> & Pick<Plan, 'actionId'>): Plan {
  return {
    params: {},
    danger: 'safe',
    downtime: null,
    confirm: 'Does it.',
    route: null,
    routeWhy: null,
    steps: [],
    confirmation: partial.danger && partial.danger !== 'safe' ? CONFIRMATION : null,
    ...partial,
  };
}

function step(partial: Partial<RunStep> & Pick<RunStep, 'id' | 'title' | 'state'>): RunStep {
  return {
    phase: 'main',
    kind: 'remote',
    host: 'homeserver',
    sudo: true,
    command: 'true',
    stdin: null,
    timeoutMs: 60_000,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    attempts: 0,
    summary: null,
    error: null,
    ...partial,
  };
}

export function run(partial: Partial<RunState> = {}): RunState {
  return {
    runId: 'run-1',
    actionId: 'user.make-admin',
    title: 'Make admin',
    params: { user: '@bob:rampancy.cloud' },
    danger: 'disruptive',
    route: 'cli',
    state: 'running',
    startedAt: at(),
    endedAt: null,
    steps: [
      step({
        id: 'stop-tuwunel',
        title: 'Stop matrix-tuwunel',
        state: 'ok',
        startedAt: at(),
        endedAt: at(2000),
        exitCode: 0,
        attempts: 1,
        summary: 'matrix-tuwunel stopped.',
      }),
      step({
        id: 'execute',
        title: 'users make-user-admin',
        state: 'running',
        startedAt: at(2000),
        attempts: 1,
      }),
      step({ id: 'start-tuwunel', title: 'Start matrix-tuwunel again', state: 'pending', phase: 'finally' }),
    ],
    sentence: null,
    nextStep: null,
    failingStep: null,
    recap: null,
    diff: null,
    followUps: [],
    ...partial,
  };
}

export const secrets: SecretSlot[] = [
  { kind: 'ssh-key-passphrase', host: 'homeserver', stored: true },
  { kind: 'sudo-password', host: 'homeserver', stored: false },
  { kind: 'ssh-key-passphrase', host: 'deploy', stored: false },
  { kind: 'vault-password', host: null, stored: true },
  { kind: 'matrix-admin-token', host: null, stored: false },
];
