/**
 * How many cases a property sweep runs (fast-check's `numRuns`, the hostile-input samples), decided in
 * this one place from HST_SWEEP:
 * - `full` (also when unset): every sweep at the count its test names. `npm test` is the proof.
 * - `fast`: a twentieth of it, at least 10 (`npm run test:fast`). Same properties, same seeds: with a
 *   seed, fast-check's samples are a prefix of the full run's, so the fast cases are the full run's first.
 */
const FAST_DIVISOR = 20;
const FAST_MINIMUM = 10;

function sweepMode(value: string | undefined): 'full' | 'fast' {
  if (value === undefined || value === '' || value === 'full') return 'full';
  if (value === 'fast') return 'fast';
  throw new Error(`HST_SWEEP is ${JSON.stringify(value)}; set it to "full" or "fast", or leave it unset.`);
}

export const SWEEP_MODE = sweepMode(process.env.HST_SWEEP);

/** The number of cases a sweep whose full count is `full` runs in this mode. */
export function sweep(full: number): number {
  if (!Number.isInteger(full) || full < 1)
    throw new Error(`A sweep's full count is a positive integer, not ${full}`);
  if (SWEEP_MODE === 'full') return full;
  return Math.min(full, Math.max(FAST_MINIMUM, Math.ceil(full / FAST_DIVISOR)));
}
