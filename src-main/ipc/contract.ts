/**
 * The one IPC contract between the main process and the window: every channel exactly once.
 *
 * - `invokeChannels`: request/response calls. The router validates each request with its schema before it
 *   reaches the core, and answers with `Result<value>`: errors travel as sentences (describeError), never as
 *   thrown exceptions or stack traces.
 * - `eventChannels`: main → window pushes, each with its payload schema.
 *
 * Everything on the wire is JSON-safe (times as ISO 8601 strings, as the core writes them; no Date, no Map)
 * so the same contract works over Electron's structured clone and over Playwright's exposeBinding.
 *
 * This file imports only zod (and channels.ts): the renderer typechecks it with DOM types and no Node types,
 * and imports nothing from it but types. The router imports it at runtime; the preload imports only
 * channels.ts, the zod-free list of the channel names that `buildApi` turns into `window.api`.
 *
 * The registration token crosses this boundary in exactly one place, `token.reveal`, for a 10 s display.
 */
import { z } from 'zod';
import {
  ACTION_GROUPS,
  ALERT_PHASES,
  CHECK_HOSTS,
  CLIPBOARD_WHATS,
  DANGERS,
  HOST_ROLES,
  isPerHostSecret,
  LEVELS,
  PANELS,
  RUN_STATES,
  SECRET_KINDS,
  SETTINGS_LIMITS,
  STEP_KINDS,
  STEP_PHASES,
  STEP_STATES,
} from '../core/vocab';
import type { EventChannelName, InvokeChannelName } from './channels';

export { buildApi, eventMethodName } from './channels';

// ───────────────────────────── shared building blocks ─────────────────────────────

/** ISO 8601, as the core writes times (`new Date().toISOString()`). */
const time = z.iso.datetime({ offset: true });
const id = z.string().min(1).max(200);

export const hostRole = z.enum(HOST_ROLES);
export type HostRole = z.infer<typeof hostRole>;

/** Where a check looks: one of the SSH hosts, or the public side reached over HTTPS from this workstation. */
export const checkHost = z.enum(CHECK_HOSTS);
export type CheckHost = z.infer<typeof checkHost>;

export const level = z.enum(LEVELS);
export type Level = z.infer<typeof level>;

/** Error as the user sees it: a sentence and the next step, plus structured detail where the UI acts on it. */
export const hostKeyInfo = z.object({
  host: hostRole,
  address: z.string(),
  port: z.number().int().min(1).max(65535).optional(),
  keyType: z.string(),
  /** `SHA256:…` as `ssh-keygen -lf` prints it: the key presented now. */
  fingerprint: z.string(),
  /** HostKeyChanged only: the pins it contradicts, e.g. `ssh-ed25519 SHA256:… (~/.ssh/known_hosts:12)`. */
  expected: z.array(z.string()).optional(),
});
export type HostKeyInfo = z.infer<typeof hostKeyInfo>;

export const fieldIssue = z.object({
  /** Dotted path, e.g. `hosts.homeserver.address`, or a parameter name. */
  field: z.string(),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof fieldIssue>;

export const errorInfo = z.object({
  code: z.string(),
  message: z.string(),
  nextStep: z.string(),
  /** InvalidInput: which parameter or field. */
  field: z.string().optional(),
  /** ProfileInvalid: every field that is wrong. */
  issues: z.array(fieldIssue).optional(),
  /** HostKeyUnknown (and HostKeyChanged, with the received key): what to show in the trust dialog. */
  hostKey: hostKeyInfo.optional(),
});
export type ErrorInfo = z.infer<typeof errorInfo>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export function resultSchema<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: errorInfo }),
  ]);
}

const empty = z.object({}).strict();

// ───────────────────────────── app, settings, navigation ─────────────────────────────

export const panel = z.enum(PANELS);
export type Panel = z.infer<typeof panel>;

export const appInfo = z.object({
  version: z.string(),
  platform: z.string(),
  /** No profile exists yet: the window opens onboarding. */
  firstRun: z.boolean(),
});
export type AppInfo = z.infer<typeof appInfo>;

