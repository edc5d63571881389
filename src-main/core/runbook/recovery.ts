import { HostBusy } from '../errors';
import { pinnedFacts } from '../matrix/server-facts';
import { expandHome } from '../profile/load';
import type { Profile } from '../profile/schema';
import type { HostLock, HostLocks } from '../ssh/host-lock';
import type { RemoteExec } from '../ssh/types';
import { type GitRunner, systemGit } from '../vault/git';
import { readRotationState } from '../vault/rotation-lock';
import { systemctl } from './commands';
import { MAINTENANCE_MODE_KEY, type MaintenanceStore } from './maintenance';
import {
  ROTATION_UNAPPLIED_ALERT,
  ROTATION_UNPUSHED_ALERT,
  rotationUnappliedAlert,
  rotationUnpushedAlert,
} from './rotation-alerts';
import { type ActiveRun, type ActiveRuns, runGone } from './run-record';
import type { StickyAlerts } from './sticky-alerts';
import { type AnyAction, DEFAULT_SETTINGS, type InterruptedSpec, type StepAlert } from './types';

/** The alert that maintenance mode has been on for longer than the reminder setting. */
export const MAINTENANCE_REMINDER_ALERT = 'maintenance-reminder';
/** The alert recovery raises for a run of `actionId` whose process was killed mid-run. */
export const interruptedAlertId = (actionId: string) => `interrupted:${actionId}`;

export interface RecoveryOptions {
  profile: Profile;
  catalog: readonly AnyAction[];
  maintenance: MaintenanceStore;
  alerts: StickyAlerts;
  activeRuns: ActiveRuns;
  /** The same host locks runs take: recovering a run's state is done holding its hosts. */
  locks: HostLocks;
  exec: RemoteExec;
  /** Read at each pass, so a settings change applies at the next poll. */
  settings: () => { maintenanceReminderMs: number; unitCommandTimeoutMs?: number };
  git?: GitRunner;
  now?: () => number;
}

/** What one pass did, for tests and logs: sentences, one per state it resolved. */
export type RecoveryReport = string[];

/**
 * Resolves the states a run leaves in the data folder when its process dies before the run's end (a
 * `kill -9`, a crash, a power cut): at start-up and at every status poll, in whichever process of the
 * profile looks first. A run record whose process is gone is claimed by taking the host locks the run
 * held (taken over from the dead process; a live run on those hosts means later), then:
 *   - nothing of it is left when it stopped before its first step that changes a host, or when the hosts
 *     show its effect undone (every unit it stops or restarts is active): its maintenance windows go;
 *   - otherwise a sticky alert names what it left and the action that fixes it (its success clears the
 *     alert); maintenance mode it turned on stays, without the dead run's name on it.
 * The token rotation's own journal is read the same way: a rotation stopped before its push, or pushed but
 * not applied, is an alert in every process, whoever ran it. And maintenance mode on for longer than the
 * reminder setting raises its reminder, once.
 */
export class Recovery {
  private readonly git: GitRunner;
  private readonly now: () => number;

  constructor(private readonly opts: RecoveryOptions) {
    this.git = opts.git ?? systemGit;
    this.now = opts.now ?? Date.now;
  }

  /** One pass; never throws (a part that fails is tried again at the next poll). */
  async run(signal?: AbortSignal): Promise<RecoveryReport> {
    const report: RecoveryReport = [];
    const { maintenance, alerts } = this.opts;
    maintenance.reload();
    alerts.reload();
    for (const run of this.opts.activeRuns.list()) {
      if (signal?.aborted) break;
      if (!runGone(run.owner)) continue;
      try {
        const done = await this.recover(run, signal);
        if (done) report.push(done);
      } catch {
        // The hosts could not be asked (unreachable, host key): the next poll tries again.
      }
    }
    this.settleOrphanWindows(report);
    try {
      const rotation = await this.rotation();
      if (rotation) report.push(rotation);
    } catch {
      // No vault checkout here (yet): nothing a rotation could have left in it.
    }
    const reminder = this.reminder();
    if (reminder) report.push(reminder);
    return report;
  }

  private spec(run: ActiveRun): { action: AnyAction; spec: InterruptedSpec } | null {
    const action = this.opts.catalog.find((a) => a.id === run.owner.actionId);
    return action?.interrupted ? { action, spec: action.interrupted } : null;
  }

