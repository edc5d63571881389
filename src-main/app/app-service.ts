import { InvalidInput } from '../core/errors';
import type { InviteInfo as CoreInviteInfo } from '../core/matrix/invites';
import type { DeviceInfo, UserSummary } from '../core/matrix/people';
import { EXAMPLE_PROFILE_YAML } from '../core/profile/example';
import { NoProfile, type ProfileDraft as StoredDraft } from '../core/profile/store';
import { readAutoJoinRooms } from '../core/runbook/auto-join';
import {
  rotatedTokenNotLive,
  TOKEN_ROLLBACK_ACTION,
  TOKEN_ROTATE_ACTION,
} from '../core/runbook/rotation-alerts';
import type { StickyAlert } from '../core/runbook/sticky-alerts';
import { writeOnlySecretStore } from '../core/secrets/write-only';
import type { Settings } from '../core/settings/schema';
import type { Clipboard, ClipboardWhat } from '../core/token/clipboard';
import { trimVaultPasswordFile } from '../core/vault/password-file';
import type { HostRole, SecretKind } from '../core/vocab';
import { ClipboardUnavailable } from './errors';
import { HostKeyPrompts } from './host-key-prompts';
import { testHost } from './host-test';
import { matrixLogin, matrixLogout } from './matrix-session';
import { draftFromFile, draftFromYaml } from './profile-import';
import { isLogStream, LOGS_ACTION, type RunEvent, RunTracker } from './run-tracker';
import { secretRef, secretSlots } from './secret-slots';
import type { AppHost, Core } from './session';
import { actionInfo, planView } from './views/action-view';
import type { AlertView } from './views/alert-view';
import type { HostKeyInfo } from './views/common-schema';
import type { ProfileDraft, ProfilesList } from './views/profile-schema';
import type { Plan } from './views/run-schema';
import { runSummary } from './views/run-view';
import type { SecretSlot } from './views/secret-schema';
import type { StatusSnapshot } from './views/status-schema';
import { STICKY_CHECK_PREFIX, statusView } from './views/status-view';

/** What only the desktop shell has (Electron); tests and the E2E harness pass their own. */
export interface AppPorts {
  version: string;
  platform: string;
  /** For copying a run's (redacted) output; null when there is no clipboard. */
  clipboard: Clipboard | null;
  /** Opens an https URL in the user's browser if the shell's allowlist accepts it; false when refused. */
  openExternal(url: string): Promise<boolean>;
  /** The native open-file dialog for a profile; null when cancelled. */
  chooseProfileFile(): Promise<string | null>;
  /** Registers or removes the login item before the setting is saved. */
  setLaunchAtLogin?(enabled: boolean): Promise<void> | void;
  /** How long run output and log lines are collected before one event carries them. Default 50 ms. */
  batchMs?: number;
}

/** What the app tells its fronts, named as the IPC contract's event channels that carry it to the window. */
export type AppEvent =
  | RunEvent
  | { channel: 'status.changed'; payload: StatusSnapshot }
  | { channel: 'hostkey.prompt'; payload: HostKeyInfo }
  | { channel: 'token.revealExpired'; payload: Record<string, never> }
  | { channel: 'clipboard.cleared'; payload: { what: ClipboardWhat; cleared: boolean } }
  | { channel: 'invite.ended'; payload: { hint: string; state: 'used' | 'expired'; joined: string[] } }
  | { channel: 'settings.changed'; payload: Settings }
  | { channel: 'profiles.changed'; payload: ProfilesList };

/** An action whose plan a front shows (a confirm dialog) before it starts exactly that plan. */
export interface PreparedAction {
  plan: Plan;
  /** Starts the plan; `confirmed`: the user accepted its effect (required unless it is safe). */
  start(confirmed: boolean): Promise<{ runId: string }>;
}

export type AppService = ReturnType<typeof createAppService>;

/** How often the invites are followed at most (each look asks the server once per pending invite). */
const FOLLOW_EVERY_MS = 30_000;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const userView = (u: UserSummary) => ({
  userId: u.userId,
  displayName: u.displayName,
  admin: u.admin,
  deactivated: u.deactivated,
  lastActiveAt: iso(u.lastActiveAt),
  deviceCount: u.deviceCount,
});

const deviceView = (d: DeviceInfo) => ({ ...d, lastSeenAt: iso(d.lastSeenAt) });

const inviteView = (i: CoreInviteInfo) => ({
  ...i,
  expiresAt: iso(i.expiresAt),
  issuedAt: iso(i.issuedAt),
  endedAt: iso(i.endedAt),
});

