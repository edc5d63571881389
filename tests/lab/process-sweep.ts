import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/**
 * Every process a lab starts carries a marker in its environment (`HOMESERVER_TRAY_LAB_OWNER=<id>`, see
 * lab-dir.ts; tests that set up hosts by hand use their own, e.g. `LAB_DIR=<temp dir>`): sshd passes it to
 * the sessions it forks, and a process keeps its initial environment in /proc/<pid>/environ even after it
 * was reparented. That finds hung remote commands no pid list knows. (sshd itself overwrites that memory
 * with its process title; its processes are found as descendants of the listener instead.) The marker must
 * be one no user's shell inherits, or a sweep ends what the user runs.
 */
export async function processesWithEnv(entry: string): Promise<number[]> {
  const needle = Buffer.from(`\0${entry}\0`);
  const names = await readdir('/proc');
  const found: number[] = [];
  await Promise.all(
    names.map(async (name) => {
      if (!/^\d+$/.test(name)) return;
      const pid = Number(name);
      if (pid === process.pid) return;
      const environ = await readFile(`/proc/${name}/environ`).catch(() => undefined);
      if (!environ || environ.length === 0) return;
      // Prefix a NUL so the first variable matches like every other one.
      if (Buffer.concat([Buffer.from([0]), environ]).includes(needle)) found.push(pid);
    }),
  );
  return found.sort((a, b) => a - b);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it is gone for every purpose but its exit status.
  return readFileSyncState(pid) !== 'Z';
}

function readFileSyncState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** TERM, then KILL after `graceMs`, every process whose environment holds `entry`, until none is left. */
export async function sweepProcesses(entry: string, graceMs = 300): Promise<void> {
  let pids = await processesWithEnv(entry);
  if (pids.length === 0) return;
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(20);
    pids = (await processesWithEnv(entry)).filter(alive);
    if (pids.length === 0) return;
  }
  for (let round = 0; round < 50; round++) {
    for (const pid of pids) signal(pid, 'SIGKILL');
    await sleep(20);
    pids = (await processesWithEnv(entry)).filter(alive);
    if (pids.length === 0) return;
  }
  throw new Error(`Processes ${pids.join(', ')} (${entry}) survived SIGKILL; inspect them with ps -fp.`);
}

/** All live descendants of the given processes (children first found, deepest last). */
export async function descendantsOf(roots: readonly number[]): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!ppid) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** SIGKILLs the processes and waits until none of them is alive. */
export async function killAll(pids: readonly number[]): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGKILL');
  for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(10);
}
