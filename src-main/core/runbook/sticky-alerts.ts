import { z } from 'zod';
import { SharedKeyedStore } from '../lib/shared-keyed-store';
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
  private readonly store: SharedKeyedStore<StickyAlert>;

  constructor(file?: string) {
    this.store = new SharedKeyedStore({ file, schema: stickyAlertSchema, keyOf: (a) => a.id });
  }

  list(): StickyAlert[] {
    return this.store.list();
  }

  get(id: string): StickyAlert | undefined {
    return this.store.get(id);
  }

  raise(alert: StickyAlert): void {
    const raised: StickyAlert = { ...alert, raisedBy: alert.raisedBy ?? null };
    this.store.change((all) => {
      const had = all.get(raised.id);
      if (had && JSON.stringify(had) === JSON.stringify(raised)) return false;
      all.set(raised.id, raised);
      return true;
    });
  }

  clear(id: string): boolean {
    return this.store.change((all) => all.delete(id));
  }

  /** Reads the file again; tells the listeners when another process changed it. Returns whether it changed. */
  reload(): boolean {
    return this.store.reload();
  }

  /** Called with all alerts on every change (this process's or, after reload, another's). Returns the unsubscribe. */
  subscribe(listener: (alerts: StickyAlert[]) => void): () => void {
    return this.store.subscribe(listener);
  }
}
