import type { Profile } from '../core/profile/schema';
import type { RemoteExec } from '../core/ssh/types';
import type { HttpGetter } from '../core/status/https-client';
import { formatStatusTable, statusExitCode } from '../core/status/report';
import { StatusScheduler, type StatusSnapshot, schedulerSettings } from '../core/status/scheduler';
import { StatusService } from '../core/status/service';
import { worstLevel } from '../core/status/types';
import { HOST_ROLES, type Level } from '../core/vocab';
import { parseArgs, UsageError } from './args';
import { EXIT, isHostKeyProblem } from './exit-codes';
import { type CliIo, errorText, printError } from './io';

/**
 * `status [--json] [--watch]`: one refresh (or a live view) of the status checks. Exit codes are the CLI's
 * (exit-codes.ts): 0 all ok, 1 any warn or maintenance, 2 any fail or unknown and whenever it could not look
 * (the refresh broke, nothing was measured, or --watch stopped before its first report), 3 when a host key
 * is not trusted yet, changed or revoked, 64 on a usage error. `--watch` ends on Ctrl-C with the last
 * poll's code.
 */

export interface StatusCliDeps {
  profile: Profile;
  /** The SSH pool (the caller disconnects it afterwards). */
  remote: RemoteExec;
  /** The core's scheduler (maintenance windows applied; the caller closes the core). */
  scheduler?: StatusScheduler;
  http?: HttpGetter;
  /** --watch runs until this aborts (the CLI wires SIGINT / SIGTERM to it). */
  stop?: AbortSignal;
  now?: () => number;
}

type StatusIo = Pick<CliIo, 'stdout' | 'stderr' | 'name'>;

/**
 * What to do about each host that could not be polled, in the command line's words, where the table's
 * detail names a place of the window (a secret to store, a key to trust).
 */
function hostAdvice(io: StatusIo, hosts: StatusSnapshot['hosts']): string {
  return HOST_ROLES.flatMap((host) => {
    const error = hosts[host]?.error;
    return error?.fix ? [errorText(io, error)] : [];
  }).join('');
}

type Reported = Pick<StatusSnapshot, 'profile' | 'results' | 'hosts' | 'error'>;

/** One server's exit code and overall level, as `status` and `status --all` say them. */
function outcome(snapshot: Reported): { code: number; overall: Level } {
  const hostKeyRefused = HOST_ROLES.some((h) => isHostKeyProblem(snapshot.hosts[h]?.error?.code ?? ''));
  // A refresh that broke could not look: whatever older results say, that is never OK.
  const couldNotLook = snapshot.error !== undefined || snapshot.results.length === 0;
  return {
    code: hostKeyRefused ? EXIT.hostKey : couldNotLook ? EXIT.fail : statusExitCode(snapshot.results),
    overall: couldNotLook ? 'unknown' : worstLevel(snapshot.results.map((r) => r.level)),
  };
}

function jsonOf(snapshot: Reported) {
  const { code, overall } = outcome(snapshot);
  return {
    profile: snapshot.profile,
    overall,
    exitCode: code,
    results: snapshot.results,
    hosts: snapshot.hosts,
  };
}

function report(io: StatusIo, json: boolean, snapshot: Reported, nowMs: number): number {
  const { code } = outcome(snapshot);
  if (json) {
    io.stdout(`${JSON.stringify(jsonOf(snapshot))}\n`);
  } else {
    io.stdout(formatStatusTable(snapshot.results, nowMs));
  }
  io.stderr(hostAdvice(io, snapshot.hosts));
  return code;
}

export async function statusCommand(args: string[], deps: StatusCliDeps, io: StatusIo): Promise<number> {
  let json: boolean;
  let watching: boolean;
  try {
    const { positional, flags } = parseArgs(args, { flags: ['json', 'watch'] });
    if (positional[0] !== undefined)
      throw new UsageError(
        positional[0],
        'is not an argument of status (it takes --json, --watch and --all)',
      );
    json = flags.has('json');
    watching = flags.has('watch');
  } catch (e) {
    return printError(io, e);
  }
  const now = deps.now ?? Date.now;
  // Without the core's scheduler (and its maintenance windows) a plain one over a service of its own.
  let service: StatusService | null = null;
  let scheduler = deps.scheduler;
  if (!scheduler) {
    service = new StatusService({
      profile: deps.profile,
      remote: deps.remote,
      ...(deps.http ? { http: deps.http } : {}),
      now,
    });
    scheduler = new StatusScheduler(service, schedulerSettings(deps.profile, service.polledHosts));
  }
  try {
    if (!watching) {
      const snapshot = await scheduler.refreshNow();
      if (snapshot.error) io.stderr(errorText(io, snapshot.error));
      return report(io, json, snapshot, now());
    }
    return await watch(scheduler, deps, json, io, now);
  } finally {
    await scheduler.stop();
    service?.close();
  }
}

