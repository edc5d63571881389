import type { Clock } from '../../src-main/core/status/clock';

/**
 * An accelerated clock for the soak test: simulated time stands still while work is in flight and jumps to
 * the next timer as soon as the driver says the system is idle (fireNext), so a day of polls every minute
 * takes as long as the polls themselves. Timers run on awake time; jump() moves the wall clock alone and
 * tells the jump watchers, as a machine that slept sees it.
 */
export class SimClock implements Clock {
  private awake = 0;
  private offset: number;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private readonly watchers = new Set<(aheadMs: number) => void>();

  constructor(start: number) {
    this.offset = start;
  }

  now(): number {
    return this.awake + this.offset;
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

  get pendingTimers(): number {
    return this.timers.size;
  }

  get jumpWatchers(): number {
    return this.watchers.size;
  }

  /** Wall-clock time of the next timer, or null when none is armed. */
  nextAt(): number | null {
    let next: number | null = null;
    for (const t of this.timers.values()) if (next === null || t.at < next) next = t.at;
    return next === null ? null : next + this.offset;
  }

  /** Moves time to the earliest timer and runs it. */
  fireNext(): void {
    let id: number | null = null;
    let at = Number.POSITIVE_INFINITY;
    for (const [i, t] of this.timers) {
      if (t.at < at) {
        at = t.at;
        id = i;
      }
    }
    if (id === null) throw new Error('SimClock: no timer to fire');
    const timer = this.timers.get(id);
    this.timers.delete(id);
    this.awake = Math.max(this.awake, at);
    timer?.fn();
  }

  /** The machine slept `ms`: wall time moves, awake time (and so every timer) does not; the watchers hear of it. */
  jump(ms: number): void {
    this.offset += ms;
    for (const w of [...this.watchers]) w(ms);
  }
}
