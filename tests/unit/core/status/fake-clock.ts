import type { Clock } from '../../../../src-main/core/status/clock';

/** Lets every pending promise callback run (setImmediate runs after the microtask queue drains). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock whose time only moves when the test says so. Timers fire in order as awake time advances;
 * sleep() moves the wall clock alone, as a machine that slept sees it, and tells the jump watchers.
 */
export class FakeClock implements Clock {
  private t: number;
  /** Awake time: what timers count. */
  private awake = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private readonly watchers = new Set<(aheadMs: number) => void>();

  constructor(start = Date.UTC(2026, 4, 22, 12)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.awake + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  watchJumps(listener: (aheadMs: number) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /** Timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Jump watchers still subscribed. */
  get jumpWatchers(): number {
    return this.watchers.size;
  }

  /** When the next timer fires, relative to now (undefined when none). */
  nextTimerIn(): number | undefined {
    const next = [...this.timers.values()].sort((a, b) => a.at - b.at)[0];
    return next ? next.at - this.awake : undefined;
  }

  async advance(ms: number): Promise<void> {
    const end = this.awake + ms;
    await settle();
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, v]) => v.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t += due[1].at - this.awake;
      this.awake = due[1].at;
      due[1].fn();
      await settle();
    }
    this.t += end - this.awake;
    this.awake = end;
    await settle();
  }

  /**
   * The machine sleeps for `ms`: the wall clock moves, awake time and timers stand still. With `noticed`,
   * the jump watchers hear of it (as the system clock's watch does a few seconds after the wake).
   */
  async sleep(ms: number, options: { noticed: boolean }): Promise<void> {
    this.t += ms;
    if (options.noticed) for (const w of [...this.watchers]) w(ms);
    await settle();
  }
}
