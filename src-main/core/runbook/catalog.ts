import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  COMMAND_FAILED,
  deactivateUserCommand,
  makeUserAdminCommand,
  type ReplyVerdict,
  readAnyReply,
  readDeactivateReply,
  readMakeUserAdminReply,
} from '../matrix/tuwunel-admin';
import type { HostRole } from '../profile/schema';
import {
  FILE_CHANGED_EXIT,
  inDeployDir,
  journalFollowCommand,
  readWithHashCommand,
  stackRestartCommand,
  stopAllCommand,
  systemctl,
  TUWUNEL_UNIT,
  tuwunelExecuteCommand,
  varsFilePath,
  writeIfUnchangedCommand,
} from './commands';
import { RemoteFileChanged } from './errors';
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
import { configApplyStep, deployHost, playbookAction, playbookStep } from './playbook-steps';
import {
  type AnyAction,
  defineAction,
  type HttpWaitStep,
  type NoScratch,
  type PlanContext,
  type RemoteOutput,
  type RemoteStep,
  type Step,
  type StepAlert,
  type StepContext,
  type StepVerdict,
} from './types';

const homeserver = (): HostRole => 'homeserver';

/** `1 unit`, `9 units`. */
const unitCount = (n: number): string => `${n} ${n === 1 ? 'unit' : 'units'}`;

export const TUWUNEL_STOPPED_ALERT = 'tuwunel-stopped';

function tuwunelStoppedAlert(ctx: PlanContext<unknown>, after: string): StepAlert {
  return {
    id: TUWUNEL_STOPPED_ALERT,
    title: 'matrix-tuwunel is stopped',
    message: `After ${after}, matrix-tuwunel could not be confirmed running on ${hostLabel(ctx.profile, 'homeserver')}: Matrix is down until it is started.`,
    fixActionId: 'stack.start',
  };
}

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
const stackStop = defineAction<Record<string, never>, StopScratch>({
  id: 'stack.stop',
  title: 'Stop the stack (maintenance)',
  description:
    "Stops every matrix-* service on the homeserver (sudo systemctl stop 'matrix-*') and turns maintenance mode on: alerts about them stay quiet until the stack is started again. If the stop does not complete while every unit still runs, maintenance mode goes off again.",
  group: 'Stack',
  host: 'homeserver',
  danger: () => 'outage',
  downtime: () => 'Until you start the stack again: Matrix is down for everyone.',
  params: z.object({}).strict(),
  confirm: (ctx) =>
    `Stop all matrix-* services on ${hostLabel(ctx.profile, 'homeserver')}: Matrix is down for everyone until you run "Start the stack". Alerts about them are suppressed meanwhile.`,
  locks: () => ['homeserver'],
  steps: [
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
          reason: 'Maintenance stop (stack.stop)',
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
        ctx.scratch.left = `Maintenance mode stays on, because ${which}: alerts about the units stay quiet until "Start the stack"`;
        return {
          ok: true,
          summary: `${down.length} of ${ctx.profile.units.length} units ${down.length === 1 ? 'is' : 'are'} not active; maintenance mode stays on.`,
        };
      },
    },
  ],
  success: (ctx) =>
    `The stack is stopped (${unitCount(ctx.profile.units.length)}) and maintenance mode is on; run "Start the stack" to bring Matrix back.`,
  interrupted: { actsFrom: 'stop-all', units: (profile) => profile.units, fix: 'stack.start' },
  leftBehind: (ctx) =>
    ctx.scratch.left ??
    (ctx.maintenance.modeActive
      ? 'Maintenance mode stays on, because the units could not be checked: alerts about them stay quiet until "Start the stack"'
      : null),
});

