import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { Cancelled, describeError, HostBusy, isAppError, SecretMissing, Timeout } from '../errors';
import { sleep } from '../lib/sleep';
import { adminApiRequest } from '../matrix/admin-api';
import { AdminRoomClient } from '../matrix/admin-room';
import { request } from '../matrix/http';
import { pinnedFacts, type ServerFacts } from '../matrix/server-facts';
import { readAnyReply } from '../matrix/tuwunel-admin';
import { expandHome } from '../profile/load';
import type { Profile } from '../profile/schema';
import type { SecretStore } from '../secrets/types';
import { type HostLock, HostLocks } from '../ssh/host-lock';
import { TailBuffer } from '../ssh/tail-buffer';
import type { RemoteExec } from '../ssh/types';
import { HOST_ROLES, isPerHostSecret, type Route, SECRET_KINDS } from '../vocab';
import type { AuditLog, AuditOutcome } from './audit';
import { CATALOG } from './catalog';
import { TypedEmitter } from './emitter';
import { ConfirmationRequired, UnknownAction } from './errors';
import type { MaintenanceStore } from './maintenance';
import { parseParams } from './params';
import { interruptedAlertId } from './recovery';
import { Redactor, type StreamRedactor } from './redact';
import {
  type ActiveRun,
  type ActiveRuns,
  ownerOfRun,
  type PlannedStep,
  type RunbookEvents,
  type RunOwner,
  type RunRecord,
  runEnded,
  runStarted,
  type StepRecord,
} from './run-record';
import { StickyAlerts } from './sticky-alerts';
import {
  type AnyAction,
  type Danger,
  DEFAULT_SETTINGS,
  type PlanContext,
  type RemoteOutput,
  type RemoteStep,
  type RunbookSettings,
  type Step,
  type StepAlert,
  type StepContext,
  type StepVerdict,
} from './types';

export interface RunbookOptions {
  profile: Profile;
  exec: RemoteExec;
  maintenance: MaintenanceStore;
  /** The SSH core's per-host lock (shared with everything else that mutates hosts). */
  locks?: HostLocks;
  /** Where the Matrix admin token and the values to mask come from. */
  secrets?: SecretStore;
  alerts?: StickyAlerts;
  audit?: AuditLog;
  adminRoom?: AdminRoomClient;
  settings?: Partial<RunbookSettings>;
  catalog?: readonly AnyAction[];
  /** Values to mask besides the profile's stored secrets. */
  extraSecrets?: string[];
  /** More values to mask, looked up for each plan (the vault's registration token, the invites the app issued). */
  maskedValues?: () => Promise<string[]>;
  /** Asks the homeserver what it runs, for actions that plan by it (`asksServer`). Default: the profile's pin. */
  server?: () => Promise<ServerFacts>;
  /** Where runs in progress are recorded (the data folder), so a killed one can be recovered from. */
  activeRuns?: ActiveRuns;
  /**
   * Called before a run that locks hosts takes them (never throws): what a killed run left on them is
   * resolved first (Recovery.run), so the new run's own effect is never taken for the dead run's.
   */
  beforeMutatingRun?: () => Promise<unknown>;
}

export interface Plan {
  action: AnyAction;
  params: Record<string, unknown>;
  danger: Danger;
  downtime: string;
  /** The sentence the user confirms. */
  confirm: string;
  /** User actions: how they reach Tuwunel, and why this way. */
  route: Route | null;
  routeWhy: string | null;
  /** Hosts the run will lock; empty for read-only actions. */
  locks: string[];
  steps: PlannedStep[];
  /**
   * The one-time confirmation of exactly this plan (action, parameters, route, steps), for a front that
   * shows the plan and starts it once the user accepted it; null when the plan needs no confirmation.
   */
  confirmation?: string | null;
}

export interface ActionInfo {
  id: string;
  title: string;
  description: string;
  group: string;
  host: string;
  /** Read-only actions are not locked and need no confirmation. */
  readOnly: boolean;
  /** JSON Schema of the parameters (input side: what the CLI and forms may send). */
  params: Record<string, unknown>;
}

export interface StartOptions {
  /**
   * The plan's confirmation (Plan.confirmation), which the user accepted: required unless the danger is
   * `safe`. Good once, for that very plan, for CONFIRMATION_TTL_MS.
   */
  confirmation?: string | null;
  /** A front in this process that asked its user itself (the tray's native dialog, a terminal's question). */
  confirmed?: boolean;
}

/** How long a plan's confirmation may wait for its start (a dialog left open longer plans again). */
export const CONFIRMATION_TTL_MS = 10 * 60_000;
/** Confirmations kept at once: plans that were shown and never started fall off the oldest first. */
const MAX_CONFIRMATIONS = 64;

/**
 * A started run. Its steps begin on the next turn of the event loop, after whoever awaited start() has
 * the handle: listeners that filter the runbook's events by `id` see every step, the first included.
 */
export interface RunHandle {
  id: string;
  /** Resolves when the run (finally steps included) is over; never rejects. */
  done: Promise<RunRecord>;
  cancel(): void;
  snapshot(): RunRecord;
}

/**
 * An action validated and worked out once: the plan a confirmation shows, and the start of exactly that
 * plan (same parameters, same context, same masking), without reading the parameters or the keychain
 * again. Holds the values it masks until it is started or dropped, like a run does for its lifetime.
 */
export interface PreparedRun {
  readonly plan: Plan;
  /** Throws (before anything is sent) ConfirmationRequired or HostBusy; starts once. */
  start(options?: StartOptions): Promise<RunHandle>;
}

