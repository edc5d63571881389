import { DAY_MS } from '../history/history-store';

/** Days left until `expiresAt`, fractional. */
export function daysLeft(expiresAt: number, now: number): number {
  return (expiresAt - now) / DAY_MS;
}

/**
 * The notify-before thresholds (e.g. 21, 14, 7 days) an expiry date has crossed by now, and the one to tell:
 * the lowest crossed, since an app that first looks at 10 days left should say 14, not 21 and then 14.
 * `claim` records a threshold as told (in the history, shared by every process) and answers whether it was new;
 * every crossed threshold is claimed so a higher one is never told after a lower one.
 */
export function dueThreshold(
  expiresAt: number,
  now: number,
  thresholds: readonly number[],
  claim: (days: number) => boolean,
): number | null {
  const left = daysLeft(expiresAt, now);
  const crossed = [...thresholds].filter((d) => left <= d).sort((a, b) => a - b);
  const lowest = crossed[0];
  if (lowest === undefined) return null;
  const fresh = crossed.map((d) => claim(d));
  return fresh[0] ? lowest : null;
}
