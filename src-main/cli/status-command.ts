import type { Profile } from '../core/profile/schema';
import type { RemoteExec } from '../core/ssh/types';
import type { HttpGetter } from '../core/status/https-client';
import { formatStatusTable, statusExitCode } from '../core/status/report';
import { StatusScheduler, type StatusSnapshot, schedulerSettings } from '../core/status/scheduler';
import { StatusService } from '../core/status/service';
import { worstLevel } from '../core/status/types';
import { HOST_ROLES } from '../core/vocab';
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

function report(
  io: StatusIo,
  json: boolean,
  snapshot: Pick<StatusSnapshot, 'profile' | 'results' | 'hosts' | 'error'>,
  nowMs: number,
): number {
  const hostKeyRefused = HOST_ROLES.some((h) => isHostKeyProblem(snapshot.hosts[h]?.error?.code ?? ''));
  // A refresh that broke could not look: whatever older results say, that is never OK.
  const couldNotLook = snapshot.error !== undefined || snapshot.results.length === 0;
  const code = hostKeyRefused ? EXIT.hostKey : couldNotLook ? EXIT.fail : statusExitCode(snapshot.results);
  if (json) {
    io.stdout(
      `${JSON.stringify({
        profile: snapshot.profile,
        overall: couldNotLook ? 'unknown' : worstLevel(snapshot.results.map((r) => r.level)),
        exitCode: code,
        results: snapshot.results,
        hosts: snapshot.hosts,
      })}\n`,
    );
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
      throw new UsageError(positional[0], 'is not an argument of status (it takes --json and --watch)');
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
