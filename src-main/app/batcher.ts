/**
 * Collects items and hands them on in one batch per interval: a busy log or a chatty playbook would
 * otherwise cost one IPC message (and one renderer update) per chunk.
 */
export class Batcher<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly flushTo: (items: T[]) => void,
  ) {}

  push(...items: T[]): void {
    if (items.length === 0) return;
    this.items.push(...items);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Hands on what is held now (before an event that must come after it). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.flushTo(items);
  }

  /** Drops what is held without handing it on. */
  discard(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.items = [];
  }
}

/** Splits a stream of text chunks into whole lines, holding back the unfinished last one. */
export class LineSplitter {
  private partial = '';

  push(text: string): string[] {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }

  /** The unfinished line, once the stream is over. */
  end(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest === '' ? [] : [rest];
  }
}
