import { readdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { ErrorInfo } from '../errors';
import { ownerAlive, processStartOf } from '../lib/lock-file';
import { readShared, writeShared } from '../lib/shared-file';
import type { HostRole } from '../profile/schema';
import { ROUTES, type Route, type RunState, type STEP_KINDS, type StepState } from '../vocab';
import type { AnsibleSummary } from './ansible-output';
import type { StickyAlert } from './sticky-alerts';
import type { Danger } from './types';

export type { RunState, StepState };
export type StepKind = (typeof STEP_KINDS)[number];

/** One step as a dry run shows it: exactly what will be sent, secrets masked. */
export interface PlannedStep {
  id: string;
  title: string;
  phase: 'main' | 'finally';
  kind: StepKind;
  /** Remote steps: where, and whether through sudo. */
  host: HostRole | null;
  sudo: boolean;
  /** The command line (remote), `GET <url>` (http-wait), `!admin …` (admin-room) or what a local step does. */
  command: string;
  /** What goes to stdin, described (never the content). */
  stdin: string | null;
  timeoutMs: number | null;
}

export interface StepRecord extends PlannedStep {
  state: StepState;
  startedAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  /** Finally steps may take several attempts (fresh connection each). */
  attempts: number;
  /** Redacted; the tail is kept when a step prints a lot. */
  output: string;
  summary: string | null;
  error: ErrorInfo | null;
}

export interface RunRecord {
  id: string;
  actionId: string;
  title: string;
  profile: string;
  params: Record<string, unknown>;
  danger: Danger;
  /** user.* actions: which route was taken. */
  route: Route | null;
  state: RunState;
  /** A sentence a person understands; null while running. */
  sentence: string | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  failingStep: string | null;
  steps: StepRecord[];
  /** Raised by this run (e.g. "matrix-tuwunel is stopped"). */
  alert: StickyAlert | null;
  /** config.apply and friends: the PLAY RECAP per host and the first failed task. */
  ansible: AnsibleSummary | null;
}

export interface RunbookEvents extends Record<string, unknown> {
  'run-started': { run: RunRecord };
  'step-started': { runId: string; step: StepRecord };
  'step-output': { runId: string; stepId: string; stream: 'stdout' | 'stderr' | 'info'; text: string };
  'step-finished': { runId: string; step: StepRecord };
  'run-finished': { run: RunRecord };
  'alert-raised': { alert: StickyAlert };
  'alert-cleared': { profile: string; id: string };
}

// ------------------------------------------------------------------ who set a state, and whether it is gone

/**
 * The run that set a state (a maintenance window, a sticky alert, a run record on disk): its id and action,
 * and its process as the locks name theirs (pid, machine, /proc start time, so a recycled pid does not look
 * alive). A state whose run is gone was left by a process that was killed or crashed mid-run.
 */
export const runOwnerSchema = z.object({
  runId: z.string().min(1),
  actionId: z.string().min(1),
  pid: z.number().int().positive(),
  host: z.string(),
  processStart: z.string().nullable(),
});
export type RunOwner = z.infer<typeof runOwnerSchema>;

/** The runs in progress in this process, over every runbook it holds. */
const liveRuns = new Set<string>();

export function runStarted(runId: string): void {
  liveRuns.add(runId);
}

export function runEnded(runId: string): void {
  liveRuns.delete(runId);
}

/** This process as the owner of a run. */
export function ownerOfRun(runId: string, actionId: string): RunOwner {
  return { runId, actionId, pid: process.pid, host: hostname(), processStart: processStartOf(process.pid) };
}

/**
 * Whether the run is over: in this process, it is no longer running; in another process of this machine,
 * that process has ended. A process on another machine (a data folder on a network share) cannot be
 * checked, and counts as running.
 */
export function runGone(owner: RunOwner): boolean {
  const self = owner.host === hostname() && owner.pid === process.pid;
  if (self && owner.processStart === processStartOf(process.pid)) return !liveRuns.has(owner.runId);
  return !ownerAlive(owner);
}

/**
 * A run in progress as the data folder holds it, so that another process (or this one after a restart)
 * can tell a run that was killed from one that ended: written when it starts, updated at each step,
 * removed when it ends. Never a secret: the parameters are the redacted ones the audit trail gets.
 */
export const activeRunSchema = z.object({
  owner: runOwnerSchema,
  title: z.string(),
  params: z.record(z.string(), z.unknown()),
  route: z.enum(ROUTES).nullable(),
  startedAt: z.string(),
  /** The planned steps, main then finally. */
  steps: z.array(z.object({ id: z.string(), title: z.string(), phase: z.enum(['main', 'finally']) })),
  /** Index in `steps` of the step in progress or last started; -1 before the first. */
  at: z.number().int(),
});
export type ActiveRun = z.infer<typeof activeRunSchema>;

/** The records of runs in progress of one profile: one file per run in `dir`. */
export class ActiveRuns {
  constructor(private readonly dir: string) {}

  private file(runId: string): string {
    return join(this.dir, `${runId.replace(/[^A-Za-z0-9-]/g, '_')}.json`);
  }

  begin(run: ActiveRun): void {
    writeShared(this.file(run.owner.runId), `${JSON.stringify(run)}\n`);
  }

  /** The run reached step `index` of its plan. */
  reached(run: ActiveRun, index: number): void {
    run.at = index;
    this.begin(run);
  }

  end(runId: string): void {
    rmSync(this.file(runId), { force: true });
  }

  /** Every record that reads as one (a file half written by a writer of another kind is skipped). */
  list(): ActiveRun[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith('.json'))
      .flatMap((n) => {
        try {
          const parsed = activeRunSchema.safeParse(JSON.parse(readShared(join(this.dir, n)) ?? 'null'));
          return parsed.success ? [parsed.data] : [];
        } catch {
          return [];
        }
      });
  }
}