const stackStart = defineAction<Record<string, never>>({
  id: 'stack.start',
  title: 'Start the stack',
  description:
    'Starts every unit of the profile on the homeserver, waits until they are active, then turns maintenance mode off.',
  group: 'Stack',
  host: 'homeserver',
  danger: () => 'safe',
  downtime: () => 'None: it starts what is stopped.',
  params: z.object({}).strict(),
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
      alert: (ctx) => ({ ...tuwunelStoppedAlert(ctx, 'starting the stack'), raise: false }),
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
    'Restarts every Matrix service from the deploy host with the playbook (ansible-playbook … --tags=start), then waits until Tuwunel answers.',
  group: 'Stack',
  downtime: 'About a minute while the services restart.',
  confirm: (ctx) =>
    `Restart all Matrix services with the playbook from ${hostLabel(ctx.profile, ctx.profile.deploy.host)}: Matrix is unavailable for about a minute.`,
  maintenance: { units: 'all', reason: 'Restarting all services (stack.restart)' },
  steps: [
    playbookStep({
      id: 'playbook-start',
      title: 'Restart the services',
      tags: 'start',
      command: (ctx) => stackRestartCommand(ctx.profile),
    }),
    federationVersionWait({
      alert: (ctx) => ({ ...tuwunelStoppedAlert(ctx, 'restarting the services'), raise: false }),
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
    'Restarts matrix-tuwunel on the homeserver (sudo systemctl restart matrix-tuwunel) and waits until its federation version endpoint answers again.',
  group: 'Homeserver',
  host: 'homeserver',
  danger: () => 'disruptive',
  downtime: () => 'A few seconds while Tuwunel restarts.',
  params: z.object({}).strict(),
  confirm: (ctx) =>
    `Restart matrix-tuwunel on ${hostLabel(ctx.profile, 'homeserver')}: Matrix is unavailable for a few seconds.`,
  locks: () => ['homeserver'],
  maintenanceWindow: () => ({ units: [TUWUNEL_UNIT], reason: 'Restarting Tuwunel (tuwunel.restart)' }),
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
      alert: (ctx) => ({ ...tuwunelStoppedAlert(ctx, 'restarting Tuwunel'), raise: false }),
    }),
  ],
  finally: [],
  success: () => 'Tuwunel was restarted and answers again.',
  interrupted: { actsFrom: 'restart', units: () => [TUWUNEL_UNIT], fix: 'stack.start' },
});

// ---------------------------------------------------------------- Deploy

const configApply = playbookAction({
  id: 'config.apply',
  title: 'Apply the configuration',
  description:
    'Runs the playbook with --tags=install-all,start on the deploy host (set -o pipefail, output also saved with tee to a timestamped log), streaming its output, and reports the PLAY RECAP and the first failed task.',
  group: 'Deploy',
  downtime: 'Services whose configuration changed restart (seconds each).',
  confirm: (ctx) =>
    `Apply the configuration from ${hostLabel(ctx.profile, ctx.profile.deploy.host)} (install-all,start): services whose configuration changed restart.`,
  maintenance: { units: 'all', reason: 'Applying the configuration (config.apply)' },
  steps: [configApplyStep({ id: 'playbook-install-all' })],
  success: 'The configuration was applied.',
  interrupted: { left: 'the configuration may be only partly applied', fix: 'config.apply' },
});

