/**
 * The words every layer shares, each written once: the core's schemas, the app's views, the IPC contract,
 * both fronts and the renderer take their lists from here. Nothing is imported (not even zod), so the
 * renderer may load this module at runtime without pulling anything else into its bundle.
 */

/**
 * Check levels, best first: their order IS the severity. `maintenance` sits between ok and warn: planned
 * downtime is worse than all-green but must never outrank a real problem. `unknown` (we could not tell)
 * outranks warn because a check that cannot run hides whatever it guards; only a measured `fail` is worse.
 */
export const LEVELS = ['ok', 'maintenance', 'warn', 'unknown', 'fail'] as const;
export type Level = (typeof LEVELS)[number];

export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

/** The most severe of the levels; `ok` for none. */
export function worstLevel(levels: Iterable<Level>): Level {
  let worst: Level = 'ok';
  for (const l of levels) if (levelRank(l) > levelRank(worst)) worst = l;
  return worst;
}

/** The SSH hosts of a profile (the runbook's homeserver VM and deploy host), in the order they are shown. */
export const HOST_ROLES = ['homeserver', 'deploy'] as const;
export type HostRole = (typeof HOST_ROLES)[number];

/** Where a check looks: over SSH on one of the hosts, or the public side reached over HTTPS from here. */
export const CHECK_HOSTS = [...HOST_ROLES, 'public'] as const;
export type CheckHost = (typeof CHECK_HOSTS)[number];

/** The alert policy's phase per check: failing but not yet alerted is `pending`. */
export const ALERT_PHASES = ['up', 'pending', 'down', 'maintenance'] as const;
export type AlertPhase = (typeof ALERT_PHASES)[number];

/** How long a mute lasts: an hour, eight hours, or until what it covers is up again. */
export const MUTE_DURATIONS = ['1h', '8h', 'recovered'] as const;
export type MuteDuration = (typeof MUTE_DURATIONS)[number];

