import type { Profile } from '../../core/profile/schema';
import { ROTATION_UNPUSHED_ALERT } from '../../core/runbook/rotation-alerts';
import type { PlannedStep as CorePlannedStep, RunRecord, StepRecord } from '../../core/runbook/run-record';
import type {
  FederationDiff,
  FollowUp,
  ParamValues,
  PlannedStep,
  PlayRecap,
  RunState,
  RunStep,
  RunSummary,
} from './run-schema';

const FEDERATION_ACTIONS = new Set(['federation.allow', 'federation.disallow']);
/** The federation actions' step that prints the allowlist diff. */
const EDIT_STEP = 'edit';

/** Bound parameters as the window shows them: plain values only (the core already masked secrets). */
export function paramValues(params: Record<string, unknown>): ParamValues {
  const out: ParamValues = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    else if (v !== undefined && v !== null) out[k] = String(v);
  }
  return out;
}

/** A step as planned, in a plan and in a run: the core's record without its output and internals. */
export function plannedStep(s: CorePlannedStep): PlannedStep {
  return {
    id: s.id,
    title: s.title,
    phase: s.phase,
    kind: s.kind,
    host: s.host,
    sudo: s.sudo,
    command: s.command,
    stdin: s.stdin,
    timeoutMs: s.timeoutMs,
  };
}

function runStep(s: StepRecord): RunStep {
  return {
    ...plannedStep(s),
    state: s.state,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    exitCode: s.exitCode,
    attempts: s.attempts,
    summary: s.summary,
    error: s.error ? { code: s.error.code, message: s.error.message, nextStep: s.error.nextStep } : null,
  };
}

/** The unified diff the edit step printed, without its `---`/`+++`/`@@` header and the notes around it. */
export function parseAllowlistDiff(output: string, file: string): FederationDiff | null {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => l.startsWith('@@'));
  if (start < 0) return null;
  const body: FederationDiff['lines'] = [];
  for (const line of lines.slice(start + 1)) {
    const op = line.charAt(0);
    if (op !== ' ' && op !== '+' && op !== '-') break;
    body.push({ op, text: line.slice(1) });
  }
  return { file, lines: body };
}

function recap(run: RunRecord): PlayRecap | null {
  if (!run.ansible) return null;
  return {
    rows: run.ansible.recap.map((r) => ({
      host: r.host,
      ok: r.ok,
      changed: r.changed,
      unreachable: r.unreachable,
      failed: r.failed,
      skipped: r.skipped,
      rescued: r.rescued,
      ignored: r.ignored,
    })),
    firstFailedTask: run.ansible.firstFailure?.task ?? null,
    error: run.ansible.error,
  };
}

function followUps(run: RunRecord, actionTitle: (id: string) => string | null): FollowUp[] {
  const alert = run.alert;
  if (!alert) return [];
  if (alert.id === ROTATION_UNPUSHED_ALERT) return [{ kind: 'rollback', label: 'Roll back the vault' }];
  return [
    { kind: 'action', actionId: alert.fixActionId, label: actionTitle(alert.fixActionId) ?? alert.title },
  ];
}

export interface RunViewContext {
  profile: Profile;
  /** The catalog title of an action id (for follow-up buttons). */
  actionTitle(id: string): string | null;
}

export function runState(run: RunRecord, ctx: RunViewContext): RunState {
  const failing = run.failingStep ? run.steps.find((s) => s.id === run.failingStep) : undefined;
  const edit = FEDERATION_ACTIONS.has(run.actionId) ? run.steps.find((s) => s.id === EDIT_STEP) : undefined;
  return {
    runId: run.id,
    actionId: run.actionId,
    title: run.title,
    params: paramValues(run.params),
    danger: run.danger,
    route: run.route,
    state: run.state,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    steps: run.steps.map(runStep),
    sentence: run.sentence,
    nextStep: failing?.error?.nextStep ?? (run.state === 'running' ? null : (run.alert?.message ?? null)),
    failingStep: run.failingStep,
    recap: recap(run),
    diff: edit ? parseAllowlistDiff(edit.output, ctx.profile.deploy.varsFile) : null,
    followUps: followUps(run, ctx.actionTitle),
  };
}

export function runSummary(run: RunRecord): RunSummary {
  return {
    runId: run.id,
    actionId: run.actionId,
    title: run.title,
    state: run.state,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    sentence: run.sentence,
  };
}
