import { z } from 'zod';
import { matrixError, userPath } from '../matrix/admin-api';
import { checkAdminCommand } from '../matrix/admin-grammar';
import { releaseOf } from '../matrix/server-facts';
import {
  deactivateUserCommand,
  makeUserAdminCommand,
  type ReplyVerdict,
  readAnyReply,
  readDeactivateReply,
  readMakeUserAdminReply,
} from '../matrix/tuwunel-admin';
import type { HostRole } from '../profile/schema';
import { backText, beforeStopText, type NotifyParams, noticeStep, notifyParam } from './announce';
import { tuwunelBackup } from './backup-actions';
import {
  inDeployDir,
  journalFollowCommand,
  stackRestartCommand,
  stopAllCommand,
  systemctl,
  TUWUNEL_UNIT,
  tuwunelExecuteCommand,
} from './commands';
import { ActionRefused } from './errors';
import { type AllowlistOp, editAllowlist, serverRegex } from './federation-edit';
import { hostLabel } from './host-label';
import { MAINTENANCE_MODE_KEY } from './maintenance';
import {
  adminCommandParam,
  bindAdminCommand,
  bindLocalUser,
  bindProfileUnit,
  flagParam,
  serverNameParam,
  unitParam,
  userParam,
} from './params';
import {
  configApplyStep,
  deployHost,
  lintForApply,
  type PreflightScratch,
  playbookAction,
  playbookStep,
  preflightStep,
  readDeployVars,
  warningsNote,
  writeVarsStep,
} from './playbook-steps';
import { adminCommandRoute } from './route';
import {
  dockerRunFailure,
  serverVersionWait,
  TUWUNEL_STOPPED_ALERT,
  tuwunelStoppedAlert,
} from './tuwunel-steps';
import {
  type AdminApiOutput,
  type AdminApiStep,
  type AnyAction,
  defineAction,
  type HttpWaitStep,
  type NoScratch,
  type PlanContext,
  type RemoteOutput,
  type RemoteStep,
  type RouteChoice,
  type Step,
  type StepContext,
  type StepVerdict,
} from './types';
import { tuwunelUpgrade } from './upgrade-action';

const homeserver = (): HostRole => 'homeserver';

/** `1 unit`, `9 units`. */
const unitCount = (n: number): string => `${n} ${n === 1 ? 'unit' : 'units'}`;

export { TUWUNEL_STOPPED_ALERT };

/** Every unit `systemctl is-active` listed is in the wanted state (one line per unit, in order). */
function unitsIn(want: 'active' | 'stopped', units: string[], out: RemoteOutput): StepVerdict {
  const states = out.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim());
  const wrong = units
    .map((u, i) => ({ unit: u, state: states[i] ?? 'unknown' }))
    .filter(({ state }) =>
      want === 'active'
        ? state !== 'active'
        : ['active', 'activating', 'deactivating', 'reloading'].includes(state),
    );
  if (wrong.length === 0) {
    return {
      ok: true,
      summary: `${units.length === 1 ? units[0] : `All ${units.length} units`} ${want === 'active' ? 'active' : 'stopped'}.`,
    };
  }
  return {
    ok: false,
    message: `${wrong.map((w) => `${w.unit} is ${w.state}`).join(', ')} (wanted ${want === 'active' ? 'active' : 'stopped'})`,
  };
}

function unitsSettle<P, S extends object = NoScratch>(
  id: string,
  title: string,
  want: 'active' | 'stopped',
  units: (ctx: PlanContext<P, S>) => string[],
  extra: Partial<RemoteStep<P, S>> = {},
): RemoteStep<P, S> {
  return {
    kind: 'remote',
    id,
    title,
    host: homeserver,
    privileged: false,
    command: (ctx) => systemctl('is-active', ...units(ctx)),
    timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
    poll: (ctx) => ({
      everyMs: ctx.settings.pollIntervalMs,
      forMs:
        units(ctx).includes(TUWUNEL_UNIT) && units(ctx).length === 1
          ? ctx.settings.tuwunelReadyTimeoutMs
          : ctx.settings.unitsSettleTimeoutMs,
    }),
    check: (out, ctx) => unitsIn(want, units(ctx), out),
    ...extra,
  };
}

function federationVersionWait<P, S extends object = NoScratch>(
  extra: Partial<HttpWaitStep<P, S>> = {},
): HttpWaitStep<P, S> {
  return {
    kind: 'http-wait',
    id: 'wait-federation',
    title: 'Wait until Tuwunel answers again',
    url: (ctx) => `${ctx.profile.publicUrl}/_matrix/federation/v1/version`,
    ready: (status, body) => {
      if (status !== 200) return false;
      try {
        return typeof (JSON.parse(body) as { server?: { name?: unknown } }).server?.name === 'string';
      } catch {
        return false;
      }
    },
    timeoutMs: (ctx) => ctx.settings.tuwunelReadyTimeoutMs,
    ...extra,
  };
}

// ---------------------------------------------------------------- Stack

/** What stack.stop's steps learn for its clean-up and its sentence. */
interface StopScratch {
  /** confirm-stopped passed: the stop is complete, maintenance mode stays as asked. */
  stopped: boolean;
  /** What the clean-up did with maintenance mode, and why. */
  left: string;
}

