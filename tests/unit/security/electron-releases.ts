/**
 * Electron's stable major lines and the day each x.0.0 reached npm (`npm view electron time`). Electron
 * supports the 3 newest majors (docs/tutorial/electron-timelines.md). Add a line when a major ships.
 */
export const STABLE_RELEASES = [
  { major: 38, date: '2025-09-02' },
  { major: 39, date: '2025-10-28' },
  { major: 40, date: '2026-01-16' },
  { major: 41, date: '2026-03-11' },
  { major: 42, date: '2026-05-06' },
  { major: 43, date: '2026-07-01' },
  { major: 44, date: '2026-08-25' },
  { major: 45, date: '2026-10-21' },
] as const;

const DAY = 24 * 60 * 60 * 1000;
/**
 * Past the table: a new major every 8 weeks, but holiday breaks stretch a gap to 12 (39 → 40). Counting one
 * per 10 weeks keeps the estimate from running ahead of Electron while still moving on if the table is
 * forgotten, so an app left on an old Electron does fail.
 */
const ESTIMATED_CADENCE = 70 * DAY;

export function newestStableMajor(today: Date): number {
  const released = STABLE_RELEASES.filter((r) => Date.parse(r.date) <= today.getTime());
  const last = released.at(-1) ?? STABLE_RELEASES[0];
  if (released.length < STABLE_RELEASES.length) return last.major;
  return last.major + Math.floor((today.getTime() - Date.parse(last.date)) / ESTIMATED_CADENCE);
}

export function oldestSupportedMajor(today: Date): number {
  return newestStableMajor(today) - 2;
}