/** Output kept per step for the UI; the live events carry all of it. */
const MAX_STEP_OUTPUT = 256 * 1024;
/** What a step's checks may read of its raw output (ansible-playbook output, vars.yml). */
const MAX_CAPTURE = 8 * 1024 * 1024;

interface Run {
  record: RunRecord;
  action: AnyAction;
  ctx: PlanContext<Record<string, unknown>>;
  redactor: Redactor;
  abort: AbortController;
  /** Set once a cancel arrived while main steps were still to run. */
  cancelled: boolean;
  finishSentence: string | null;
  finallyPhase: boolean;
  /** A step of this run may have taken effect (a remote command may have run, or a local, HTTP or admin-room step ran): until then it cannot have stopped anything. */
  mayHaveActed: boolean;
  /** The run as other processes see it: what set each state it sets, and its record on disk. */
  owner: RunOwner;
  active: ActiveRun;
  /** Its record is on disk (a run that locks a host). */
  recorded: boolean;
  /** Set when the finally phase starts: retries of finally steps stop here (settings.finallyRetryBudgetMs). */
  finallyDeadline: number | null;
}

/** Errors an exec throws before anything runs on the host (the host key check, login, sudo's refusal). */
const NOTHING_SENT = new Set([
  'HostKeyUnknown',
  'HostKeyChanged',
  'HostKeyRevoked',
  'Unsupported',
  'AuthFailed',
  'ConnectFailed',
  'SudoFailed',
  'Disconnected',
]);

/**
 * The runbook: the catalog, dry runs, and runs with locks, redacted live output, guaranteed finally
 * steps, sticky alerts, maintenance windows and the audit trail. One instance per profile.
 */
export class Runbook {
  readonly events = new TypedEmitter<RunbookEvents>();
  readonly catalog: readonly AnyAction[];
  readonly settings: RunbookSettings;
  readonly alerts: StickyAlerts;
  readonly locks: HostLocks;
  private readonly runs = new Map<string, Run>();
  private readonly confirmations = new Map<string, { digest: string; expiresAt: number }>();
  private adminRoomClient: AdminRoomClient | null;

  constructor(private readonly opts: RunbookOptions) {
    this.catalog = opts.catalog ?? CATALOG;
    this.settings = { ...DEFAULT_SETTINGS, ...opts.settings };
    this.alerts = opts.alerts ?? new StickyAlerts();
    this.locks = opts.locks ?? new HostLocks(opts.profile);
    this.adminRoomClient = opts.adminRoom ?? null;
  }

  get profile(): Profile {
    return this.opts.profile;
  }