/**
 * A stop that never completed leaves maintenance mode on for units that may all still run, and every
 * alert about them would stay quiet: the clean-up looks, and leaves maintenance mode only if all run.
 */
const stackStop = defineAction<NotifyParams, StopScratch>({
  id: 'stack.stop',
  title: 'Stop everything for maintenance',
  description:
    "Stops all Matrix services and turns on maintenance mode: nobody can use Matrix and you get no alerts about them until you start them again. If the stop doesn't finish, maintenance mode goes off again.",
  group: 'Stack',
  host: 'homeserver',
  danger: () => 'outage',
  downtime: () => 'Until you start it again: Matrix is down for everyone.',
  params: z.object({ notify: notifyParam }).strict(),
  confirm: (ctx) =>
    `Stop all matrix-* services on ${hostLabel(ctx.profile, 'homeserver')}: Matrix is down for everyone until you run "Start all services". Alerts about them are suppressed meanwhile.`,
  locks: () => ['homeserver'],
  steps: [
    noticeStep<NotifyParams, StopScratch>({
      id: 'notice-before',
      title: 'Tell everyone (server notice)',
      version: (ctx) => releaseOf(ctx.server),
      text: (ctx) =>
        beforeStopText(ctx, 'every Matrix service stops for maintenance', 'until the admin starts it again'),
    }),
    {
      kind: 'local',
      id: 'maintenance-on',
      title: 'Turn maintenance mode on',
      describe: () =>
        'Maintenance mode on: alerts about the matrix-* units are suppressed until stack.start.',
      run: (ctx) => {
        ctx.maintenance.enter({
          key: MAINTENANCE_MODE_KEY,
          units: 'all',
          reason: 'all services stopped',
          persistent: true,
        });
        return { ok: true, summary: 'Maintenance mode is on.' };
      },
    },
    {
      kind: 'remote',
      id: 'stop-all',
      title: 'Stop all matrix-* units',
      host: homeserver,
      privileged: true,
      command: () => stopAllCommand(),
      timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
    },
    unitsSettle('confirm-stopped', 'Confirm the units are stopped', 'stopped', (ctx) => ctx.profile.units, {
      check: (out, ctx) => {
        const v = unitsIn('stopped', ctx.profile.units, out);
        if (v.ok) ctx.scratch.stopped = true;
        return v;
      },
    }),
  ],
  finally: [
    {
      kind: 'remote',
      id: 'maintenance-off-if-running',
      title: 'Leave maintenance mode if the units still run',
      host: homeserver,
      privileged: false,
      needless: (ctx) => (ctx.scratch.stopped ? 'The units are stopped; maintenance mode stays on.' : null),
      command: (ctx) => systemctl('is-active', ...ctx.profile.units),
      timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
      check: (out, ctx) => {
        const states = out.stdout.trim().split('\n');
        if (states.length !== ctx.profile.units.length)
          return {
            ok: false,
            message: `systemctl is-active did not give the state of every unit (exit code ${out.exitCode})`,
          };
        const down = ctx.profile.units.filter((_, i) => states[i]?.trim() !== 'active');
        if (down.length === 0) {
          const was = ctx.maintenance.leave(MAINTENANCE_MODE_KEY);
          ctx.scratch.left = `Every unit is still active, so maintenance mode is ${was ? 'off again' : 'off'} and alerts about them are on`;
          return {
            ok: true,
            summary: `Every unit is still active: maintenance mode is ${was ? 'off again' : 'off'}.`,
          };
        }
        const which =
          down.length > 1 && down.length === ctx.profile.units.length
            ? `none of the ${down.length} units is active`
            : `${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} not active`;
        ctx.scratch.left = `Maintenance mode stays on, because ${which}: alerts about the units stay quiet until "Start all services"`;
        return {
          ok: true,
          summary: `${down.length} of ${ctx.profile.units.length} units ${down.length === 1 ? 'is' : 'are'} not active; maintenance mode stays on.`,
        };
      },
    },
  ],
  success: (ctx) =>
    `The stack is stopped (${unitCount(ctx.profile.units.length)}) and maintenance mode is on; run "Start all services" to bring Matrix back.`,
  interrupted: { actsFrom: 'stop-all', units: (profile) => profile.units, fix: 'stack.start' },
  leftBehind: (ctx) =>
    ctx.scratch.left ??
    (ctx.maintenance.modeActive
      ? 'Maintenance mode stays on, because the units could not be checked: alerts about them stay quiet until "Start all services"'
      : null),
});

