import type { Finding } from '../types';

/**
 * The last line a backup probe prints: epoch seconds (`1779381469`, `1779381469.25`), epoch ms
 * (13 digits) or an ISO 8601 time (`2026-05-21T16:37:49Z`, `2026-05-21 16:37:49+02:00`).
 */
export function parseBackupTime(line: string): number | undefined {
  const v = line.trim();
  if (/^\d{9,10}(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  if (/^\d{13}$/.test(v)) return Number(v);
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) {
    const ms = Date.parse(v.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h < 10 ? `${h.toFixed(1)} h` : `${Math.round(h)} h`;
}

export function backupFinding(output: string, maxAgeHours: number, nowMs: number): Finding {
  const base = { id: 'backup:age', group: 'backup', title: 'Newest backup', units: [] };
  const last = output.trim().split('\n').pop()?.trim() ?? '';
  const at = parseBackupTime(last);
  if (at === undefined) {
    return {
      ...base,
      level: 'unknown',
      detail: `The backup probe's last line ${last ? `"${last.slice(0, 80)}"` : 'is empty and'} is not an epoch or ISO 8601 time; make checks.backup.command print the newest backup's time last.`,
    };
  }
  const age = nowMs - at;
  const stamp = new Date(at).toISOString().slice(0, 16).replace('T', ' ');
  if (age < -3_600_000) {
    return {
      ...base,
      level: 'warn',
      detail: `The newest backup is dated ${stamp} UTC, in the future; check the clocks of this machine and the backup host.`,
    };
  }
  if (age > maxAgeHours * 3_600_000) {
    return {
      ...base,
      level: 'fail',
      detail: `The newest backup (${stamp} UTC) is ${hours(age)} old, over the ${maxAgeHours} h limit; check that the backup job still runs.`,
    };
  }
  return {
    ...base,
    level: 'ok',
    detail: `The newest backup (${stamp} UTC) is ${hours(Math.max(age, 0))} old.`,
  };
}
