import { readFile, stat } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { Batcher, LineSplitter } from '../app/batcher';
import { testHost } from '../app/host-test';
import { matrixLogin, matrixLogout } from '../app/matrix-session';
import type { AppHost, Core } from '../app/session';
import { actionInfo, planView } from '../app/views/action-view';
import { runState, runSummary } from '../app/views/run-view';
import { statusView } from '../app/views/status-view';
import { InvalidInput } from '../core/errors';
import { EXAMPLE_PROFILE_YAML } from '../core/profile/example';
import type { HostRole } from '../core/profile/schema';
import { NoProfile } from '../core/profile/store';
import { TOKEN_ROLLBACK_ACTION, TOKEN_ROTATE_ACTION } from '../core/runbook/rotation-alerts';
import type { RunRecord } from '../core/runbook/run-record';
import { writeOnlySecretStore } from '../core/secrets/write-only';
import type { Clipboard } from '../core/token/clipboard';
import { trimVaultPasswordFile } from '../core/vault/password-file';
import { HOST_ROLES, hostSecretKinds, profileSecretKinds } from '../core/vocab';
import type { DesktopAlert, DesktopEvent } from '../desktop/model/desktop-app';
import {
  type EventChannel,
  eventChannels,
  type FieldIssue,
  type HostKeyInfo,
  type InvokeChannel,
  type InvokeChannels,
  invokeChannels,
  type OutputChunk,
  type PayloadOf,
  type ProfileDraft,
  type Result,
  type SecretSlot,
  type StatusSnapshot,
  type ValueOf,
} from './contract';
import { ClipboardUnavailable, errorInfo, invalidRequest } from './error-info';

/** The parts of the desktop that only Electron has; tests and the E2E harness pass their own. */
export interface RouterHooks {
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
  /** An answer or event the router produced does not match the contract (a bug): told here, not sent. */
  onContractViolation?(channel: string, problem: string): void;
}

export interface Router {
  /** Answers one invoke channel; never throws. */
  handle(channel: string, request: unknown): Promise<Result<unknown>>;
  /** Every event channel of the contract, validated. */
  subscribe(listener: (event: DesktopEvent) => void): () => void;
  /** The alert policy's events of one poll (for desktop notifications); never an empty list. */
  onAlerts(listener: (alerts: readonly DesktopAlert[]) => void): () => void;
  /** The selected profile's publicUrl (the openExternal allowlist takes its host); null without one. */
  publicUrl(): string | null;
  /** Stops forwarding events and drops timers; the app itself is closed by its owner. */
  dispose(): void;
}

type Request<C extends InvokeChannel> = z.output<InvokeChannels[C]['request']>;
type Handlers = { [C in InvokeChannel]: (request: Request<C>) => Promise<ValueOf<C>> | ValueOf<C> };

const LOGS_ACTION = 'logs.follow';
/** Output kept per run for runs.get (the live events carry all of it). */
const MAX_OUTPUT_CHARS = 1024 * 1024;
const MAX_IMPORT_BYTES = 1_000_000;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

interface RunOutput {
  seq: number;
  chunks: OutputChunk[];
  chars: number;
  pending: Batcher<OutputChunk>;
}

interface LogStream {
  lines: LineSplitter;
  pending: Batcher<string>;
}

function plainDraft(data: unknown): ProfileDraft | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  // Through JSON: what YAML can hold beyond it (dates, maps with odd keys) must not reach the window.
  return JSON.parse(JSON.stringify(data)) as ProfileDraft;
}

