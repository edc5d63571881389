/** The catalog's downtime as a line a person reads: "No downtime" when nobody notices anything. */
export function downtimeLine(downtime: string | null): string {
  if (downtime === null) return 'No downtime';
  if (/^None\b/.test(downtime)) return downtime.replace(/^None\.?/, 'No downtime').replace(/\.$/, '');
  return `Downtime: ${downtime}`;
}