  /** The catalog for menus, the window and the CLI. */
  actions(): ActionInfo[] {
    return this.catalog.map((a) => ({
      id: a.id,
      title: a.title,
      description: a.description,
      group: a.group,
      host: a.host,
      readOnly: a.readOnly === true,
      params: z.toJSONSchema(a.params, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    }));
  }

  /** Validates the parameters and works out what would happen: the dry run and the confirm dialog. */
  async plan(actionId: string, rawParams: Record<string, unknown> = {}): Promise<Plan> {
    return (await this.prepare(actionId, rawParams)).plan;
  }

  /** Whether `confirmation` is one this runbook issued for a plan with `digest`; each is good once. */
  private redeem(confirmation: string | null | undefined, digest: string): boolean {
    if (!confirmation) return false;
    const issued = this.confirmations.get(confirmation);
    this.confirmations.delete(confirmation);
    return issued !== undefined && issued.digest === digest && issued.expiresAt > Date.now();
  }

  private issue(digest: string): string {
    const now = Date.now();
    for (const [token, c] of this.confirmations) if (c.expiresAt <= now) this.confirmations.delete(token);
    while (this.confirmations.size >= MAX_CONFIRMATIONS) {
      const oldest = this.confirmations.keys().next().value;
      if (oldest === undefined) break;
      this.confirmations.delete(oldest);
    }
    const token = randomBytes(18).toString('base64url');
    this.confirmations.set(token, { digest, expiresAt: now + CONFIRMATION_TTL_MS });
    return token;
  }

  /** Starts a run. Throws (before anything is sent) InvalidInput, ActionRefused, ConfirmationRequired, SecretMissing or HostBusy. */
  async start(
    actionId: string,
    rawParams: Record<string, unknown> = {},
    options: StartOptions = {},
  ): Promise<RunHandle> {
    return (await this.build(actionId, rawParams, false)).start(options);
  }

  /**
   * Validates the parameters and works out the plan once, for a front that shows it and then starts it
   * (the tray's confirm dialog). Throws InvalidInput, ActionRefused or SecretMissing.
   */
  async prepare(actionId: string, rawParams: Record<string, unknown> = {}): Promise<PreparedRun> {
    return this.build(actionId, rawParams, true);
  }

  private async build(
    actionId: string,
    rawParams: Record<string, unknown>,
    issueConfirmation: boolean,
  ): Promise<PreparedRun> {
    const { action, ctx } = await this.bindContext(actionId, rawParams, new Date());
    const redactor = new Redactor([
      ...(await this.secretValues()),
      ...(this.opts.extraSecrets ?? []),
      ...((await this.opts.maskedValues?.().catch(() => [])) ?? []),
    ]);
    const route = action.route?.(ctx) ?? null;
    const plan: Plan = {
      action,
      params: ctx.params,
      danger: action.danger(ctx),
      downtime: action.downtime(ctx),
      confirm: action.confirm(ctx),
      route: route?.via ?? null,
      routeWhy: route?.why ?? null,
      locks: [...new Set(action.locks(ctx))],
      steps: [
        ...this.planned(action.steps, ctx, 'main'),
        ...this.planned(action.finally, ctx, 'finally'),
      ].map((s) => ({ ...s, command: redactor.redact(s.command) })),
      confirmation: null,
    };
    const digest = planDigest(plan);
    if (issueConfirmation && plan.danger !== 'safe') plan.confirmation = this.issue(digest);
    let started = false;
    return {
      plan,
      start: (options = {}) => {
        if (started) return Promise.reject(new Error(`${action.id} was already started from this plan`));
        started = true;
        return this.startPrepared(action, ctx, redactor, plan.danger, digest, options);
      },
    };
  }

  private async startPrepared(
    action: AnyAction,
    ctx: PlanContext<Record<string, unknown>>,
    redactor: Redactor,
    danger: Danger,
    digest: string,
    options: StartOptions,
  ): Promise<RunHandle> {
    const startedAt = new Date();
    const confirmed = options.confirmed === true || this.redeem(options.confirmation, digest);
    if (danger !== 'safe' && !confirmed) throw new ConfirmationRequired(action.id, action.confirm(ctx));
    if (action.locks(ctx).length > 0) await this.opts.beforeMutatingRun?.();
    const id = randomUUID();
    const held: HostLock[] = [];
    try {
      for (const host of [...new Set(action.locks(ctx))]) {
        held.push(this.locks.acquire(host, `${action.title} (run ${id.slice(0, 8)})`));
      }
    } catch (e) {
      for (const lock of held) lock.release();
      if (e instanceof HostBusy) {
        await this.audit(
          {
            time: startedAt.toISOString(),
            profile: this.profile.name,
            action: action.id,
            runId: null,
            params: ctx.params,
            outcome: 'refused',
            durationMs: 0,
            failingStep: null,
            sentence: `${action.title} was refused: ${e.message}`,
          },
          redactor,
        );
      }
      throw e;
    }

    const steps: StepRecord[] = [
      ...this.planned(action.steps, ctx, 'main'),
      ...this.planned(action.finally, ctx, 'finally'),
    ].map((s) => ({
      ...s,
      command: redactor.redact(s.command),
      state: 'pending',
      startedAt: null,
      endedAt: null,
      exitCode: null,
      attempts: 0,
      output: '',
      summary: null,
      error: null,
    }));
    const record: RunRecord = {
      id,
      actionId: action.id,
      title: action.title,
      profile: this.profile.name,
      params: redactor.redactValue(ctx.params),
      danger,
      route: action.route?.(ctx).via ?? null,
      state: 'running',
      sentence: null,
      startedAt: startedAt.toISOString(),
      endedAt: null,
      durationMs: null,
      failingStep: null,
      steps,
      alert: null,
      ansible: null,
    };
    const owner = ownerOfRun(id, action.id);
    const run: Run = {
      record,
      action,
      ctx,
      redactor,
      abort: new AbortController(),
      cancelled: false,
      finishSentence: null,
      finallyPhase: false,
      mayHaveActed: false,
      owner,
      active: {
        owner,
        title: action.title,
        params: record.params,
        route: record.route,
        startedAt: record.startedAt,
        steps: steps.map((s) => ({ id: s.id, title: s.title, phase: s.phase })),
        at: -1,
      },
      finallyDeadline: null,
      // Only a run that changes a host (it locks one) can leave something there to recover from.
      recorded: held.length > 0,
    };
    runStarted(id);
    if (run.recorded) this.recordActive(() => this.opts.activeRuns?.begin(run.active));
    this.runs.set(id, run);
    this.events.emit('run-started', { run: snapshot(record) });
    // The steps start on the next turn, so the caller holds the handle (and its id) before the first step.
    const done = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.execute(run))
      .catch((e) => this.crashed(run, e))
      .finally(() => {
        // What the run set that outlives it is no longer its; then it is no longer in progress anywhere.
        this.recordActive(() => this.opts.maintenance.settle(id));
        if (run.recorded) this.recordActive(() => this.opts.activeRuns?.end(id));
        runEnded(id);
        for (const lock of held) lock.release();
      });
    return {
      id,
      done,
      cancel: () => this.cancel(id),
      snapshot: () => snapshot(record),
    };
  }

  /** Cancels a run: the running remote command is killed, then the finally steps run. */
  cancel(runId: string): boolean {
    const run = this.runs.get(runId);
    if (run?.record.state !== 'running' || run.finallyPhase) return false;
    run.cancelled = true;
    run.abort.abort();
    return true;
  }

  get(runId: string): RunRecord | undefined {
    const run = this.runs.get(runId);
    return run ? snapshot(run.record) : undefined;
  }

  list(): RunRecord[] {
    return [...this.runs.values()].map((r) => snapshot(r.record));
  }

  // ------------------------------------------------------------------ preparation

  private async bindContext(
    actionId: string,
    rawParams: Record<string, unknown>,
    startedAt: Date,
  ): Promise<{ action: AnyAction; ctx: PlanContext<Record<string, unknown>> }> {
    const action = this.catalog.find((a) => a.id === actionId);
    if (!action) throw new UnknownAction(actionId);
    const parsed = parseParams(action.params, rawParams);
    const server =
      action.asksServer && this.opts.server ? await this.opts.server() : pinnedFacts(this.profile);
    const params = action.bind ? action.bind(parsed, this.profile, server) : parsed;
    const adminToken = await this.hasAdminToken();
    if (action.requiresAdminToken && !adminToken) throw new SecretMissing('matrix-admin-token');
    const ctx: PlanContext<Record<string, unknown>> = {
      profile: this.profile,
      params,
      adminToken,
      server,
      settings: this.settings,
      startedAt,
      scratch: {},
      dryRun: false,
    };
    if (action.inspect) Object.assign(ctx.scratch, await action.inspect(ctx, { exec: this.opts.exec }));
    return { action, ctx };
  }

