import { z } from 'zod';
import { keyedListText, parseKeyedList } from '../lib/keyed-list';
import { readShared, updateShared } from '../lib/shared-file';
import { runOwnerSchema } from './run-record';

const stickyAlertSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  message: z.string(),
  /** The action that fixes it, offered as one click; its success clears the alert. */
  fixActionId: z.string().min(1),
  raise: z.boolean().optional(),
  clear: z.boolean().optional(),
  /** Once raised, only a successful step of these actions (or the fix action's success) clears it. */
  clearedOnlyBy: z.array(z.string()).readonly().optional(),
  /** The profile's name when it was raised, for the texts. */
  profile: z.string(),
  /** The run that raised it, or the run whose interruption it reports. */
  runId: z.string(),
  raisedAt: z.string(),
  /** The process that raised it; null when recovery or a reminder did, for a run no longer there. */
  raisedBy: runOwnerSchema.nullable().optional(),
});
export type StickyAlert = z.infer<typeof stickyAlertSchema>;

/**
 * Alerts that stay until what they describe is fixed (e.g. "matrix-tuwunel is stopped" after a CLI-mode
 * command could not start it again): the step that can tell clears them when it succeeds, and so does a
 * successful run of the action that fixes them. With a file they live in the data folder (one per profile),
 * so they survive restarts and every process of the profile shows the same ones: each picks up the others'
 * changes at reload() (every status poll).
 */
export class StickyAlerts {
  private alerts = new Map<string, StickyAlert>();
  private readonly listeners = new Set<(alerts: StickyAlert[]) => void>();
  private seen: string | null = null;

  constructor(private readonly file?: string) {
    this.reload();
  }

  list(): StickyAlert[] {
    return [...this.alerts.values()];
  }

  get(id: string): StickyAlert | undefined {
    return this.alerts.get(id);
  }

  raise(alert: StickyAlert): void {
    const raised: StickyAlert = { ...alert, raisedBy: alert.raisedBy ?? null };
    this.change((all) => {
      const had = all.get(raised.id);
      if (had && JSON.stringify(had) === JSON.stringify(raised)) return false;
      all.set(raised.id, raised);
      return true;
    });
  }

  clear(id: string): boolean {
    return this.change((all) => all.delete(id));
  }

  /** Reads the file again; tells the listeners when another process changed it. Returns whether it changed. */
  reload(): boolean {
    if (!this.file) return false;
    let text: string | null;
    try {
      text = readShared(this.file);
    } catch {
      return false;
    }
    if (text === this.seen) return false;
    this.seen = text;
    this.alerts = parseAlerts(text);
    this.notify();
    return true;
  }

  subscribe(listener: (alerts: StickyAlert[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private change(edit: (all: Map<string, StickyAlert>) => boolean): boolean {
    if (!this.file) {
      const changed = edit(this.alerts);
      if (changed) this.notify();
      return changed;
    }
    let changed = false;
    const text = updateShared(this.file, (current) => {
      const all = parseAlerts(current);
      changed = edit(all);
      return changed ? keyedListText(all) : null;
    });
    if (text === this.seen) return changed;
    this.seen = text;
    this.alerts = parseAlerts(text);
    this.notify();
    return changed;
  }

  private notify(): void {
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

function parseAlerts(text: string | null): Map<string, StickyAlert> {
  return parseKeyedList(text, stickyAlertSchema, (a) => a.id);
}
