import { describeError, InvalidInput } from '../core/errors';
import type { HostRole, Profile } from '../core/profile/schema';
import type { RemoteExec } from '../core/ssh/types';
import type { HttpGetter } from '../core/status/https-client';
import { formatStatusTable, statusExitCode } from '../core/status/report';
import { StatusScheduler, type StatusSnapshot, schedulerSettings } from '../core/status/scheduler';
import { StatusService } from '../core/status/service';
import { worstLevel } from '../core/status/types';
import { isHostKeyProblem } from './exit-codes';
import { CLI_NAME } from './io';

/**
 * `status [--json] [--watch]`: one refresh (or a live view) of the status checks. Exit code 0 all ok,
 * 1 any warn, 2 any fail or unknown and whenever it could not look (the refresh broke, nothing was
 * measured, or --watch stopped before its first report), 3 when a host key is not trusted yet, changed
 * or revoked (the fingerprint and what to do are printed), 64 on a usage error.
 */

export const STATUS_EXIT = { ok: 0, warn: 1, fail: 2, hostKeyUnknown: 3, usage: 64 } as const;

export interface StatusCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

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

function parse(args: string[]): { json: boolean; watch: boolean } {
  const flags = { json: false, watch: false };
  for (const arg of args) {
    if (arg === '--json') flags.json = true;
    else if (arg === '--watch') flags.watch = true;
    else throw new InvalidInput(arg, 'is not an option of `status` (use --json and/or --watch)');
  }
  return flags;
}

type HostErrors = Partial<Record<HostRole, { error?: { code: string; message: string; nextStep: string } }>>;

function hostKeyProblems(hosts: HostErrors) {
  return (Object.entries(hosts) as [HostRole, HostErrors[HostRole]][]).flatMap(([host, h]) =>
    h?.error && isHostKeyProblem(h.error.code) ? [{ host, ...h.error }] : [],
  );
}

function hostKeyAdvice(k: { host: HostRole; code: string; message: string; nextStep: string }): string {
  if (k.code === 'HostKeyUnknown')
    return `${k.message}\nIf it is the right key, trust it with: ${CLI_NAME} hostkey trust ${k.host}\n`;
  if (k.code === 'HostKeyChanged')
    return `${k.message}\n${k.nextStep}\nOnly then: ${CLI_NAME} hostkey forget ${k.host} and ${CLI_NAME} hostkey trust ${k.host}\n`;
  return `${k.message}\n${k.nextStep}\n`;
}

function report(
  io: StatusCliIo,
  json: boolean,
  snapshot: Pick<StatusSnapshot, 'profile' | 'results' | 'hosts' | 'error'>,
  nowMs: number,
): number {
  const unknownKeys = hostKeyProblems(snapshot.hosts);
  // A refresh that broke could not look: whatever older results say, that is never OK.
  const couldNotLook = snapshot.error !== undefined || snapshot.results.length === 0;
  const code =
    unknownKeys.length > 0
      ? STATUS_EXIT.hostKeyUnknown
      : couldNotLook
        ? STATUS_EXIT.fail
        : statusExitCode(snapshot.results);
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
  for (const k of unknownKeys) io.stderr(hostKeyAdvice(k));
  return code;
}

export async function statusCommand(args: string[], deps: StatusCliDeps, io: StatusCliIo): Promise<number> {
  let flags: { json: boolean; watch: boolean };
  try {
    flags = parse(args);
  } catch (e) {
    const d = describeError(e);
    io.stderr(`${d.message}\n${d.nextStep}\n`);
    return STATUS_EXIT.usage;
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
    if (!flags.watch) {
      const snapshot = await scheduler.refreshNow();
      if (snapshot.error) io.stderr(`${snapshot.error.message}\n${snapshot.error.nextStep}\n`);
      return report(io, flags.json, snapshot, now());
    }
    return await watch(scheduler, deps, flags.json, io, now);
  } finally {
    await scheduler.stop();
    service?.close();
  }
}

async function watch(
  scheduler: StatusScheduler,
  deps: StatusCliDeps,
  json: boolean,
  io: StatusCliIo,
  now: () => number,
): Promise<number> {
  // Stopped before the first report, it has not looked.
  let code: number = STATUS_EXIT.fail;
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
