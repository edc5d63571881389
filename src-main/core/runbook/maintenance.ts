import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Maintenance } from '../status/aggregate';

/** The window `stack.stop` opens and `stack.start` closes: every unit, until the admin starts the stack. */
export const MAINTENANCE_MODE_KEY = 'maintenance-mode';

export type MaintenanceWindow = Maintenance & {
  /** ISO time it began. */
  since: string;
  /** Survives an app restart (maintenance mode); run-scoped windows do not. */
  persistent: boolean;
};

/** What the status side needs (the status scheduler's setMaintenance / clearMaintenance). */
export interface MaintenanceSink {
  setMaintenance(window: Maintenance): void;
  clearMaintenance(key: string): void;
}

/**
 * Maintenance windows of one profile: maintenance mode (persisted in a small JSON file so a stopped
 * stack stays "under maintenance" across restarts of the app) and windows that last one run, such as
 * the seconds Tuwunel is stopped for a CLI-mode admin command.
 */
export class MaintenanceStore {
  private readonly windows = new Map<string, MaintenanceWindow>();
  private readonly listeners = new Set<(windows: MaintenanceWindow[]) => void>();

  constructor(private readonly file?: string) {
    if (!file) return;
    let saved: unknown;
    try {
      saved = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return;
    }
    if (!Array.isArray(saved)) return;
    for (const w of saved) {
      if (isWindow(w)) this.windows.set(w.key, { ...w, persistent: true });
    }
  }

  list(): MaintenanceWindow[] {
    return [...this.windows.values()];
  }

  get(key: string): MaintenanceWindow | undefined {
    return this.windows.get(key);
  }

  /** Whether maintenance mode (stack.stop → stack.start) is on. */
  get modeActive(): boolean {
    return this.windows.has(MAINTENANCE_MODE_KEY);
  }

  enter(window: Omit<MaintenanceWindow, 'since'> & { since?: string }): void {
    this.windows.set(window.key, { ...window, since: window.since ?? new Date().toISOString() });
    this.changed(window.persistent);
  }

  leave(key: string): boolean {
    const w = this.windows.get(key);
    if (!w) return false;
    this.windows.delete(key);
    this.changed(w.persistent);
    return true;
  }

  /** Called with all windows on every change. Returns the unsubscribe function. */
  subscribe(listener: (windows: MaintenanceWindow[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(persist: boolean): void {
    if (persist && this.file) {
      const saved = this.list().filter((w) => w.persistent);
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, this.file);
    }
    const all = this.list();
    for (const l of this.listeners) {
      try {
        l(all);
      } catch {
        // A failing listener must not undo or block the change.
      }
    }
  }
}

function isWindow(w: unknown): w is MaintenanceWindow {
  if (w === null || typeof w !== 'object') return false;
  const o = w as Record<string, unknown>;
  return (
    typeof o.key === 'string' &&
    typeof o.reason === 'string' &&
    typeof o.since === 'string' &&
    (o.units === 'all' || (Array.isArray(o.units) && o.units.every((u) => typeof u === 'string')))
  );
}

/** Mirrors the store's windows into the status side (now and on every change). Returns the unsubscribe. */
export function connectMaintenance(store: MaintenanceStore, sink: MaintenanceSink): () => void {
  let shown = new Set<string>();
  const sync = (windows: MaintenanceWindow[]) => {
    const next = new Set(windows.map((w) => w.key));
    for (const key of shown) if (!next.has(key)) sink.clearMaintenance(key);
    for (const w of windows) sink.setMaintenance({ key: w.key, units: w.units, reason: w.reason });
    shown = next;
  };
  sync(store.list());
  return store.subscribe(sync);
}
