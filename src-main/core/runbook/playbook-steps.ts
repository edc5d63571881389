import { z } from 'zod';
import { expandHome } from '../profile/load';
import type { HostRole, Profile } from '../profile/schema';
import { systemGit } from '../vault/git';
import { advanceJournal } from '../vault/rotation-lock';
import { describeAnsibleProblem, parseAnsibleOutput } from './ansible-output';
import { configApplyCommand, configApplyLogFile } from './commands';
import { rotationUnappliedAlert } from './rotation-alerts';
import {
  type ActionGroup,
  type AnyAction,
  defineAction,
  type InterruptedSpec,
  type NoScratch,
  type PlanContext,
  type RemoteOutput,
  type RemoteStep,
  type Step,
  type StepContext,
  type StepVerdict,
} from './types';

/** Playbook runs from the deploy checkout, shared by the catalog and the token actions. */

export const deployHost = (ctx: PlanContext<unknown>): HostRole => ctx.profile.deploy.host;

/** Reads ansible-playbook's output: the RECAP decides, the first failed task explains. */
function playbookVerdict(out: RemoteOutput, ctx: StepContext<unknown, object>): StepVerdict {
  const summary = parseAnsibleOutput(`${out.stdout}\n${out.stderr}`);
  ctx.scratch.ansible = summary;
  for (const h of summary.recap) {
    ctx.print(
      `${h.host}: ok=${h.ok} changed=${h.changed} unreachable=${h.unreachable} failed=${h.failed} skipped=${h.skipped}`,
    );
  }
  const problem = describeAnsibleProblem(summary);
  if (out.exitCode === 0 && problem === null) {
    const changed = summary.recap.reduce((n, h) => n + h.changed, 0);
    return {
      ok: true,
      summary: `Ansible finished: ${changed} change${changed === 1 ? '' : 's'} on ${summary.recap.length} host${summary.recap.length === 1 ? '' : 's'}.`,
    };
  }
  return {
    ok: false,
    message: problem ?? `ansible-playbook exited with code ${out.exitCode ?? `signal ${out.signal}`}`,
  };
}

/** A playbook run from the deploy checkout; its PLAY RECAP decides (`--tags=` goes in the title as the runbook writes it). */
export function playbookStep<P, S extends object = NoScratch>(spec: {
  id: string;
  title: string;
  tags: string;
  command: (ctx: PlanContext<P, S>) => string;
  /** Where the command also writes its output on the deploy host, said before the verdict. */
  logFile?: (ctx: PlanContext<P, S>) => string;
}): RemoteStep<P, S> {
  return {
    kind: 'remote',
    id: spec.id,
    title: `${spec.title} (ansible-playbook --tags=${spec.tags})`,
    host: deployHost,
    privileged: true,
    command: spec.command,
    timeoutMs: (ctx) => ctx.settings.playbookTimeoutMs,
    check: (out, ctx) => {
      if (spec.logFile) ctx.print(`The output is also in ${spec.logFile(ctx)} on the deploy host.`);
      return playbookVerdict(out, ctx);
    },
  };
}

/**
 * install-all,start, as config.apply, federation.*, token.rotate and token.apply run it. Whoever runs
 * it, success means Tuwunel has the registration token of the deploy checkout's vault, so it clears
 * "pushed but not applied" once that checkout is known to have the rotation (the alert raised after a
 * failed pull says which actions may clear it); only the token actions raise it (they override `alert`).
 */
export function configApplyStep<P, S extends object = NoScratch>({
  id,
  when,
}: {
  id: string;
  when?: (ctx: PlanContext<P, S>) => boolean;
}): RemoteStep<P, S> {
  return {
    ...playbookStep<P, S>({
      id,
      title: 'Apply the configuration',
      tags: 'install-all,start',
      command: (ctx) => configApplyCommand(ctx.profile, ctx.startedAt),
      logFile: (ctx) => configApplyLogFile(ctx.profile, ctx.startedAt),
    }),
    ...(when ? { when } : {}),
    alert: (ctx) => ({ ...rotationUnappliedAlert(ctx, 'apply'), raise: false }),
    // A rotation the deploy host pulled is live once any apply succeeded (token.apply marks its own).
    recordOutcome: async (ctx, ok) => {
      if (ok && ctx.profile.vault)
        await advanceJournal(expandHome(ctx.profile.vault.repo), systemGit, ['pulled'], 'applied', null);
    },
  };
}

interface PlaybookActionSpec<S extends object> {
  id: string;
  title: string;
  description: string;
  group: ActionGroup;
  downtime: string;
  /** Checks that need the profile, before anything is planned (see Action.bind). */
  bind?: (params: Record<string, never>, profile: Profile) => Record<string, never>;
  confirm: (ctx: PlanContext<Record<string, never>, S>) => string;
  /** Alerts about these units stay quiet while the playbook restarts them. */
  maintenance: { units: string[] | 'all'; reason: string };
  steps: Step<Record<string, never>, S>[];
  success: string | ((ctx: StepContext<Record<string, never>, S>) => string);
  /** What a killed run may have left (Action.interrupted); the token actions leave it to their journal. */
  interrupted?: InterruptedSpec;
}

/** An action that runs the playbook from the deploy host against the homeserver: both hosts locked. */
export function playbookAction<S extends object = NoScratch>(spec: PlaybookActionSpec<S>): AnyAction {
  return defineAction<Record<string, never>, S>({
    id: spec.id,
    title: spec.title,
    description: spec.description,
    group: spec.group,
    host: 'deploy',
    danger: () => 'disruptive',
    downtime: () => spec.downtime,
    params: z.object({}).strict(),
    ...(spec.bind ? { bind: spec.bind } : {}),
    confirm: spec.confirm,
    locks: (ctx) => [ctx.profile.deploy.host, 'homeserver'],
    maintenanceWindow: () => spec.maintenance,
    steps: spec.steps,
    finally: [],
    success: (ctx) => (typeof spec.success === 'string' ? spec.success : spec.success(ctx)),
    ...(spec.interrupted ? { interrupted: spec.interrupted } : {}),
  });
}
