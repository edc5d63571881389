import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, InvalidInput, SecretStoreUnavailable } from '../core/errors';
import { type ActLog, recordAct } from '../core/lib/acts';
import { InviteHistory } from '../core/matrix/invite-history';
import { InviteClient, InviteService } from '../core/matrix/invites';
import { PeopleClient } from '../core/matrix/people';
import { PeopleService } from '../core/matrix/people-service';
import { probeServer } from '../core/matrix/server-facts';
import { dataDir as defaultDataDir } from '../core/paths';
import { expandHome, isFileUid, loadProfile } from '../core/profile/load';
import { writeProfilePin } from '../core/profile/pin';
import type { Profile } from '../core/profile/schema';
import { type ProfileDraft, ProfileStore, type ProfilesList } from '../core/profile/store';
import { AuditLog, auditedSecretStore } from '../core/runbook/audit';
import { CATALOG } from '../core/runbook/catalog';
import { connectMaintenance, MaintenanceStore } from '../core/runbook/maintenance';
import { Recovery } from '../core/runbook/recovery';
import { ActiveRuns } from '../core/runbook/run-record';
import { Runbook } from '../core/runbook/runner';
import { type StickyAlert, StickyAlerts } from '../core/runbook/sticky-alerts';
import { createTokenActions } from '../core/runbook/token-actions';
import type { RunbookSettings } from '../core/runbook/types';
import { createKeytarSecretStore } from '../core/secrets/keytar-store';
import { type LegacyMigration, migrateLegacySecrets } from '../core/secrets/legacy-migration';
import { profileSecretStore } from '../core/secrets/profile-secrets';
import type { SecretStore } from '../core/secrets/types';
import { SettingsStore } from '../core/settings/store';
import type { ForgetResult } from '../core/ssh/host-key-policy';
import { HostLocks } from '../core/ssh/host-lock';
import { SshPool, type SshPoolOptions } from '../core/ssh/pool';
import type { Clock } from '../core/status/clock';
import type { HttpGetter } from '../core/status/https-client';
import { MuteStore } from '../core/status/mutes';
import { type SchedulerSettings, StatusScheduler, schedulerSettings } from '../core/status/scheduler';
import type { StatusSource } from '../core/status/service';
import { StatusService } from '../core/status/service';
import type { CheckResult } from '../core/status/types';
import { type Clipboard, ClipboardGuard } from '../core/token/clipboard';
import { RegistrationTokenService } from '../core/token/token-service';
import { readRegistrationToken } from '../core/vault/vault-file';
import type { HostRole } from '../core/vocab';
import { type Monitoring, type MonitoringOptions, openMonitoring } from './monitoring';
import { STICKY_CHECK_PREFIX } from './views/status-view';

/**
 * The composition root: the one place that builds the core's services from a profile and wires them
 * together. Both fronts use it — the Electron main process (through openApp) and the command line
 * (createCore) — so they always run the same core.
 */

export interface CoreOptions {
  /** The parsed profile, or… */
  profile?: Profile;
  /** …a profile YAML file to load. */
  profilePath?: string;
  /** Where a given `profile` lives, for what the core writes back to it (the upgrade's new pin). */
  profileFile?: string;
  /** The folder shared by the app and the CLI; default core/paths.ts dataDir(). */
  dataDir?: string;
  /** The keychain; default the OS's (keytar). The core binds it to the profile's identity (secrets/profile-secrets.ts). */
  secrets?: SecretStore;
  /** The desktop clipboard (Electron's); without one there is no token / invite service. */
  clipboard?: Clipboard;
  /** Default: the settings file in dataDir. */
  settings?: SettingsStore;
  /** For tests: sticky alerts kept in memory (default: the profile's file in the data folder). */
  alerts?: StickyAlerts;
  now?: () => number;
  /**
   * For the soak test and its benchmark: the status scheduler's clock (an accelerated one runs a day of polls
   * in minutes). Its now() is the core's time unless `now` is given.
   */
  clock?: Clock;
  /** For tests and the benchmark: pool limits, and the ssh-agent socket (default SSH_AUTH_SOCK). */
  pool?: Partial<Omit<SshPoolOptions, 'profile' | 'appKnownHostsFile' | 'secret'>>;
  /** For tests: the runbook's timeouts. */
  runbook?: Partial<RunbookSettings>;
  /** For tests: the status HTTP client (default: keep-alive HTTPS trusting the profile's caFile). */
  http?: HttpGetter;
}

