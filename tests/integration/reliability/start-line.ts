/** How long before the start the contenders stop sleeping and watch the clock: more than a late timer's delay. */
const WATCH_MS = 30;

/**
 * Waits until `at` (epoch ms) so that racing processes leave the line together: asleep until shortly before
 * it, then busy on the clock, since a timer alone would let them start milliseconds apart. Spinning only the
 * last moments keeps the contenders from holding the cores the rest of the suite runs on.
 */
export async function startAt(at: number): Promise<void> {
  const asleep = at - WATCH_MS - Date.now();
  if (asleep > 0) await new Promise((resolve) => setTimeout(resolve, asleep));
  while (Date.now() < at) {
    // Busy on purpose (above).
  }
}