  private planned(
    steps: Step<Record<string, unknown>>[],
    ctx: PlanContext<Record<string, unknown>>,
    phase: 'main' | 'finally',
  ): PlannedStep[] {
    // What the look before the plan found (inspect) is known to the dry run too; nothing a step sets is.
    const dry = { ...ctx, dryRun: true, scratch: { ...ctx.scratch } };
    return steps
      .filter((s) => !s.when || s.when(ctx))
      .map((s): PlannedStep => {
        const base = { id: s.id, title: s.title, phase, kind: s.kind, host: null, sudo: false, stdin: null };
        if (s.kind === 'remote') {
          const host = s.host(ctx);
          return {
            ...base,
            host,
            sudo: s.privileged && this.profile.hosts[host].sudo,
            command: s.command(dry),
            stdin: s.stdin?.describe ?? null,
            timeoutMs: s.timeoutMs(ctx),
          };
        }
        if (s.kind === 'http-wait') {
          return { ...base, command: `GET ${s.url(ctx)} until it answers`, timeoutMs: s.timeoutMs(ctx) };
        }
        if (s.kind === 'admin-room') {
          return {
            ...base,
            command: `!admin ${s.command(ctx)}  (in #admins:${this.profile.serverName})`,
            timeoutMs: s.timeoutMs(ctx),
          };
        }
        if (s.kind === 'admin-api') {
          const json = s.json?.(dry);
          return {
            ...base,
            command: `${s.method} ${this.profile.publicUrl}/_synapse/admin${s.path(dry)}${json === undefined ? '' : ` ${JSON.stringify(json)}`}  (admin API, with the stored admin token)`,
            timeoutMs: s.timeoutMs(ctx),
          };
        }
        return { ...base, command: s.describe(ctx), timeoutMs: null };
      });
  }

  private async hasAdminToken(): Promise<boolean> {
    if (!this.opts.secrets) return false;
    return this.opts.secrets.has({ profile: this.profile.name, kind: 'matrix-admin-token' });
  }

  /** Every secret of this profile that is stored: what the redactor masks. */
  private async secretValues(): Promise<string[]> {
    const store = this.opts.secrets;
    if (!store) return [];
    const values: string[] = [];
    const refs = SECRET_KINDS.flatMap((kind) =>
      isPerHostSecret(kind) ? HOST_ROLES.map((host) => ({ kind, host })) : [{ kind }],
    );
    for (const ref of refs) {
      try {
        const value = await store.get({ profile: this.profile.name, ...ref });
        if (value) {
          values.push(value.toString('utf8'));
          value.fill(0);
        }
      } catch {
        // No keychain: nothing stored that could leak either.
      }
    }
    return values;
  }

  // ------------------------------------------------------------------ execution

  private async execute(run: Run): Promise<RunRecord> {
    const { action, ctx, record } = run;
    const windowKey = `run:${record.id}`;
    const window = action.maintenanceWindow?.(ctx) ?? null;
    if (window)
      this.opts.maintenance.enter({ key: windowKey, ...window, persistent: false, setBy: run.owner });
    const stepCtx: StepContext<Record<string, unknown>> = {
      ...ctx,
      runId: record.id,
      signal: run.abort.signal,
      print: () => {},
      maintenance: this.opts.maintenance.forRun(run.owner),
    };
    const mainSteps = action.steps.filter((s) => !s.when || s.when(ctx));
    const finallySteps = action.finally.filter((s) => !s.when || s.when(ctx));
    let failed: { step: StepRecord; verdict: StepVerdict & { ok: false } } | null = null;
    let failedFinally: { step: StepRecord; verdict: StepVerdict & { ok: false } } | null = null;
    try {
      for (const [i, step] of mainSteps.entries()) {
        const rec = record.steps[i] as StepRecord;
        if (failed || run.finishSentence !== null || run.cancelled) {
          rec.state = 'skipped';
          continue;
        }
        const verdict = await this.runStep(run, step, rec, stepCtx, 'main');
        if (!verdict.ok) failed = { step: rec, verdict };
        else if (verdict.finish) run.finishSentence = verdict.finish;
      }
      run.finallyPhase = true;
      run.finallyDeadline = Date.now() + this.settings.finallyRetryBudgetMs;
      // Finally steps get a signal of their own: a cancel of the run must not stop the clean-up.
      const finallyCtx = { ...stepCtx, signal: new AbortController().signal };
      for (const [j, step] of finallySteps.entries()) {
        const rec = record.steps[mainSteps.length + j] as StepRecord;
        const verdict = await this.runStep(run, step, rec, finallyCtx, 'finally');
        if (!verdict.ok && !failedFinally) failedFinally = { step: rec, verdict };
      }
    } finally {
      if (window) this.opts.maintenance.leave(windowKey);
    }

    const cancelled = run.cancelled && (failed === null || failed.verdict.error instanceof Cancelled);
    record.state = failedFinally ? 'failed' : cancelled ? 'cancelled' : failed ? 'failed' : 'ok';
    record.failingStep = failed?.step.id ?? failedFinally?.step.id ?? null;
    record.ansible = ctx.scratch.ansible ?? null;
    record.sentence = run.redactor.redact(this.sentence(run, stepCtx, failed, failedFinally, cancelled));
    if (record.state === 'ok') this.clearFixedAlerts(action.id);
    const ended = new Date();
    record.endedAt = ended.toISOString();
    record.durationMs = ended.getTime() - new Date(record.startedAt).getTime();
    await this.audit(
      {
        time: record.startedAt,
        profile: record.profile,
        action: record.actionId,
        runId: record.id,
        params: record.params,
        outcome: record.state as AuditOutcome,
        durationMs: record.durationMs,
        failingStep: record.failingStep,
        sentence: record.sentence,
      },
      run.redactor,
    );
    const final = snapshot(record);
    this.events.emit('run-finished', { run: final });
    return final;
  }

