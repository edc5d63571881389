import type { z } from 'zod';
import { keyedListText, parseKeyedList } from './keyed-list';
import { readShared, updateShared } from './shared-file';

export interface SharedKeyedStoreOptions<T> {
  /** The shared file in the data folder; without one the entries live in this process's memory only. */
  file?: string;
  schema: z.ZodType<T>;
  keyOf: (entry: T) => string;
  /** Entries the schema lets through but the store must not act on (parseKeyedList). */
  accept?: (entry: T) => boolean;
  /** Drops entries that no longer count, after every change; returns whether it dropped any. */
  prune?: (entries: Map<string, T>) => boolean;
  /** What list() returns and the listeners get; every entry unless given. */
  view?: (entries: ReadonlyMap<string, T>) => T[];
}

/**
 * The frame of a store whose entries every process of a profile shares through one keyed-list file
 * (keyed-list.ts): each process changes the file under its lock (shared-file.ts) and picks up the others'
 * changes at reload() (every status poll); listeners hear of both.
 */
export class SharedKeyedStore<T> {
  private entries = new Map<string, T>();
  private readonly listeners = new Set<(entries: T[]) => void>();
  /** The file's text as last read or written: reload() tells nobody when it has not changed. */
  private seen: string | null = null;

  constructor(private readonly options: SharedKeyedStoreOptions<T>) {
    this.reload();
  }

  list(): T[] {
    return this.options.view ? this.options.view(this.entries) : [...this.entries.values()];
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Reads the file again; tells the listeners when another process changed it. Returns whether it changed. */
  reload(): boolean {
    const { file } = this.options;
    if (!file) return false;
    let text: string | null;
    try {
      text = readShared(file);
    } catch {
      return false;
    }
    if (text === this.seen) return false;
    this.seen = text;
    this.entries = this.parse(text);
    this.notify();
    return true;
  }

  /** Called with list() on every change (this process's or, after reload, another's). Returns the unsubscribe. */
  subscribe(listener: (entries: T[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Applies `edit` to the file's current entries (or to memory without a file), prunes, and tells the
   * listeners. `edit` returns whether it changed anything, and so does change(); a prune alone still writes
   * the file but does not count as a change.
   */
  change(edit: (all: Map<string, T>) => boolean): boolean {
    const { file, prune } = this.options;
    if (!file) {
      const changed = edit(this.entries);
      prune?.(this.entries);
      if (changed) this.notify();
      return changed;
    }
    let changed = false;
    const text = updateShared(file, (current) => {
      const all = this.parse(current);
      changed = edit(all);
      const pruned = prune?.(all) ?? false;
      return changed || pruned ? keyedListText(all) : null;
    });
    if (text === this.seen) return changed;
    this.seen = text;
    this.entries = this.parse(text);
    this.notify();
    return changed;
  }

  private parse(text: string | null): Map<string, T> {
    const { schema, keyOf, accept } = this.options;
    return parseKeyedList(text, schema, keyOf, accept);
  }

  private notify(): void {
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