export interface Core {
  readonly profile: Profile;
  readonly dataDir: string;
  /**
   * This profile's secrets (get included): main process only. The window gets writeOnlySecretStore(secrets).
   * Refs name this profile and a host role; the keychain entries are bound to the profile's uid and the
   * identity of each host and of the homeserver.
   */
  readonly secrets: SecretStore;
  /** What moving this profile's secrets from an earlier version's name-keyed entries did; null when nothing was there. */
  readonly secretsMigration: LegacyMigration | null;
  readonly settings: SettingsStore;
  readonly pool: SshPool;
  readonly locks: HostLocks;
  readonly status: StatusService;
  readonly scheduler: StatusScheduler;
  /** Maintenance mode and run windows, shared through the data folder with every process of this profile. */
  readonly maintenance: MaintenanceStore;
  /** This profile's sticky alerts, shared the same way; they stay until the action that fixes them succeeds. */
  readonly alerts: StickyAlerts;
  /** Muted checks, units or the whole server, shared the same way: every process keeps their alerts quiet. */
  readonly mutes: MuteStore;
  /** What killed runs left: resolved at every status poll (the first one is at start-up). */
  readonly recovery: Recovery;
  readonly audit: AuditLog;
  /** This profile's acts on secrets and trust, into the audit trail (the fronts record what the core cannot see). */
  readonly acts: ActLog;
  readonly runbook: Runbook;
  readonly inviteClient: InviteClient;
  /** Null without a clipboard (the CLI copies with its own tools). */
  readonly clipboard: ClipboardGuard | null;
  readonly token: RegistrationTokenService | null;
  readonly invites: InviteService | null;
  /** Users, devices, deactivation, server notices (issue 16). */
  readonly peopleClient: PeopleClient;
  /** Password resets onto the clipboard; null without a clipboard (the CLI copies with its own tools). */
  readonly people: PeopleService | null;
  /**
   * Stops everything the core started: the scheduler, running runs (cancelled; their finally steps
   * still run and are waited for), SSH connections, the HTTPS agent, the clipboard timer (clearing a
   * token still on the clipboard). Leaves no handle open, so a CLI process exits by itself. Idempotent.
   */
  close(): Promise<void>;
}

/** The SSH pool with every trust and forget of a host key recorded: the window and the CLI both pass here. */
class AuditedSshPool extends SshPool {
  constructor(
    options: SshPoolOptions,
    private readonly acts: ActLog,
  ) {
    super(options);
  }

  override trustHostKey(role: HostRole, fingerprint: string, permanent: boolean): Promise<void> {
    return recordAct(
      this.acts,
      {
        action: 'hostkey.trust',
        params: { host: role, fingerprint, permanent },
        done: () =>
          `Trusted ${fingerprint} for the ${role} host${permanent ? '' : ' for this session only'}.`,
      },
      () => super.trustHostKey(role, fingerprint, permanent),
    );
  }

  override forgetHostKey(role: HostRole): Promise<ForgetResult> {
    return recordAct(
      this.acts,
      {
        action: 'hostkey.forget',
        params: { host: role },
        done: (r) => `Forgot ${r.removed} trusted key${r.removed === 1 ? '' : 's'} of the ${role} host.`,
      },
      () => super.forgetHostKey(role),
    );
  }
}

/**
 * Where one profile's shared state lives: maintenance, sticky alerts and the records of runs in progress,
 * keyed by the profile's uid (a rename keeps them; a second profile of the same name has its own).
 */
export function profileStateDir(dataDir: string, uid: string): string {
  return join(dataDir, 'state', uid);
}

/** Sticky alerts as status checks, so every front that shows checks (the CLI's table, JSON and exit code) shows them. */
function stickyCheck(alert: StickyAlert, checkedAt: string): CheckResult {
  return {
    id: `${STICKY_CHECK_PREFIX}${alert.id}`,
    host: 'public',
    group: 'alerts',
    title: alert.title,
    level: 'warn',
    detail: alert.message,
    since: alert.raisedAt,
    checkedAt,
    units: [],
  };
}

/** Maintenance mode saved by an earlier version, under the profile's name: it moves to the uid's folder once. */
function adoptLegacyMaintenance(dataDir: string, name: string, file: string): void {
  const legacy = join(dataDir, 'maintenance', `${fileSafe(name)}.json`);
  if (existsSync(file) || !existsSync(legacy)) return;
  try {
    renameSync(legacy, file);
  } catch {
    // Left where it was: maintenance mode starts off, and the status shows what is down.
  }
}

