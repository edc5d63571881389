import { releaseOf } from '../matrix/server-facts';
import type { Profile } from '../profile/schema';
import { shellCommand } from '../ssh/quote';
import { answersAs, dockerHealth, hasHealthCheck, SERVER_VERSION_PATH } from '../upgrade/readiness';
import {
  BACKUP_DATABASE,
  type BackupEntry,
  type BackupVerdict,
  canVerifyBackups,
  LIST_BACKUPS,
  readBackupList,
  readBackupReply,
  readVerifyReply,
  VERIFY_BACKUP,
} from '../upgrade/tuwunel-backup';
import { systemctl, TUWUNEL_UNIT, tuwunelExecuteCommand } from './commands';
import { hostLabel } from './host-label';
import { adminCommandRoute } from './route';
import type {
  AdminRoomStep,
  HttpWaitStep,
  PlanContext,
  RemoteOutput,
  RemoteStep,
  RouteChoice,
  Step,
  StepAlert,
  StepContext,
  StepVerdict,
} from './types';

/**
 * Steps about Tuwunel that more than one action needs: an online backup that is listed and verified, by
 * either route, and the wait until a (re)started Tuwunel is ready. "Back up now" (backup-actions.ts) is
 * made of them; the guarded upgrade takes the same backup before it changes anything and the same
 * readiness wait after.
 */

/** One sticky alert, whichever action left Tuwunel down. */
export const TUWUNEL_STOPPED_ALERT = 'tuwunel-stopped';

/** A backup of a large database copies every table file the first time: far longer than a user command. */
const BACKUP_BUDGET_MS = 30 * 60_000;

/** What the backup steps hand on: the backup made, and whether Tuwunel verified it. */
export interface BackupScratch {
  backup: BackupEntry;
  /** How many backups Tuwunel keeps now (after purging beyond database_backups_to_keep). */
  count: number;
  verified: boolean;
  /** CLI mode: when Tuwunel was stopped and when it answered again (epoch ms). */
  stoppedAt: number;
  runningAgainAt: number;
}

type Ctx<P, S extends BackupScratch> = PlanContext<P, S>;

/**
 * How a backup reaches Tuwunel: the admin room with the stored sign-in (Tuwunel's admin API has no backup),
 * else CLI mode on the stopped server, by the same rule as every admin command.
 */
export function backupRoute(ctx: PlanContext<unknown, object>): RouteChoice {
  return adminCommandRoute(ctx, "Tuwunel's admin API has no backup command");
}

const viaAdminRoom = <P, S extends BackupScratch>(ctx: Ctx<P, S>) => backupRoute(ctx).via === 'admin-room';
const viaCli = <P, S extends BackupScratch>(ctx: Ctx<P, S>) => backupRoute(ctx).via === 'cli';

/** The release that runs (as the server says, else the pin) can verify: verify-backup came with 1.8.2. */
const verifiable = <P, S extends BackupScratch>(ctx: Ctx<P, S>) => canVerifyBackups(releaseOf(ctx.server));

export function tuwunelStoppedAlert(profile: Profile, after: string): StepAlert {
  return {
    id: TUWUNEL_STOPPED_ALERT,
    title: 'matrix-tuwunel is stopped',
    message: `After ${after}, matrix-tuwunel could not be confirmed running on ${hostLabel(profile, 'homeserver')}: Matrix is down until it is started.`,
    fixActionId: 'stack.start',
  };
}

