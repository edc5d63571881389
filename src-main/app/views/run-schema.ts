import { z } from 'zod';
import {
  ACTION_GROUPS,
  DANGERS,
  ROUTES,
  RUN_STATES,
  STEP_KINDS,
  STEP_PHASES,
  STEP_STATES,
} from '../../core/vocab';
import { errorInfo, hostRole, id, time } from './common-schema';

/**
 * One rule of a text parameter: the value must match `pattern` (JavaScript RegExp source, with `flags`),
 * else `message` — a phrase completing "<label> …", e.g. "needs the form @localpart:server".
 * Rules are checked in order; the first that fails is shown.
 */
export const paramRule = z.object({
  pattern: z.string(),
  flags: z
    .string()
    .regex(/^[imsu]*$/)
    .optional(),
  message: z.string(),
});
export type ParamRule = z.infer<typeof paramRule>;

/**
 * A serialisable description of one action parameter, from which the window builds the zod schema that
 * validates the form as the user types. The core validates the run request again with the catalog's own
 * schema; its verdict comes back as an InvalidInput error with `field`, shown at that field.
 */
export const paramSpec = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/),
  label: z.string(),
  help: z.string().optional(),
  placeholder: z.string().optional(),
  kind: z.enum(['text', 'boolean', 'integer', 'choice']),
  required: z.boolean(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  /** A hint for the input (autocomplete off, monospace…); validation comes from the rules. */
  format: z.enum(['matrix-user', 'server-name', 'systemd-unit', 'admin-command', 'plain']).optional(),
  maxLength: z.number().int().positive().optional(),
  rules: z.array(paramRule).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  options: z.array(z.object({ value: z.string(), label: z.string() })).optional(),
});
export type ParamSpec = z.infer<typeof paramSpec>;

export const actionInfo = z.object({
  id,
  title: z.string(),
  description: z.string(),
  group: z.enum(ACTION_GROUPS),
  /** The host it is about. */
  host: hostRole,
  /**
   * For this profile and the secrets stored now (make-admin is safe through the admin room, disruptive in
   * CLI mode); null when it depends on the parameters. The plan of a request decides what the confirm shows.
   */
  danger: z.enum(DANGERS).nullable(),
  /** Expected downtime in words ("about 30 s: Matrix is unavailable while Tuwunel is stopped"); null if none. */
  downtime: z.string().nullable(),
  /** Changes nothing (logs.follow): never locked, never confirmed. */
  readOnly: z.boolean(),
  /** Needs the stored Matrix admin access token. */
  requiresAdminToken: z.boolean(),
  params: z.array(paramSpec),
});
export type ActionInfo = z.infer<typeof actionInfo>;

export const paramValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
export type ParamValues = z.infer<typeof paramValues>;

export const diffLine = z.object({ op: z.enum([' ', '+', '-']), text: z.string() });
export const federationDiff = z.object({
  /** The vars.yml path on the deploy host. */
  file: z.string(),
  /** The allowlist's lines only (vars.yml holds secrets; nothing else of it is shown). */
  lines: z.array(diffLine),
});
export type FederationDiff = z.infer<typeof federationDiff>;

/** A one-time confirmation as the main process issues it (random, URL-safe). */
export const confirmationToken = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);

export const plannedStep = z.object({
  id,
  title: z.string(),
  /** `finally` steps run whatever happened before (e.g. "Start matrix-tuwunel again"). */
  phase: z.enum(STEP_PHASES),
  kind: z.enum(STEP_KINDS),
  /** Remote steps: where. */
  host: hostRole.nullable(),
  sudo: z.boolean(),
  /** Exactly what is sent, secrets masked: a command line, `GET <url>`, `!admin …`, or what a local step does. */
  command: z.string(),
  /** What goes to stdin, described (never the content). */
  stdin: z.string().nullable(),
  timeoutMs: z.number().int().nullable(),
});
export type PlannedStep = z.infer<typeof plannedStep>;

