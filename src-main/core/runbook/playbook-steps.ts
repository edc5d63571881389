import { createHash } from 'node:crypto';
import { z } from 'zod';
import { expandHome } from '../profile/load';
import type { HostRole, Profile } from '../profile/schema';
import { systemGit } from '../vault/git';
import { advanceJournal } from '../vault/rotation-lock';
import { backText, beforeStopText, noticeStep, notifyParam } from './announce';
import { describeAnsibleProblem, parseAnsibleOutput } from './ansible-output';
import {
  configApplyCommand,
  configApplyLogFile,
  FILE_CHANGED_EXIT,
  readWithHashCommand,
  varsFilePath,
  writeIfUnchangedCommand,
} from './commands';
import { RemoteFileChanged } from './errors';
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
  /** A planned stop: `notify=true` tells everyone before (why, for how long) and once it is back (announce.ts). */
  notice?: { why: string; howLong: string; back: string };
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
    // notify is the only parameter a playbook action takes; the steps read it through noticeStep alone.
    params: (spec.notice
      ? z.object({ notify: notifyParam }).strict()
      : z.object({}).strict()) as unknown as z.ZodType<Record<string, never>, Record<string, unknown>>,
    ...(spec.bind ? { bind: spec.bind } : {}),
    confirm: spec.confirm,
    locks: (ctx) => [ctx.profile.deploy.host, 'homeserver'],
    maintenanceWindow: () => spec.maintenance,
    steps: spec.notice ? announced(spec.notice, spec.steps) : spec.steps,
    finally: [],
    success: (ctx) => (typeof spec.success === 'string' ? spec.success : spec.success(ctx)),
    ...(spec.interrupted ? { interrupted: spec.interrupted } : {}),
  });
}

/** vars.yml as a step read it: its text and the SHA-256 a later write checks it against. */
export interface VarsRead {
  text: string;
  sha256: string;
}

/**
 * Reads vars.yml on the deploy host with its hash (quietly: it holds the deploy's secrets), and refuses a
 * file that changed while it was read or is not text. `keep` stores what was read for the later steps.
 */
export function readVarsStep<P, S extends object>(spec: {
  id: string;
  title: string;
  keep: (ctx: StepContext<P, S>, read: VarsRead) => void;
}): RemoteStep<P, S> {
  return {
    kind: 'remote',
    id: spec.id,
    title: spec.title,
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
      spec.keep(ctx, { text, sha256: remoteHash });
      const lines = text.split('\n').length - 1;
      return { ok: true, summary: `Read ${lines} ${lines === 1 ? 'line' : 'lines'}.` };
    },
  };
}

/** Writes the edited vars.yml back, only if it is still the file that was read. */
export function writeVarsStep<P, S extends object>(spec: {
  id: string;
  title: string;
  read: (ctx: PlanContext<P, S>) => VarsRead | undefined;
  content: (ctx: StepContext<P, S>) => string;
}): RemoteStep<P, S> {
  return {
    kind: 'remote',
    id: spec.id,
    title: spec.title,
    host: deployHost,
    privileged: true,
    command: (ctx) =>
      writeIfUnchangedCommand(
        varsFilePath(ctx.profile),
        spec.read(ctx)?.sha256 ?? '<sha256 of vars.yml as read>',
      ),
    stdin: { describe: 'the edited vars.yml', content: spec.content },
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
  };
}

/** The steps between a notice before and a "back" notice after (both only with notify=true). */
function announced<S extends object>(
  notice: NonNullable<PlaybookActionSpec<S>['notice']>,
  steps: Step<Record<string, never>, S>[],
): Step<Record<string, never>, S>[] {
  const version = (ctx: PlanContext<Record<string, never>, S>) => ctx.profile.homeserver.version;
  return [
    noticeStep<Record<string, never>, S>({
      id: 'notice-before',
      title: 'Tell everyone (server notice)',
      version,
      text: (ctx) => beforeStopText(ctx, notice.why, notice.howLong),
    }),
    ...steps,
    noticeStep<Record<string, never>, S>({
      id: 'notice-back',
      title: 'Tell everyone it is back (server notice)',
      version,
      text: (ctx) => backText(ctx, notice.back),
    }),
  ];
}