/** Longest encoded name kept whole: file names may have 255 bytes, and ".json" follows. */
const MAX_FILE_SAFE = 200;

/** File name for a profile's per-profile state: any profile name, no path separators, short enough for any file system. */
function fileSafe(name: string): string {
  const safe = encodeURIComponent(name).replace(/^\.+/, (dots) => '%2E'.repeat(dots.length));
  if (safe.length <= MAX_FILE_SAFE) return safe;
  // 100 characters of three UTF-8 bytes encode to 900: a readable head, and a hash that keeps names apart.
  return `${safe.slice(0, 150)}-${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

/**
 * Secrets an earlier version stored under this profile's name move to its own entries, the first time the
 * profile loads. Only a profile that predates uids (its uid derived from its file) may take them: a profile
 * created since, imported ones included, never inherits a secret.
 */
async function migrateSecrets(
  keychain: SecretStore,
  identity: { profile: Profile; uid: string },
  dir: string,
): Promise<LegacyMigration | null> {
  if (!isFileUid(identity.uid)) return null;
  const namesakes = new Set([
    ...(await new ProfileStore(dir).uidsNamed(identity.profile.name)),
    identity.uid,
  ]);
  try {
    const done = await migrateLegacySecrets(keychain, identity, namesakes.size);
    return done.sentence === null ? null : done;
  } catch (e) {
    // No keychain: the next load tries again. A ref the keychain refuses (InvalidInput): the entry stays.
    if (e instanceof SecretStoreUnavailable || e instanceof InvalidInput) return null;
    throw e;
  }
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const profile = options.profile ?? (options.profilePath ? await loadProfile(options.profilePath) : null);
  if (!profile) throw new TypeError('createCore needs a profile or a profilePath');
  const uid = profile.uid;
  if (!uid)
    throw new TypeError('createCore needs a profile with its uid (loadProfile and ProfileStore give one)');
  const dir = options.dataDir ?? defaultDataDir();
  const keychain = options.secrets ?? createKeytarSecretStore();
  const secretsMigration = await migrateSecrets(keychain, { profile, uid }, dir);
  const audit = new AuditLog(dir);
  const acts = audit.acts(profile.name);
  const secrets = auditedSecretStore(profileSecretStore(keychain, { profile, uid }), acts);
  const settings = options.settings ?? new SettingsStore(dir);
  const clock = options.clock;
  const now = options.now ?? (clock ? () => clock.now() : Date.now);

  const pool = new AuditedSshPool(
    {
      profile,
      appKnownHostsFile: join(dir, 'known_hosts'),
      secret: (kind, host) => secrets.get({ profile: profile.name, kind, host }),
      ...options.pool,
    },
    acts,
  );
  const locks = new HostLocks(profile, join(dir, 'locks'));
  // Throws InvalidInput('caFile') for an unreadable CA file: nothing has been opened yet.
  const status = new StatusService({
    profile,
    remote: pool,
    now,
    ...(options.http ? { http: options.http } : {}),
  });
  // Mutable on purpose: the scheduler reads the interval at each re-arm, so a settings change applies
  // from the next poll without rebuilding the scheduler and its alert state.
  const pollSettings: SchedulerSettings = {
    ...schedulerSettings(profile, status.polledHosts),
    intervalSeconds: settings.get().pollIntervalSeconds,
  };
  const stateDir = profileStateDir(dir, uid);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const maintenanceFile = join(stateDir, 'maintenance.json');
  adoptLegacyMaintenance(dir, profile.name, maintenanceFile);
  const maintenance = new MaintenanceStore(maintenanceFile);
  const alerts = options.alerts ?? new StickyAlerts(join(stateDir, 'alerts.json'));
  const mutes = new MuteStore(join(stateDir, 'mutes.json'), now);
  const activeRuns = new ActiveRuns(join(stateDir, 'runs'));
  const runbookSettings = (s = settings.get()): Partial<RunbookSettings> => ({
    finallyRetryBudgetMs: s.startRetryMinutes * 60_000,
    ...options.runbook,
  });
  if (secretsMigration)
    await audit
      .append({
        time: new Date(now()).toISOString(),
        profile: profile.name,
        action: 'secrets.migrate',
        runId: null,
        params: { moved: secretsMigration.moved, left: secretsMigration.left },
        outcome: secretsMigration.left > 0 ? 'refused' : 'ok',
        durationMs: 0,
        failingStep: null,
        sentence: secretsMigration.sentence ?? '',
      })
      .catch(() => {
        // The trail is a record; the fronts tell the user themselves (core.secretsMigration).
      });
  const inviteClient = new InviteClient({
    profile,
    secrets,
    now,
    acts,
    history: new InviteHistory(join(stateDir, 'invites.json')),
  });
  const runbook = new Runbook({
    profile,
    exec: pool,
    maintenance,
    secrets,
    audit,
    locks,
    alerts,
    activeRuns,
    catalog: [...CATALOG, ...createTokenActions({ secrets })],
    server: async () =>
      probeServer({ profile, ca: profile.caFile ? await readFile(expandHome(profile.caFile)) : undefined }),
    // Besides the keychain's secrets: every token the app issued, and the vault's (a Tuwunel reply may hold them).
    maskedValues: async () => [
      ...(await inviteClient.record.tokens()),
      ...(profile.vault
        ? await readRegistrationToken(profile, secrets).then(
            (t) => [t],
            () => [],
          )
        : []),
    ],
    settings: runbookSettings(),
    // A run from the command line starts from what a killed run left resolved, as a poll would.
    beforeMutatingRun: () => recovery.run(),
    pinProfileVersion: async (version) => {
      const file = options.profilePath ?? options.profileFile;
      if (file) await writeProfilePin(file, version);
    },
  });
  const recovery = new Recovery({
    profile,
    catalog: runbook.catalog,
    maintenance,
    alerts,
    activeRuns,
    locks,
    exec: pool,
    settings: () => ({
      maintenanceReminderMs: settings.get().maintenanceReminderMinutes * 60_000,
      unitCommandTimeoutMs: runbook.settings.unitCommandTimeoutMs,
    }),
    now,
  });
  // Each poll first resolves what killed runs left and picks up what other processes changed (maintenance,
  // alerts), then looks at the hosts, then reads the shared state again: a window another process opened
  // while the hosts were asked still covers what they answered, so its stop is maintenance, not DOWN.
  const shared: StatusSource = {
    async refresh(refreshOptions) {
      await recovery.run(refreshOptions?.signal);
      const outcome = await status.refresh(refreshOptions);
      maintenance.reload();
      alerts.reload();
      mutes.reload();
      const checkedAt = new Date(now()).toISOString();
      return {
        ...outcome,
        results: [...outcome.results, ...alerts.list().map((a) => stickyCheck(a, checkedAt))],
      };
    },
  };
  // After the machine slept, the first poll goes over fresh connections (sleep breaks them silently).
  const scheduler = new StatusScheduler(shared, pollSettings, {
    onWake: () => pool.reconnect(),
    mutes,
    ...(clock ? { clock } : {}),
  });
  const disconnectMaintenance = connectMaintenance(maintenance, scheduler);
  const clipboard = options.clipboard ? new ClipboardGuard(options.clipboard, { now }) : null;
  const clearDelaySeconds = () => settings.get().clipboardClearSeconds;
  const token = clipboard
    ? new RegistrationTokenService({
        profile: () => profile,
        secrets,
        guard: clipboard,
        clearDelaySeconds,
        now,
        acts,
      })
    : null;
  const invites = clipboard
    ? new InviteService({
        client: inviteClient,
        guard: clipboard,
        profile: () => profile,
        clearDelaySeconds,
        acts,
      })
    : null;
  const peopleClient = new PeopleClient({ profile, secrets, acts, now });
  const people = clipboard
    ? new PeopleService({ client: peopleClient, guard: clipboard, clearDelaySeconds })
    : null;
  const stopFollowingSettings = settings.subscribe((s) => {
    pollSettings.intervalSeconds = s.pollIntervalSeconds;
    Object.assign(runbook.settings, runbookSettings(s));
  });

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopFollowingSettings();
      disconnectMaintenance();
      await settle(scheduler.stop());
      const running = runbook.list().filter((r) => r.state === 'running');
      for (const r of running) runbook.cancel(r.id);
      // Finally steps (e.g. starting Tuwunel again) must finish before the connections go.
      await Promise.all(running.map((r) => settle(waitForRun(runbook, r.id))));
      await settle(token ? token.dispose() : clipboard?.clearNow());
      await settle(pool.disconnect());
      status.close();
    })();
    return closing;
  };

  return {
    profile,
    dataDir: dir,
    secrets,
    secretsMigration,
    settings,
    pool,
    locks,
    status,
    scheduler,
    maintenance,
    alerts,
    mutes,
    recovery,
    audit,
    acts,
    runbook,
    inviteClient,
    clipboard,
    token,
    invites,
    peopleClient,
    people,
    close,
  };
}

async function settle(work: Promise<unknown> | undefined): Promise<void> {
  try {
    await work;
  } catch {
    // Closing is best effort per part: one part failing must not keep the others open.
  }
}

function waitForRun(runbook: Runbook, runId: string): Promise<void> {
  return new Promise((resolve) => {
    const off = runbook.events.on('run-finished', (e) => {
      if (e.run.id !== runId) return;
      off();
      resolve();
    });
    if (runbook.get(runId)?.state !== 'running') {
      off();
      resolve();
    }
  });
}

// ------------------------------------------------------------------ the desktop app around every profile's core

export interface AppOptions {
  dataDir?: string;
  secrets?: SecretStore;
  clipboard?: Clipboard;
  now?: () => number;
  /** Passed on to every core (tests). */
  core?: Pick<CoreOptions, 'pool' | 'runbook' | 'http'>;
  /** For tests: the network the off-host channels and the RDAP lookups use (app/monitoring.ts). */
  monitoring?: Pick<MonitoringOptions, 'request' | 'bootstrapUrl' | 'retryDelayMs'>;
}

/** A profile whose core could not be built (a broken file, an unreadable caFile): not watched, and why. */
export interface Unwatched {
  readonly id: string;
  /** As the store lists it (the file's name and serverName, as far as they can be read). */
  readonly name: string;
  readonly serverName: string;
  readonly error: { code: string; message: string; nextStep: string };
}

/** One profile of the store with its core: every homeserver is watched, not only the selected one. */
export interface Server {
  /** The profile's id in the store (what profiles.select takes, and StatusSnapshot.profileId). */
  readonly id: string;
  readonly core: Core;
}

/**
 * The profile store, the settings and one core per profile, each polling its own homeserver. Selecting a
 * profile only changes which one the window shows: no core is closed, so each keeps its status, runs and
 * alerts. Saving a profile rebuilds its core; deleting one closes it. Listeners re-subscribe in onCoreChanged.
 */
export interface AppHost {
  readonly dataDir: string;
  readonly profiles: ProfileStore;
  readonly settings: SettingsStore;
  /** The uptime history, the off-host alert channels and the forecasts, attached to every profile's core. */
  readonly monitoring: Monitoring;
  /** The selected profile's core; null before start(), when no profile exists (onboarding), or when it could not be built. */
  core(): Core | null;
  /** The selected profile's id (as the store said at the last change); null without one. */
  selectedId(): string | null;
  /** Every profile whose core is built, in the store's order (the selected one among them). */
  servers(): readonly Server[];
  /** Profiles that cannot be watched and why, in the store's order: the fronts say so instead of hiding them. */
  unwatched(): readonly Unwatched[];
  /** Why the selected profile has no core (a broken profile file, an unreadable caFile); null otherwise. */
  coreError(): { code: string; message: string; nextStep: string } | null;
  /** Called after every change of the selection or of the set of cores, with the selected core (or null). */
  onCoreChanged(listener: (core: Core | null) => void): () => void;
  /** Builds every profile's core and starts their status polling. Never throws: see coreError(). */
  start(): Promise<Core | null>;
  /** Shows another profile; throws when its core could not be built (the others keep polling). */
  selectProfile(id: string): Promise<Core | null>;
  /** Saves (ProfileStore.save: a new profile is selected only when it is the first) and rebuilds its core. */
  saveProfile(id: string | null, draft: ProfileDraft): Promise<{ id: string }>;
  deleteProfile(id: string): Promise<Core | null>;
  /** Closes every core; never throws. */
  close(): Promise<void>;
}

export async function openApp(options: AppOptions = {}): Promise<AppHost> {
  const dir = options.dataDir ?? defaultDataDir();
  const secrets = options.secrets ?? createKeytarSecretStore();
  const profiles = new ProfileStore(dir);
  const settings = new SettingsStore(dir);
  const listeners = new Set<(core: Core | null) => void>();
  const cores = new Map<string, Core>();
  const failures = new Map<string, { error: unknown; info: ReturnType<AppHost['coreError']> }>();
  let listed: ProfilesList['profiles'] = [];
  let order: string[] = [];
  let selected: string | null = null;
  let started = false;
  // Changes run one after the other: two quick clicks must not leave two cores polling one profile.
  let queue: Promise<unknown> = Promise.resolve();

  // ── history, off-host alerts, forecasts: one per app, attached to every profile's core (app/monitoring.ts)
  const monitoring = await openMonitoring({
    dataDir: dir,
    settings,
    keychain: secrets,
    ...options.monitoring,
    ...(options.now ? { now: options.now } : {}),
  });
  /** Each core's detach from the monitoring, by profile id: called before the core closes. */
  const detaches = new Map<string, () => void>();

  const build = async (id: string): Promise<void> => {
    try {
      const core = await createCore({
        ...options.core,
        profile: await profiles.load(id),
        profileFile: profiles.fileOf(id),
        dataDir: dir,
        secrets,
        settings,
        ...(options.clipboard ? { clipboard: options.clipboard } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
      cores.set(id, core);
      // Before its first poll: every watched server's polls are recorded, sent off-host and forecast.
      detaches.set(id, monitoring.attach(core, id));
      if (started) core.scheduler.start();
    } catch (e) {
      failures.set(id, { error: e, info: describeError(e) });
    }
  };

  /** Brings the cores in line with the store: `rebuild` names profiles whose file changed. */
  const sync = (rebuild: readonly string[] = []): Promise<Core | null> => {
    const next = queue.then(async () => {
      try {
        const list = await profiles.list();
        listed = list.profiles;
        order = list.profiles.map((p) => p.id);
        selected = list.selectedId;
        for (const [id, core] of [...cores]) {
          if (order.includes(id) && !rebuild.includes(id)) continue;
          cores.delete(id);
          detaches.get(id)?.();
          detaches.delete(id);
          await settle(core.close());
        }
        for (const id of [...failures.keys()])
          if (!order.includes(id) || rebuild.includes(id)) failures.delete(id);
        // Only a profile nothing was tried for yet is built: a broken one stays broken until it is saved.
        for (const id of order) if (!cores.has(id) && !failures.has(id)) await build(id);
        const failed = selected === null ? undefined : failures.get(selected);
        if (failed) throw failed.error;
        return selected === null ? null : (cores.get(selected) ?? null);
      } finally {
        const core = selected === null ? null : (cores.get(selected) ?? null);
        for (const listener of listeners) {
          try {
            listener(core);
          } catch {
            // Listeners are fronts; the change itself is done.
          }
        }
      }
    });
    queue = next.catch(() => {});
    return next;
  };

  return {
    dataDir: dir,
    profiles,
    settings,
    monitoring,
    core: () => (selected === null ? null : (cores.get(selected) ?? null)),
    selectedId: () => selected,
    servers: () => order.flatMap((id) => (cores.has(id) ? [{ id, core: cores.get(id) as Core }] : [])),
    unwatched: () =>
      listed.flatMap((p) => {
        const info = failures.get(p.id)?.info;
        return info ? [{ id: p.id, name: p.name, serverName: p.serverName, error: info }] : [];
      }),
    coreError: () => (selected === null ? null : (failures.get(selected)?.info ?? null)),
    onCoreChanged(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      started = true;
      for (const core of cores.values()) core.scheduler.start();
      // A broken profile must not keep the app from starting: the window shows coreError().
      return sync().catch(() => null);
    },
    async selectProfile(id) {
      await profiles.select(id);
      return sync();
    },
    async saveProfile(id, draft) {
      const saved = await profiles.save(id, draft);
      // Every profile is watched: a new one gets its core, a changed one a new core. Only the selected
      // profile's failure is the caller's to hear (as before); another's shows as that server's error.
      await sync([saved.id]).catch((e: unknown) => {
        if (selected === saved.id) throw e;
      });
      return saved;
    },
    async deleteProfile(id) {
      await profiles.delete(id);
      return sync();
    },
    async close() {
      started = false;
      await queue;
      const open = [...cores.values()];
      cores.clear();
      selected = null;
      for (const detach of detaches.values()) detach();
      detaches.clear();
      await Promise.all(open.map((core) => settle(core.close())));
      // After the schedulers stopped: no poll writes to a closed history.
      await settle(monitoring.close());
    },
  };
}
