import type { StepAlert } from './types';

export interface StickyAlert extends StepAlert {
  profile: string;
  /** The run that raised it. */
  runId: string;
  raisedAt: string;
}

const key = (profile: string, id: string) => `${profile}\n${id}`;

/**
 * Alerts that stay until what they describe is fixed (e.g. "matrix-tuwunel is stopped" after a
 * CLI-mode command could not start it again): the step that can tell clears them when it succeeds,
 * or the user dismisses them.
 */
export class StickyAlerts {
  private readonly alerts = new Map<string, StickyAlert>();
  private readonly listeners = new Set<(alerts: StickyAlert[]) => void>();

  list(): StickyAlert[] {
    return [...this.alerts.values()];
  }

  get(profile: string, id: string): StickyAlert | undefined {
    return this.alerts.get(key(profile, id));
  }

  raise(alert: StickyAlert): void {
    this.alerts.set(key(alert.profile, alert.id), alert);
    this.changed();
  }

  clear(profile: string, id: string): boolean {
    const had = this.alerts.delete(key(profile, id));
    if (had) this.changed();
    return had;
  }

  subscribe(listener: (alerts: StickyAlert[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    const all = this.list();
    for (const l of this.listeners) {
      try {
        l(all);
      } catch {
        // Listeners are UI; the alert is recorded either way.
      }
    }
  }
}
