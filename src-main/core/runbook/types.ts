import type { z } from 'zod';
import type { AppError } from '../errors';
import type { AdminApiMethod } from '../matrix/admin-api';
import type { ServerFacts } from '../matrix/server-facts';
import type { HostRole, Profile } from '../profile/schema';
import type { RemoteExec } from '../ssh/types';
import type { ActionGroup, Danger, Route } from '../vocab';
import type { AnsibleSummary } from './ansible-output';
import type { MaintenanceAccess } from './maintenance';

export type { ActionGroup, Danger, Route };

/** Time limits and retry bounds. The defaults are the runbook's; tests pass short ones. */
export interface RunbookSettings {
  /** `timeout N` around the Tuwunel `--execute` container (the runbook's 60). */
  cliExecuteTimeoutSeconds: number;
  /** systemctl start/stop/restart and other short remote commands. */
  unitCommandTimeoutMs: number;
  /** How long units may take to become active (or inactive) after start (stop). */
  unitsSettleTimeoutMs: number;
  /** How long Tuwunel may take to answer its federation version endpoint after a restart. */
  tuwunelReadyTimeoutMs: number;
  /** One ansible-playbook run (install-all can take many minutes). */
  playbookTimeoutMs: number;
  /** git pull, ansible-galaxy install. */
  deployCommandTimeoutMs: number;
  /** Reading and writing vars.yml. */
  fileCommandTimeoutMs: number;
  /** Waiting for the admin bot's reply. */
  adminReplyTimeoutMs: number;
  /** logs.follow ends by itself after this long. */
  logsFollowMaxMs: number;
  /** Between polls of a unit's state or an HTTP endpoint. */
  pollIntervalMs: number;
  /** A `finally` step is tried this many times (fresh connection each time) before it counts as failed. */
  finallyAttempts: number;
  finallyRetryDelayMs: number;
  /**
   * How long the clean-up may keep retrying, all its steps together (each still runs once): starting
   * Tuwunel again after CLI mode gives up, with its alert standing, after this long (setting, 3 min).
   */
  finallyRetryBudgetMs: number;
}

export const DEFAULT_SETTINGS: RunbookSettings = {
  cliExecuteTimeoutSeconds: 60,
  unitCommandTimeoutMs: 180_000,
  unitsSettleTimeoutMs: 120_000,
  tuwunelReadyTimeoutMs: 120_000,
  playbookTimeoutMs: 60 * 60_000,
  deployCommandTimeoutMs: 15 * 60_000,
  fileCommandTimeoutMs: 30_000,
  adminReplyTimeoutMs: 60_000,
  logsFollowMaxMs: 12 * 60 * 60_000,
  pollIntervalMs: 1_000,
  finallyAttempts: 4,
  finallyRetryDelayMs: 2_000,
  finallyRetryBudgetMs: 3 * 60_000,
};

/** What the runner itself reads from every run's scratch: the playbook's summary, kept with the run. */
export interface RunScratch {
  ansible?: AnsibleSummary;
}

/** An action without values of its own to hand from step to step. */
export type NoScratch = Record<never, never>;

/**
 * What every builder in the catalog sees: known before the run starts, so dry runs see it too. `S` is the
 * action's own scratch: what its steps hand to later steps, each value absent until a step sets it.
 */
export interface PlanContext<P, S extends object = NoScratch> {
  profile: Profile;
  params: P;
  /** A Matrix admin access token is stored: the admin API and the admin room can be used. */
  adminToken: boolean;
  /**
   * What the homeserver said about itself when the plan was made: its release and whether its admin API
   * answers. For actions that do not ask (`asksServer`), the profile's pin alone.
   */
  server: ServerFacts;
  settings: RunbookSettings;
  startedAt: Date;
  /** Values steps hand to later steps (e.g. the file read, then written back). Empty in a dry run. */
  scratch: Partial<S> & RunScratch;
  dryRun: boolean;
}

export interface StepContext<P, S extends object = NoScratch> extends PlanContext<P, S> {
  runId: string;
  signal: AbortSignal;
  /** A line of the app's own commentary in this step's output (redacted like everything else). */
  print(line: string): void;
  /** Maintenance as this run's steps change it: what they enter is marked as the run's (recovery.ts). */
  maintenance: MaintenanceAccess;
}

export type StepVerdict =
  | {
      ok: true;
      summary?: string /** End the run successfully now with this sentence; later main steps are skipped. */;
      finish?: string;
    }
  | { ok: false; message: string; error?: AppError };

export interface RemoteOutput {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The runner stopped the command because `stopWhen` was satisfied. */
  stoppedEarly: boolean;
}