const stackStart = defineAction<NotifyParams>({
  id: 'stack.start',
  title: 'Start all services',
  description: 'Starts every Matrix service, waits until each one runs, then ends maintenance mode.',
  group: 'Stack',
  host: 'homeserver',
  danger: () => 'safe',
  downtime: () => 'None: it starts what is stopped.',
  params: z.object({ notify: notifyParam }).strict(),
  confirm: (ctx) =>
    `Start ${unitCount(ctx.profile.units.length)} on ${hostLabel(ctx.profile, 'homeserver')}.`,
  locks: () => ['homeserver'],
  steps: [
    {
      kind: 'remote',
      id: 'start-units',
      title: 'Start the units',
      host: homeserver,
      privileged: true,
      command: (ctx) => systemctl('start', ...ctx.profile.units),
      timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
    },
    unitsSettle('confirm-active', 'Wait until every unit is active', 'active', (ctx) => ctx.profile.units, {
      alert: (ctx) => ({ ...tuwunelStoppedAlert(ctx.profile, 'starting the stack'), raise: false }),
    }),
    {
      kind: 'local',
      id: 'maintenance-off',
      title: 'Turn maintenance mode off',
      describe: () => 'Maintenance mode off: alerts are back on.',
      run: (ctx) => {
        ctx.maintenance.leave(MAINTENANCE_MODE_KEY);
        return { ok: true, summary: 'Maintenance mode is off.' };
      },
    },
    serverVersionWait<NotifyParams, NoScratch>({ when: (ctx) => ctx.params.notify }),
    noticeStep<NotifyParams, NoScratch>({
      id: 'notice-back',
      title: 'Tell everyone it is back (server notice)',
      version: (ctx) => releaseOf(ctx.server),
      text: (ctx) => backText(ctx, 'every service runs again'),
    }),
  ],
  finally: [
    {
      kind: 'local',
      id: 'maintenance-off-anyway',
      title: 'Make sure maintenance mode is off',
      describe: () =>
        'If the start failed, maintenance mode goes off anyway, so alerts show what is still down.',
      run: (ctx) => {
        const was = ctx.maintenance.leave(MAINTENANCE_MODE_KEY);
        return {
          ok: true,
          summary: was
            ? 'Maintenance mode is off; alerts show what is still down.'
            : 'Maintenance mode was already off.',
        };
      },
    },
  ],
  success: (ctx) =>
    ctx.profile.units.length === 1
      ? `${ctx.profile.units[0]} is active and maintenance mode is off.`
      : `All ${ctx.profile.units.length} units are active and maintenance mode is off.`,
  interrupted: {
    actsFrom: 'start-units',
    units: (profile) => profile.units,
    endsMaintenance: true,
    fix: 'stack.start',
  },
});

const stackRestart = playbookAction({
  id: 'stack.restart',
  title: 'Restart all services',
  description:
    'Restarts every Matrix service and waits until Tuwunel answers again. Matrix is unavailable for about a minute.',
  group: 'Stack',
  downtime: 'About a minute while the services restart.',
  confirm: (ctx) =>
    `Restart all Matrix services with the playbook from ${hostLabel(ctx.profile, ctx.profile.deploy.host)}: Matrix is unavailable for about a minute.`,
  maintenance: { units: 'all', reason: 'restarting all services' },
  steps: [
    playbookStep({
      id: 'playbook-start',
      title: 'Restart the services',
      tags: 'start',
      command: (ctx) => stackRestartCommand(ctx.profile),
    }),
    federationVersionWait({
      alert: (ctx) => ({ ...tuwunelStoppedAlert(ctx.profile, 'restarting the services'), raise: false }),
    }),
  ],
  success: 'All services were restarted and Tuwunel answers again.',
  interrupted: { units: (profile) => profile.units, fix: 'stack.start' },
});

// ---------------------------------------------------------------- Homeserver

const tuwunelRestart = defineAction<Record<string, never>>({
  id: 'tuwunel.restart',
  title: 'Restart Tuwunel',
  description:
    'Restarts the Matrix server itself and waits until it answers. People may notice a pause of a few seconds.',
  group: 'Homeserver',
  host: 'homeserver',
  danger: () => 'disruptive',
  downtime: () => 'A few seconds while Tuwunel restarts.',
  params: z.object({}).strict(),
  confirm: (ctx) =>
    `Restart matrix-tuwunel on ${hostLabel(ctx.profile, 'homeserver')}: Matrix is unavailable for a few seconds.`,
  locks: () => ['homeserver'],
  maintenanceWindow: () => ({ units: [TUWUNEL_UNIT], reason: 'restarting Tuwunel' }),
  steps: [
    {
      kind: 'remote',
      id: 'restart',
      title: 'Restart matrix-tuwunel',
      host: homeserver,
      privileged: true,
      command: () => systemctl('restart', TUWUNEL_UNIT),
      timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
    },
    federationVersionWait({
      alert: (ctx) => ({ ...tuwunelStoppedAlert(ctx.profile, 'restarting Tuwunel'), raise: false }),
    }),
  ],
  finally: [],
  success: () => 'Tuwunel was restarted and answers again.',
  interrupted: { actsFrom: 'restart', units: () => [TUWUNEL_UNIT], fix: 'stack.start' },
});

// ---------------------------------------------------------------- Deploy

const configApply = playbookAction({
  id: 'config.apply',
  title: 'Apply configuration changes',
  description:
    'Makes the server match your settings (vars.yml). Services whose settings changed restart for a few seconds each; you see the progress and a summary.',
  group: 'Deploy',
  downtime: 'Services whose settings changed restart for a few seconds each.',
  confirm: (ctx) =>
    `Apply the configuration from ${hostLabel(ctx.profile, ctx.profile.deploy.host)} (install-all,start): services whose configuration changed restart.`,
  maintenance: { units: 'all', reason: 'applying the configuration' },
  deploysVars: true,
  notice: {
    why: 'a configuration change is being applied and the services it touches restart',
    howLong: 'for a minute or two',
    back: 'the new configuration is applied',
  },
  steps: [configApplyStep({ id: 'playbook-install-all' })],
  success: 'The configuration was applied.',
  interrupted: { left: 'the configuration may be only partly applied', fix: 'config.apply' },
});