function verdictOf<T>(v: BackupVerdict<T>, use: (value: T) => string | undefined): StepVerdict {
  if (!v.ok) return { ok: false, message: `Tuwunel answered: ${v.line}` };
  const summary = use(v.value);
  return summary === undefined ? { ok: true } : { ok: true, summary };
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export function describeBackup(b: BackupEntry): string {
  const mb = b.bytes / 1_000_000;
  const size = mb >= 1000 ? `${(mb / 1000).toFixed(1)} GB` : `${Math.max(1, Math.round(mb))} MB`;
  return `#${b.id} (${stamp(b.at)} UTC, ${size} in ${b.files} files)`;
}

/** The newest entry of the list, which must be new: taken no earlier than this run started. */
function takeNewest<P, S extends BackupScratch>(list: BackupEntry[], ctx: StepContext<P, S>): string | null {
  const newest = list.reduce((a, b) => (b.id > a.id ? b : a));
  // Tuwunel prints whole seconds; the run's start is in ms.
  if (newest.at < Math.floor(ctx.startedAt.getTime() / 1000) * 1000) {
    return `the newest backup, ${describeBackup(newest)}, is older than this run: Tuwunel made none`;
  }
  ctx.scratch.backup = newest;
  return null;
}

/** Backup, list and (from 1.8.2) verify through the admin room: no downtime. */
export function adminRoomBackupSteps<P, S extends BackupScratch>(): AdminRoomStep<P, S>[] {
  const timeoutMs = (ctx: Ctx<P, S>) => Math.max(ctx.settings.adminReplyTimeoutMs, BACKUP_BUDGET_MS);
  return [
    {
      kind: 'admin-room',
      id: 'backup-database',
      title: 'Back up the database (server backup-database)',
      when: viaAdminRoom,
      command: () => BACKUP_DATABASE,
      timeoutMs,
      check: (reply, ctx) =>
        verdictOf(readBackupReply(reply), (v) => {
          ctx.scratch.count = v.count;
          return undefined;
        }),
    },
    {
      kind: 'admin-room',
      id: 'list-backups',
      title: 'List the backups (server list-backups)',
      when: viaAdminRoom,
      command: () => LIST_BACKUPS,
      timeoutMs: (ctx) => ctx.settings.adminReplyTimeoutMs,
      check: (reply, ctx) => {
        const list = readBackupList(reply);
        if (!list.ok) return { ok: false, message: `Tuwunel answered: ${list.line}` };
        const problem = takeNewest(list.value, ctx);
        if (problem) return { ok: false, message: problem };
        return { ok: true, summary: `Newest: ${describeBackup(ctx.scratch.backup as BackupEntry)}.` };
      },
    },
    {
      kind: 'admin-room',
      id: 'verify-backup',
      title: 'Verify the new backup (server verify-backup)',
      when: (ctx) => viaAdminRoom(ctx) && verifiable(ctx),
      command: (ctx) => `${VERIFY_BACKUP}${ctx.scratch.backup ? ` ${ctx.scratch.backup.id}` : ''}`,
      timeoutMs,
      check: (reply, ctx) =>
        verdictOf(readVerifyReply(reply), () => {
          ctx.scratch.verified = true;
          return undefined;
        }),
    },
  ];
}

/**
 * Exit codes of docker itself, not of the container: docker/cli's `runStartContainerErr` returns 125
 * for a daemon error, 126 when the command cannot be invoked, 127 when it is not found (after printing
 * `docker: <error>.`); `timeout` uses the same three when it cannot run docker at all.
 */
const DOCKER_OWN_EXIT_CODES = new Set([125, 126, 127]);

/** docker run's own failure (not the container's), in a sentence; null when docker ran the container. */
export function dockerRunFailure(out: RemoteOutput): string | null {
  if (out.exitCode === null || !DOCKER_OWN_EXIT_CODES.has(out.exitCode)) return null;
  const lines = out.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const said = lines.find((l) => l.startsWith('docker:')) ?? lines.at(-1) ?? 'no error message';
  return `docker run failed (exit ${out.exitCode}): ${said}`;
}

function oneOffFailure(out: RemoteOutput, timeoutSeconds: number): string | null {
  if (out.exitCode === 124)
    return `the one-off container gave no answer within ${timeoutSeconds} s and was stopped`;
  return dockerRunFailure(out);
}

/**
 * CLI mode, for a server without an admin token: stop Tuwunel (it holds the RocksDB lock), back up, list
 * and verify in one one-off container that shuts itself down. Bring Tuwunel back with `startAgainSteps`.
 */
export function cliBackupSteps<P, S extends BackupScratch>(): RemoteStep<P, S>[] {
  const seconds = (ctx: Ctx<P, S>) =>
    Math.max(ctx.settings.cliExecuteTimeoutSeconds, Math.round(BACKUP_BUDGET_MS / 1000));
  const commands = (ctx: Ctx<P, S>) => [
    BACKUP_DATABASE,
    LIST_BACKUPS,
    ...(verifiable(ctx) ? [VERIFY_BACKUP] : []),
  ];
  return [
    {
      kind: 'remote',
      id: 'stop-tuwunel',
      title: 'Stop matrix-tuwunel (it holds the database lock)',
      when: viaCli,
      host: () => 'homeserver',
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
      id: 'backup-one-off',
      title: "Back up, list and verify with Tuwunel's CLI (maintenance mode)",
      when: viaCli,
      host: () => 'homeserver',
      privileged: true,
      command: (ctx) => tuwunelExecuteCommand(ctx.profile, commands(ctx), seconds(ctx)),
      // The remote `timeout` fires first; this only catches a host that stopped answering.
      timeoutMs: (ctx) => (seconds(ctx) + 30) * 1000,
      check: (out, ctx) => {
        const failure = oneOffFailure(out, seconds(ctx));
        if (failure) return { ok: false, message: failure };
        const text = `${out.stdout}\n${out.stderr}`;
        const made = readBackupReply(text);
        if (!made.ok) return { ok: false, message: `Tuwunel answered: ${made.line}` };
        ctx.scratch.count = made.value.count;
        const list = readBackupList(text);
        if (!list.ok) return { ok: false, message: `Tuwunel answered: ${list.line}` };
        const problem = takeNewest(list.value, ctx);
        if (problem) return { ok: false, message: problem };
        if (verifiable(ctx)) {
          const verified = readVerifyReply(text);
          if (!verified.ok) return { ok: false, message: `Tuwunel answered: ${verified.line}` };
          ctx.scratch.verified = true;
        }
        if (out.exitCode !== 0)
          return { ok: false, message: `the one-off container ended with exit code ${out.exitCode}` };
        return { ok: true, summary: `Backup ${describeBackup(ctx.scratch.backup as BackupEntry)}.` };
      },
    },
  ];
}

/**
 * Until Tuwunel answers `/_tuwunel/server_version`: ready, whatever its unit said. (An upgrade that must
 * see the new release answer needs the version in `ready`, which HttpWaitStep does not pass the run's
 * context to yet: `answersAs(status, body, target)` is the check to use then.)
 */
export function serverVersionWait<P, S extends object>(
  extra: Partial<HttpWaitStep<P, S>> = {},
): HttpWaitStep<P, S> {
  return {
    kind: 'http-wait',
    id: 'wait-server-version',
    title: 'Wait until Tuwunel answers its version',
    url: (ctx) => `${ctx.profile.publicUrl}${SERVER_VERSION_PATH}`,
    ready: (status, body) => answersAs(status, body),
    timeoutMs: (ctx) => ctx.settings.tuwunelReadyTimeoutMs,
    ...extra,
  };
}

/** From 1.8.2, until Docker's health check says (healthy); the release is the one that runs, or `target`. */
export function dockerHealthyWait<P, S extends object>(
  target?: (ctx: PlanContext<P, S>) => string,
): RemoteStep<P, S> {
  const version = (ctx: PlanContext<P, S>) => target?.(ctx) ?? releaseOf(ctx.server);
  return {
    kind: 'remote',
    id: 'wait-healthy',
    title: 'Wait until Docker reports matrix-tuwunel (healthy)',
    when: (ctx) => hasHealthCheck(version(ctx)),
    host: () => 'homeserver',
    privileged: true,
    command: () =>
      shellCommand('docker', 'ps', '--filter', `name=${TUWUNEL_UNIT}`, '--format', '{{.Status}}'),
    timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
    poll: (ctx) => ({ everyMs: ctx.settings.pollIntervalMs, forMs: ctx.settings.tuwunelReadyTimeoutMs }),
    check: (out) => {
      const status = out.stdout.trim().split('\n')[0] ?? '';
      const health = dockerHealth(status);
      if (health === 'healthy') return { ok: true, summary: `matrix-tuwunel: ${status}.` };
      return {
        ok: false,
        message: status ? `matrix-tuwunel is ${status}` : 'docker ps shows no matrix-tuwunel container',
      };
    },
  };
}

/**
 * The `finally` of every CLI-mode stop: start matrix-tuwunel, see it active (else the sticky alert), and
 * wait until it answers, so the run ends only with Matrix back or a loud alert.
 */
export function startAgainSteps<P, S extends BackupScratch>(doing: string): Step<P, S>[] {
  return [
    {
      kind: 'remote',
      id: 'start-tuwunel',
      title: 'Start matrix-tuwunel again',
      when: viaCli,
      host: () => 'homeserver',
      privileged: true,
      command: () => systemctl('start', TUWUNEL_UNIT),
      timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
    },
    {
      kind: 'remote',
      id: 'confirm-tuwunel',
      title: 'Confirm matrix-tuwunel is active',
      when: viaCli,
      host: () => 'homeserver',
      privileged: false,
      command: () => systemctl('is-active', TUWUNEL_UNIT),
      timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
      poll: (ctx) => ({ everyMs: ctx.settings.pollIntervalMs, forMs: ctx.settings.tuwunelReadyTimeoutMs }),
      alert: (ctx) => tuwunelStoppedAlert(ctx.profile, doing),
      check: (out, ctx) => {
        if (out.stdout.trim() !== 'active')
          return {
            ok: false,
            message: `${TUWUNEL_UNIT} is ${out.stdout.trim() || 'unknown'} (wanted active)`,
          };
        ctx.scratch.runningAgainAt = Date.now();
        return { ok: true, summary: `${TUWUNEL_UNIT} active.` };
      },
    },
    serverVersionWait<P, S>({
      when: viaCli,
      alert: (ctx) => tuwunelStoppedAlert(ctx.profile, doing),
    }),
  ];
}