const deployUpdate = defineAction<Record<string, never>>({
  id: 'deploy.update',
  title: 'Update the playbook and roles',
  description:
    'The runbook\'s "pull latest spantaleev + roles": git pull in the playbook checkout, remove roles/galaxy, and install the roles again with ansible-galaxy. Nothing on the homeserver changes until the configuration is applied.',
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

interface UserCommandSpec<P> {
  command: (ctx: PlanContext<P>) => string;
  read: (text: string, userId: string) => ReplyVerdict;
  user: (ctx: PlanContext<P>) => string;
  /** For the alert, e.g. "making @bob admin". */
  doing: (ctx: PlanContext<P>) => string;
}

/**
 * Exit codes of docker itself, not of the container: docker/cli's `runStartContainerErr` returns 125
 * for a daemon error, 126 when the command cannot be invoked, 127 when it is not found (after printing
 * `docker: <error>.`); `timeout` uses the same three when it cannot run docker at all.
 */
const DOCKER_OWN_EXIT_CODES = new Set([125, 126, 127]);

function dockerRunFailure(out: RemoteOutput): string | null {
  if (out.exitCode === null || !DOCKER_OWN_EXIT_CODES.has(out.exitCode)) return null;
  const lines = out.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const said = lines.find((l) => l.startsWith('docker:')) ?? lines.at(-1) ?? 'no error message';
  return `docker run failed (exit ${out.exitCode}): ${said}`;
}

function replyVerdict(v: ReplyVerdict): StepVerdict {
  return v.ok ? { ok: true, summary: v.line } : { ok: false, message: `Tuwunel answered: ${v.line}` };
}

/**
 * The two routes of the runbook's user commands: the admin room when a token is stored, else CLI
 * mode — stop Tuwunel (it holds the RocksDB lock), run the command in a one-off container, and start
 * Tuwunel again in `finally`, confirmed with is-active.
 */
/** When CLI mode stopped Tuwunel and when it ran again, for the sentence (epoch ms). */
interface UserCommandScratch {
  stoppedAt: number;
  runningAgainAt: number;
}

function userCommandSteps<P>(spec: UserCommandSpec<P>): {
  steps: Step<P, UserCommandScratch>[];
  finally: Step<P, UserCommandScratch>[];
} {
  const cli = (ctx: PlanContext<P, UserCommandScratch>) => !ctx.adminRoom;
  return {
    steps: [
      {
        kind: 'admin-room',
        id: 'admin-room',
        title: 'Send the command to the admin room',
        when: (ctx) => ctx.adminRoom,
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
        // Once Tuwunel has answered, waiting for `timeout` only prolongs the downtime.
        stopWhen: (line, ctx) => spec.read(line, spec.user(ctx)).ok || line.includes(COMMAND_FAILED),
        check: (out, ctx) => {
          const v = spec.read(`${out.stdout}\n${out.stderr}`, spec.user(ctx));
          if (out.stoppedEarly)
            ctx.print(
              'Tuwunel answered, so its one-off container was stopped instead of waiting for the timeout.',
            );
          if (v.ok) return { ok: true, summary: v.line };
          const docker = dockerRunFailure(out);
          if (docker) return { ok: false, message: docker };
          if (out.exitCode === 124) {
            return {
              ok: false,
              message: `Tuwunel's CLI gave no answer within ${ctx.settings.cliExecuteTimeoutSeconds} s and was stopped (timeout)`,
            };
          }
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
        alert: (ctx) => ({ ...tuwunelStoppedAlert(ctx, spec.doing(ctx)), clear: false }),
      },
      unitsSettle('confirm-tuwunel', 'Confirm matrix-tuwunel is active', 'active', () => [TUWUNEL_UNIT], {
        when: cli,
        alert: (ctx) => tuwunelStoppedAlert(ctx, spec.doing(ctx)),
        check: (out, ctx) => {
          const v = unitsIn('active', [TUWUNEL_UNIT], out);
          if (v.ok) ctx.scratch.runningAgainAt = Date.now();
          return v;
        },
      }),
    ],
  };
}

function downtimeNote(ctx: StepContext<unknown, UserCommandScratch>): string {
  if (ctx.adminRoom) return 'through the admin room, no downtime';
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
};

const userMakeAdmin = defineAction<UserParams, UserCommandScratch>({
  id: 'user.make-admin',
  title: 'Make a user server admin',
  description:
    "Grants a local user server-admin rights: through the admin room when a Matrix admin token is stored (no downtime), otherwise with Tuwunel's CLI as in the runbook (Tuwunel stopped for about 30 s, always started again).",
  group: 'Users',
  host: 'homeserver',
  danger: (ctx) => (ctx.adminRoom ? 'disruptive' : 'outage'),
  downtime: (ctx) =>
    ctx.adminRoom
      ? 'None (admin room).'
      : 'About 30 s: Tuwunel must stop to release its database lock (CLI mode).',
  params: z.object({ user: userParam }).strict(),
  bind: (p, profile) => ({ user: bindLocalUser('user', p.user, profile) }),
  confirm: (ctx) =>
    ctx.adminRoom
      ? `Grant ${ctx.params.user} server-admin rights on ${ctx.profile.serverName} (through the admin room; no downtime).`
      : `Stop matrix-tuwunel on ${hostLabel(ctx.profile, 'homeserver')}, grant ${ctx.params.user} server-admin rights with Tuwunel's CLI, then start it again: Matrix is unavailable for about 30 s.`,
  locks: () => ['homeserver'],
  maintenanceWindow: (ctx) =>
    ctx.adminRoom ? null : { units: [TUWUNEL_UNIT], reason: `Making ${ctx.params.user} an admin (CLI mode)` },
  ...userCommandSteps(makeAdminSpec),
  success: (ctx) => `${ctx.params.user} is now a server admin (${downtimeNote(ctx)}).`,
  interrupted: CLI_MODE_INTERRUPTED,
});

interface DeactivateParams {
  user: string;
  leaveRooms: boolean;
}

const userDeactivate = defineAction<DeactivateParams, UserCommandScratch>({
  id: 'user.deactivate',
  title: 'Deactivate a user',
  description:
    'Deactivates a local user (permanent). By default they leave all rooms; leaveRooms=false keeps them as ghosts (--no-leave-rooms). Through the admin room when a Matrix admin token is stored, otherwise CLI mode as in the runbook.',
  group: 'Users',
  host: 'homeserver',
  danger: (ctx) => (ctx.adminRoom ? 'disruptive' : 'outage'),
  downtime: (ctx) =>
    ctx.adminRoom
      ? 'None (admin room).'
      : 'About 30 s: Tuwunel must stop to release its database lock (CLI mode).',
  params: z
    .object({
      user: userParam,
      leaveRooms: flagParam(true).describe('Remove the user from all rooms (default true)'),
    })
    .strict(),
  bind: (p, profile) => ({ user: bindLocalUser('user', p.user, profile), leaveRooms: p.leaveRooms }),
  confirm: (ctx) =>
    `Deactivate ${ctx.params.user} permanently (cannot be undone)${ctx.params.leaveRooms ? ' and remove them from all their rooms' : ', keeping them in their rooms as a ghost'}${ctx.adminRoom ? ' (through the admin room; no downtime)' : `; Tuwunel on ${hostLabel(ctx.profile, 'homeserver')} stops for about 30 s (CLI mode)`}.`,
  locks: () => ['homeserver'],
  maintenanceWindow: (ctx) =>
    ctx.adminRoom ? null : { units: [TUWUNEL_UNIT], reason: `Deactivating ${ctx.params.user} (CLI mode)` },
  ...userCommandSteps<DeactivateParams>({
    command: (ctx) => deactivateUserCommand(ctx.params.user, ctx.params.leaveRooms),
    read: readDeactivateReply,
    user: (ctx) => ctx.params.user,
    doing: (ctx) => `deactivating ${ctx.params.user}`,
  }),
  success: (ctx) => `${ctx.params.user} is deactivated (${downtimeNote(ctx)}).`,
  interrupted: CLI_MODE_INTERRUPTED,
});

// ---------------------------------------------------------------- Federation

interface ServerParams {
  server: string;
}

/** vars.yml as read (and its hash), the edited text to write back, and what the edit did. */
interface FederationScratch {
  text: string;
  sha256: string;
  newText: string;
  message: string;
}

function federationAction(op: AllowlistOp): AnyAction {
  return defineAction<ServerParams, FederationScratch>({
    id: `federation.${op}`,
    title: op === 'allow' ? 'Allow a federation peer' : 'Disallow a federation peer',
    description:
      op === 'allow'
        ? 'Adds a server to matrix_tuwunel_config_allowed_remote_server_names in vars.yml on the deploy host (as an anchored regex, ^chat\\.example\\.org$, keeping comments and order), shows the diff, then applies the configuration.'
        : 'Removes a server from matrix_tuwunel_config_allowed_remote_server_names in vars.yml on the deploy host (never your own server: runbook lesson #1), shows the diff, then applies the configuration.',
    group: 'Federation',
    host: 'deploy',
    danger: () => 'disruptive',
    downtime: () => 'Tuwunel restarts when the configuration is applied (seconds).',
    params: z.object({ server: serverNameParam }).strict(),
    confirm: (ctx) =>
      op === 'allow'
        ? `Add ${serverRegex(ctx.params.server)} to the federation allowlist in ${ctx.profile.deploy.varsFile} on ${hostLabel(ctx.profile, ctx.profile.deploy.host)}, then apply the configuration (install-all,start), which restarts Tuwunel.`
        : `Remove ${ctx.params.server} from the federation allowlist in ${ctx.profile.deploy.varsFile} on ${hostLabel(ctx.profile, ctx.profile.deploy.host)}, then apply the configuration (install-all,start), which restarts Tuwunel.`,
    locks: (ctx) => [ctx.profile.deploy.host, 'homeserver'],
    maintenanceWindow: () => ({ units: 'all', reason: `Applying a federation ${op} (federation.${op})` }),
    steps: [
      {
        kind: 'remote',
        id: 'read-vars',
        title: 'Read vars.yml',
        host: deployHost,
        privileged: true,
        quiet: true,
        command: (ctx) => readWithHashCommand(varsFilePath(ctx.profile)),
        timeoutMs: (ctx) => ctx.settings.fileCommandTimeoutMs,
        check: (out, ctx) => {
          if (out.exitCode !== 0) {
            return {
              ok: false,
              message: `could not read ${varsFilePath(ctx.profile)}: ${out.stderr.trim().split('\n').at(-1) ?? `exit code ${out.exitCode}`}`,
            };
          }
          const nl = out.stdout.indexOf('\n');
          const remoteHash = out.stdout.slice(0, nl).split(' ')[0] ?? '';
          const text = out.stdout.slice(nl + 1);
          const localHash = createHash('sha256').update(text, 'utf8').digest('hex');
          if (!/^[0-9a-f]{64}$/.test(remoteHash) || remoteHash !== localHash) {
            return {
              ok: false,
              message: `${varsFilePath(ctx.profile)} could not be read consistently (it changed while being read, or is not UTF-8 text)`,
            };
          }
          ctx.scratch.text = text;
          ctx.scratch.sha256 = remoteHash;
          const lines = text.split('\n').length - 1;
          return { ok: true, summary: `Read ${lines} ${lines === 1 ? 'line' : 'lines'}.` };
        },
      },
      {
        kind: 'local',
        id: 'edit',
        title: op === 'allow' ? 'Add the server to the allowlist' : 'Remove the server from the allowlist',
        describe: (ctx) =>
          op === 'allow'
            ? `Append '${serverRegex(ctx.params.server)}' to matrix_tuwunel_config_allowed_remote_server_names (YAML-aware, comments and order kept) and show the diff.`
            : `Remove the entry for ${ctx.params.server} from matrix_tuwunel_config_allowed_remote_server_names (refused for ${ctx.profile.serverName}) and show the diff.`,
        run: (ctx) => {
          const edit = editAllowlist(
            ctx.scratch.text ?? '',
            op,
            ctx.params.server,
            ctx.profile.serverName,
            ctx.profile.deploy.varsFile,
          );
          for (const w of edit.warnings) ctx.print(`Note: ${w}`);
          if (!edit.changed) return { ok: true, summary: edit.message, finish: edit.message };
          for (const line of edit.diff.trimEnd().split('\n')) ctx.print(line);
          ctx.scratch.newText = edit.text;
          ctx.scratch.message = edit.message;
          return { ok: true, summary: edit.message };
        },
      },
      {
        kind: 'remote',
        id: 'write-vars',
        title: 'Write vars.yml (only if unchanged since read)',
        host: deployHost,
        privileged: true,
        command: (ctx) =>
          writeIfUnchangedCommand(
            varsFilePath(ctx.profile),
            ctx.scratch.sha256 ?? '<sha256 of vars.yml as read>',
          ),
        stdin: {
          describe: 'the edited vars.yml',
          content: (ctx) => ctx.scratch.newText ?? '',
        },
        timeoutMs: (ctx) => ctx.settings.fileCommandTimeoutMs,
        check: (out, ctx) => {
          if (out.exitCode === 0) return { ok: true, summary: `${ctx.profile.deploy.varsFile} written.` };
          if (out.exitCode === FILE_CHANGED_EXIT) {
            const error = new RemoteFileChanged(varsFilePath(ctx.profile));
            return { ok: false, message: error.message, error };
          }
          return {
            ok: false,
            message: `writing failed: ${out.stderr.trim().split('\n').at(-1) ?? `exit code ${out.exitCode}`}`,
          };
        },
      },
      configApplyStep<ServerParams>({ id: 'playbook-install-all' }),
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
  title: 'Follow a service log',
  description: 'Streams journalctl -fu <unit> from the homeserver until you stop it. Read-only.',
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

const adminCommand = defineAction<AdminCommandParams>({
  id: 'admin.command',
  title: 'Run an admin command',
  description:
    'Sends any !admin command to the admin room and shows the bot\'s reply. "rooms list" is refused (it hung the server in the runbook); "server shutdown" and "server restart" need confirmation.',
  group: 'Admin',
  host: 'homeserver',
  danger: (ctx) => (bindAdminCommand(ctx.params.command).outage ? 'outage' : 'safe'),
  downtime: (ctx) => bindAdminCommand(ctx.params.command).outage ?? 'None.',
  params: z.object({ command: adminCommandParam }).strict(),
  bind: (p) => ({ command: bindAdminCommand(p.command).command }),
  confirm: (ctx) =>
    bindAdminCommand(ctx.params.command).outage ?? `Send "!admin ${ctx.params.command}" to the admin room.`,
  locks: (ctx) => (bindAdminCommand(ctx.params.command).outage ? ['homeserver'] : []),
  requiresAdminToken: true,
  steps: [
    {
      kind: 'admin-room',
      id: 'admin-room',
      title: 'Send the command to the admin room',
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