const deployUpdate = defineAction<Record<string, never>>({
  id: 'deploy.update',
  title: 'Update the playbook',
  description:
    'Fetches the newest playbook and its roles onto the deploy machine. Nothing on the server changes until you apply the configuration.',
  group: 'Deploy',
  host: 'deploy',
  danger: () => 'safe',
  downtime: () => 'None.',
  params: z.object({}).strict(),
  confirm: (ctx) =>
    `Update the playbook checkout ${ctx.profile.deploy.dir} on ${hostLabel(ctx.profile, ctx.profile.deploy.host)} and reinstall its roles.`,
  locks: (ctx) => [ctx.profile.deploy.host],
  steps: [
    {
      kind: 'remote',
      id: 'git-pull',
      title: 'Pull the playbook (git pull)',
      host: deployHost,
      privileged: true,
      command: (ctx) => inDeployDir(ctx.profile, 'git', 'pull'),
      timeoutMs: (ctx) => ctx.settings.deployCommandTimeoutMs,
    },
    {
      kind: 'remote',
      id: 'remove-galaxy-roles',
      title: 'Remove roles/galaxy',
      host: deployHost,
      privileged: true,
      command: (ctx) => inDeployDir(ctx.profile, 'rm', '-rf', 'roles/galaxy'),
      timeoutMs: (ctx) => ctx.settings.fileCommandTimeoutMs,
    },
    {
      kind: 'remote',
      id: 'galaxy-install',
      title: 'Install the roles (ansible-galaxy install)',
      host: deployHost,
      privileged: true,
      command: (ctx) =>
        inDeployDir(
          ctx.profile,
          'ansible-galaxy',
          'install',
          '-r',
          'requirements.yml',
          '-p',
          'roles/galaxy/',
          '--force',
        ),
      timeoutMs: (ctx) => ctx.settings.deployCommandTimeoutMs,
    },
  ],
  finally: [],
  success: () => 'The playbook and its roles are up to date; apply the configuration to roll them out.',
  interrupted: {
    left: 'the playbook checkout or its roles (roles/galaxy) may be only partly updated',
    fix: 'deploy.update',
  },
});

// ---------------------------------------------------------------- Users

/** The Tuwunel service account (the admin bot): src/service/globals `server_user`. */
function serverUser(profile: { serverName: string }): string {
  return `@conduit:${profile.serverName}`;
}

interface UserCommandSpec<P> {
  /** The admin command (admin room and CLI mode alike). */
  command: (ctx: PlanContext<P, UserCommandScratch>) => string;
  read: (text: string, userId: string) => ReplyVerdict;
  user: (ctx: PlanContext<P, UserCommandScratch>) => string;
  /** For the alert, e.g. "making @bob admin". */
  doing: (ctx: PlanContext<P, UserCommandScratch>) => string;
  /** The same through the admin API (run when the plan chose it)… */
  apiSteps: AdminApiStep<P, UserCommandScratch>[];
  /** …unless the API cannot do what is asked: why not (the end of a sentence). */
  apiCannot?: (ctx: PlanContext<P, UserCommandScratch>) => string | null;
}

function replyVerdict(v: ReplyVerdict): StepVerdict {
  return v.ok ? { ok: true, summary: v.line } : { ok: false, message: `Tuwunel answered: ${v.line}` };
}

/** When CLI mode stopped Tuwunel and when it ran again, for the sentence (epoch ms). */
interface UserCommandScratch {
  stoppedAt: number;
  runningAgainAt: number;
}

/** The user, read from the admin API's answer (`GET /_synapse/admin/v2/users/{id}`, get_details.rs). */
const userDetailsSchema = z.object({ admin: z.boolean().optional(), deactivated: z.boolean().optional() });

function apiFailure(out: AdminApiOutput, what: string): StepVerdict {
  const { errcode, error } = matrixError(out.json);
  return {
    ok: false,
    message: `the admin API answered ${out.status}${errcode ? ` ${errcode}` : ''}${error ? ` (${error})` : ''} to ${what}`,
  };
}

function userRouteOf<P>(spec: UserCommandSpec<P>) {
  return (ctx: PlanContext<P, UserCommandScratch>): RouteChoice =>
    adminCommandRoute(ctx, spec.apiCannot?.(ctx) ?? null);
}

/**
 * The three routes' steps; each route's steps run only when the plan chose it. CLI mode stops Tuwunel (it
 * holds the RocksDB lock), runs the command in a one-off container that ends by itself, and starts Tuwunel
 * again in `finally`, confirmed with is-active.
 */
