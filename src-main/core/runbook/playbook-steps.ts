import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseVars, type VarsDocument } from '../lib/vars-yaml';
import { releaseOf } from '../matrix/server-facts';
import { expandHome } from '../profile/load';
import type { HostRole, Profile } from '../profile/schema';
import { configFindings } from '../status/checks/config-lint';
import type { Finding } from '../status/types';
import { systemGit } from '../vault/git';
import { advanceJournal } from '../vault/rotation-lock';
import { backText, beforeStopText, noticeStep, notifyParam } from './announce';
import { describeAnsibleProblem, parseAnsibleOutput } from './ansible-output';
import {
  configApplyCommand,
  configApplyLogFile,
  FILE_CHANGED_EXIT,
  readWithHashCommand,
  VARS_CHANGED_EXIT,
  varsFilePath,
  writeIfUnchangedCommand,
} from './commands';
import { ActionRefused, RemoteFileChanged } from './errors';
import { rotationUnappliedAlert } from './rotation-alerts';
import {
  type ActionGroup,
  type AnyAction,
  defineAction,
  type InspectIo,
  type InterruptedSpec,
  type LocalStep,
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
  if (out.exitCode === VARS_CHANGED_EXIT && out.stderr.includes('changed since it was checked')) {
    const error = new RemoteFileChanged(varsFilePath(ctx.profile));
    return {
      ok: false,
      message: `${varsFilePath(ctx.profile)} changed after it was checked, so the playbook did not run`,
      error,
    };
  }
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

// ---------------------------------------------------------------- pre-flight

/**
 * The vars.yml an apply deploys, as linted before the plan was made: its SHA-256 (the apply refuses to run on
 * any other file) and the findings that did not refuse it (warnings and notes, shown in the plan).
 */
export interface LintedVars {
  sha256: string;
  /** Warnings and what the lint could not tell: they never refuse the apply, the plan shows them. */
  warnings: string[];
}

/** What an action that applies the configuration hands from its pre-flight to the apply. */
export interface PreflightScratch {
  vars: LintedVars;
}

/** The file as the deploy host has it, read consistently (the same bytes as its hash), or why not. */
export function readVarsOutput(
  out: { exitCode: number | null; stdout: string; stderr: string },
  path: string,
): { text: string; sha256: string } | { problem: string } {
  if (out.exitCode !== 0)
    return {
      problem: `could not read ${path}: ${out.stderr.trim().split('\n').at(-1) || `exit code ${out.exitCode}`}`,
    };
  const nl = out.stdout.indexOf('\n');
  const remoteHash = out.stdout.slice(0, nl).split(' ')[0] ?? '';
  const text = out.stdout.slice(nl + 1);
  const localHash = sha256(text);
  if (!/^[0-9a-f]{64}$/.test(remoteHash) || remoteHash !== localHash)
    return {
      problem: `${path} could not be read consistently (it changed while being read, or is not UTF-8 text)`,
    };
  return { text, sha256: remoteHash };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Reads vars.yml on the deploy host without changing anything; refuses when it cannot be read. */
export async function readDeployVars(
  ctx: PlanContext<unknown, object>,
  io: InspectIo,
): Promise<{ text: string; sha256: string }> {
  const host = deployHost(ctx);
  const path = varsFilePath(ctx.profile);
  const out = await io.exec.exec(host, readWithHashCommand(path), {
    sudo: ctx.profile.hosts[host].sudo,
    timeoutMs: ctx.settings.fileCommandTimeoutMs,
    label: 'Read vars.yml to check it before applying',
  });
  const read = readVarsOutput(out, path);
  if ('problem' in read)
    throw new ActionRefused(
      `The configuration was not applied: ${read.problem}.`,
      'Check the playbook checkout on the deploy host (the path in the profile’s deploy.varsFile), then try again.',
    );
  return read;
}

/**
 * The runbook's lessons about vars.yml, for the exact text an apply deploys: a failing finding (YAML that does
 * not parse, the own server missing from the allowlist while the pinned or running Tuwunel is below 1.8.0,
 * registration on without a token) refuses the apply before anything runs on the deploy host; warnings and
 * notes go into the plan. The texts follow the release the server says it runs. `doc` is `text` as parseVars
 * made it, when the caller already parsed it (an edit's check did).
 */
export function lintForApply(
  text: string,
  ctx: PlanContext<unknown, object>,
  doc: VarsDocument = parseVars(text),
): LintedVars {
  const findings = configFindings(doc, {
    serverName: ctx.profile.serverName,
    pin: ctx.profile.homeserver.version,
    path: ctx.profile.deploy.varsFile,
    running: ctx.server.running,
  });
  const failing = findings.filter((f) => f.level === 'fail');
  if (failing.length > 0)
    throw new ActionRefused(
      `The configuration was not applied, because vars.yml would break the server: ${failing.map((f) => f.detail).join(' ')}`,
      'Fix vars.yml on the deploy host as the sentence says, then apply again; nothing ran on the deploy host.',
    );
  return { sha256: sha256(text), warnings: findings.filter(isWarning).map((f) => f.detail) };
}

function isWarning(f: Finding): boolean {
  return f.level === 'warn' || f.level === 'unknown';
}

/** The look before the plan of an action that applies vars.yml as the deploy checkout has it. */
export async function inspectDeployVars(
  ctx: PlanContext<unknown, object>,
  io: InspectIo,
): Promise<PreflightScratch> {
  return { vars: lintForApply((await readDeployVars(ctx, io)).text, ctx) };
}

/** The sentence part a confirm dialog adds for the warnings the pre-flight found. */
export function warningsNote(ctx: PlanContext<unknown, Partial<PreflightScratch>>): string {
  const warnings = ctx.scratch.vars?.warnings ?? [];
  if (warnings.length === 0) return '';
  return ` vars.yml has ${warnings.length} warning${warnings.length === 1 ? '' : 's'} (they do not stop the apply): ${warnings.join(' ')}`;
}

/** The pre-flight as the plan shows it and the run reports it: what was checked, and every warning. */
export function preflightStep<P, S extends Partial<PreflightScratch>>(
  when?: (ctx: PlanContext<P, S>) => boolean,
): LocalStep<P, S> {
  return {
    kind: 'local',
    id: 'preflight',
    title: 'Check vars.yml before applying',
    ...(when ? { when } : {}),
    describe: (ctx) => {
      const vars = ctx.scratch.vars;
      if (!vars) return 'Lint the vars.yml the apply deploys; a failing finding refuses the apply.';
      const head = `vars.yml (sha256 ${vars.sha256.slice(0, 12)}) passes the runbook's checks; the apply runs only on exactly this file.`;
      return vars.warnings.length === 0 ? head : `${head} Warnings: ${vars.warnings.join(' ')}`;
    },
    run: (ctx) => {
      const vars = ctx.scratch.vars;
      if (!vars) return { ok: false, message: 'vars.yml was not checked before the run' };
      for (const w of vars.warnings) ctx.print(`Warning: ${w}`);
      return {
        ok: true,
        summary:
          vars.warnings.length === 0
            ? 'vars.yml passes the checks.'
            : `vars.yml passes the checks, with ${vars.warnings.length} warning${vars.warnings.length === 1 ? '' : 's'}.`,
      };
    },
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
export function configApplyStep<P, S extends Partial<PreflightScratch>>({
  id,
  when,
  varsSha256 = (ctx) => ctx.scratch.vars?.sha256 ?? null,
}: {
  id: string;
  when?: (ctx: PlanContext<P, S>) => boolean;
  /** The vars.yml the apply may run on: the pre-flight's by default (a rollback names the file it wrote). */
  varsSha256?: (ctx: PlanContext<P, S>) => string | null;
}): RemoteStep<P, S> {
  return {
    ...playbookStep<P, S>({
      id,
      title: 'Apply the configuration',
      tags: 'install-all,start',
      // Exactly the linted file: any other vars.yml (edited since the check) stops it before ansible runs.
      command: (ctx) => configApplyCommand(ctx.profile, ctx.startedAt, varsSha256(ctx)),
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
  /**
   * It deploys vars.yml (install-*, not just start): the pre-flight lints the deploy checkout's file before the
   * plan, refuses on a failing finding, and the apply runs only on that exact file.
   */
  deploysVars?: boolean;
  steps: Step<Record<string, never>, S>[];
  success: string | ((ctx: StepContext<Record<string, never>, S>) => string);
  /** What a killed run may have left (Action.interrupted); the token actions leave it to their journal. */
  interrupted?: InterruptedSpec;
  /** A planned stop: `notify=true` tells everyone before (why, for how long) and once it is back (announce.ts). */
  notice?: { why: string; howLong: string; back: string };
}

/** An action that runs the playbook from the deploy host against the homeserver: both hosts locked. */
export function playbookAction<S extends Partial<PreflightScratch> = NoScratch>(
  spec: PlaybookActionSpec<S>,
): AnyAction {
  const deploys = spec.deploysVars === true;
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
    ...(deploys
      ? {
          asksServer: true,
          inspect: async (ctx, io) => (await inspectDeployVars(ctx, io)) as Partial<S>,
        }
      : {}),
    confirm: (ctx) => `${spec.confirm(ctx)}${deploys ? warningsNote(ctx) : ''}`,
    locks: (ctx) => [ctx.profile.deploy.host, 'homeserver'],
    maintenanceWindow: () => spec.maintenance,
    // The lint's report first: a notice goes out only for a run the pre-flight let through.
    steps: [
      ...(deploys ? [preflightStep<Record<string, never>, S>()] : []),
      ...(spec.notice ? announced(spec.notice, spec.steps) : spec.steps),
    ],
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
      const read = readVarsOutput(out, varsFilePath(ctx.profile));
      if ('problem' in read) return { ok: false, message: read.problem };
      const { text } = read;
      spec.keep(ctx, read);
      const lines = text.split('\n').length - 1;
      return { ok: true, summary: `Read ${lines} ${lines === 1 ? 'line' : 'lines'}.` };
    },
  };
}

/** Writes the edited vars.yml back, only if it is still the file that was read. */
export function writeVarsStep<P, S extends object>(spec: {
  id: string;
  title: string;
  /** The SHA-256 of vars.yml as it was read: the write happens only while the file still has it. */
  readSha256: (ctx: PlanContext<P, S>) => string | undefined;
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
        spec.readSha256(ctx) ?? '<sha256 of vars.yml as read>',
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
  // The release that runs delivers the notices (as the server says when the action asks it, else the pin).
  const version = (ctx: PlanContext<Record<string, never>, S>) => releaseOf(ctx.server);
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
