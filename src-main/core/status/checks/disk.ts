import { shellQuote } from '../../ssh/quote';
import type { Finding } from '../types';

export interface DfRow {
  filesystem: string;
  blocks1k: number;
  usedK: number;
  availableK: number;
  /** df's own rounding (it rounds up), so the badge agrees with what the admin sees in a shell. */
  percent: number;
  mountedOn: string;
}

/** POSIX output: one line per file system even for long device names, and 1024-byte blocks. */
export function diskCommand(dir: string): string {
  return `df -P -- ${shellQuote(dir)}`;
}

/**
 * `df -P` (GNU coreutils): header `Filesystem 1024-blocks Used Available Capacity Mounted on`, then
 * `/dev/sda1 30787492 12345678 16852348 43% /`. Read from the numbers so a device name with spaces still parses.
 */
export function parseDfP(text: string): DfRow | undefined {
  for (const line of text.split('\n')) {
    const m = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+(.*)$/.exec(line.trimEnd());
    if (!m) continue;
    return {
      filesystem: m[1] ?? '',
      blocks1k: Number(m[2]),
      usedK: Number(m[3]),
      availableK: Number(m[4]),
      percent: Number(m[5]),
      mountedOn: m[6] ?? '',
    };
  }
  return undefined;
}

function humanKiB(k: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = k;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function diskFinding(
  dataDir: string,
  dfOutput: string,
  limits: { warnPercent: number; failPercent: number },
  unit = 'matrix-tuwunel',
): Finding {
  const base = { id: 'disk:tuwunel-data', group: unit, title: 'RocksDB disk space', units: [] };
  const row = parseDfP(dfOutput);
  if (!row) {
    return {
      ...base,
      level: 'unknown',
      detail: `df printed no usage line for ${dataDir}; run \`df -P ${dataDir}\` on the homeserver to see why.`,
    };
  }
  const where = `${dataDir} (${row.mountedOn}) is ${row.percent} % full with ${humanKiB(row.availableK)} free`;
  if (row.percent >= limits.failPercent) {
    return {
      ...base,
      level: 'fail',
      detail: `${where}; free space now (old media, journal, docker images) or grow the disk before RocksDB stops writing.`,
    };
  }
  if (row.percent >= limits.warnPercent) {
    return {
      ...base,
      level: 'warn',
      detail: `${where}; plan to free space (old media, journal, docker images) or grow the disk.`,
    };
  }
  return { ...base, level: 'ok', detail: `${where}.` };
}
