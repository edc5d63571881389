import { readdirSync, readFileSync } from 'node:fs';

export interface LabProcess {
  pid: number;
  /** Process group and session, from /proc/<pid>/stat. */
  pgid: number;
  sid: number;
  command: string;
}

/**
 * Processes still alive (zombies excluded) that run in one lab host's environment: every command an
 * ssh session starts there inherits LAB_HOST_DIR, so this finds leftovers of this lab only, not of
 * other test runs on the same machine. The sshd processes themselves do not carry it.
 */
export function liveProcessesOf(hostDir: string): LabProcess[] {
  return liveProcessesWithEnv(`LAB_HOST_DIR=${hostDir}`);
}

/** Processes still alive (zombies excluded) whose environment holds `entry` (`NAME=value`). */
export function liveProcessesWithEnv(entry: string): LabProcess[] {
  const needle = `\0${entry}\0`;
  const found: LabProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, , pgid, sid] = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      if (state === 'Z') continue;
      if (!`\0${readFileSync(`/proc/${name}/environ`, 'latin1')}\0`.includes(needle)) continue;
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      found.push({ pid: Number(name), pgid: Number(pgid), sid: Number(sid), command });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