  /**
   * A successful run of the action an alert names as its fix clears the alert, whoever raised it; so does a
   * successful run of an action whose interruption the alert reports (its work is done now).
   */
  private clearFixedAlerts(actionId: string): void {
    for (const alert of this.alerts.list()) {
      if (alert.fixActionId !== actionId && alert.id !== interruptedAlertId(actionId)) continue;
      if (this.recordActive(() => this.alerts.clear(alert.id)))
        this.events.emit('alert-cleared', { profile: this.profile.name, id: alert.id });
    }
  }

  /**
   * Writes what other processes read (run records, maintenance, alerts): a full disk or a locked file must
   * not turn a run into a failed one. Returns what `write` returned, or undefined when it threw.
   */
  private recordActive<T>(write: () => T): T | undefined {
    try {
      return write();
    } catch {
      return undefined;
    }
  }

  /** A bug in a step builder must still end the run with a record, not leave it "running" forever. */
  private crashed(run: Run, error: unknown): RunRecord {
    const { record } = run;
    record.state = 'failed';
    record.sentence = run.redactor.redact(
      `${record.title} stopped unexpectedly: ${describeError(error).message}`,
    );
    record.endedAt = new Date().toISOString();
    record.durationMs = Date.parse(record.endedAt) - Date.parse(record.startedAt);
    for (const step of record.steps)
      if (step.state === 'pending' || step.state === 'running') step.state = 'skipped';
    const final = snapshot(record);
    this.events.emit('run-finished', { run: final });
    return final;
  }

  private sentence(
    run: Run,
    ctx: StepContext<Record<string, unknown>>,
    failed: { step: StepRecord; verdict: StepVerdict & { ok: false } } | null,
    failedFinally: { step: StepRecord; verdict: StepVerdict & { ok: false } } | null,
    cancelled: boolean,
  ): string {
    const { action, record } = run;
    const cleanup = record.steps.filter((s) => s.phase === 'finally');
    const cleanupNote = failedFinally
      ? ` Clean-up step "${failedFinally.step.title}" failed${failedFinally.step.attempts > 1 ? ` after ${failedFinally.step.attempts} attempts` : ''}: ${sentenceEnd(failedFinally.verdict.message)}`
      : cleanup.length > 0 && (failed || cancelled)
        ? ` Clean-up done: ${cleanup.map((s) => s.title.charAt(0).toLowerCase() + s.title.slice(1)).join(', ')}.`
        : '';
    const alert = record.alert;
    const alertNote = alert
      ? ` ${alert.title}: use "${this.catalog.find((a) => a.id === alert.fixActionId)?.title ?? alert.fixActionId}".`
      : '';
    const left = failed || cancelled ? action.leftBehind?.(ctx) : null;
    const ending = `${cleanupNote}${left ? ` ${sentenceEnd(left)}` : ''}${alertNote}`;
    if (cancelled) {
      const during = failed?.step.title;
      const base =
        action.cancelled?.(ctx) ?? `${action.title} was cancelled${during ? ` during "${during}"` : ''}.`;
      return `${base}${ending}`;
    }
    if (failed)
      return `${action.title} failed at "${failed.step.title}": ${sentenceEnd(failed.verdict.message)}${ending}`;
    if (failedFinally)
      return `${action.title}: the work was done, but${ending.replace(/^ Clean-up/, ' clean-up')}`;
    return run.finishSentence ?? action.success(ctx);
  }

  private async runStep(
    run: Run,
    step: Step<Record<string, unknown>>,
    rec: StepRecord,
    baseCtx: StepContext<Record<string, unknown>>,
    phase: 'main' | 'finally',
  ): Promise<StepVerdict> {
    const ctx: StepContext<Record<string, unknown>> = {
      ...baseCtx,
      scratch: run.ctx.scratch,
      print: (line) => this.output(run, rec, 'info', `${run.redactor.redact(line)}\n`),
    };
    rec.state = 'running';
    rec.startedAt = new Date().toISOString();
    const index = run.record.steps.indexOf(rec);
    if (run.recorded) this.recordActive(() => this.opts.activeRuns?.reached(run.active, index));
    this.events.emit('step-started', { runId: run.record.id, step: { ...rec } });
    const needless = step.needless?.(ctx) ?? null;
    // Deciding there is nothing to do is this step's one attempt.
    if (needless !== null) rec.attempts = 1;
    const verdict: StepVerdict =
      needless === null
        ? await this.retried(run, step, rec, ctx, phase, () => this.attempt(run, step, rec, ctx))
        : { ok: true, summary: needless };
    rec.state = verdict.ok ? 'ok' : 'failed';
    rec.endedAt = new Date().toISOString();
    if (verdict.ok) {
      rec.summary = verdict.summary ? run.redactor.redact(verdict.summary) : null;
    } else {
      const described = verdict.error ? describeError(verdict.error) : null;
      rec.error = run.redactor.redactValue({
        code: described?.code ?? 'StepFailed',
        message: sentenceEnd(verdict.message),
        nextStep:
          described?.nextStep ?? 'Read the step output for the cause, fix it, and run the action again.',
        ...(described?.fix ? { fix: described.fix } : {}),
      });
    }
    // A needless step checked nothing, so it says nothing about its alert either.
    if (needless === null) {
      this.applyAlert(run, step, ctx, verdict.ok);
      await this.recordOutcome(step, ctx, verdict.ok);
    }
    this.events.emit('step-finished', { runId: run.record.id, step: { ...rec } });
    return verdict;
  }