function userCommandSteps<P>(spec: UserCommandSpec<P>): {
  steps: Step<P, UserCommandScratch>[];
  finally: Step<P, UserCommandScratch>[];
} {
  const route = userRouteOf(spec);
  const via = (r: RouteChoice['via']) => (ctx: PlanContext<P, UserCommandScratch>) => route(ctx).via === r;
  const cli = via('cli');
  return {
    steps: [
      ...spec.apiSteps.map((s) => ({ ...s, when: via('admin-api') })),
      {
        kind: 'admin-room',
        id: 'admin-room',
        title: 'Send the command to the admin room',
        when: via('admin-room'),
        command: spec.command,
        timeoutMs: (ctx) => ctx.settings.adminReplyTimeoutMs,
        check: (reply, ctx) => replyVerdict(spec.read(reply, spec.user(ctx))),
      },
      {
        kind: 'remote',
        id: 'stop-tuwunel',
        title: 'Stop matrix-tuwunel (it holds the database lock)',
        when: cli,
        host: homeserver,
        privileged: true,
        command: () => systemctl('stop', TUWUNEL_UNIT),
        timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
        check: (out, ctx) => {
          ctx.scratch.stoppedAt = Date.now();
          return out.exitCode === 0
            ? { ok: true }
            : { ok: false, message: `systemctl stop exited with code ${out.exitCode}` };
        },
      },
      {
        kind: 'remote',
        id: 'execute',
        title: "Run the command with Tuwunel's CLI",
        when: cli,
        host: homeserver,
        privileged: true,
        command: (ctx) =>
          tuwunelExecuteCommand(ctx.profile, spec.command(ctx), ctx.settings.cliExecuteTimeoutSeconds),
        // The remote `timeout` fires first; this only catches a host that stopped answering.
        timeoutMs: (ctx) => (ctx.settings.cliExecuteTimeoutSeconds + 30) * 1000,
        check: (out, ctx) => {
          const v = spec.read(`${out.stdout}\n${out.stderr}`, spec.user(ctx));
          if (out.exitCode === 124)
            return {
              ok: false,
              message: `Tuwunel's CLI did not end within ${ctx.settings.cliExecuteTimeoutSeconds} s and was stopped (timeout)${v.ok ? `, after answering: ${v.line}` : ''}`,
            };
          if (v.ok) return { ok: true, summary: v.line };
          const docker = dockerRunFailure(out);
          if (docker) return { ok: false, message: docker };
          return {
            ok: false,
            message: `Tuwunel answered: ${v.line}${out.exitCode ? ` (exit code ${out.exitCode})` : ''}`,
          };
        },
      },
    ],
    finally: [
      {
        kind: 'remote',
        id: 'start-tuwunel',
        title: 'Start matrix-tuwunel again',
        when: cli,
        host: homeserver,
        privileged: true,
        command: () => systemctl('start', TUWUNEL_UNIT),
        timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
        // A failed start is told at once (the runner raises it while it retries); only the confirm clears it.
        alert: (ctx) => ({ ...tuwunelStoppedAlert(ctx.profile, spec.doing(ctx)), clear: false }),
      },
      unitsSettle('confirm-tuwunel', 'Confirm matrix-tuwunel is active', 'active', () => [TUWUNEL_UNIT], {
        when: cli,
        alert: (ctx) => tuwunelStoppedAlert(ctx.profile, spec.doing(ctx)),
        check: (out, ctx) => {
          const v = unitsIn('active', [TUWUNEL_UNIT], out);
          if (v.ok) ctx.scratch.runningAgainAt = Date.now();
          return v;
        },
      }),
    ],
  };
}

const ROUTE_DOWNTIME: Record<RouteChoice['via'], string> = {
  'admin-api': 'None, through the admin API.',
  'admin-room': 'None, through the admin room.',
  cli: 'About 30 seconds while Tuwunel is stopped for the command.',
};

function downtimeNote(ctx: StepContext<unknown, UserCommandScratch>, via: RouteChoice['via']): string {
  if (via === 'admin-api') return 'through the admin API, no downtime';
  if (via === 'admin-room') return 'through the admin room, no downtime';
  const { stoppedAt, runningAgainAt } = ctx.scratch;
  const seconds =
    stoppedAt && runningAgainAt ? Math.max(1, Math.round((runningAgainAt - stoppedAt) / 1000)) : null;
  return `CLI mode; Tuwunel was stopped${seconds ? ` for ${seconds} s` : ''} and is running again`;
}

/** A CLI-mode command stops Tuwunel first; through the admin room nothing stops (that route has no such step). */
const CLI_MODE_INTERRUPTED = { actsFrom: 'stop-tuwunel', units: () => [TUWUNEL_UNIT], fix: 'stack.start' };

interface UserParams {
  user: string;
}

const makeAdminSpec: UserCommandSpec<UserParams> = {
  command: (ctx) => makeUserAdminCommand(ctx.params.user),
  read: readMakeUserAdminReply,
  user: (ctx) => ctx.params.user,
  doing: (ctx) => `making ${ctx.params.user} an admin`,
  apiSteps: [
    {
      kind: 'admin-api',
      id: 'look-up-user',
      title: 'Look the user up (admin API)',
      method: 'GET',
      path: (ctx) => `/v2/users/${userPath(ctx.params.user)}`,
      timeoutMs: (ctx) => ctx.settings.adminReplyTimeoutMs,
      // PUT /v2/users/{id} creates a missing user: only someone who exists is made admin.
      check: (out, ctx) => {
        if (out.status === 404)
          return { ok: false, message: `there is no user ${ctx.params.user} on this server` };
        const user = userDetailsSchema.safeParse(out.json);
        if (out.status !== 200 || !user.success) return apiFailure(out, `looking up ${ctx.params.user}`);
        if (user.data.deactivated)
          return { ok: false, message: `${ctx.params.user} is deactivated and cannot be made an admin` };
        if (user.data.admin) {
          const already = `${ctx.params.user} already is a server admin.`;
          return { ok: true, summary: already, finish: `${already} Nothing was changed.` };
        }
        return { ok: true, summary: `${ctx.params.user} exists and is not an admin yet.` };
      },
    },
    {
      kind: 'admin-api',
      id: 'grant-admin',
      title: 'Grant admin rights (admin API)',
      method: 'PUT',
      path: (ctx) => `/v2/users/${userPath(ctx.params.user)}`,
      json: () => ({ admin: true }),
      timeoutMs: (ctx) => ctx.settings.adminReplyTimeoutMs,
      check: (out, ctx) => {
        const user = userDetailsSchema.safeParse(out.json);
        if (out.status === 200 && user.success && user.data.admin)
          return { ok: true, summary: `${ctx.params.user} has been granted admin privileges.` };
        return apiFailure(out, `making ${ctx.params.user} an admin`);
      },
    },
  ],
};

