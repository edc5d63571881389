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
  notifications: true,
  launchAtLogin: false,
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

export const greenStatus: StatusSnapshot = {
  profileId: 'rampancy',
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
    check({ id: 'unit:matrix-tuwunel', host: 'homeserver', group: 'Tuwunel', title: 'matrix-tuwunel' }),
    check({
      id: 'version:tuwunel',
      host: 'homeserver',
      group: 'Tuwunel',
      title: 'Image version',
      detail: 'v1.7.0, as pinned.',
    }),
    check({ id: 'unit:matrix-traefik', host: 'homeserver', group: 'Traefik', title: 'matrix-traefik' }),
    check({
      id: 'disk:data',
      host: 'homeserver',
      group: 'Disk',
      title: 'RocksDB data',
      level: 'warn',
      detail: '/matrix/tuwunel/data is 86 % full (warn at 85 %).',
    }),
    check({
      id: 'lint:allowlist',
      host: 'deploy',
      group: 'Config',
      title: 'Federation allowlist',
      detail: 'Own server name is listed.',
    }),
    check({
      id: 'http:federation',
      host: 'public',
      group: 'Federation',
      title: 'Federation version',
      detail: 'Tuwunel 1.7.0 answers.',
    }),
  ],
};

export const maintenanceStatus: StatusSnapshot = {
  ...greenStatus,
  overall: 'maintenance',
  maintenance: {
    on: true,
    since: at(),
    reason: 'The stack was stopped for maintenance from Homeserver Tray.',
  },
  checks: greenStatus.checks.map((c) =>
    c.host === 'homeserver' && c.group !== 'Disk'
      ? {
          ...c,
          level: 'maintenance',
          underlying: 'fail',
          alert: 'maintenance',
          detail: 'Stopped for maintenance.',
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

export function plan(partial: Partial<Plan> & Pick<Plan, 'actionId'>): Plan {
  return {
    params: {},
    danger: 'safe',
    downtime: null,
    confirm: 'Does it.',
    route: null,
    steps: [],
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
