import type { HostRole } from '../profile/schema';
import type { Route, RunState, STEP_KINDS, StepState } from '../vocab';
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
  error: { code: string; message: string; nextStep: string } | null;
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