async function watch(
  scheduler: StatusScheduler,
  deps: StatusCliDeps,
  json: boolean,
  io: StatusIo,
  now: () => number,
): Promise<number> {
  // Stopped before the first report, it has not looked.
  let code: number = EXIT.fail;
  const off = scheduler.subscribe((snapshot, alerts) => {
    if (snapshot.refreshing || (snapshot.refreshedAt === null && !snapshot.error)) return;
    if (!json) io.stdout(`\n${new Date(now()).toISOString()}\n`);
    code = report(io, json, snapshot, now());
    for (const a of alerts) {
      io.stderr(`${a.kind === 'recovered' ? 'RECOVERED' : 'DOWN'}: ${a.check.title} — ${a.check.detail}\n`);
    }
  });
  const stopped = new Promise<void>((resolve) => {
    if (deps.stop?.aborted) resolve();
    deps.stop?.addEventListener('abort', () => resolve(), { once: true });
  });
  scheduler.start();
  await stopped;
  off();
  return code;
}

/** One profile of the data folder, as `status --all` polls it: through its own core, as the window does. */
export interface ServerStatusDeps {
  /** The profile's id in the store (what the window's profileId says). */
  id: string;
  profile: Profile;
  scheduler: StatusScheduler;
}

/** Worst first: a host key to trust is the one thing status cannot look past, then failing, then warning. */
const EXIT_ORDER: readonly number[] = [EXIT.hostKey, EXIT.fail, 1, EXIT.ok];

/**
 * `status --all [--json]`: one refresh of every profile in the data folder, at once, each through its own
 * core (maintenance, sticky alerts and runs by profile uid, as the window and the tray see them). A table
 * per server under a line naming it and its level; with --json one object, `servers` in the store's order.
 * The exit code is the worst server's: 3 before 2 before 1 before 0.
 */
export async function statusAllCommand(
  args: string[],
  servers: readonly ServerStatusDeps[],
  io: StatusIo,
  now: () => number = Date.now,
): Promise<number> {
  let json: boolean;
  try {
    const { positional, flags } = parseArgs(args, { flags: ['json', 'all', 'watch'] });
    if (positional[0] !== undefined)
      throw new UsageError(positional[0], 'is not an argument of status --all (it takes --json)');
    if (flags.has('watch'))
      throw new UsageError('--watch', 'follows one server: give --profile FILE, or leave out --all');
    json = flags.has('json');
  } catch (e) {
    return printError(io, e);
  }
  const snapshots = await Promise.all(servers.map((s) => s.scheduler.refreshNow()));
  const codes = snapshots.map((snapshot) => outcome(snapshot).code);
  const code = EXIT_ORDER.find((c) => codes.includes(c)) ?? EXIT.fail;
  if (json) {
    io.stdout(
      `${JSON.stringify({
        exitCode: code,
        servers: snapshots.map((snapshot, i) => ({
          id: servers[i]?.id,
          serverName: servers[i]?.profile.serverName,
          ...jsonOf(snapshot),
        })),
      })}\n`,
    );
  } else {
    snapshots.forEach((snapshot, i) => {
      const server = servers[i] as ServerStatusDeps;
      const { overall } = outcome(snapshot);
      io.stdout(`${i > 0 ? '\n' : ''}== ${serverTitle(server.profile)}: ${LEVEL_WORD[overall]} ==\n`);
      if (snapshot.error) io.stderr(errorText(io, snapshot.error));
      io.stdout(formatStatusTable(snapshot.results, now()));
    });
  }
  for (const snapshot of snapshots) io.stderr(hostAdvice(io, snapshot.hosts));
  return code;
}

/** The profile's name, and its server name unless the name already says it ("Lab (lab.test)"). */
function serverTitle(profile: Pick<Profile, 'name' | 'serverName'>): string {
  return profile.name.includes(profile.serverName) ? profile.name : `${profile.name} (${profile.serverName})`;
}

const LEVEL_WORD: Record<Level, string> = {
  ok: 'OK',
  maintenance: 'MAINT',
  warn: 'WARN',
  unknown: 'UNKNOWN',
  fail: 'FAIL',
};