/** What the keychain holds for a profile. */
export const SECRET_KINDS = [
  'ssh-password',
  'ssh-key-passphrase',
  'sudo-password',
  'vault-password',
  'matrix-admin-token',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

/**
 * What the app itself keeps in the keychain beside the user's secrets: the tokens of the invites it issued
 * through the admin room (Tuwunel before 1.8.1 has no API to list them). Never a slot the user sets or
 * deletes: Settings, the IPC contract and `secret set` take SECRET_KINDS only.
 */
export const APP_SECRET_KINDS = ['issued-invites'] as const;

/**
 * What the keychain holds for an off-host alert channel (core/alerts): bound to the channel and where it sends,
 * never to a profile, so none of them is a profile's secret slot.
 */
export const CHANNEL_SECRET_KINDS = ['ntfy-access-token', 'webhook-secret', 'matrix-room-token'] as const;
export type ChannelSecretKind = (typeof CHANNEL_SECRET_KINDS)[number];

/** Every kind the keychain may hold: a profile's secrets, the app's own and the alert channels'. */
export const KEYCHAIN_KINDS = [...SECRET_KINDS, ...APP_SECRET_KINDS, ...CHANNEL_SECRET_KINDS] as const;
export type KeychainKind = (typeof KEYCHAIN_KINDS)[number];

export function isChannelSecret(kind: KeychainKind): kind is ChannelSecretKind {
  return (CHANNEL_SECRET_KINDS as readonly string[]).includes(kind);
}

/** Kinds stored once per host role; the others once per profile. */
export const PER_HOST_SECRET_KINDS = [
  'ssh-password',
  'ssh-key-passphrase',
  'sudo-password',
] as const satisfies readonly SecretKind[];

export function isPerHostSecret(kind: SecretKind): boolean {
  return (PER_HOST_SECRET_KINDS as readonly SecretKind[]).includes(kind);
}

/**
 * Which secrets a host of the profile can use: a password always (servers may allow password login),
 * the key's passphrase when it logs in with a key file, the sudo password when it uses sudo.
 */
export function hostSecretKinds(host: { identityFile?: string | undefined; sudo?: boolean }): SecretKind[] {
  return [
    'ssh-password',
    ...(host.identityFile ? (['ssh-key-passphrase'] as const) : []),
    ...(host.sudo ? (['sudo-password'] as const) : []),
  ];
}

/** Which per-profile secrets a profile can use: the vault password only when it has a vault. */
export function profileSecretKinds(profile: { vault?: unknown }): SecretKind[] {
  return SECRET_KINDS.filter(
    (k) => !isPerHostSecret(k) && (k !== 'vault-password' || Boolean(profile.vault)),
  );
}

/** How bad running an action is: `safe` runs without a confirmation. */
export const DANGERS = ['safe', 'disruptive', 'outage'] as const;
export type Danger = (typeof DANGERS)[number];

/** The catalog's groups, in the order menus and the window show them. */
export const ACTION_GROUPS = [
  'Stack',
  'Homeserver',
  'Users',
  'Federation',
  'Deploy',
  'Logs',
  'Admin',
] as const;
export type ActionGroup = (typeof ACTION_GROUPS)[number];

export const STEP_PHASES = ['main', 'finally'] as const;
export const STEP_KINDS = ['remote', 'http-wait', 'admin-room', 'admin-api', 'local'] as const;

/**
 * How a user action reaches Tuwunel, in the order they are tried: the Synapse-compatible admin API (from
 * Tuwunel 1.8.1, when routed), the admin room (any version), Tuwunel's CLI (Tuwunel stopped: an outage).
 */
export const ROUTES = ['admin-api', 'admin-room', 'cli'] as const;
export type Route = (typeof ROUTES)[number];
export const STEP_STATES = ['pending', 'running', 'ok', 'failed', 'skipped'] as const;
export const RUN_STATES = ['running', 'ok', 'failed', 'cancelled'] as const;
export type StepState = (typeof STEP_STATES)[number];
export type RunState = (typeof RUN_STATES)[number];

/** The window's panels: what a notification or the tray can open. */
export const PANELS = ['dashboard', 'actions', 'logs', 'tokens', 'people', 'settings'] as const;
export type Panel = (typeof PANELS)[number];

/** The history charts' time ranges (app/history-views.ts gives each its span and bar width). */
export const HISTORY_RANGES = ['24h', '7d', '30d'] as const;
export type HistoryRange = (typeof HISTORY_RANGES)[number];

/** What became of an invite the app issued (core/matrix/invite-history.ts). */
export const INVITE_STATES = ['pending', 'used', 'expired', 'revoked'] as const;
export type InviteState = (typeof INVITE_STATES)[number];

/** What the clipboard may be holding for us, and clears. */
export const CLIPBOARD_WHATS = ['registration-token', 'invite-token', 'password'] as const;
export type ClipboardWhat = (typeof CLIPBOARD_WHATS)[number];

/** The app's settings: bounds and defaults (the settings schema and the window's form both use them). */
export const SETTINGS_LIMITS = {
  /** Seconds until a copied token is cleared (if the clipboard still holds it); null in settings = never. */
  clipboardClearSeconds: { min: 10, max: 300, default: 30 },
  pollIntervalSeconds: { min: 5, max: 3600, default: 30 },
  /** Maintenance mode left on for longer than this reminds once (minutes). */
  maintenanceReminderMinutes: { min: 5, max: 24 * 60, default: 60 },
  /** How long the clean-up keeps retrying to start Tuwunel again after CLI mode, in all (minutes). */
  startRetryMinutes: { min: 1, max: 30, default: 3 },
  /** Days the poll history (core/history) keeps; polls older than `historyDetailDays` are kept per hour only. */
  historyRetentionDays: { min: 7, max: 365, default: 90 },
  historyDetailDays: { min: 1, max: 30, default: 7 },
  /** Days before a TLS certificate or the domain registration expires at which to notify (each once). */
  expiryNotifyDays: { min: 1, max: 90, default: [21, 14, 7] },
  /** Notify when the data disk is forecast to be full within this many days. */
  diskFullNotifyDays: { min: 1, max: 365, default: 14 },
  /** At most this many off-host alert channels. */
  alertChannels: { max: 8 },
} as const;

/**
 * What an operator note of a Tuwunel release is about (core/upgrade/release-notes.ts), in the order a
 * "what's new" list shows them: what the first boot does, then what breaks, then what to change.
 */
export const RELEASE_NOTE_KINDS = [
  'migration',
  'breaking',
  'security',
  'removed',
  'config',
  'database',
  'backup',
] as const;
export type ReleaseNoteKind = (typeof RELEASE_NOTE_KINDS)[number];

/** The off-host alert channels (core/alerts): an ntfy topic, a JSON webhook, a Matrix room on another server. */
export const ALERT_CHANNEL_TYPES = ['ntfy', 'webhook', 'matrix'] as const;
export type AlertChannelType = (typeof ALERT_CHANNEL_TYPES)[number];

/** The alert policy's events an off-host channel can be sent (core/status/alert-policy.ts). */
export const ALERT_KINDS = ['down', 'still-down', 'recovered'] as const;
export type AlertKindName = (typeof ALERT_KINDS)[number];