/** What a request would do: the dry run, and the facts the confirm dialog names. */
export const plan = z.object({
  actionId: id,
  /** Parameters after validation and normalisation (e.g. `bob` → `@bob:rampancy.cloud`). */
  params: paramValues,
  danger: z.enum(DANGERS),
  downtime: z.string().nullable(),
  /** The sentence the user confirms, naming the exact effect. */
  confirm: z.string(),
  /** user.* actions: the admin API or the admin room (no downtime), or the CLI mode (Tuwunel stopped). */
  route: z.enum(ROUTES).nullable(),
  /** Why that route: the server's release, the admin API, the stored admin sign-in. */
  routeWhy: z.string().nullable(),
  steps: z.array(plannedStep),
  /**
   * Issued by the main process with this plan when it needs confirming: the window hands it back to start
   * exactly this plan once the user accepted it (good once, for 10 minutes); null when the plan is safe.
   */
  confirmation: confirmationToken.nullable(),
});
export type Plan = z.infer<typeof plan>;

export const runStep = plannedStep.extend({
  state: z.enum(STEP_STATES),
  startedAt: time.nullable(),
  endedAt: time.nullable(),
  exitCode: z.number().int().nullable(),
  /** Finally steps may take several attempts (fresh connection each). */
  attempts: z.number().int().nonnegative(),
  /** One line on what the step found, e.g. "All 9 units active." */
  summary: z.string().nullable(),
  error: errorInfo.nullable(),
});
export type RunStep = z.infer<typeof runStep>;

export const recapRow = z.object({
  host: z.string(),
  ok: z.number().int(),
  changed: z.number().int(),
  unreachable: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  rescued: z.number().int(),
  ignored: z.number().int(),
});
export type RecapRow = z.infer<typeof recapRow>;

export const playRecap = z.object({
  rows: z.array(recapRow),
  firstFailedTask: z.string().nullable(),
  /** A top-level `ERROR!` (e.g. vars.yml is not YAML), condensed to one line. */
  error: z.string().nullable(),
});
export type PlayRecap = z.infer<typeof playRecap>;

/** What the run panel offers after an outcome, e.g. "Start stack" after a start that could not be confirmed. */
export const followUp = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('action'), actionId: id, label: z.string() }),
  z.object({ kind: z.literal('rollback'), label: z.string() }),
]);
export type FollowUp = z.infer<typeof followUp>;

export const runState = z.object({
  runId: id,
  actionId: id,
  title: z.string(),
  /** Parameters as bound (never secrets). */
  params: paramValues,
  danger: z.enum(DANGERS),
  route: z.enum(ROUTES).nullable(),
  state: z.enum(RUN_STATES),
  startedAt: time,
  endedAt: time.nullable(),
  steps: z.array(runStep),
  /** A sentence a person understands ("Tuwunel was restarted and answers again."); null while running. */
  sentence: z.string().nullable(),
  /** What to do about a failure (the failing step's next step). */
  nextStep: z.string().nullable(),
  failingStep: z.string().nullable(),
  recap: playRecap.nullable(),
  /** federation.allow/disallow: the allowlist diff, as soon as the edit step made it (before the apply). */
  diff: federationDiff.nullable(),
  followUps: z.array(followUp),
});
export type RunState = z.infer<typeof runState>;

export const outputChunk = z.object({
  /** Increases by one per chunk within a run; lets the window drop duplicates after runs.get. */
  seq: z.number().int().nonnegative(),
  stepId: id.nullable(),
  stream: z.enum(['stdout', 'stderr', 'info']),
  /** Redacted by the core. */
  text: z.string(),
});
export type OutputChunk = z.infer<typeof outputChunk>;

export const runDetail = runState.extend({
  /** The redacted output so far (the tail, when very long). */
  output: z.array(outputChunk),
});
export type RunDetail = z.infer<typeof runDetail>;

export const runSummary = runState.pick({
  runId: true,
  actionId: true,
  title: true,
  state: true,
  startedAt: true,
  endedAt: true,
  sentence: true,
});
export type RunSummary = z.infer<typeof runSummary>;

// ───────────────────────────── logs ─────────────────────────────

/** One line as `journalctl -fu <unit>` prints it (its own timestamp and process prefix included). */
export const logLine = z.string();
export type LogLine = z.infer<typeof logLine>;