/** A sticky alert a step raises when it fails and clears when it succeeds. */
export interface StepAlert {
  id: string;
  title: string;
  message: string;
  /** The action that fixes it, offered as one click. */
  fixActionId: string;
  /** false: this step only clears the alert when it succeeds (it checks more than the alert is about). */
  raise?: boolean;
  /** false: this step only raises the alert when it fails (its success does not fix what the alert is about). */
  clear?: boolean;
  /**
   * Once raised, only a successful step of these actions clears it: what it reports needs more than the
   * other steps that clear this alert do (e.g. a pull as well as an apply). Unset: any of them.
   */
  clearedOnlyBy?: readonly string[];
}

interface StepBase<P, S extends object> {
  id: string;
  title: string;
  /** Left out of the plan when false (e.g. the CLI-mode steps when the admin room is used). */
  when?: (ctx: PlanContext<P, S>) => boolean;
  /** Raised when this step fails, cleared when it succeeds. */
  alert?: (ctx: PlanContext<P, S>) => StepAlert;
  /**
   * Asked when the step's turn comes: a sentence means the run already made the step needless (it ends
   * ok with that summary and sends nothing), e.g. a clean-up for a failure that did not happen.
   */
  needless?: (ctx: StepContext<P, S>) => string | null;
  /**
   * Bookkeeping once the step's verdict is in, for other processes and later starts to read (the rotation
   * journal's stage). A failure here is printed, and does not change the verdict.
   */
  recordOutcome?: (ctx: StepContext<P, S>, ok: boolean) => Promise<void> | void;
}

export interface RemoteStep<P, S extends object = NoScratch> extends StepBase<P, S> {
  kind: 'remote';
  host: (ctx: PlanContext<P, S>) => HostRole;
  /** Needs root: runs through sudo when the host's profile entry says `sudo: true`. */
  privileged: boolean;
  command: (ctx: PlanContext<P, S>) => string;
  /** Non-secret content for the command's stdin, and how a dry run names it. */
  stdin?: { describe: string; content: (ctx: StepContext<P, S>) => string };
  timeoutMs: (ctx: PlanContext<P, S>) => number;
  /** Output is read by the step but not shown (e.g. vars.yml, which holds the deploy's secrets). */
  quiet?: boolean;
  /** Reads the result; the default is "exit code 0". */
  check?: (out: RemoteOutput, ctx: StepContext<P, S>) => StepVerdict;
  /**
   * The command has done its job once a line of its stdout satisfies this (each line is shown once, as it
   * completes), and is stopped then rather than waited for: Tuwunel's `--execute` answers and then keeps
   * serving until `timeout` ends it.
   */
  stopWhen?: (line: string, ctx: PlanContext<P, S>) => boolean;
  /** Re-run until `check` passes, for at most `forMs` (waiting for units to settle). */
  poll?: (ctx: PlanContext<P, S>) => { everyMs: number; forMs: number };
}

export interface HttpWaitStep<P, S extends object = NoScratch> extends StepBase<P, S> {
  kind: 'http-wait';
  url: (ctx: PlanContext<P, S>) => string;
  /** The answer that ends the wait. */
  ready: (status: number, body: string) => boolean;
  timeoutMs: (ctx: PlanContext<P, S>) => number;
}

export interface AdminRoomStep<P, S extends object = NoScratch> extends StepBase<P, S> {
  kind: 'admin-room';
  /** The admin command without the `!admin` prefix. */
  command: (ctx: PlanContext<P, S>) => string;
  timeoutMs: (ctx: PlanContext<P, S>) => number;
  check?: (reply: string, ctx: StepContext<P, S>) => StepVerdict;
}

/** What the admin API answered: any status, the body as JSON (undefined when it was not JSON). */
export interface AdminApiOutput {
  status: number;
  json: unknown;
}

/** One request to Tuwunel's Synapse-compatible admin API, with the stored admin token. */
export interface AdminApiStep<P, S extends object = NoScratch> extends StepBase<P, S> {
  kind: 'admin-api';
  method: AdminApiMethod;
  /** Below /_synapse/admin, e.g. `/v2/users/%40bob%3Aexample.org`. */
  path: (ctx: PlanContext<P, S>) => string;
  json?: (ctx: PlanContext<P, S>) => unknown;
  timeoutMs: (ctx: PlanContext<P, S>) => number;
  /** Reads the answer; the default is "HTTP 200". */
  check?: (out: AdminApiOutput, ctx: StepContext<P, S>) => StepVerdict;
}

export interface LocalStep<P, S extends object = NoScratch> extends StepBase<P, S> {
  kind: 'local';
  /** What the step does, for the dry run. */
  describe: (ctx: PlanContext<P, S>) => string;
  run: (ctx: StepContext<P, S>) => Promise<StepVerdict> | StepVerdict;
}

