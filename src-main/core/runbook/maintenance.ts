import { z } from 'zod';
import { SharedKeyedStore } from '../lib/shared-keyed-store';
import type { Maintenance } from '../status/aggregate';
import { type RunOwner, runOwnerSchema } from './run-record';

/** The window `stack.stop` opens and `stack.start` closes: every unit, until the admin starts the stack. */
export const MAINTENANCE_MODE_KEY = 'maintenance-mode';

const windowSchema = z.object({
  key: z.string().min(1),
  units: z.union([z.literal('all'), z.array(z.string())]),
  reason: z.string(),
  /** ISO time it began. */
  since: z.string(),
  /** Maintenance mode: stays after its run, until stack.start. A run's own window ends with the run. */
  persistent: z.boolean().default(true),
  /** The run that set it, while that run lasts; null once the run ended as it should (or for a window from an older version). */
  setBy: runOwnerSchema.nullable().optional(),
  /** When the reminder that maintenance mode is still on was given; null until then. */
  remindedAt: z.string().nullable().optional(),
});
export type MaintenanceWindow = z.infer<typeof windowSchema>;

export type NewWindow = Omit<MaintenanceWindow, 'since' | 'setBy' | 'remindedAt'> & {
  since?: string;
  setBy?: RunOwner | null;
};

/** What the status side needs (the status scheduler's setMaintenance / clearMaintenance). */
export interface MaintenanceSink {
  setMaintenance(window: Maintenance): void;
  clearMaintenance(key: string): void;
}

/** What a run's steps may do with maintenance (stack.stop turns the mode on, stack.start off). */
export interface MaintenanceAccess {
  readonly modeActive: boolean;
  get(key: string): MaintenanceWindow | undefined;
  list(): MaintenanceWindow[];
  enter(window: NewWindow): void;
  leave(key: string): boolean;
}

/**
 * The maintenance windows of one profile: maintenance mode and the windows that last one run (the seconds
 * Tuwunel is stopped for a CLI-mode command). With a file they live in the data folder, shared by every
 * process of the profile — the tray app, `status --watch`, a second CLI — which pick up each other's
 * changes at reload() (every status poll): a stack.stop from the CLI is maintenance for the tray too.
 * Each window names the run that set it while that run lasts, so a window a killed process left behind
 * can be told from one in use (recovery.ts).
 */
export class MaintenanceStore implements MaintenanceAccess {
  private readonly store: SharedKeyedStore<MaintenanceWindow>;

  constructor(file?: string) {
    // An unreadable file or entry holds no window: a window must never block alerts by mistake.
    this.store = new SharedKeyedStore({ file, schema: windowSchema, keyOf: (w) => w.key });
  }

  list(): MaintenanceWindow[] {
    return this.store.list();
  }

  get(key: string): MaintenanceWindow | undefined {
    return this.store.get(key);
  }

  /** Whether maintenance mode (stack.stop → stack.start) is on. */
  get modeActive(): boolean {
    return this.store.has(MAINTENANCE_MODE_KEY);
  }

  enter(window: NewWindow): void {
    const entered: MaintenanceWindow = {
      ...window,
      since: window.since ?? new Date().toISOString(),
      setBy: window.setBy ?? null,
      remindedAt: null,
    };
    this.store.change((all) => {
      all.set(entered.key, entered);
      return true;
    });
  }

  leave(key: string): boolean {
    return this.store.change((all) => all.delete(key));
  }

  /** Sets fields of a window that is there; false when it is not. */
  update(key: string, patch: Partial<Pick<MaintenanceWindow, 'setBy' | 'remindedAt'>>): boolean {
    return this.store.change((all) => {
      const w = all.get(key);
      if (!w) return false;
      all.set(key, { ...w, ...patch });
      return true;
    });
  }

  /** Marks the window's reminder as given; false when it is not there or another process gave it already. */
  claimReminder(key: string, at: string): boolean {
    return this.store.change((all) => {
      const w = all.get(key);
      if (!w || w.remindedAt) return false;
      all.set(key, { ...w, remindedAt: at });
      return true;
    });
  }

  /**
   * The run ended as it should: a window of its own that outlives it (maintenance mode after stack.stop) is
   * no longer its, and one that lasts only the run is gone.
   */
  settle(runId: string): void {
    this.store.change((all) => {
      let changed = false;
      for (const w of [...all.values()]) {
        if (w.setBy?.runId !== runId) continue;
        if (w.persistent) all.set(w.key, { ...w, setBy: null });
        else all.delete(w.key);
        changed = true;
      }
      return changed;
    });
  }

  /** The windows as steps of one run see them: what they enter is marked as that run's. */
  forRun(owner: RunOwner): MaintenanceAccess {
    const store = this;
    return {
      get modeActive() {
        return store.modeActive;
      },
      get: (key) => store.get(key),
      list: () => store.list(),
      enter: (window) => store.enter({ ...window, setBy: owner }),
      leave: (key) => store.leave(key),
    };
  }

  /** Reads the file again; tells the listeners when another process changed it. Returns whether it changed. */
  reload(): boolean {
    return this.store.reload();
  }

  /** Called with all windows on every change (this process's or, after reload, another's). Returns the unsubscribe. */
  subscribe(listener: (windows: MaintenanceWindow[]) => void): () => void {
    return this.store.subscribe(listener);
  }
}

/** Mirrors the store's windows into the status side (now and on every change). Returns the unsubscribe. */
export function connectMaintenance(store: MaintenanceStore, sink: MaintenanceSink): () => void {
  let shown = new Map<string, string>();
  const sync = (windows: MaintenanceWindow[]) => {
    const next = new Map(windows.map((w) => [w.key, JSON.stringify([w.units, w.reason])]));
    for (const key of shown.keys()) if (!next.has(key)) sink.clearMaintenance(key);
    for (const w of windows) {
      if (shown.get(w.key) !== next.get(w.key))
        sink.setMaintenance({ key: w.key, units: w.units, reason: w.reason });
    }
    shown = next;
  };
  sync(store.list());
  return store.subscribe(sync);
}