const userMakeAdmin = defineAction<UserParams, UserCommandScratch>({
  id: 'user.make-admin',
  title: 'Make someone a server admin',
  description:
    'Gives a person on your server admin rights. With the admin sign-in stored it goes through the admin API or the admin room with no downtime; otherwise Tuwunel stops for about 30 seconds and is always started again.',
  group: 'Users',
  host: 'homeserver',
  asksServer: true,
  route: userRouteOf(makeAdminSpec),
  danger: (ctx) => (userRouteOf(makeAdminSpec)(ctx).via === 'cli' ? 'outage' : 'disruptive'),
  downtime: (ctx) => ROUTE_DOWNTIME[userRouteOf(makeAdminSpec)(ctx).via],
  params: z.object({ user: userParam }).strict(),
  bind: (p, profile) => ({ user: bindLocalUser('user', p.user, profile) }),
  confirm: (ctx) =>
    userRouteOf(makeAdminSpec)(ctx).via === 'cli'
      ? `Stop Tuwunel on ${hostLabel(ctx.profile, 'homeserver')}, make ${ctx.params.user} a server admin with Tuwunel's CLI, then start it again: Matrix is down for about 30 seconds.`
      : `Make ${ctx.params.user} a server admin on ${ctx.profile.serverName} (${ROUTE_DOWNTIME[userRouteOf(makeAdminSpec)(ctx).via].replace(/\.$/, '').toLowerCase()}).`,
  locks: () => ['homeserver'],
  maintenanceWindow: (ctx) =>
    userRouteOf(makeAdminSpec)(ctx).via === 'cli'
      ? { units: [TUWUNEL_UNIT], reason: `making ${ctx.params.user} an admin, with Tuwunel stopped` }
      : null,
  ...userCommandSteps(makeAdminSpec),
  success: (ctx) =>
    `${ctx.params.user} is now a server admin (${downtimeNote(ctx, userRouteOf(makeAdminSpec)(ctx).via)}).`,
  interrupted: CLI_MODE_INTERRUPTED,
});

interface DeactivateParams {
  user: string;
  leaveRooms: boolean;
}

const deactivateSpec: UserCommandSpec<DeactivateParams> = {
  command: (ctx) => deactivateUserCommand(ctx.params.user, ctx.params.leaveRooms),
  read: readDeactivateReply,
  user: (ctx) => ctx.params.user,
  doing: (ctx) => `deactivating ${ctx.params.user}`,
  // POST /v1/deactivate is `users deactivate --no-leave-rooms` (deactivate_account.rs): it cannot take them out.
  apiCannot: (ctx) => (ctx.params.leaveRooms ? 'the admin API cannot take someone out of their rooms' : null),
  apiSteps: [
    {
      kind: 'admin-api',
      id: 'deactivate',
      title: 'Deactivate the account (admin API)',
      method: 'POST',
      path: (ctx) => `/v1/deactivate/${userPath(ctx.params.user)}`,
      json: () => ({ erase: false }),
      timeoutMs: (ctx) => ctx.settings.adminReplyTimeoutMs,
      check: (out, ctx) => {
        if (out.status === 200) return { ok: true, summary: `User ${ctx.params.user} has been deactivated` };
        if (out.status === 404)
          return { ok: false, message: `there is no user ${ctx.params.user} on this server` };
        return apiFailure(out, `deactivating ${ctx.params.user}`);
      },
    },
  ],
};

