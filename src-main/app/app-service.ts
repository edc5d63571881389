import { InvalidInput } from '../core/errors';
import { roomInviteUnderWay } from '../core/matrix/invite-history';
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
import { monitoringUseCases } from './monitoring-service';
import { clearMute, setMute } from './mutes';
import { draftFromFile, draftFromYaml } from './profile-import';
import { isLogStream, LOGS_ACTION, type RunEvent, RunTracker } from './run-tracker';
import { secretRef, secretSlots } from './secret-slots';
import type { AppHost, Core, Server } from './session';
import { actionInfo, planView } from './views/action-view';
import type { AlertView } from './views/alert-view';
import type { HostKeyInfo } from './views/common-schema';
import type { MonitorNotice } from './views/monitor-notice';
import type { ProfileDraft, ProfilesList } from './views/profile-schema';
import type { Plan, RunState } from './views/run-schema';
import { runSummary } from './views/run-view';
import type { SecretSlot } from './views/secret-schema';
import type { MuteDuration, MuteTarget, StatusSnapshot } from './views/status-schema';
import { STICKY_CHECK_PREFIX, statusView, unwatchedView } from './views/status-view';

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
  /** How often a server's invites are followed at most, on its status polls. Default FOLLOW_EVERY_MS. */
  inviteFollowMs?: number;
}

/** What the app tells its fronts, named as the IPC contract's event channels that carry it to the window. */
export type AppEvent =
  | RunEvent
  | { channel: 'status.changed'; payload: StatusSnapshot }
  | { channel: 'hostkey.prompt'; payload: HostKeyInfo }
  | { channel: 'token.revealExpired'; payload: Record<string, never> }
  | { channel: 'clipboard.cleared'; payload: { what: ClipboardWhat; cleared: boolean } }
  | { channel: 'invite.ended'; payload: InviteEnded }
  | { channel: 'settings.changed'; payload: Settings }
  | { channel: 'profiles.changed'; payload: ProfilesList };

/** An invite the app issued that was used (by whom, when the server says) or expired since the last look. */
export interface InviteEnded {
  hint: string;
  state: 'used' | 'expired';
  joined: string[];
  /** The room they were invited into, as the invite asked; null when none or it failed. */
  invitedTo: string | null;
  inviteProblem: string | null;
}

/** Which homeserver something is about: notifications name it, the tray and the window show it. */
export interface ServerRef {
  profileId: string;
  serverName: string;
}

/** An action whose plan a front shows (a confirm dialog) before it starts exactly that plan. */
export interface PreparedAction {
  plan: Plan;
  /** Starts the plan; `confirmed`: the user accepted its effect (required unless it is safe). */
  start(confirmed: boolean): Promise<{ runId: string }>;
}

export type AppService = ReturnType<typeof createAppService>;

/** One server's invite following: whether a look is under way, when the last began, what was told. */
interface FollowState {
  running: boolean;
  last: number;
  /** When the app began following the server: invites that ended before were told by an earlier run, or never. */
  since: number;
  /** The invites told already (by ref). */
  told: Set<string>;
}

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
 * directly. Each answers from the selected profile's core (NoProfile without one), or from the profile the
 * tray names, and returns the views the fronts show; the events say what changed. Every profile's core is
 * followed: status.changed comes for each server (its profileId says which), run and log events only for
 * the selected one (the window shows that one; switching back loads its runs again), alerts and finished
 * runs and ended invites of every server reach onAlerts / onRunFinished / onInviteEnded with the server named. One instance per app host:
 * every front sees the same runs, output and prompts.
 */
