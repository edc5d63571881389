import { DAY_MS, HOUR_MS } from '../history/history-store';

export interface DiskForecast {
  /** Days until the free space is used up at the growth seen; null while it does not grow. */
  daysToFull: number | null;
  growthBytesPerDay: number;
  /** How many days of history the forecast rests on. */
  basedOnDays: number;
}

/** Less than a day of history, or fewer points, says nothing about a trend. */
const MIN_SPAN_MS = DAY_MS;
const MIN_POINTS = 4;

/**
 * Days until the disk holding the data folder is full, from the history of its used bytes (a least-squares
 * line through the points of the last `windowDays`) and the space available now. A shrinking or flat usage
 * forecasts nothing; a deleted backup is one step down, which the line absorbs.
 */
export function diskForecast(
  used: readonly { at: number; value: number }[],
  availableBytes: number,
  now: number,
  windowDays = 14,
): DiskForecast | null {
  const points = used.filter((p) => p.at >= now - windowDays * DAY_MS && p.at <= now);
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last || points.length < MIN_POINTS || last.at - first.at < MIN_SPAN_MS) return null;
  const n = points.length;
  const meanX = points.reduce((s, p) => s + (p.at - first.at), 0) / n;
  const meanY = points.reduce((s, p) => s + p.value, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    const x = p.at - first.at - meanX;
    sxy += x * (p.value - meanY);
    sxx += x * x;
  }
  const perMs = sxx === 0 ? 0 : sxy / sxx;
  const growthBytesPerDay = perMs * DAY_MS;
  const basedOnDays = Math.round(((last.at - first.at) / DAY_MS) * 10) / 10;
  // Growth below one byte an hour is noise, not a trend.
  if (perMs * HOUR_MS < 1) return { daysToFull: null, growthBytesPerDay, basedOnDays };
  return { daysToFull: Math.max(0, availableBytes) / growthBytesPerDay, growthBytesPerDay, basedOnDays };
}