  /**
   * `once` tried once, or (finally steps) up to `finallyAttempts` times, each on a fresh connection if the last
   * dropped, while the finally phase's retry budget lasts. A finally step that raises an alert when it fails
   * raises it at its first failed attempt, saying it is retrying: whoever watches hears at once.
   */
  private async retried(
    run: Run,
    step: Step<Record<string, unknown>>,
    rec: StepRecord,
    ctx: StepContext<Record<string, unknown>>,
    phase: 'main' | 'finally',
    once: () => Promise<StepVerdict>,
  ): Promise<StepVerdict> {
    const attempts = phase === 'finally' ? Math.max(1, this.settings.finallyAttempts) : 1;
    let verdict: StepVerdict = { ok: false, message: 'did not run' };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      rec.attempts = attempt;
      try {
        verdict = await once();
      } catch (e) {
        verdict = { ok: false, message: describeError(e).message, ...(isAppError(e) ? { error: e } : {}) };
      }
      if (verdict.ok || attempt === attempts) break;
      const left = (run.finallyDeadline ?? 0) - Date.now() - this.settings.finallyRetryDelayMs;
      if (left <= 0) {
        ctx.print(
          `Attempt ${attempt} failed (${verdict.message}); no more retries: the clean-up may take ${formatMs(this.settings.finallyRetryBudgetMs)} at most.`,
        );
        break;
      }
      if (attempt === 1) this.raiseRetrying(run, step, ctx, verdict.message);
      ctx.print(
        `Attempt ${attempt} of ${attempts} failed (${verdict.message}); trying again in ${Math.round(this.settings.finallyRetryDelayMs / 1000)} s.`,
      );
      await sleep(this.settings.finallyRetryDelayMs, undefined, 'Waiting to retry');
    }
    return verdict;
  }

  /** The alert a failing finally step would raise at its end, raised now, while it retries. */
  private raiseRetrying(
    run: Run,
    step: Step<Record<string, unknown>>,
    ctx: StepContext<Record<string, unknown>>,
    failure: string,
  ): void {
    if (!step.alert || !run.mayHaveActed) return;
    const spec = step.alert(ctx);
    if (spec.raise === false) return;
    this.raiseAlert(run, {
      ...spec,
      message: `${spec.message} The first attempt failed (${sentenceEnd(failure).slice(0, -1)}); retrying for up to ${formatMs(this.settings.finallyRetryBudgetMs)}.`,
    });
  }

  private raiseAlert(run: Run, spec: StepAlert): void {
    const alert = {
      ...spec,
      profile: this.profile.name,
      runId: run.record.id,
      raisedAt: new Date().toISOString(),
      raisedBy: run.owner,
    };
    if (this.recordActive(() => this.alerts.raise(alert)) === undefined && !this.alerts.get(alert.id)) return;
    run.record.alert = alert;
    this.events.emit('alert-raised', { alert });
  }

  /** The step's bookkeeping for other processes (the rotation journal's stage); a failure is said, not fatal. */
  private async recordOutcome(
    step: Step<Record<string, unknown>>,
    ctx: StepContext<Record<string, unknown>>,
    ok: boolean,
  ): Promise<void> {
    if (!step.recordOutcome) return;
    try {
      await step.recordOutcome(ctx, ok);
    } catch (e) {
      ctx.print(`Could not record the outcome for other windows and processes: ${describeError(e).message}`);
    }
  }

  private applyAlert(
    run: Run,
    step: Step<Record<string, unknown>>,
    ctx: StepContext<Record<string, unknown>>,
    ok: boolean,
  ): void {
    if (!step.alert) return;
    const spec = step.alert(ctx);
    if (ok) {
      if (spec.clear === false) return;
      const raised = this.alerts.get(spec.id);
      if (raised?.clearedOnlyBy && !raised.clearedOnlyBy.includes(run.record.actionId)) return;
      if (run.record.alert?.id === spec.id) run.record.alert = null;
      if (this.recordActive(() => this.alerts.clear(spec.id))) {
        this.events.emit('alert-cleared', { profile: this.profile.name, id: spec.id });
      }
      return;
    }
    // A run whose every step was refused before it ran cannot have stopped what the alert would report as stopped.
    if (spec.raise === false || !run.mayHaveActed) return;
    this.raiseAlert(run, spec);
  }

  private attempt(
    run: Run,
    step: Step<Record<string, unknown>>,
    rec: StepRecord,
    ctx: StepContext<Record<string, unknown>>,
  ): Promise<StepVerdict> {
    if (step.kind !== 'remote') run.mayHaveActed = true;
    switch (step.kind) {
      case 'remote':
        return this.remote(run, step, rec, ctx);
      case 'http-wait':
        return this.httpWait(step, ctx);
      case 'admin-room':
        return this.adminRoomStep(run, step, rec, ctx);
      case 'admin-api':
        return this.adminApiStep(run, step, rec, ctx);
      case 'local':
        return Promise.resolve(step.run(ctx));
    }
  }

  private async remote(
    run: Run,
    step: RemoteStep<Record<string, unknown>>,
    rec: StepRecord,
    ctx: StepContext<Record<string, unknown>>,
  ): Promise<StepVerdict> {
    const check = step.check ?? exitZero;
    const poll = step.poll?.(ctx);
    // In the clean-up, a wait ends with the retry budget too (it is checked at least once).
    const deadline = poll
      ? Math.min(Date.now() + poll.forMs, run.finallyDeadline ?? Number.POSITIVE_INFINITY)
      : 0;
    let shown: string | null = null;
    const started = Date.now();
    for (;;) {
      const out = await this.execRemote(run, step, rec, ctx, !poll);
      if (poll) {
        // Polling repeats the same answer; show it only when it changes.
        const text = out.stdout + out.stderr;
        if (text !== shown) {
          this.output(run, rec, 'stdout', run.redactor.redact(text));
          shown = text;
        }
      }
      const verdict = check(out, ctx);
      if (verdict.ok || !poll) return verdict;
      if (Date.now() + poll.everyMs > deadline) {
        return {
          ...verdict,
          message: `${verdict.message} after waiting ${Math.round((Date.now() - started) / 1000)} s`,
        };
      }
      await sleep(poll.everyMs, ctx.signal, step.title);
    }
  }

  private async execRemote(
    run: Run,
    step: RemoteStep<Record<string, unknown>>,
    rec: StepRecord,
    ctx: StepContext<Record<string, unknown>>,
    stream: boolean,
  ): Promise<RemoteOutput> {
    const host = step.host(ctx);
    const stdout = new TailBuffer(MAX_CAPTURE);
    const stderr = new TailBuffer(MAX_CAPTURE);
    const live = stream && !step.quiet;
    const redactors: Record<'stdout' | 'stderr', StreamRedactor> = {
      stdout: run.redactor.stream(),
      stderr: run.redactor.stream(),
    };
    const done = new AbortController();
    const lines = step.stopWhen ? new LineWatch((line) => step.stopWhen?.(line, ctx) === true) : null;
    const emit = (which: 'stdout' | 'stderr', chunk: string) => {
      (which === 'stdout' ? stdout : stderr).push(chunk);
      if (live) this.output(run, rec, which, redactors[which].push(chunk));
      if (which === 'stdout' && lines && !done.signal.aborted && lines.push(chunk)) done.abort();
    };
    const command = step.command(ctx);
    rec.command = run.redactor.redact(command);
    try {
      const res = await this.opts.exec.exec(host, command, {
        timeoutMs: step.timeoutMs(ctx),
        signal: step.stopWhen ? AbortSignal.any([ctx.signal, done.signal]) : ctx.signal,
        sudo: step.privileged && this.profile.hosts[host].sudo,
        ...(step.stdin ? { stdin: step.stdin.content(ctx) } : {}),
        label: step.title,
        onStdout: (c) => emit('stdout', c),
        onStderr: (c) => emit('stderr', c),
      });
      run.mayHaveActed = true;
      rec.exitCode = res.exitCode;
      return {
        exitCode: res.exitCode,
        signal: res.signal,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        stoppedEarly: false,
      };
    } catch (e) {
      if (!(isAppError(e) && NOTHING_SENT.has(e.code))) run.mayHaveActed = true;
      if (!(e instanceof Cancelled) || !done.signal.aborted || ctx.signal.aborted) throw e;
      return {
        exitCode: null,
        signal: 'TERM',
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        stoppedEarly: true,
      };
    } finally {
      if (live) {
        this.output(run, rec, 'stdout', redactors.stdout.end());
        this.output(run, rec, 'stderr', redactors.stderr.end());
      }
    }
  }

  private async httpWait(
    step: Extract<Step<Record<string, unknown>>, { kind: 'http-wait' }>,
    ctx: StepContext<Record<string, unknown>>,
  ): Promise<StepVerdict> {
    const url = step.url(ctx);
    const total = step.timeoutMs(ctx);
    const deadline = Date.now() + total;
    const ca = await this.caCertificate();
    let last: string | null = null;
    for (;;) {
      let note: string;
      try {
        const res = await request({
          method: 'GET',
          url,
          ca,
          timeoutMs: Math.max(500, Math.min(10_000, deadline - Date.now())),
          signal: ctx.signal,
          label: `GET ${url}`,
        });
        if (step.ready(res.status, res.body))
          return { ok: true, summary: `${url} answers (HTTP ${res.status}).` };
        note = `HTTP ${res.status}`;
      } catch (e) {
        if (e instanceof Cancelled) throw e;
        note = describeError(e).message;
      }
      if (note !== last) {
        ctx.print(`Not answering yet: ${note}`);
        last = note;
      }
      if (Date.now() + this.settings.pollIntervalMs > deadline) {
        const error = new Timeout(`Waiting for ${url}`, total);
        return { ok: false, message: `${error.message} Last answer: ${note}`, error };
      }
      await sleep(this.settings.pollIntervalMs, ctx.signal, step.title);
    }
  }

  private async adminRoomStep(
    run: Run,
    step: Extract<Step<Record<string, unknown>>, { kind: 'admin-room' }>,
    rec: StepRecord,
    ctx: StepContext<Record<string, unknown>>,
  ): Promise<StepVerdict> {
    const secrets = this.opts.secrets;
    const token = secrets
      ? await secrets.get({ profile: this.profile.name, kind: 'matrix-admin-token' })
      : null;
    if (!token) throw new SecretMissing('matrix-admin-token');
    let reply: string;
    try {
      const client = await this.adminRoom();
      const answer = await client.run(token.toString('utf8'), step.command(ctx), {
        timeoutMs: step.timeoutMs(ctx),
        signal: ctx.signal,
      });
      reply = answer.body;
    } finally {
      token.fill(0);
    }
    this.output(run, rec, 'stdout', `${run.redactor.redact(reply)}\n`);
    return (step.check ?? anyReply)(reply, ctx);
  }

  private async adminApiStep(
    run: Run,
    step: Extract<Step<Record<string, unknown>>, { kind: 'admin-api' }>,
    rec: StepRecord,
    ctx: StepContext<Record<string, unknown>>,
  ): Promise<StepVerdict> {
    const token = this.opts.secrets
      ? await this.opts.secrets.get({ profile: this.profile.name, kind: 'matrix-admin-token' })
      : null;
    if (!token) throw new SecretMissing('matrix-admin-token');
    let answer: { status: number; json: unknown };
    try {
      const json = step.json?.(ctx);
      answer = await adminApiRequest({
        baseUrl: this.profile.publicUrl,
        accessToken: token.toString('utf8'),
        method: step.method,
        path: step.path(ctx),
        ...(json === undefined ? {} : { json }),
        ca: await this.caCertificate(),
        timeoutMs: step.timeoutMs(ctx),
        signal: ctx.signal,
        label: step.title,
      });
    } finally {
      token.fill(0);
    }
    this.output(
      run,
      rec,
      'stdout',
      run.redactor.redact(`HTTP ${answer.status} ${JSON.stringify(answer.json) ?? ''}\n`),
    );
    if (step.check) return step.check(answer, ctx);
    return answer.status === 200
      ? { ok: true, summary: `The admin API answered HTTP ${answer.status}.` }
      : { ok: false, message: `the admin API answered HTTP ${answer.status}` };
  }

  private async adminRoom(): Promise<AdminRoomClient> {
    if (!this.adminRoomClient) {
      this.adminRoomClient = new AdminRoomClient({
        baseUrl: this.profile.publicUrl,
        serverName: this.profile.serverName,
        ca: await this.caCertificate(),
      });
    }
    return this.adminRoomClient;
  }

  private async caCertificate(): Promise<Buffer | undefined> {
    return this.profile.caFile ? readFile(expandHome(this.profile.caFile)) : undefined;
  }

  private output(run: Run, rec: StepRecord, stream: 'stdout' | 'stderr' | 'info', text: string): void {
    if (!text) return;
    rec.output += text;
    if (rec.output.length > MAX_STEP_OUTPUT * 2) rec.output = rec.output.slice(-MAX_STEP_OUTPUT);
    this.events.emit('step-output', { runId: run.record.id, stepId: rec.id, stream, text });
  }

  private async audit(record: Parameters<AuditLog['append']>[0], redactor: Redactor): Promise<void> {
    if (!this.opts.audit) return;
    try {
      await this.opts.audit.append(record, redactor);
    } catch {
      // A full disk must not turn a finished run into a failed one; the run record still says what happened.
    }
  }
}