const userDeactivate = defineAction<DeactivateParams, UserCommandScratch>({
  id: 'user.deactivate',
  title: "Close someone's account",
  description:
    'Deactivates an account for good: they can no longer sign in. Cannot be undone. With the admin sign-in stored there is no downtime; otherwise Tuwunel stops for about 30 seconds and is always started again.',
  group: 'Users',
  host: 'homeserver',
  asksServer: true,
  route: userRouteOf(deactivateSpec),
  danger: (ctx) => (userRouteOf(deactivateSpec)(ctx).via === 'cli' ? 'outage' : 'disruptive'),
  downtime: (ctx) => ROUTE_DOWNTIME[userRouteOf(deactivateSpec)(ctx).via],
  params: z
    .object({
      user: userParam,
      leaveRooms: flagParam(true).describe("If unticked they stay listed in their rooms but can't write"),
    })
    .strict(),
  bind: (p, profile) => {
    const user = bindLocalUser('user', p.user, profile);
    if (user === serverUser(profile))
      throw new ActionRefused(
        `${user} is Tuwunel's own service account (the admin bot); deactivating it would break the admin room.`,
        'Pick the account of a person.',
      );
    return { user, leaveRooms: p.leaveRooms };
  },
  confirm: (ctx) => {
    const via = userRouteOf(deactivateSpec)(ctx).via;
    return `Close ${ctx.params.user}'s account for good (cannot be undone)${ctx.params.leaveRooms ? ' and remove them from all their rooms' : ', leaving them listed in their rooms'}${via === 'cli' ? `; Tuwunel on ${hostLabel(ctx.profile, 'homeserver')} stops for about 30 seconds` : ` (${ROUTE_DOWNTIME[via].replace(/\.$/, '').toLowerCase()})`}.`;
  },
  locks: () => ['homeserver'],
  maintenanceWindow: (ctx) =>
    userRouteOf(deactivateSpec)(ctx).via === 'cli'
      ? { units: [TUWUNEL_UNIT], reason: `deactivating ${ctx.params.user}, with Tuwunel stopped` }
      : null,
  ...userCommandSteps(deactivateSpec),
  success: (ctx) =>
    `${ctx.params.user} is deactivated (${downtimeNote(ctx, userRouteOf(deactivateSpec)(ctx).via)}).`,
  interrupted: CLI_MODE_INTERRUPTED,
});

// ---------------------------------------------------------------- Federation

interface ServerParams {
  server: string;
}

/**
 * What the look before the plan found: vars.yml as read (its hash, for the write-if-unchanged), the edited
 * text, the diff and notes the plan shows, and the lint of the edited text (what the apply deploys). When the
 * edit changes nothing, `unchanged` says so and the run ends there.
 */
interface FederationScratch extends PreflightScratch {
  sha256: string;
  newText: string;
  message: string;
  diff: string;
  notes: string[];
  unchanged: string;
}

function federationAction(op: AllowlistOp): AnyAction {
  const changes = (ctx: PlanContext<ServerParams, FederationScratch>) => ctx.scratch.unchanged === undefined;
  return defineAction<ServerParams, FederationScratch>({
    id: `federation.${op}`,
    title: op === 'allow' ? 'Let another server talk to yours' : 'Stop talking to another server',
    description:
      op === 'allow'
        ? 'Adds a Matrix server to the servers yours federates with, shows you the change, then applies it (Tuwunel restarts for a few seconds).'
        : 'Removes a Matrix server from the servers yours federates with, shows you the change, then applies it (Tuwunel restarts for a few seconds). Your own server can never be removed.',
    group: 'Federation',
    host: 'deploy',
    asksServer: true,
    danger: () => 'disruptive',
    downtime: () => 'A few seconds while Tuwunel restarts with the new configuration.',
    params: z.object({ server: serverNameParam }).strict(),
    // The edit and its lint, before the plan: the plan shows the diff, and a refused edit never runs.
    inspect: async (ctx, io) => {
      const read = await readDeployVars(ctx, io);
      const edit = editAllowlist(
        read.text,
        op,
        ctx.params.server,
        ctx.profile.serverName,
        ctx.profile.deploy.varsFile,
      );
      if (!edit.changed) return { sha256: read.sha256, unchanged: edit.message, notes: edit.warnings };
      return {
        sha256: read.sha256,
        newText: edit.text,
        message: edit.message,
        diff: edit.diff,
        notes: edit.warnings,
        vars: lintForApply(edit.text, ctx, edit.parsed),
      };
    },
    confirm: (ctx) =>
      `${
        op === 'allow'
          ? `Add ${serverRegex(ctx.params.server)} to the federation allowlist in ${ctx.profile.deploy.varsFile} on ${hostLabel(ctx.profile, ctx.profile.deploy.host)}`
          : `Remove ${ctx.params.server} from the federation allowlist in ${ctx.profile.deploy.varsFile} on ${hostLabel(ctx.profile, ctx.profile.deploy.host)}`
      }, then apply the configuration (install-all,start), which restarts Tuwunel.${warningsNote(ctx)}`,
    locks: (ctx) => [ctx.profile.deploy.host, 'homeserver'],
    maintenanceWindow: () => ({ units: 'all', reason: 'applying the federation allowlist change' }),
    steps: [
      {
        kind: 'local',
        id: 'edit',
        title: op === 'allow' ? 'Add the server to the allowlist' : 'Remove the server from the allowlist',
        describe: (ctx) => {
          if (ctx.scratch.unchanged !== undefined) return `${ctx.scratch.unchanged} Nothing to do.`;
          if (ctx.scratch.diff !== undefined)
            return `${ctx.scratch.message} The change (comments and order kept):\n${ctx.scratch.diff.trimEnd()}`;
          return op === 'allow'
            ? `Append '${serverRegex(ctx.params.server)}' to matrix_tuwunel_config_allowed_remote_server_names (YAML-aware, comments and order kept) and show the diff.`
            : `Remove the entry for ${ctx.params.server} from matrix_tuwunel_config_allowed_remote_server_names (refused for ${ctx.profile.serverName}) and show the diff.`;
        },
        run: (ctx) => {
          for (const w of ctx.scratch.notes ?? []) ctx.print(`Note: ${w}`);
          if (ctx.scratch.unchanged !== undefined)
            return { ok: true, summary: ctx.scratch.unchanged, finish: ctx.scratch.unchanged };
          for (const line of (ctx.scratch.diff ?? '').trimEnd().split('\n')) ctx.print(line);
          return { ok: true, summary: ctx.scratch.message ?? 'The allowlist was edited.' };
        },
      },
      preflightStep<ServerParams, FederationScratch>(changes),
      {
        ...writeVarsStep<ServerParams, FederationScratch>({
          id: 'write-vars',
          title: 'Write vars.yml (only if unchanged since read)',
          readSha256: (ctx) => ctx.scratch.sha256,
          content: (ctx) => ctx.scratch.newText ?? '',
        }),
        when: changes,
      },
      configApplyStep<ServerParams, FederationScratch>({ id: 'playbook-install-all', when: changes }),
    ],
    finally: [],
    success: (ctx) => `${ctx.scratch.message ?? 'The allowlist was edited.'} The configuration was applied.`,
    interrupted: {
      actsFrom: 'write-vars',
      left: `vars.yml may hold the change without it being applied`,
      fix: 'config.apply',
    },
  });
}