export function createRouter(app: AppHost, hooks: RouterHooks): Router {
  const batchMs = hooks.batchMs ?? 50;
  const listeners = new Set<(event: DesktopEvent) => void>();
  const alertListeners = new Set<(alerts: readonly DesktopAlert[]) => void>();
  const outputs = new Map<string, RunOutput>();
  const streams = new Map<string, LogStream>();
  /** The unknown key (and the poll) each host was last prompted for. */
  const prompted = new Map<HostRole, string>();
  let selectedId: string | null = null;
  let detachCore: () => void = () => {};
  let disposed = false;

  const violation =
    hooks.onContractViolation ??
    ((channel: string, problem: string) =>
      console.error(`IPC ${channel} does not match the contract: ${problem}`));

  function emit<E extends EventChannel>(channel: E, payload: PayloadOf<E>): void {
    if (disposed) return;
    const parsed = eventChannels[channel].safeParse(payload);
    if (!parsed.success) {
      violation(channel, describeIssue(parsed.error));
      return;
    }
    const event = { channel, payload: parsed.data } as DesktopEvent;
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

  function actionTitle(core: Core, id: string): string | null {
    return core.runbook.catalog.find((a) => a.id === id)?.title ?? null;
  }

  function isLogStream(run: Pick<RunRecord, 'actionId'>): boolean {
    return run.actionId === LOGS_ACTION;
  }

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
      stickyAlerts: app.alerts.list(),
      busy: busy(core),
      presentedHostKey: (host) => presentedHostKey(core, host),
    });
  }

  function emitStatus(core: Core, snapshot = core.scheduler.snapshot()): void {
    const view = status(core, snapshot);
    emit('status.changed', view);
    if (snapshot.refreshing) return;
    for (const h of view.hosts) {
      if (h.host === 'public') continue;
      const key = h.error?.code === 'HostKeyUnknown' ? h.error.hostKey : undefined;
      if (!key) {
        prompted.delete(h.host);
        continue;
      }
      // Once per poll that met the key: a window busy with another dialog (or a user who said "not now")
      // is asked again at the next poll rather than never.
      const asked = `${key.fingerprint} ${snapshot.refreshedAt}`;
      if (prompted.get(h.host) === asked) continue;
      prompted.set(h.host, asked);
      emit('hostkey.prompt', key);
    }
  }

  function outputOf(runId: string): RunOutput {
    let out = outputs.get(runId);
    if (!out) {
      const created: RunOutput = {
        seq: 0,
        chunks: [],
        chars: 0,
        pending: new Batcher(batchMs, (chunks) => emit('run.output', { runId, chunks })),
      };
      outputs.set(runId, created);
      out = created;
    }
    return out;
  }

  function recordOutput(runId: string, stepId: string, stream: OutputChunk['stream'], text: string): void {
    const out = outputOf(runId);
    const chunk: OutputChunk = { seq: out.seq++, stepId, stream, text };
    out.chunks.push(chunk);
    out.chars += text.length;
    while (out.chars > MAX_OUTPUT_CHARS && out.chunks.length > 1) {
      out.chars -= out.chunks.shift()?.text.length ?? 0;
    }
    out.pending.push(chunk);
  }

  function streamOf(runId: string): LogStream {
    let s = streams.get(runId);
    if (!s) {
      const created: LogStream = {
        lines: new LineSplitter(),
        pending: new Batcher(batchMs, (lines) => emit('logs.lines', { streamId: runId, lines })),
      };
      streams.set(runId, created);
      s = created;
    }
    return s;
  }

  function endStream(run: RunRecord): void {
    const s = streams.get(run.id);
    if (s) {
      s.pending.push(...s.lines.end());
      s.pending.flush();
      streams.delete(run.id);
    }
    const failed = run.steps.find((st) => st.id === run.failingStep)?.error;
    emit('logs.ended', { streamId: run.id, error: run.state === 'failed' && failed ? failed : null });
  }

  function attach(core: Core): () => void {
    const view = (run: RunRecord) =>
      runState(run, { profile: core.profile, actionTitle: (id) => actionTitle(core, id) });
    const offs = [
      core.scheduler.subscribe((snapshot, alerts) => {
        emitStatus(core, snapshot);
        if (alerts.length === 0) return;
        for (const l of alertListeners) {
          try {
            l(alerts);
          } catch {
            // Notifications are best effort.
          }
        }
      }),
      core.runbook.events.on('run-started', ({ run }) => {
        if (isLogStream(run)) return;
        emit('run.updated', view(run));
        emitStatus(core);
      }),
      core.runbook.events.on('step-started', ({ runId }) => {
        const run = core.runbook.get(runId);
        if (!run || isLogStream(run)) return;
        outputs.get(runId)?.pending.flush();
        emit('run.updated', view(run));
      }),
      core.runbook.events.on('step-output', ({ runId, stepId, stream, text }) => {
        if (streams.has(runId) || core.runbook.get(runId)?.actionId === LOGS_ACTION) {
          // Log streams print their journal on stdout; the app's own lines (retries) are not journal lines.
          if (stream === 'stdout') {
            const s = streamOf(runId);
            s.pending.push(...s.lines.push(text));
          }
          return;
        }
        recordOutput(runId, stepId, stream, text);
      }),
      core.runbook.events.on('step-finished', ({ runId }) => {
        const run = core.runbook.get(runId);
        if (!run || isLogStream(run)) return;
        outputs.get(runId)?.pending.flush();
        emit('run.updated', view(run));
      }),
      core.runbook.events.on('run-finished', ({ run }) => {
        if (isLogStream(run)) return endStream(run);
        outputs.get(run.id)?.pending.flush();
        emit('run.finished', view(run));
        emitStatus(core);
      }),
      core.token?.onRevealExpired(() => emit('token.revealExpired', {})) ?? (() => {}),
      core.clipboard?.onCleared((e) => emit('clipboard.cleared', e)) ?? (() => {}),
    ];
    return () => {
      for (const off of offs) off();
      for (const out of outputs.values()) out.pending.discard();
      for (const s of streams.values()) s.pending.discard();
      outputs.clear();
      streams.clear();
      prompted.clear();
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
    emit('profiles.changed', list);
    if (core) emitStatus(core);
  }

  const offApp = [
    app.onCoreChanged((core) => void coreChanged(core).catch(() => {})),
    app.settings.subscribe((s) => emit('settings.changed', s)),
    app.alerts.subscribe(() => {
      const core = app.core();
      if (core) emitStatus(core);
    }),
  ];
  const initial = app.core();
  if (initial) detachCore = attach(initial);
  void refreshSelection().catch(() => {});

  function draftFromYaml(text: string): { draft: ProfileDraft; issues: FieldIssue[] } {
    let data: unknown;
    try {
      data = parseYaml(text, { maxAliasCount: 100 });
    } catch (e) {
      return {
        draft: {},
        issues: [{ field: '(yaml)', message: (e as Error).message.split('\n')[0] ?? 'cannot be parsed' }],
      };
    }
    const draft = plainDraft(data);
    if (!draft)
      return { draft: {}, issues: [{ field: '(root)', message: 'is not a mapping of profile keys' }] };
    return { draft, issues: app.profiles.validate(draft) };
  }

  function secretSlots(core: Core): { kind: SecretSlot['kind']; host: HostRole | null }[] {
    const p = core.profile;
    return [
      ...HOST_ROLES.flatMap((host) => hostSecretKinds(p.hosts[host]).map((kind) => ({ kind, host }))),
      ...profileSecretKinds(p).map((kind) => ({ kind, host: null })),
    ];
  }

  function ref(core: Core, r: { kind: SecretSlot['kind']; host: HostRole | null }) {
    return { profile: core.profile.name, kind: r.kind, ...(r.host ? { host: r.host } : {}) };
  }

  async function startRun(
    core: Core,
    actionId: string,
    params: Record<string, unknown>,
    confirmed: boolean,
  ): Promise<{ runId: string }> {
    const handle = await core.runbook.start(actionId, params, { confirmed });
    return { runId: handle.id };
  }

  const handlers: Handlers = {
    'app.info': async () => ({
      version: hooks.version,
      platform: hooks.platform,
      firstRun: (await app.profiles.list()).profiles.length === 0,
    }),
    // hooks.openExternal is the allowlisted opener of desktop/electron/external.ts (https to listed hosts), checked there.
    'app.openExternal': async ({ url }) => ({ opened: await hooks.openExternal(url) }), // eng-disable OPEN_EXTERNAL_JS_CHECK

    'settings.get': () => app.settings.get(),
    'settings.set': async ({ patch }) => {
      if (patch.launchAtLogin !== undefined && hooks.setLaunchAtLogin)
        await hooks.setLaunchAtLogin(patch.launchAtLogin);
      return app.settings.set(patch);
    },

    'profiles.list': () => app.profiles.list(),
    'profiles.get': ({ id }) => app.profiles.get(id),
    'profiles.example': () => ({ draft: draftFromYaml(EXAMPLE_PROFILE_YAML).draft }),
    'profiles.validate': ({ draft }) => ({ issues: app.profiles.validate(draft) }),
    'profiles.save': ({ id, draft }) => app.saveProfile(id, draft),
    'profiles.importYaml': ({ yaml }) => draftFromYaml(yaml),
    'profiles.importFile': async () => {
      const file = await hooks.chooseProfileFile();
      if (file === null) return { draft: null, issues: [] };
      if ((await stat(file)).size > MAX_IMPORT_BYTES)
        throw new InvalidInput(
          'file',
          `is larger than ${MAX_IMPORT_BYTES / 1_000_000} MB; a profile is a few kB`,
        );
      return draftFromYaml(await readFile(file, 'utf8'));
    },
    'profiles.select': async ({ id }) => {
      await app.selectProfile(id);
      await refreshSelection();
      return app.profiles.list();
    },
    'profiles.delete': async ({ id }) => {
      await app.deleteProfile(id);
      await refreshSelection();
      return app.profiles.list();
    },

    'onboarding.testHost': ({ host }) => testHost(requireCore(), host),
    'hostkey.trust': async ({ host, fingerprint, permanent }) => {
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
      prompted.delete(host);
      return { trusted: true };
    },
    'hostkey.forget': ({ host }) => requireCore().pool.forgetHostKey(host),

    'status.get': () => status(requireCore()),
    'status.refresh': async () => {
      const core = requireCore();
      await core.scheduler.refreshNow();
      return status(core);
    },

    'actions.list': async () => {
      const core = requireCore();
      const adminRoom = await core.secrets.has({ profile: core.profile.name, kind: 'matrix-admin-token' });
      return {
        actions: core.runbook.catalog.map((a) =>
          actionInfo(a, { profile: core.profile, settings: core.runbook.settings, adminRoom }),
        ),
      };
    },
    'actions.plan': async ({ actionId, params }) =>
      planView(await requireCore().runbook.plan(actionId, params)),
    'actions.run': ({ actionId, params, confirmed }) => {
      if (actionId === LOGS_ACTION)
        throw new InvalidInput('actionId', 'logs are followed in the Logs panel (logs.follow)');
      return startRun(requireCore(), actionId, params, confirmed);
    },
    'runs.list': () => {
      const core = requireCore();
      const runs = core.runbook
        .list()
        .filter((r) => !isLogStream(r))
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      return { runs: runs.map(runSummary) };
    },
    'runs.get': ({ runId }) => {
      const core = requireCore();
      const run = core.runbook.get(runId);
      if (!run || isLogStream(run)) throw new InvalidInput('runId', 'is not a run of this session');
      const state = runState(run, { profile: core.profile, actionTitle: (id) => actionTitle(core, id) });
      return { ...state, output: [...(outputs.get(runId)?.chunks ?? [])] };
    },
    'runs.cancel': ({ runId }) => ({ cancelling: requireCore().runbook.cancel(runId) }),
    'runs.copyOutput': async ({ runId }) => {
      const core = requireCore();
      if (!core.runbook.get(runId)) throw new InvalidInput('runId', 'is not a run of this session');
      if (!hooks.clipboard) throw new ClipboardUnavailable();
      const text = (outputs.get(runId)?.chunks ?? []).map((c) => c.text).join('');
      await hooks.clipboard.writeText(text, { concealed: false });
      return { copied: true };
    },

    'logs.follow': async ({ unit }) => {
      const core = requireCore();
      const handle = await core.runbook.start(LOGS_ACTION, { unit });
      streamOf(handle.id);
      return { streamId: handle.id };
    },
    'logs.stop': ({ streamId }) => {
      const core = requireCore();
      const run = core.runbook.get(streamId);
      if (!run || !isLogStream(run))
        throw new InvalidInput('streamId', 'is not a log stream of this session');
      return { stopped: core.runbook.cancel(streamId) || run.state !== 'running' };
    },

    'token.copy': async () => {
      const token = requireCore().token;
      if (!token) throw new ClipboardUnavailable();
      return { clearsAt: iso((await token.copy()).clearsAt) };
    },
    'token.reveal': async () => {
      const token = requireCore().token;
      if (!token) throw new ClipboardUnavailable();
      const r = await token.reveal();
      return { token: r.token, hideAt: new Date(r.hideAt).toISOString() };
    },
    'token.rotate': ({ apply }) =>
      // The Tokens panel's own dialog names the effect; the request is the confirmation.
      startRun(requireCore(), TOKEN_ROTATE_ACTION, { apply }, true),
    'token.rollback': ({ runId }) => startRun(requireCore(), TOKEN_ROLLBACK_ACTION, { runId }, true),

    'invite.create': async ({ uses, expiresInDays }) => {
      const invites = requireCore().invites;
      if (!invites) throw new ClipboardUnavailable();
      const r = await invites.create({ uses, expires: expiresInDays === null ? null : `${expiresInDays}d` });
      return { invite: { ...r.invite, expiresAt: iso(r.invite.expiresAt) }, clearsAt: iso(r.clearsAt) };
    },
    'invite.list': async () => {
      const invites = requireCore().invites;
      if (!invites) throw new ClipboardUnavailable();
      return { invites: (await invites.list()).map((i) => ({ ...i, expiresAt: iso(i.expiresAt) })) };
    },
    'invite.copyToken': async ({ id }) => {
      const invites = requireCore().invites;
      if (!invites) throw new ClipboardUnavailable();
      return { clearsAt: iso((await invites.copyToken(id)).clearsAt) };
    },
    'invite.copyInstructions': async () => {
      const invites = requireCore().invites;
      if (!invites) throw new ClipboardUnavailable();
      await invites.copyInstructions();
      return { copied: true };
    },
    'invite.revoke': async ({ id }) => {
      const invites = requireCore().invites;
      if (!invites) throw new ClipboardUnavailable();
      await invites.revoke(id);
      return { revoked: true };
    },

    'secrets.list': async () => {
      const core = requireCore();
      const store = writeOnlySecretStore(core.secrets);
      const slots = secretSlots(core);
      const stored = await Promise.all(slots.map((s) => store.has(ref(core, s))));
      return { secrets: slots.map((s, i) => ({ ...s, stored: stored[i] === true })) };
    },
    'secrets.has': async (r) => {
      const core = requireCore();
      return { stored: await writeOnlySecretStore(core.secrets).has(ref(core, r)) };
    },
    'secrets.set': async ({ kind, host, value }) => {
      const core = requireCore();
      // ansible-vault trims its password file; the keychain holds what it would use.
      const stored =
        kind === 'vault-password'
          ? trimVaultPasswordFile(Buffer.from(value, 'utf8'))
          : Buffer.from(value, 'utf8');
      try {
        await writeOnlySecretStore(core.secrets).set(ref(core, { kind, host }), stored);
      } finally {
        stored.fill(0);
      }
      return { stored: true };
    },
    'secrets.delete': async (r) => {
      const core = requireCore();
      return { deleted: await writeOnlySecretStore(core.secrets).delete(ref(core, r)) };
    },

    'matrix.login': ({ userId, password }) => {
      const core = requireCore();
      return matrixLogin(core.profile, writeOnlySecretStore(core.secrets), userId, password);
    },
    'matrix.logout': () => {
      const core = requireCore();
      return matrixLogout(core.profile, core.secrets);
    },
  };

  async function handle(channel: string, request: unknown): Promise<Result<unknown>> {
    try {
      if (!Object.hasOwn(invokeChannels, channel))
        throw new InvalidInput('channel', `"${channel.slice(0, 80)}" is not a channel of this app`);
      const c = channel as InvokeChannel;
      const parsed = invokeChannels[c].request.safeParse(request);
      if (!parsed.success) throw invalidRequest(parsed.error, 'request');
      const run = handlers[c] as (r: unknown) => Promise<unknown> | unknown;
      const value = await run(parsed.data);
      const shaped = invokeChannels[c].result.safeParse(value);
      if (!shaped.success) {
        violation(c, describeIssue(shaped.error));
        throw new Error('the main process produced an answer the window cannot read');
      }
      return { ok: true, value: shaped.data };
    } catch (e) {
      return { ok: false, error: errorInfo(e) };
    }
  }

  return {
    handle,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onAlerts(listener) {
      alertListeners.add(listener);
      return () => alertListeners.delete(listener);
    },
    publicUrl: () => app.core()?.profile.publicUrl ?? null,
    dispose() {
      disposed = true;
      for (const off of offApp) off();
      detachCore();
      detachCore = () => {};
      listeners.clear();
      alertListeners.clear();
    },
  };
}

/** Where an answer broke the contract, without its values (they may be anything the core had). */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
}