const { clipboardClearSeconds: clearLimits, pollIntervalSeconds: pollLimits } = SETTINGS_LIMITS;
/** Clipboard clear delay: 10 s … 5 min, or null for never. */
export const clipboardClearSeconds = z.number().int().min(clearLimits.min).max(clearLimits.max).nullable();

export const settings = z.object({
  clipboardClearSeconds,
  pollIntervalSeconds: z.number().int().min(pollLimits.min).max(pollLimits.max),
  notifications: z.boolean(),
  launchAtLogin: z.boolean(),
});
export type Settings = z.infer<typeof settings>;

export const navigateTarget = z.object({
  panel,
  runId: id.optional(),
  checkId: id.optional(),
  actionId: id.optional(),
  unit: z.string().optional(),
});
export type NavigateTarget = z.infer<typeof navigateTarget>;

/** Only https URLs; the main process also checks its host allowlist. */
export const httpsUrl = z
  .string()
  .max(2048)
  .refine((u) => {
    try {
      return new URL(u).protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an https:// URL');

// ───────────────────────────── profiles ─────────────────────────────

/**
 * A profile as the editor holds it: the YAML profile's keys (ProfileInput in core/profile/schema.ts).
 * Transported loosely; the core validates it with the real profile schema and answers per field.
 */
export const profileDraft = z.record(z.string(), z.unknown());

export interface HostDraft {
  address?: string;
  port?: number;
  user?: string;
  sudo?: boolean;
  identityFile?: string;
  agent?: boolean;
  jump?: HostRole;
}

/** The keys the window edits; any other key of a loaded profile is kept as it was. */
export interface ProfileDraft {
  name?: string;
  serverName?: string;
  publicUrl?: string;
  apexUrl?: string;
  caFile?: string;
  hosts?: { homeserver?: HostDraft; deploy?: HostDraft };
  knownHostsFile?: string;
  units?: string[];
  homeserver?: { image?: string; version?: string; dataDir?: string; configDir?: string };
  deploy?: {
    host?: HostRole;
    dir?: string;
    inventory?: string;
    vaultPasswordFile?: string;
    varsFile?: string;
    logDir?: string;
  };
  vault?: { repo?: string; file?: string; key?: string; deployCheckout?: string };
  [key: string]: unknown;
}

export const profileSummary = z.object({
  id,
  name: z.string(),
  serverName: z.string(),
  file: z.string(),
  /** The profile's units, for the log viewer's unit picker. */
  units: z.array(z.string()),
});
export type ProfileSummary = z.infer<typeof profileSummary>;

export const profilesList = z.object({
  profiles: z.array(profileSummary),
  selectedId: id.nullable(),
});
export type ProfilesList = z.infer<typeof profilesList>;

// ───────────────────────────── status ─────────────────────────────

export const check = z.object({
  /** Stable, e.g. `unit:matrix-tuwunel`, `disk:tuwunel-data`, `http:federation-version`. */
  id,
  host: checkHost,
  /** The badge group (service): a unit name, `config`, `ssh`, `tls`, `federation`, `client`, `backup`. */
  group: z.string(),
  title: z.string(),
  level,
  /** One sentence; ends with the next step when not ok. */
  detail: z.string(),
  /** At this level since. */
  since: time,
  checkedAt: time,
  /** What was measured under `maintenance`, or last known under a stale `unknown`. */
  underlying: level.optional(),
  alert: z.enum(ALERT_PHASES),
});
export type Check = z.infer<typeof check>;

export const hostState = z.object({
  host: checkHost,
  /** e.g. "admin@192.168.1.243" or "https://matrix.rampancy.cloud". */
  target: z.string(),
  /** null until polled once. */
  reachable: z.boolean().nullable(),
  /** Why it could not be reached (connection refused, host key unknown…), as a sentence. */
  error: errorInfo.nullable(),
  /** While backing off after failures: when it is tried again. */
  nextAttemptAt: time.nullable(),
});
export type HostState = z.infer<typeof hostState>;

/** Raised by a run, kept until fixed: e.g. "matrix-tuwunel is stopped", with the one click that fixes it. */
export const stickyAlert = z.object({
  id,
  title: z.string(),
  message: z.string(),
  fixActionId: id,
  runId: id,
  raisedAt: time,
});
export type StickyAlert = z.infer<typeof stickyAlert>;

export const statusSnapshot = z.object({
  profileId: id.nullable(),
  serverName: z.string(),
  overall: level,
  hosts: z.array(hostState),
  checks: z.array(check),
  lastRefresh: time.nullable(),
  refreshing: z.boolean(),
  intervalSeconds: z.number().positive(),
  /** Maintenance mode (stack.stop … stack.start); a run's own short window does not turn it on. */
  maintenance: z.object({
    on: z.boolean(),
    since: time.nullable(),
    reason: z.string().nullable(),
  }),
  stickyAlerts: z.array(stickyAlert),
  /** A mutating run in progress (the tray shows "busy"). */
  busy: z.object({ runId: id, title: z.string() }).nullable(),
  /** The refresh itself broke (a bug, not a host problem). */
  error: errorInfo.nullable(),
});
export type StatusSnapshot = z.infer<typeof statusSnapshot>;

// ───────────────────────────── actions and runs ─────────────────────────────

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
  /** user.* actions: through the admin room (no downtime) or the CLI mode (Tuwunel stopped). */
  route: z.enum(['admin-room', 'cli']).nullable(),
  steps: z.array(plannedStep),
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
  route: z.enum(['admin-room', 'cli']).nullable(),
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

// ───────────────────────────── tokens, invites, secrets ─────────────────────────────

export const inviteInfo = z.object({
  /** Opaque handle chosen by the main process; the invite token itself never reaches the window. */
  id,
  /** The token's first 4 characters and an ellipsis, to tell invites apart. */
  hint: z.string(),
  usesAllowed: z.number().int().nullable(),
  pending: z.number().int(),
  completed: z.number().int(),
  expiresAt: time.nullable(),
});
export type InviteInfo = z.infer<typeof inviteInfo>;

export const secretKind = z.enum(SECRET_KINDS);
export type SecretKind = z.infer<typeof secretKind>;

function belongsWhereItShould(r: { kind: SecretKind; host: HostRole | null }): boolean {
  return isPerHostSecret(r.kind) === (r.host !== null);
}
const secretPlace = {
  message: 'SSH and sudo secrets belong to a host; the vault password and admin token do not',
  path: ['host'],
};

export const secretRef = z
  .object({ kind: secretKind, host: hostRole.nullable() })
  .strict()
  .refine(belongsWhereItShould, secretPlace);
export type SecretRef = z.infer<typeof secretRef>;

export const secretSlot = z.object({ kind: secretKind, host: hostRole.nullable(), stored: z.boolean() });
export type SecretSlot = z.infer<typeof secretSlot>;

export const clipboardWhat = z.enum(CLIPBOARD_WHATS);

// ───────────────────────────── the channels ─────────────────────────────

function call<Req extends z.ZodType, Res extends z.ZodType>(request: Req, result: Res) {
  return { request, result };
}

export const invokeChannels = {
  'app.info': call(empty, appInfo),
  'app.openExternal': call(z.object({ url: httpsUrl }).strict(), z.object({ opened: z.boolean() })),

  'settings.get': call(empty, settings),
  'settings.set': call(z.object({ patch: settings.partial() }).strict(), settings),

  'profiles.list': call(empty, profilesList),
  'profiles.get': call(z.object({ id }).strict(), z.object({ id, file: z.string(), draft: profileDraft })),
  /** The runbook's deployment as a starting point. */
  'profiles.example': call(empty, z.object({ draft: profileDraft })),
  /** Per-field issues from the real profile schema; empty when valid. */
  'profiles.validate': call(
    z.object({ draft: profileDraft }).strict(),
    z.object({ issues: z.array(fieldIssue) }),
  ),
  /** Create (id null) or replace; ProfileInvalid carries `issues`. Selects the saved profile. */
  'profiles.save': call(z.object({ id: id.nullable(), draft: profileDraft }).strict(), z.object({ id })),
  /** Parse YAML into a draft for the editor (not saved yet). */
  'profiles.importYaml': call(
    z.object({ yaml: z.string().max(1_000_000) }).strict(),
    z.object({ draft: profileDraft, issues: z.array(fieldIssue) }),
  ),
  /** Native open-file dialog; draft null when the user cancelled. */
  'profiles.importFile': call(
    empty,
    z.object({ draft: profileDraft.nullable(), issues: z.array(fieldIssue) }),
  ),
  'profiles.select': call(z.object({ id }).strict(), profilesList),
  'profiles.delete': call(z.object({ id }).strict(), profilesList),

  /** Connect to one host of the selected profile; HostKeyUnknown comes back as an error with `hostKey`. */
  'onboarding.testHost': call(
    z.object({ host: hostRole }).strict(),
    z.object({
      host: hostRole,
      target: z.string(),
      /** e.g. "Logged in as admin; sudo works without a password; docker and systemctl answer." */
      sentence: z.string(),
      sudo: z.enum(['not-needed', 'passwordless', 'password-stored', 'password-missing']),
      durationMs: z.number().nonnegative(),
    }),
  ),
  /** Trust a host key: once (this session) or permanently (the app's own known_hosts). */
  'hostkey.trust': call(
    z
      .object({ host: hostRole, fingerprint: z.string().startsWith('SHA256:'), permanent: z.boolean() })
      .strict(),
    z.object({ trusted: z.boolean() }),
  ),
  /**
   * After HostKeyChanged, and only on an explicit request: removes the old pin from the app's own
   * known_hosts. Pins in the profile's known_hosts file are never touched; they are listed to remove by hand.
   */
  'hostkey.forget': call(
    z.object({ host: hostRole }).strict(),
    z.object({
      removed: z.number().int().nonnegative(),
      stillPinnedBy: z.array(
        z.object({ keyType: z.string(), fingerprint: z.string(), file: z.string(), line: z.number().int() }),
      ),
    }),
  ),

  'status.get': call(empty, statusSnapshot),
  'status.refresh': call(empty, statusSnapshot),

  'actions.list': call(empty, z.object({ actions: z.array(actionInfo) })),
  /** Validates the parameters and works out the plan: the dry run and the confirm dialog's facts. */
  'actions.plan': call(z.object({ actionId: id, params: paramValues }).strict(), plan),
  /** Disruptive and outage runs are refused (ConfirmationRequired) unless `confirmed`: the dialog was accepted. */
  'actions.run': call(
    z.object({ actionId: id, params: paramValues, confirmed: z.boolean() }).strict(),
    z.object({ runId: id }),
  ),
  'runs.list': call(empty, z.object({ runs: z.array(runSummary) })),
  'runs.get': call(z.object({ runId: id }).strict(), runDetail),
  'runs.cancel': call(z.object({ runId: id }).strict(), z.object({ cancelling: z.boolean() })),
  /** The main process copies the run's redacted output; the text does not cross IPC again. */
  'runs.copyOutput': call(z.object({ runId: id }).strict(), z.object({ copied: z.boolean() })),

  /** `journalctl -fu <unit>` (the catalog's logs.follow); lines arrive as logs.lines events, not run events. */
  'logs.follow': call(z.object({ unit: z.string().min(1).max(256) }).strict(), z.object({ streamId: id })),
  'logs.stop': call(z.object({ streamId: id }).strict(), z.object({ stopped: z.boolean() })),

  /** The registration token goes to the clipboard in the main process; null clearsAt = never cleared. */
  'token.copy': call(empty, z.object({ clearsAt: time.nullable() })),
  /** The only channel that carries the token: for one 10 s display in the window, then forgotten. */
  'token.reveal': call(empty, z.object({ token: z.string(), hideAt: time })),
  /** The vault rotation transaction as a run (steps, output, rollback offer). */
  'token.rotate': call(z.object({ apply: z.boolean() }).strict(), z.object({ runId: id })),
  /** Restore the vault from the backup a failed rotation kept (before push). */
  'token.rollback': call(z.object({ runId: id }).strict(), z.object({ runId: id })),

  /** Issues a one-shot registration token and copies it (same clipboard rules as token.copy). */
  'invite.create': call(
    z
      .object({
        uses: z.number().int().min(1).max(100),
        expiresInDays: z.number().int().min(1).max(365).nullable(),
      })
      .strict(),
    z.object({ invite: inviteInfo, clearsAt: time.nullable() }),
  ),
  'invite.list': call(empty, z.object({ invites: z.array(inviteInfo) })),
  'invite.copyToken': call(z.object({ id }).strict(), z.object({ clearsAt: time.nullable() })),
  /** The runbook's joining block for this server, WITHOUT the token (it goes through a side channel). */
  'invite.copyInstructions': call(empty, z.object({ copied: z.boolean() })),
  'invite.revoke': call(z.object({ id }).strict(), z.object({ revoked: z.boolean() })),

  /** Which secrets of the selected profile are stored. Secrets are write-only: there is no get. */
  'secrets.list': call(empty, z.object({ secrets: z.array(secretSlot) })),
  'secrets.has': call(secretRef, z.object({ stored: z.boolean() })),
  'secrets.set': call(
    z
      .object({ kind: secretKind, host: hostRole.nullable(), value: z.string().min(1).max(65_536) })
      .strict()
      .refine(belongsWhereItShould, secretPlace),
    z.object({ stored: z.boolean() }),
  ),
  'secrets.delete': call(secretRef, z.object({ deleted: z.boolean() })),

  /** Log in once with the admin's password (m.login.password); only the access token is kept, in the keychain. */
  'matrix.login': call(
    z.object({ userId: z.string().min(3).max(255), password: z.string().min(1).max(1024) }).strict(),
    z.object({ userId: z.string() }),
  ),
  /** Revoke the stored access token on the server and delete it. */
  'matrix.logout': call(empty, z.object({ revoked: z.boolean() })),
} as const satisfies Record<InvokeChannelName, { request: z.ZodType; result: z.ZodType }>;

export const eventChannels = {
  'status.changed': statusSnapshot,
  /** A run started or one of its steps changed state (no output here). */
  'run.updated': runState,
  'run.output': z.object({ runId: id, chunks: z.array(outputChunk) }),
  'run.finished': runState,
  'logs.lines': z.object({ streamId: id, lines: z.array(logLine) }),
  /** The stream stopped: by logs.stop (error null) or because the connection failed. */
  'logs.ended': z.object({ streamId: id, error: errorInfo.nullable() }),
  /** A background connection (status poll) met an unknown host key. */
  'hostkey.prompt': hostKeyInfo,
  /** The reveal window is over: every window drops the token now, whatever its own timer says. */
  'token.revealExpired': z.object({}),
  /** The clear delay passed; `cleared` false when the clipboard already held something else. */
  'clipboard.cleared': z.object({ what: clipboardWhat, cleared: z.boolean() }),
  'settings.changed': settings,
  'profiles.changed': profilesList,
  /** A notification or the tray asked to show something. */
  'app.navigate': navigateTarget,
} as const satisfies Record<EventChannelName, z.ZodType>;

export type InvokeChannels = typeof invokeChannels;
export type EventChannels = typeof eventChannels;
export type InvokeChannel = keyof InvokeChannels;
export type EventChannel = keyof EventChannels;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
/**
 * channels.ts lists exactly the channels above, both ways: a name missing on either side fails to compile
 * here (and `satisfies` above names the key).
 */
export type ChannelNamesMatch = [
  Holds<Same<InvokeChannel, InvokeChannelName>>,
  Holds<Same<EventChannel, EventChannelName>>,
];

export type RequestOf<C extends InvokeChannel> = z.input<InvokeChannels[C]['request']>;
export type ValueOf<C extends InvokeChannel> = z.output<InvokeChannels[C]['result']>;
export type PayloadOf<E extends EventChannel> = z.output<EventChannels[E]>;

// ───────────────────────────── window.api, derived ─────────────────────────────

type Namespace<C extends string> = C extends `${infer N}.${string}` ? N : never;
type Method<C extends string> = C extends `${string}.${infer M}` ? M : never;

type InvokeFn<C extends InvokeChannel> =
  RequestOf<C> extends Record<string, never>
    ? (request?: RequestOf<C>) => Promise<Result<ValueOf<C>>>
    : (request: RequestOf<C>) => Promise<Result<ValueOf<C>>>;

type Pascal<S extends string> = S extends `${infer A}.${infer B}`
  ? `${Capitalize<A>}${Pascal<B>}`
  : Capitalize<S>;
export type EventMethodName<E extends EventChannel> = `on${Pascal<E>}`;

export type InvokeApi = {
  [N in Namespace<InvokeChannel>]: {
    [C in InvokeChannel as C extends `${N}.${string}` ? Method<C> : never]: InvokeFn<C>;
  };
};

export type EventApi = {
  [E in EventChannel as EventMethodName<E>]: (listener: (payload: PayloadOf<E>) => void) => () => void;
};

/** The shape of `window.api`: `api.status.refresh()`, `api.onStatusChanged(cb)` → unsubscribe. */
export type Api = InvokeApi & EventApi;

// ───────────────────────────── parameter rules the router can hand out ─────────────────────────────

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const H = '[0-9A-Fa-f]{1,4}';
/** IPv6 without the embedded-IPv4 forms: stricter than the grammar, never looser. */
const IPV6 = [
  `(?:${H}:){7}${H}`,
  `(?:${H}:){1,7}:`,
  `(?:${H}:){1,6}:${H}`,
  `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`,
  `(?:${H}:){1,3}(?::${H}){1,4}`,
  `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`,
  `:(?:(?::${H}){1,7}|:)`,
].join('|');

/**
 * The Matrix identifier grammar (core/lib/grammar.ts) as form rules, for instant feedback only: the core
 * decides with the grammar itself. The router's tests check that these never accept what the grammar refuses.
 */
export const paramRules = {
  matrixUser(ownServer: string): ParamRule[] {
    return [
      { pattern: '\\S', message: 'is empty' },
      { pattern: '^(?!\\s*@[^:]*$)', message: 'needs the form @localpart:server' },
      {
        pattern: '^\\s*@?[a-z0-9._=\\-/+]+(?::|\\s*$)',
        message: 'may only hold a-z, 0-9 and . _ = - / + before the ":"',
      },
      {
        pattern: `^\\s*(?:[^@:\\s]+|@[^:]+:${escapeRegExp(ownServer)})\\s*$`,
        message: `must be a user of ${ownServer}`,
      },
    ];
  },
  serverName(): ParamRule[] {
    return [
      { pattern: '^.{1,255}$', flags: 's', message: 'must be 1 to 255 characters' },
      {
        pattern: '^(?:\\[[0-9A-Fa-f:.]{2,45}\\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$',
        message: 'is not a hostname, IPv4 address or [IPv6] literal (letters, digits, "-" and "." only)',
      },
      {
        pattern: `^(?:[^[].*|\\[(?:${IPV6})\\](?::[0-9]+)?)$`,
        message: 'has an invalid IPv6 literal',
      },
      {
        pattern:
          '^(?:\\[.*\\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(?::[0-9]+)?$',
        message: 'has an empty label or a label that starts or ends with "-"',
      },
      {
        pattern:
          '^(?:[^:]*|\\[[^\\]]*\\])$|:(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$',
        message: 'has a port that is not 1–65535',
      },
    ];
  },
};