/** A sticky alert as the notifications take alerts: "down", with its message (which ends with the fix). */
function stickyAlertView(alert: StickyAlert): AlertView {
  return {
    kind: 'down',
    check: {
      id: `${STICKY_CHECK_PREFIX}${alert.id}`,
      host: 'public',
      title: alert.title,
      detail: alert.message,
    },
    at: alert.raisedAt,
  };
}

/**
 * The use cases the desktop fronts call: the window through the IPC router, the tray and the notifications
 * directly. Each answers from the selected profile's core (NoProfile without one) and returns the views
 * the fronts show; the events say what changed. One instance per app host: every front sees the same runs,
 * output and prompts.
 */
export function createAppService(app: AppHost, ports: AppPorts) {
  const batchMs = ports.batchMs ?? 50;
  const listeners = new Set<(event: AppEvent) => void>();
  const alertListeners = new Set<(alerts: readonly AlertView[]) => void>();
  const prompts = new HostKeyPrompts();
  let tracker: RunTracker | null = null;
  let selectedId: string | null = null;
  let detachCore: () => void = () => {};
  let disposed = false;

  function emit(event: AppEvent): void {
    if (disposed) return;
    for (const l of listeners) {
      try {
        l(event);
      } catch {
        // A listener is a window or the tray; the others still get the event.
      }
    }
  }

  function requireCore(): Core {
    const core = app.core();
    if (!core) throw new NoProfile(app.dataDir);
    return core;
  }

  /** The runs of the selected core as the fronts follow them (attached whenever there is a core). */
  function requireTracker(): RunTracker {
    if (!tracker) throw new NoProfile(app.dataDir);
    return tracker;
  }

  /** A mutating run in progress (the tray shows "busy"). */
  function busy(core: Core): { runId: string; title: string } | null {
    const running = core.runbook
      .list()
      .find((r) => r.state === 'running' && !core.runbook.catalog.find((a) => a.id === r.actionId)?.readOnly);
    return running ? { runId: running.id, title: running.title } : null;
  }

  function presentedHostKey(core: Core, host: HostRole): HostKeyInfo | null {
    const key = core.pool.presentedHostKey(host);
    if (!key) return null;
    const h = core.profile.hosts[host];
    return { host, address: h.address, port: h.port, keyType: key.keyType, fingerprint: key.fingerprint };
  }

  function status(core: Core, snapshot = core.scheduler.snapshot()): StatusSnapshot {
    return statusView({
      snapshot,
      profile: core.profile,
      profileId: selectedId,
      maintenance: core.maintenance.list(),
      stickyAlerts: core.alerts.list(),
      busy: busy(core),
      presentedHostKey: (host) => presentedHostKey(core, host),
    });
  }

  function emitStatus(core: Core, snapshot = core.scheduler.snapshot()): void {
    const view = status(core, snapshot);
    emit({ channel: 'status.changed', payload: view });
    for (const key of prompts.due(view)) emit({ channel: 'hostkey.prompt', payload: key });
  }

  function trackerOptions(core: Core) {
    return { batchMs, emit, runsChanged: () => emitStatus(core) };
  }

  /** Follows the invites the app issued, at most every FOLLOW_EVERY_MS, on the status polls: "Alice joined". */
  function followInvites(core: Core, state: { running: boolean; last: number }): void {
    if (state.running || Date.now() - state.last < FOLLOW_EVERY_MS) return;
    state.running = true;
    state.last = Date.now();
    void core.inviteClient
      .follow()
      .then((ended) => {
        for (const e of ended)
          emit({ channel: 'invite.ended', payload: { hint: e.hint, state: e.state, joined: e.joined } });
      })
      .catch(() => {
        // No admin sign-in or the server is down: the status panel says so; the next poll tries again.
      })
      .finally(() => {
        state.running = false;
      });
  }

  function tellAlerts(alerts: readonly AlertView[]): void {
    if (alerts.length === 0) return;
    for (const l of alertListeners) {
      try {
        l(alerts);
      } catch {
        // Notifications are best effort.
      }
    }
  }

  /**
   * A sticky alert that appears — raised by a run here, by another process (the CLI), or by recovery — is
   * told once, as an alert of the policy's kind: the tray notifies at once ("matrix-tuwunel is stopped …
   * retrying"), not a poll later. The ones standing when the profile is opened were told when they came.
   */
  function followStickyAlerts(core: Core): () => void {
    let known = new Set(core.alerts.list().map((a) => a.id));
    return core.alerts.subscribe((alerts) => {
      const fresh = alerts.filter((a) => !known.has(a.id));
      known = new Set(alerts.map((a) => a.id));
      emitStatus(core);
      tellAlerts(fresh.map(stickyAlertView));
    });
  }

  function attach(core: Core): () => void {
    const runs = new RunTracker(core, trackerOptions(core));
    tracker = runs;
    const following = { running: false, last: 0 };
    const offs = [
      core.scheduler.subscribe((snapshot, alerts) => {
        emitStatus(core, snapshot);
        followInvites(core, following);
        tellAlerts(alerts);
      }),
      followStickyAlerts(core),
      core.token?.onRevealExpired(() => emit({ channel: 'token.revealExpired', payload: {} })) ?? (() => {}),
      core.clipboard?.onCleared((e) => emit({ channel: 'clipboard.cleared', payload: e })) ?? (() => {}),
    ];
    return () => {
      for (const off of offs) off();
      runs.dispose();
      if (tracker === runs) tracker = null;
    };
  }

  async function refreshSelection(): Promise<void> {
    selectedId = (await app.profiles.list()).selectedId;
  }

  async function coreChanged(core: Core | null): Promise<void> {
    detachCore();
    detachCore = core ? attach(core) : () => {};
    const list = await app.profiles.list();
    selectedId = list.selectedId;
    emit({ channel: 'profiles.changed', payload: list });
    if (core) emitStatus(core);
  }

  const offApp = [
    app.onCoreChanged((core) => void coreChanged(core).catch(() => {})),
    app.settings.subscribe((s) => emit({ channel: 'settings.changed', payload: s })),
  ];
  const initial = app.core();
  if (initial) detachCore = attach(initial);
  void refreshSelection().catch(() => {});

  const validate = (draft: ProfileDraft) => app.profiles.validate(draft);

  /**
   * Starts a run the window asked for. A disruptive one needs the confirmation this process issued with the
   * plan the user accepted (actions.plan): good once, for exactly that action, those parameters and that
   * plan. The window cannot claim a confirmation it was not given.
   */
  async function startRun(
    core: Core,
    actionId: string,
    params: Record<string, unknown>,
    confirmation: string | null,
  ): Promise<{ runId: string }> {
    const handle = await core.runbook.start(actionId, params, { confirmation });
    return { runId: handle.id };
  }

  function refuseLogStream(actionId: string): void {
    if (actionId === LOGS_ACTION)
      throw new InvalidInput('actionId', 'logs are followed in the Logs panel (logs.follow)');
  }

  function needClipboard<T>(part: T | null): T {
    if (!part) throw new ClipboardUnavailable();
    return part;
  }

  return {
    app: {
      info: async () => ({
        version: ports.version,
        platform: ports.platform,
        firstRun: (await app.profiles.list()).profiles.length === 0,
      }),
      // ports.openExternal is the allowlisted opener of desktop/electron/external.ts (https to listed hosts).
      openExternal: async (url: string) => ({ opened: await ports.openExternal(url) }), // eng-disable OPEN_EXTERNAL_JS_CHECK
    },

    settings: {
      get: () => app.settings.get(),
      set: async (patch: Partial<Settings>) => {
        if (patch.launchAtLogin !== undefined && ports.setLaunchAtLogin)
          await ports.setLaunchAtLogin(patch.launchAtLogin);
        return app.settings.set(patch);
      },
    },

    profiles: {
      list: () => app.profiles.list(),
      get: (id: string) => app.profiles.get(id),
      example: () => ({ draft: draftFromYaml(EXAMPLE_PROFILE_YAML, validate).draft }),
      validate: (draft: StoredDraft) => ({ issues: app.profiles.validate(draft) }),
      save: (id: string | null, draft: StoredDraft) => app.saveProfile(id, draft),
      importYaml: (yaml: string) => draftFromYaml(yaml, validate),
      importFile: async () => {
        const file = await ports.chooseProfileFile();
        if (file === null) return { draft: null, issues: [] };
        return draftFromFile(file, validate);
      },
      select: async (id: string) => {
        await app.selectProfile(id);
        await refreshSelection();
        return app.profiles.list();
      },
      delete: async (id: string) => {
        await app.deleteProfile(id);
        await refreshSelection();
        return app.profiles.list();
      },
    },

    onboarding: {
      testHost: (host: HostRole) => testHost(requireCore(), host),
    },

    hostkey: {
      trust: async (host: HostRole, fingerprint: string, permanent: boolean) => {
        const core = requireCore();
        try {
          await core.pool.trustHostKey(host, fingerprint, permanent);
        } catch (e) {
          // A second "Trust" for a key trusted a moment ago (a poll re-opened the dialog meanwhile) is
          // answered by looking at the key again, not with "not the key presented last".
          if (!(e instanceof InvalidInput)) throw e;
          const scan = await core.pool.scanHostKey(host);
          if (scan.status !== 'trusted' || scan.fingerprint !== fingerprint) throw e;
        }
        prompts.answered(host);
        return { trusted: true };
      },
      forget: (host: HostRole) => requireCore().pool.forgetHostKey(host),
    },

    status: {
      get: () => status(requireCore()),
      refresh: async () => {
        const core = requireCore();
        await core.scheduler.refreshNow();
        return status(core);
      },
    },

    actions: {
      list: async () => {
        const core = requireCore();
        const adminToken = await core.secrets.has({ profile: core.profile.name, kind: 'matrix-admin-token' });
        return {
          actions: core.runbook.catalog.map((a) =>
            actionInfo(a, { profile: core.profile, settings: core.runbook.settings, adminToken }),
          ),
        };
      },
      plan: async (actionId: string, params: Record<string, unknown>) =>
        planView(await requireCore().runbook.plan(actionId, params)),
      /** The plan, once, and its start: for a front that confirms in between (the tray). */
      prepare: async (actionId: string, params: Record<string, unknown>): Promise<PreparedAction> => {
        refuseLogStream(actionId);
        const prepared = await requireCore().runbook.prepare(actionId, params);
        return {
          plan: planView(prepared.plan),
          start: async (confirmed) => ({ runId: (await prepared.start({ confirmed })).id }),
        };
      },
      run: (actionId: string, params: Record<string, unknown>, confirmation: string | null) => {
        refuseLogStream(actionId);
        return startRun(requireCore(), actionId, params, confirmation);
      },
    },

    runs: {
      list: () => {
        const runs = requireCore()
          .runbook.list()
          .filter((r) => !isLogStream(r))
          .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
        return { runs: runs.map(runSummary) };
      },
      get: (runId: string) => {
        const core = requireCore();
        const run = core.runbook.get(runId);
        if (!run || isLogStream(run)) throw new InvalidInput('runId', 'is not a run of this session');
        const runs = requireTracker();
        return { ...runs.view(run), output: runs.output(runId) };
      },
      cancel: (runId: string) => ({ cancelling: requireCore().runbook.cancel(runId) }),
      copyOutput: async (runId: string) => {
        const core = requireCore();
        if (!core.runbook.get(runId)) throw new InvalidInput('runId', 'is not a run of this session');
        const clipboard = needClipboard(ports.clipboard);
        const text = requireTracker()
          .output(runId)
          .map((c) => c.text)
          .join('');
        await clipboard.writeText(text, { concealed: false });
        return { copied: true };
      },
    },

    logs: {
      follow: async (unit: string) => {
        const core = requireCore();
        const handle = await core.runbook.start(LOGS_ACTION, { unit });
        requireTracker().follow(handle.id);
        return { streamId: handle.id };
      },
      stop: (streamId: string) => {
        const core = requireCore();
        const run = core.runbook.get(streamId);
        if (!run || !isLogStream(run))
          throw new InvalidInput('streamId', 'is not a log stream of this session');
        return { stopped: core.runbook.cancel(streamId) || run.state !== 'running' };
      },
    },

    token: {
      // The token the vault holds, and whether Tuwunel accepts it yet (a rotation pushed but not applied).
      copy: async () => {
        const core = requireCore();
        const copied = await needClipboard(core.token).copy();
        return { clearsAt: iso(copied.clearsAt), notLive: await rotatedTokenNotLive(core.profile) };
      },
      reveal: async () => {
        const r = await needClipboard(requireCore().token).reveal();
        return { token: r.token, hideAt: new Date(r.hideAt).toISOString() };
      },
      // The Tokens panel's dialog shows the plan of token.rotate (actions.plan) and hands back its confirmation.
      rotate: (apply: boolean, confirmation: string | null) =>
        startRun(requireCore(), TOKEN_ROTATE_ACTION, { apply }, confirmation),
      // Safe: it only puts back what a rotation that never left this computer changed.
      rollback: (runId: string) => startRun(requireCore(), TOKEN_ROLLBACK_ACTION, { runId }, null),
    },

    invite: {
      create: async (uses: number, expiresInDays: number | null) => {
        const invites = needClipboard(requireCore().invites);
        const r = await invites.create({
          uses,
          expires: expiresInDays === null ? null : `${expiresInDays}d`,
        });
        return { invite: inviteView(r.invite), clearsAt: iso(r.clearsAt) };
      },
      list: async () => {
        const invites = needClipboard(requireCore().invites);
        return { invites: (await invites.list()).map(inviteView) };
      },
      copyToken: async (id: string) => ({
        clearsAt: iso((await needClipboard(requireCore().invites).copyToken(id)).clearsAt),
      }),
      copyInstructions: async () => {
        await needClipboard(requireCore().invites).copyInstructions();
        return { copied: true };
      },
      revoke: async (id: string) => {
        await needClipboard(requireCore().invites).revoke(id);
        return { revoked: true };
      },
      revokeUnused: () => needClipboard(requireCore().invites).revokeUnused(),
      autoJoinRooms: async () => {
        const core = requireCore();
        return readAutoJoinRooms(core.pool, core.profile);
      },
    },

    people: {
      list: async (from: number, limit: number, search: string, devices: boolean) => {
        const page = await requireCore().peopleClient.listUsers({ from, limit, search, devices });
        return { ...page, users: page.users.map(userView) };
      },
      show: async (user: string) => {
        const u = await requireCore().peopleClient.showUser(user);
        return {
          ...userView(u),
          erased: u.erased,
          devices: u.devices?.map(deviceView) ?? null,
          route: u.route,
        };
      },
      devices: async (user: string) => ({
        devices: (await requireCore().peopleClient.devices(user)).map(deviceView),
      }),
      signOut: (user: string, deviceId: string | null) =>
        requireCore().peopleClient.signOut(user, deviceId === null ? { all: true } : { deviceId }),
      deactivate: async (user: string, leaveRooms: boolean, erase: boolean) => {
        await requireCore().peopleClient.deactivate(user, { leaveRooms, erase });
        return { deactivated: true };
      },
      setAdmin: async (user: string, admin: boolean) => {
        await requireCore().peopleClient.setAdmin(user, admin);
        return { admin };
      },
      resetPassword: async (user: string, signOut: boolean, password: string | null) => {
        const r = await needClipboard(requireCore().people).resetPassword(user, { password, signOut });
        return { clearsAt: iso(r.clearsAt), generated: r.generated };
      },
      sendNotice: async (text: string) => {
        const r = await requireCore().peopleClient.sendNotice(text);
        return { sent: r.sent.length, failed: r.failed };
      },
    },

    secrets: {
      list: async (): Promise<{ secrets: SecretSlot[] }> => {
        const core = requireCore();
        const store = writeOnlySecretStore(core.secrets);
        const slots = secretSlots(core.profile);
        const stored = await Promise.all(slots.map((s) => store.has(secretRef(core.profile, s))));
        return { secrets: slots.map((s, i) => ({ ...s, stored: stored[i] === true })) };
      },
      has: async (kind: SecretKind, host: HostRole | null) => {
        const core = requireCore();
        return {
          stored: await writeOnlySecretStore(core.secrets).has(secretRef(core.profile, { kind, host })),
        };
      },
      set: async (kind: SecretKind, host: HostRole | null, value: string) => {
        const core = requireCore();
        // ansible-vault trims its password file; the keychain holds what it would use.
        const stored =
          kind === 'vault-password'
            ? trimVaultPasswordFile(Buffer.from(value, 'utf8'))
            : Buffer.from(value, 'utf8');
        try {
          await writeOnlySecretStore(core.secrets).set(secretRef(core.profile, { kind, host }), stored);
        } finally {
          stored.fill(0);
        }
        return { stored: true };
      },
      delete: async (kind: SecretKind, host: HostRole | null) => {
        const core = requireCore();
        return {
          deleted: await writeOnlySecretStore(core.secrets).delete(secretRef(core.profile, { kind, host })),
        };
      },
    },

    matrix: {
      login: (userId: string, password: string) => {
        const core = requireCore();
        return matrixLogin(core.profile, writeOnlySecretStore(core.secrets), userId, password, core.acts);
      },
      logout: () => {
        const core = requireCore();
        return matrixLogout(core.profile, core.secrets, core.acts);
      },
    },

    /** Every change the fronts show: status, runs and their output, log lines, prompts, settings, profiles. */
    subscribe(listener: (event: AppEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** The alert policy's events of one poll (for desktop notifications); never an empty list. */
    onAlerts(listener: (alerts: readonly AlertView[]) => void): () => void {
      alertListeners.add(listener);
      return () => alertListeners.delete(listener);
    },
    /** The selected profile's publicUrl (the openExternal allowlist takes its host); null without one. */
    publicUrl: (): string | null => app.core()?.profile.publicUrl ?? null,
    /** Stops telling and drops timers; the app host itself is closed by its owner. */
    dispose(): void {
      disposed = true;
      for (const off of offApp) off();
      detachCore();
      detachCore = () => {};
      listeners.clear();
      alertListeners.clear();
    },
  };
}