export function createAppService(app: AppHost, ports: AppPorts) {
  const batchMs = ports.batchMs ?? 50;
  const listeners = new Set<(event: AppEvent) => void>();
  const alertListeners = new Set<(alerts: readonly AlertView[], server: ServerRef) => void>();
  const runListeners = new Set<(run: RunState, server: ServerRef) => void>();
  const inviteListeners = new Set<(ended: InviteEnded, server: ServerRef) => void>();
  const prompts = new HostKeyPrompts();
  /** Every followed core: its runs as the fronts see them, and how to stop following it. */
  const attached = new Map<Core, { tracker: RunTracker; detach: () => void }>();
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

  /** The core of the profile the tray names (a section of its menu), else the selected one. */
  function coreFor(profileId: string | null | undefined): Core {
    if (profileId === null || profileId === undefined) return requireCore();
    const server = app.servers().find((s) => s.id === profileId);
    if (!server) throw new InvalidInput('profile', 'is not a server this app watches');
    return server.core;
  }

  /** The runs of the selected core as the fronts follow them (attached whenever there is a core). */
  function requireTracker(): RunTracker {
    const tracker = attached.get(requireCore())?.tracker;
    if (!tracker) throw new NoProfile(app.dataDir);
    return tracker;
  }

  /** The store id of a core the app host holds (null while it is being replaced). */
  function idOf(core: Core): string | null {
    return app.servers().find((s) => s.core === core)?.id ?? null;
  }

  function serverOf(core: Core): ServerRef {
    return { profileId: idOf(core) ?? '', serverName: core.profile.serverName };
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
      profileId: idOf(core),
      maintenance: core.maintenance.list(),
      stickyAlerts: core.alerts.list(),
      busy: busy(core),
      presentedHostKey: (host) => presentedHostKey(core, host),
    });
  }

  const isSelected = (core: Core): boolean => app.core() === core;

  function emitStatus(core: Core, snapshot = core.scheduler.snapshot()): void {
    if (!attached.has(core)) return;
    const view = status(core, snapshot);
    emit({ channel: 'status.changed', payload: view });
    // The window trusts a key on the selected server: only its keys are asked about.
    if (!isSelected(core)) return;
    for (const key of prompts.due(view)) emit({ channel: 'hostkey.prompt', payload: key });
  }

  function trackerOptions(core: Core) {
    return {
      batchMs,
      emit: (event: RunEvent) => {
        if (event.channel === 'run.finished') tellRunFinished(event.payload, serverOf(core));
        if (isSelected(core)) emit(event);
      },
      runsChanged: () => emitStatus(core),
    };
  }

  /**
   * Follows the invites the app issued on one server, at most every inviteFollowMs, on its status polls, and tells
   * once every invite that was used or expired since the app began following the server — whoever ended it: this
   * poll, the window's invite list, or a CLI on the same data folder. "Alice joined" is told for every watched
   * server; the window hears it only for the one it shows.
   */
  function followInvites(core: Core, state: FollowState): void {
    if (state.running || Date.now() - state.last < (ports.inviteFollowMs ?? FOLLOW_EVERY_MS)) return;
    state.running = true;
    state.last = Date.now();
    void core.inviteClient
      .follow()
      .catch(() => {
        // No admin sign-in or the server is down: the status panel says so; the next poll tries again.
      })
      .then(() => core.inviteClient.history())
      .then((history) => {
        for (const e of history) {
          if (e.state !== 'used' && e.state !== 'expired') continue;
          if (e.endedAt === null || e.endedAt < state.since || state.told.has(e.ref)) continue;
          // Told once its room invite is done: the next look tells where they were invited, or why not.
          if (roomInviteUnderWay(e, Date.now())) continue;
          state.told.add(e.ref);
          const payload: InviteEnded = {
            hint: e.hint,
            state: e.state,
            joined: e.joined,
            invitedTo: e.invitedTo,
            inviteProblem: e.inviteProblem,
          };
          tellInviteEnded(payload, serverOf(core));
          if (isSelected(core)) emit({ channel: 'invite.ended', payload });
        }
        // The history keeps the newest ended invites only: what it dropped cannot come back.
        const kept = new Set(history.map((e) => e.ref));
        for (const ref of state.told) if (!kept.has(ref)) state.told.delete(ref);
      })
      .catch(() => {
        // An unreadable history tells nothing; the next poll looks again.
      })
      .finally(() => {
        state.running = false;
      });
  }

  function tellInviteEnded(ended: InviteEnded, server: ServerRef): void {
    if (disposed) return;
    for (const l of inviteListeners) {
      try {
        l(ended, server);
      } catch {
        // Notifications are best effort.
      }
    }
  }

  function tellRunFinished(run: RunState, server: ServerRef): void {
    if (disposed) return;
    for (const l of runListeners) {
      try {
        l(run, server);
      } catch {
        // Notifications are best effort.
      }
    }
  }

  function tellAlerts(alerts: readonly AlertView[], server: ServerRef): void {
    if (alerts.length === 0 || disposed) return;
    for (const l of alertListeners) {
      try {
        l(alerts, server);
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
      tellAlerts(fresh.map(stickyAlertView), serverOf(core));
    });
  }

  function attach({ core }: Server): void {
    const tracker = new RunTracker(core, trackerOptions(core));
    const following: FollowState = { running: false, last: 0, since: Date.now(), told: new Set() };
    const offs = [
      core.scheduler.subscribe((snapshot, alerts) => {
        emitStatus(core, snapshot);
        followInvites(core, following);
        tellAlerts(alerts, serverOf(core));
      }),
      followStickyAlerts(core),
      core.token?.onRevealExpired(() => emit({ channel: 'token.revealExpired', payload: {} })) ?? (() => {}),
      core.clipboard?.onCleared((e) => emit({ channel: 'clipboard.cleared', payload: e })) ?? (() => {}),
    ];
    attached.set(core, {
      tracker,
      detach: () => {
        for (const off of offs) off();
        tracker.dispose();
      },
    });
  }

  /** Follows the cores the app host has now: new ones attached, closed ones let go. */
  function followServers(): void {
    const servers = app.servers();
    for (const [core, entry] of [...attached]) {
      if (servers.some((s) => s.core === core)) continue;
      entry.detach();
      attached.delete(core);
    }
    for (const server of servers) if (!attached.has(server.core)) attach(server);
  }

  /** The core the window showed last: its log streams end when the window shows another server. */
  let shown: Core | null = app.core();

  /** The window follows logs of the server it shows; another server's stream would go on unseen. */
  function endHiddenLogStreams(): void {
    const now = app.core();
    if (shown && shown !== now && attached.has(shown)) {
      const runbook = shown.runbook;
      for (const r of runbook.list()) if (isLogStream(r) && r.state === 'running') runbook.cancel(r.id);
    }
    shown = now;
  }

  async function coreChanged(): Promise<void> {
    endHiddenLogStreams();
    followServers();
    emit({ channel: 'profiles.changed', payload: await app.profiles.list() });
    for (const { core } of app.servers()) emitStatus(core);
  }

  const offApp = [
    app.onCoreChanged(() => void coreChanged().catch(() => {})),
    app.settings.subscribe((s) => emit({ channel: 'settings.changed', payload: s })),
  ];
  followServers();

  const validate = (draft: ProfileDraft) => app.profiles.validate(draft);

  // ── history, off-host alert channels and their desktop notices (app/monitoring-service.ts)
  const monitoring = monitoringUseCases(app, coreFor);
  const noticeListeners = new Set<(notice: MonitorNotice) => void>();
  offApp.push(
    app.monitoring.onNotice((notice) => {
      if (disposed) return;
      for (const l of noticeListeners) {
        try {
          l(notice);
        } catch {
          // Notifications are best effort.
        }
      }
    }),
  );

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
        return app.profiles.list();
      },
      delete: async (id: string) => {
        await app.deleteProfile(id);
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
      /**
       * Every profile's status, in the store's order: the tray's sections, the window's switcher. A profile
       * that cannot be watched (a broken file, an unreadable caFile) is there too, unknown, with why.
       */
      all: () => ({
        servers: [
          ...app.servers().map(({ core }) => status(core)),
          ...app.unwatched().map((u) => unwatchedView(u, app.settings.get().pollIntervalSeconds)),
        ],
      }),
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
      prepare: async (
        actionId: string,
        params: Record<string, unknown>,
        profileId: string | null = null,
      ): Promise<PreparedAction> => {
        refuseLogStream(actionId);
        const prepared = await coreFor(profileId).runbook.prepare(actionId, params);
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
      copy: async (profileId: string | null = null) => {
        const core = coreFor(profileId);
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
      create: async (uses: number, expiresInDays: number | null, inviteTo: string | null = null) => {
        const invites = needClipboard(requireCore().invites);
        const r = await invites.create({
          uses,
          expires: expiresInDays === null ? null : `${expiresInDays}d`,
          inviteTo,
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
      list: async (): Promise<{ secrets: SecretSlot[]; migration: string | null }> => {
        const core = requireCore();
        const store = writeOnlySecretStore(core.secrets);
        const slots = secretSlots(core.profile);
        const stored = await Promise.all(slots.map((s) => store.has(secretRef(core.profile, s))));
        return {
          secrets: slots.map((s, i) => ({ ...s, stored: stored[i] === true })),
          migration: core.secretsMigration?.sentence ?? null,
        };
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

    history: monitoring.history,
    alerts: monitoring.alerts,

    /** Mutes are per server: the one a tray section or a notification names, else the selected one. */
    mutes: {
      set: async (target: MuteTarget, duration: MuteDuration, profileId: string | null = null) => ({
        mute: setMute(coreFor(profileId), target, duration),
      }),
      clear: async (key: string, profileId: string | null = null) => clearMute(coreFor(profileId), key),
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
    /** The alert policy's events of one poll of one server (for desktop notifications); never an empty list. */
    onAlerts(listener: (alerts: readonly AlertView[], server: ServerRef) => void): () => void {
      alertListeners.add(listener);
      return () => alertListeners.delete(listener);
    },
    /** Forecasts, failing alert channels, a history that stopped being written (for desktop notifications). */
    onNotice(listener: (notice: MonitorNotice) => void): () => void {
      noticeListeners.add(listener);
      return () => noticeListeners.delete(listener);
    },
    /** A run of any server finished (the window's run.finished comes only for the selected one). */
    onRunFinished(listener: (run: RunState, server: ServerRef) => void): () => void {
      runListeners.add(listener);
      return () => runListeners.delete(listener);
    },
    /** An invite the app issued on any server ended (the window's invite.ended comes only for the selected one). */
    onInviteEnded(listener: (ended: InviteEnded, server: ServerRef) => void): () => void {
      inviteListeners.add(listener);
      return () => inviteListeners.delete(listener);
    },
    /** The selected profile's publicUrl (the openExternal allowlist takes its host); null without one. */
    publicUrl: (): string | null => app.core()?.profile.publicUrl ?? null,
    /** Stops telling and drops timers; the app host itself is closed by its owner. */
    dispose(): void {
      disposed = true;
      for (const off of offApp) off();
      for (const entry of attached.values()) entry.detach();
      attached.clear();
      listeners.clear();
      alertListeners.clear();
      noticeListeners.clear();
      runListeners.clear();
      inviteListeners.clear();
    },
  };
}
