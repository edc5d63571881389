/** Time as the scheduler sees it; tests pass a fake one and advance it without sleeping. */
export interface Clock {
  /** Wall-clock time (ms since the epoch): what results and alerts are stamped with. */
  now(): number;
  /** Timers run on awake time: one armed before the machine sleeps fires that much awake time later. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Calls `listener` when the wall clock has run ahead of awake time: the machine slept (or the clock was
   * set forward). Electron's `resume` event is missed on some Linux builds; this is how the scheduler
   * notices a wake by itself. Returns the unsubscribe function, which leaves no timer behind.
   */
  watchJumps(listener: (aheadMs: number) => void): () => void;
}

/** How often the system clock compares wall time with awake time, and how far ahead counts as a jump. */
export const JUMP_CHECK_MS = 5_000;
export const JUMP_MIN_MS = 30_000;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  watchJumps(listener) {
    // performance.now() is CLOCK_MONOTONIC on Linux (mach_absolute_time on macOS): it stands still while
    // the machine sleeps, while Date.now() catches up on wake. A busy event loop delays both alike.
    let wall = Date.now();
    let awake = performance.now();
    const timer = setInterval(() => {
      const nextWall = Date.now();
      const nextAwake = performance.now();
      const ahead = nextWall - wall - (nextAwake - awake);
      wall = nextWall;
      awake = nextAwake;
      if (ahead > JUMP_MIN_MS) listener(ahead);
    }, JUMP_CHECK_MS);
    // Watching must never keep a process alive (the CLI exits when its work is done).
    timer.unref();
    return () => clearInterval(timer);
  },
};