  /** Resolves one dead run; returns what it did, or null when it has to wait (hosts busy or silent). */
  private async recover(run: ActiveRun, signal?: AbortSignal): Promise<string | null> {
    const { maintenance, activeRuns } = this.opts;
    const runId = run.owner.runId;
    const own = () => maintenance.list().filter((w) => w.setBy?.runId === runId);
    const found = this.spec(run);
    if (!found || !actedOnHost(run, found.spec)) {
      for (const w of own()) maintenance.leave(w.key);
      activeRuns.end(runId);
      return `${run.title} (run ${runId.slice(0, 8)}) had not changed anything when its process ended.`;
    }
    const { action, spec } = found;
    const held = this.claimHosts(action, run);
    if (!held) return null;
    try {
      // Another process may have resolved it while this one waited for the hosts.
      if (!activeRuns.list().some((r) => r.owner.runId === runId)) return null;
      const down = spec.units ? await this.unitsDown(spec.units(this.opts.profile), signal) : null;
      if (spec.units && down === null) return null;
      const undone = down !== null && down.length === 0;
      for (const w of own()) {
        if (w.persistent && !undone) maintenance.update(w.key, { setBy: null });
        else maintenance.leave(w.key);
      }
      if (spec.endsMaintenance) maintenance.leave(MAINTENANCE_MODE_KEY);
      if (!undone) this.raise(this.interruptedAlert(run, action, spec, down), runId);
      activeRuns.end(runId);
      return undone
        ? `${run.title} (run ${runId.slice(0, 8)}) was interrupted, and every unit it touches is active again.`
        : `${run.title} (run ${runId.slice(0, 8)}) was interrupted and left something to fix.`;
    } finally {
      for (const lock of held) lock.release();
    }
  }

  /** The run's host locks, taken over from its dead process; null while a live run holds one of them. */
  private claimHosts(action: AnyAction, run: ActiveRun): HostLock[] | null {
    let hosts: string[];
    try {
      hosts = action.locks({
        profile: this.opts.profile,
        params: run.params,
        adminToken: run.route !== null && run.route !== 'cli',
        server: pinnedFacts(this.opts.profile),
        settings: DEFAULT_SETTINGS,
        startedAt: new Date(run.startedAt),
        scratch: {},
        dryRun: true,
      });
    } catch {
      hosts = ['homeserver'];
    }
    const held: HostLock[] = [];
    try {
      for (const host of new Set(hosts))
        held.push(
          this.opts.locks.acquire(
            host as 'homeserver' | 'deploy',
            `Recovering ${run.title} (run ${run.owner.runId.slice(0, 8)})`,
          ),
        );
      return held;
    } catch (e) {
      for (const lock of held) lock.release();
      if (e instanceof HostBusy) return null;
      throw e;
    }
  }

  /** The units that are not active, or null when the homeserver could not say. */
  private async unitsDown(units: string[], signal?: AbortSignal): Promise<string[] | null> {
    const out = await this.opts.exec.exec('homeserver', systemctl('is-active', ...units), {
      timeoutMs: this.opts.settings().unitCommandTimeoutMs ?? DEFAULT_SETTINGS.unitCommandTimeoutMs,
      ...(signal ? { signal } : {}),
      label: 'Check the units an interrupted run left',
    });
    const states = out.stdout.trim().split('\n');
    if (states.length !== units.length) return null;
    return units.filter((_, i) => states[i]?.trim() !== 'active');
  }

  private interruptedAlert(
    run: ActiveRun,
    action: AnyAction,
    spec: InterruptedSpec,
    down: string[] | null,
  ): StepAlert {
    const step = run.steps[run.at];
    const during = step ? ` during "${step.title}"` : '';
    const units = spec.units?.(this.opts.profile) ?? [];
    const left =
      down === null
        ? (spec.left ?? 'it may have left its work half done')
        : down.length > 1 && down.length === units.length
          ? `none of the ${down.length} units is active`
          : `${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} not active`;
    const mode = this.opts.maintenance.modeActive
      ? ' Maintenance mode stays on, so alerts about the units stay quiet.'
      : '';
    const fixTitle = this.opts.catalog.find((a) => a.id === spec.fix)?.title ?? spec.fix;
    return {
      id: interruptedAlertId(action.id),
      title: `${action.title} was interrupted`,
      message: `${run.title} was interrupted: its process ended${during}, before the run finished or cleaned up, and ${left}.${mode} Run "${fixTitle}" to fix it.`,
      fixActionId: spec.fix,
    };
  }