/** The longest line `stopWhen` is shown; a reply line is short, and the rest of a longer one is not looked at. */
const MAX_WATCHED_LINE = 64 * 1024;

/**
 * Feeds `stopWhen` each line of stdout once, as it completes: every chunk is scanned once, so a command
 * printing megabytes costs time in proportion to what it printed, not to its square.
 */
class LineWatch {
  private partial = '';

  constructor(private readonly test: (line: string) => boolean) {}

  /** True once a line satisfied the test. */
  push(chunk: string): boolean {
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', from)) {
      const line = this.partial + chunk.slice(from, nl);
      this.partial = '';
      from = nl + 1;
      if (this.test(line)) return true;
    }
    if (this.partial.length < MAX_WATCHED_LINE)
      this.partial += chunk.slice(from, from + MAX_WATCHED_LINE - this.partial.length);
    return false;
  }
}

/** Time as the clean-up's sentences say it: "3 min", "45 s". */
function formatMs(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

/** What a confirmation is bound to: the action, its bound parameters, its danger, and what its steps are. */
function planDigest(plan: Omit<Plan, 'confirmation'>): string {
  const facts = {
    actionId: plan.action.id,
    params: plan.params,
    danger: plan.danger,
    confirm: plan.confirm,
    route: plan.route,
    locks: plan.locks,
    steps: plan.steps.map((s) => [s.id, s.phase, s.kind, s.host, s.sudo]),
  };
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex');
}

function anyReply(reply: string): StepVerdict {
  const v = readAnyReply(reply);
  return v.ok ? { ok: true, summary: v.line } : { ok: false, message: `Tuwunel answered: ${v.line}` };
}

function exitZero(out: RemoteOutput): StepVerdict {
  if (out.exitCode === 0) return { ok: true };
  const tail = (out.stderr.trim() || out.stdout.trim()).split('\n').slice(-2).join(' / ');
  return {
    ok: false,
    message: `exited with ${out.exitCode === null ? `signal ${out.signal ?? 'unknown'}` : `code ${out.exitCode}`}${tail ? `: ${tail}` : ''}`,
  };
}

function sentenceEnd(s: string): string {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

function snapshot(record: RunRecord): RunRecord {
  return structuredClone(record);
}
