import { shellQuote } from '../../ssh/quote';
import { clip } from '../text';
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

const NUMBER = /^\d+$/;

/**
 * `df -P` (GNU coreutils): header `Filesystem 1024-blocks Used Available Capacity Mounted on`, then
 * `/dev/sda1 30787492 12345678 16852348 43% /`. Read from the numbers so a device name with spaces still
 * parses: the first run of three numbers and a percentage, word by word (linear in the line, whatever
 * the host printed; spaces inside names are read as one).
 */
export function parseDfP(text: string): DfRow | undefined {
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    for (let i = 1; i + 4 < w.length; i++) {
      const [blocks, used, available, capacity] = w.slice(i, i + 4) as [string, string, string, string];
      if (!NUMBER.test(blocks) || !NUMBER.test(used) || !NUMBER.test(available)) continue;
      if (!capacity.endsWith('%') || !NUMBER.test(capacity.slice(0, -1))) continue;
      return {
        filesystem: w.slice(0, i).join(' '),
        blocks1k: Number(blocks),
        usedK: Number(used),
        availableK: Number(available),
        percent: Number(capacity.slice(0, -1)),
        mountedOn: w.slice(i + 4).join(' '),
      };
    }
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
  const where = `${dataDir} (${clip(row.mountedOn)}) is ${row.percent} % full with ${humanKiB(row.availableK)} free`;
  const metrics = { diskUsedBytes: row.usedK * 1024, diskAvailableBytes: row.availableK * 1024 };
  if (row.percent >= limits.failPercent) {
    return {
      ...base,
      level: 'fail',
      detail: `${where}; free space now (old media, journal, docker images) or grow the disk before RocksDB stops writing.`,
      metrics,
    };
  }
  if (row.percent >= limits.warnPercent) {
    return {
      ...base,
      level: 'warn',
      detail: `${where}; plan to free space (old media, journal, docker images) or grow the disk.`,
      metrics,
    };
  }
  return { ...base, level: 'ok', detail: `${where}.`, metrics };
}