  private raise(spec: StepAlert, runId: string): void {
    this.opts.alerts.raise({
      ...spec,
      profile: this.opts.profile.name,
      runId,
      raisedAt: new Date(this.now()).toISOString(),
      raisedBy: null,
    });
  }

  /** A window whose run is gone without a record (it ended between the two writes): it no longer is that run's. */
  private settleOrphanWindows(report: RecoveryReport): void {
    const { maintenance, activeRuns } = this.opts;
    const recorded = new Set(activeRuns.list().map((r) => r.owner.runId));
    for (const w of maintenance.list()) {
      if (!w.setBy || recorded.has(w.setBy.runId) || !runGone(w.setBy)) continue;
      if (w.persistent) maintenance.update(w.key, { setBy: null });
      else maintenance.leave(w.key);
      report.push(
        `The maintenance window "${w.reason}" of a run that ended was ${w.persistent ? 'kept' : 'removed'}.`,
      );
    }
  }

  /** The rotation journal as an alert: stopped before its push, or pushed but not applied. */
  private async rotation(): Promise<string | null> {
    const { profile, alerts } = this.opts;
    if (!profile.vault) return null;
    const state = await readRotationState(expandHome(profile.vault.repo), this.git);
    const journal = state.journal;
    if (state.inProgress || !journal) return null;
    const raiseOnce = (spec: StepAlert) => {
      if (alerts.get(spec.id)) return null;
      this.raise(spec, journal.runId);
      return `${spec.title} (rotation ${journal.runId.slice(0, 8)}).`;
    };
    switch (journal.stage) {
      case 'backed-up':
      case 'committed':
        return raiseOnce(rotationUnpushedAlert(profile));
      case 'pushed':
        // An earlier version's journal stays at "pushed" after a successful apply: it cannot tell.
        return journal.writer ? raiseOnce(rotationUnappliedAlert({ profile }, 'pull')) : null;
      case 'pulled':
        return raiseOnce(rotationUnappliedAlert({ profile }, 'apply'));
      case 'applied':
      case 'rolled-back': {
        const cleared = [ROTATION_UNAPPLIED_ALERT, ROTATION_UNPUSHED_ALERT].filter((id) => alerts.clear(id));
        return cleared.length > 0 ? `The last rotation is ${journal.stage.replace('-', ' ')}.` : null;
      }
    }
  }

  /** Maintenance mode on for longer than the setting: one reminder, in whichever process sees it first. */
  private reminder(): string | null {
    const { maintenance, alerts } = this.opts;
    const mode = maintenance.get(MAINTENANCE_MODE_KEY);
    if (!mode) {
      if (alerts.get(MAINTENANCE_REMINDER_ALERT)) alerts.clear(MAINTENANCE_REMINDER_ALERT);
      return null;
    }
    if (mode.remindedAt || (mode.setBy && !runGone(mode.setBy))) return null;
    const onMs = this.now() - Date.parse(mode.since);
    if (!(onMs >= this.opts.settings().maintenanceReminderMs)) return null;
    const at = new Date(this.now()).toISOString();
    if (!maintenance.claimReminder(MAINTENANCE_MODE_KEY, at)) return null;
    const since = new Date(mode.since).toISOString().slice(11, 16);
    this.raise(
      {
        id: MAINTENANCE_REMINDER_ALERT,
        title: 'Maintenance mode is still on',
        message: `Maintenance mode has been on for ${Math.round(onMs / 60_000)} min (since ${since} UTC: ${mode.reason}): Matrix may be down for everyone, and alerts about its units stay quiet. Run "Start all services" when the work is done.`,
        fixActionId: 'stack.start',
      },
      mode.setBy?.runId ?? MAINTENANCE_MODE_KEY,
    );
    return 'Maintenance mode is still on: reminded.';
  }
}

/** Whether the run reached a step that changes a host (InterruptedSpec.actsFrom; by default its first step). */
export function actedOnHost(run: ActiveRun, spec: InterruptedSpec): boolean {
  if (run.at < 0) return false;
  if (!spec.actsFrom) return true;
  const from = run.steps.findIndex((s) => s.id === spec.actsFrom && s.phase === 'main');
  return from >= 0 && run.at >= from;
}