// ---------------------------------------------------------------- Logs and admin commands

interface UnitParams {
  unit: string;
}

const logsFollow = defineAction<UnitParams>({
  id: 'logs.follow',
  title: "Watch a service's log",
  description: "Shows a service's log live. Changes nothing.",
  group: 'Logs',
  host: 'homeserver',
  danger: () => 'safe',
  downtime: () => 'None.',
  params: z.object({ unit: unitParam.default(TUWUNEL_UNIT) }).strict(),
  bind: (p, profile) => ({ unit: bindProfileUnit('unit', p.unit, profile) }),
  confirm: (ctx) => `Follow the log of ${ctx.params.unit} on ${hostLabel(ctx.profile, 'homeserver')}.`,
  locks: () => [],
  readOnly: true,
  steps: [
    {
      kind: 'remote',
      id: 'follow',
      title: 'Follow the log',
      host: homeserver,
      privileged: true,
      command: (ctx) => journalFollowCommand(ctx.params.unit),
      timeoutMs: (ctx) => ctx.settings.logsFollowMaxMs,
    },
  ],
  finally: [],
  success: (ctx) => `The log of ${ctx.params.unit} ended.`,
  cancelled: (ctx) => `Stopped following the log of ${ctx.params.unit}.`,
});

interface AdminCommandParams {
  command: string;
}

/** The command as the running release reads it (its guards were applied when the parameters were bound). */
const adminCheck = (ctx: PlanContext<AdminCommandParams>) =>
  checkAdminCommand(ctx.params.command, releaseOf(ctx.server));

const adminCommand = defineAction<AdminCommandParams>({
  id: 'admin.command',
  title: 'Send an admin command',
  description:
    "Sends a command to Tuwunel's admin room and shows the reply. Commands that could hang or stop the server are refused or ask first.",
  group: 'Admin',
  host: 'homeserver',
  asksServer: true,
  danger: (ctx) => (adminCheck(ctx).outage ? 'outage' : 'safe'),
  downtime: (ctx) => adminCheck(ctx).outage ?? 'None.',
  params: z.object({ command: adminCommandParam }).strict(),
  bind: (p, _profile, server) => ({ command: bindAdminCommand(p.command, releaseOf(server)).command }),
  confirm: (ctx) => adminCheck(ctx).outage ?? `Send "!admin ${ctx.params.command}" to the admin room.`,
  locks: (ctx) => (adminCheck(ctx).outage ? ['homeserver'] : []),
  requiresAdminToken: true,
  steps: [
    {
      kind: 'local',
      id: 'known-stub',
      title: 'A command Tuwunel has disabled',
      when: (ctx) => adminCheck(ctx).stub !== undefined,
      describe: (ctx) => adminCheck(ctx).stub ?? '',
      run: (ctx) => {
        const stub = adminCheck(ctx).stub ?? '';
        return { ok: true, summary: stub, finish: stub };
      },
    },
    {
      kind: 'admin-room',
      id: 'admin-room',
      title: 'Send the command to the admin room',
      when: (ctx) => adminCheck(ctx).stub === undefined,
      command: (ctx) => ctx.params.command,
      timeoutMs: (ctx) => ctx.settings.adminReplyTimeoutMs,
      check: (reply) => {
        const v = readAnyReply(reply);
        return v.ok ? { ok: true, summary: v.line } : { ok: false, message: `Tuwunel answered: ${v.line}` };
      },
    },
  ],
  finally: [],
  success: (ctx) => `The admin bot answered "!admin ${ctx.params.command}".`,
  // "server restart" and "server shutdown" take Tuwunel down; systemd starts it again (Restart=always).
  interrupted: { units: () => [TUWUNEL_UNIT], fix: 'stack.start' },
});

/** The runbook as data. Ids are part of the interface (CLI, IPC, tray menu). */
export const CATALOG: readonly AnyAction[] = [
  stackStop,
  stackStart,
  stackRestart,
  tuwunelRestart,
  tuwunelBackup,
  tuwunelUpgrade,
  configApply,
  deployUpdate,
  userMakeAdmin,
  userDeactivate,
  federationAction('allow'),
  federationAction('disallow'),
  logsFollow,
  adminCommand,
];

export function findAction(id: string, catalog: readonly AnyAction[] = CATALOG): AnyAction | undefined {
  return catalog.find((a) => a.id === id);
}
