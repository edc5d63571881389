import type { Profile } from '../../profile/schema';
import { shellCommand } from '../../ssh/quote';
import { clip, describeValue } from '../text';
import type { Finding } from '../types';

export type PbsCheck = NonNullable<Profile['checks']['pbs']>;

/**
 * `proxmox-backup-client snapshot list <group> --output-format json`: read-only, and the client, not the
 * app, reads the password (PBS_PASSWORD_FILE) and pins the server's certificate (PBS_FINGERPRINT).
 * Neither variable holds a secret: the first names a file on that host, the second a public fingerprint.
 */
export function pbsCommand(check: PbsCheck): string {
  const env = [
    ...(check.passwordFile ? [`PBS_PASSWORD_FILE=${check.passwordFile}`] : []),
    ...(check.fingerprint ? [`PBS_FINGERPRINT=${check.fingerprint}`] : []),
  ];
  return shellCommand(
    ...(env.length > 0 ? ['env', ...env] : []),
    'proxmox-backup-client',
    'snapshot',
    'list',
    check.group,
    '--repository',
    check.repository,
    ...(check.namespace ? ['--ns', check.namespace] : []),
    '--output-format',
    'json',
  );
}

/**
 * One item of `snapshot list` (pbs-api-types SnapshotListItem: the BackupDir flattened into it, then
 * comment, verification, fingerprint, files, size, owner, protected), as much of it as the check reads.
 */
export interface PbsSnapshot {
  type: string;
  id: string;
  /** Unix epoch seconds. */
  time: number;
  /** The last verify task's result, when one ran. */
  verification?: 'ok' | 'failed';
  size?: number;
}

function asObject(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/**
 * The client prints the API's `data` array; the API itself wraps it in `{"data": […]}`, accepted too. An
 * item without a type, id and time is not a snapshot: the whole answer is refused rather than half read.
 */
export function parseSnapshots(text: string): PbsSnapshot[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('proxmox-backup-client did not print JSON');
  }
  const list = Array.isArray(json) ? json : asObject(json)?.data;
  if (!Array.isArray(list))
    throw new Error(`proxmox-backup-client printed ${describeValue(json)}, not a list`);
  return list.map((raw, i) => {
    const item = asObject(raw);
    const type = item?.['backup-type'];
    const id = item?.['backup-id'];
    const time = item?.['backup-time'];
    if (
      typeof type !== 'string' ||
      typeof id !== 'string' ||
      typeof time !== 'number' ||
      !Number.isFinite(time)
    )
      throw new Error(`snapshot ${i + 1} of the list has no backup-type, backup-id and backup-time`);
    const state = asObject(item?.verification)?.state;
    const size = item?.size;
    return {
      type,
      id,
      time,
      ...(state === 'ok' || state === 'failed' ? { verification: state } : {}),
      ...(typeof size === 'number' && Number.isFinite(size) ? { size } : {}),
    };
  });
}

/** `vm/111/2026-11-26T02:00:03Z`, as PBS names a snapshot. */
export function snapshotName(s: PbsSnapshot): string {
  return `${s.type}/${s.id}/${new Date(s.time * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h < 10 ? `${h.toFixed(1)} h` : `${Math.round(h)} h`;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 || v >= 10 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export const PBS_CHECK = { id: 'backup:pbs', group: 'backup', title: 'Proxmox Backup Server' } as const;

/**
 * Trust needs three things: a snapshot of the group at all, a newest one within the age limit, and a
 * verify task that passed on some snapshot (PBS verify jobs usually run after the backup, so the newest
 * may not be verified yet). A failed verify of the newest snapshot fails the check.
 */
export function pbsFinding(output: string, check: PbsCheck, nowMs: number): Finding {
  const base = { ...PBS_CHECK, units: [] };
  const where = `${check.group} in ${clip(check.repository, 80)}`;
  const snapshots = parseSnapshots(output)
    .filter((s) => `${s.type}/${s.id}` === check.group)
    .sort((a, b) => a.time - b.time);
  const newest = snapshots.at(-1);
  if (!newest) {
    return {
      ...base,
      level: 'fail',
      detail: `PBS has no snapshot of ${where}; check the backup job in Proxmox VE (Datacenter → Backup) and the group name in checks.pbs.group.`,
    };
  }
  const name = snapshotName(newest);
  const age = nowMs - newest.time * 1000;
  const count = `${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'} of ${where}`;
  if (age < -3_600_000) {
    return {
      ...base,
      level: 'warn',
      detail: `The newest snapshot ${name} is dated in the future; check the clocks of this machine and the PBS server.`,
    };
  }
  if (age > check.maxAgeHours * 3_600_000) {
    return {
      ...base,
      level: 'fail',
      detail: `The newest snapshot ${name} is ${hours(age)} old, over the ${check.maxAgeHours} h limit (${count}); check that the PBS backup job still runs.`,
    };
  }
  const size = newest.size === undefined ? '' : `, ${bytes(newest.size)}`;
  if (newest.verification === 'failed') {
    return {
      ...base,
      level: 'fail',
      detail: `The newest snapshot ${name} failed its last verify task; look at the verify task log in PBS and take a new backup.`,
    };
  }
  const verifiedOk = snapshots.filter((s) => s.verification === 'ok').at(-1);
  if (!verifiedOk) {
    return {
      ...base,
      level: 'warn',
      detail: `None of the ${count} has been verified; add a verify job for the datastore in PBS (Datastore → Verify Jobs) so a broken chunk shows before a restore needs it.`,
    };
  }
  const verified =
    verifiedOk === newest
      ? 'verified ok'
      : `not verified yet (the newest verified ok is ${snapshotName(verifiedOk)})`;
  return {
    ...base,
    level: 'ok',
    detail: `The newest snapshot ${name} (${hours(Math.max(age, 0))} old${size}) is ${verified}; ${count}.`,
  };
}