export type Step<P, S extends object = NoScratch> =
  | RemoteStep<P, S>
  | HttpWaitStep<P, S>
  | AdminRoomStep<P, S>
  | AdminApiStep<P, S>
  | LocalStep<P, S>;

/** How a user action reaches Tuwunel, and why this way: the plan, the dry run and the confirm dialog say both. */
export interface RouteChoice {
  via: Route;
  why: string;
}

/** What an action's look before the plan may use: read-only commands on the profile's hosts. */
export interface InspectIo {
  exec: RemoteExec;
}

export interface Action<P, S extends object = NoScratch> {
  id: string;
  title: string;
  description: string;
  group: ActionGroup;
  /** The host the action is about, for the menus. */
  host: HostRole;
  danger: (ctx: PlanContext<P, S>) => Danger;
  /** What users notice, e.g. "about 30 s: Matrix is unavailable while Tuwunel is stopped". */
  downtime: (ctx: PlanContext<P, S>) => string;
  /** Syntax of the parameters (strings from the CLI are accepted where a boolean is expected). */
  params: z.ZodType<P, Record<string, unknown>>;
  /** Checks that need the profile or the server (own server, known units, the release's grammar); throws a typed error. */
  bind?: (params: P, profile: Profile, server: ServerFacts) => P;
  /** The plan asks the homeserver for its release and its admin API first (see PlanContext.server). */
  asksServer?: boolean;
  /** User actions: which way they reach Tuwunel, and why. */
  route?: (ctx: PlanContext<P, S>) => RouteChoice;
  /**
   * A read-only look before the plan is made, e.g. at the vars.yml a playbook run would deploy, to lint it.
   * What it returns starts the run's scratch (the dry run sees it too); it throws ActionRefused to refuse
   * before anything runs.
   */
  inspect?: (ctx: PlanContext<P, S>, io: InspectIo) => Promise<Partial<S>>;
  /** The sentence the user confirms, naming the exact effect. */
  confirm: (ctx: PlanContext<P, S>) => string;
  /** Hosts this action changes: one mutating run per host. Empty for read-only actions (not locked). */
  locks: (ctx: PlanContext<P, S>) => HostRole[];
  /** Alerts about these units are suppressed while the run lasts: downtime the admin asked for. */
  maintenanceWindow?: (ctx: PlanContext<P, S>) => { units: string[] | 'all'; reason: string } | null;
  /** Changes nothing anywhere (logs.follow): never locked, never confirmed. */
  readOnly?: boolean;
  /** Needs the stored Matrix admin access token (fails before doing anything without it). */
  requiresAdminToken?: boolean;
  steps: Step<P, S>[];
  /** Run whatever happened in `steps`: after success, failure, timeout, cancel, or a dropped connection. */
  finally: Step<P, S>[];
  /** The sentence for a successful run. */
  success: (ctx: StepContext<P, S>) => string;
  /** Ends the sentence of a run that failed or was cancelled: what it left behind, once the finally steps ran. */
  leftBehind?: (ctx: StepContext<P, S>) => string | null;
  /** The sentence for a cancelled run when cancelling is the normal way to end it (logs.follow). */
  cancelled?: (ctx: StepContext<P, S>) => string;
  /**
   * What a run of it whose process was killed may have left, for recovery (recovery.ts) at the next start-up
   * or status poll. Without it an interrupted run leaves nothing to name (read-only actions; the token
   * actions, whose rotation journal says where they stopped).
   */
  interrupted?: InterruptedSpec;
}

export interface InterruptedSpec {
  /** Main steps before this one change nothing on a host: a run stopped before it left nothing. */
  actsFrom?: string;
  /**
   * The units the action stops or restarts: every one active shows nothing is left (its maintenance goes,
   * no alert). Without units the hosts cannot show it, and an interrupted run always leaves an alert.
   */
  units?: (profile: Profile) => string[];
  /** stack.start: its clean-up turns maintenance mode off whatever happened, so recovery does too. */
  endsMaintenance?: boolean;
  /** What it may have left where the hosts cannot show it, e.g. "the configuration may be only partly applied". */
  left?: string;
  /** The action that fixes what it left; its success clears the alert. */
  fix: string;
}

/** The catalog holds actions of many parameter and scratch types; builders only ever see their own. */
export type AnyAction = Action<Record<string, unknown>, Record<string, unknown>>;

export function defineAction<P, S extends object = NoScratch>(action: Action<P, S>): AnyAction {
  return action as unknown as AnyAction;
}
