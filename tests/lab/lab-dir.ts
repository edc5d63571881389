import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sweepProcesses } from './process-sweep';
import { requireTool } from './tools';

/**
 * The environment variable that marks every process a lab starts (sshd, the commands its sessions run,
 * the keyring, the admin room's commands): `HOMESERVER_TRAY_LAB_OWNER=<random id of this lab start>`.
 * It is never written to `<dir>/env`, so a shell that sources that file (and the CLI commands it runs) does
 * not carry it, and stopping the lab leaves them alone.
 */
export const LAB_OWNER_VAR = 'HOMESERVER_TRAY_LAB_OWNER';

/** Marks a folder as a lab's, so a later start may wipe it; holds the owner id of the lab that used it last. */
export const LAB_MARKER_FILE = '.homeserver-tray-lab';
/** flock(2)ed for as long as a lab runs in the folder. */
const LOCK_FILE = '.homeserver-tray-lab.lock';

export interface LabDirMarker {
  /** The value of LAB_OWNER_VAR in the processes of the lab that uses (or last used) the folder. */
  owner: string;
  /** The process that started that lab (for the message when a second start is refused). */
  pid: number;
  startedAt: string;
}

/** The env entry (`VAR=value`) that marks the processes of the lab with this owner id. */
export function ownerEntry(owner: string): string {
  return `${LAB_OWNER_VAR}=${owner}`;
}

/** Thrown when a lab already runs in the folder a start was given. */
export class LabDirBusy extends Error {}

export async function readLabMarker(dir: string): Promise<LabDirMarker | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, LAB_MARKER_FILE), 'utf8')) as Partial<LabDirMarker>;
    return typeof parsed.owner === 'string' && typeof parsed.pid === 'number'
      ? { owner: parsed.owner, pid: parsed.pid, startedAt: String(parsed.startedAt ?? '') }
      : undefined;
  } catch {
    return undefined;
  }
}

export interface LabDir {
  dir: string;
  temporary: boolean;
  owner: string;
  /** Lets the folder go (the lock), after everything in it has stopped. */
  release(): Promise<void>;
}

/**
 * A holder of the folder's lock: bash takes flock(2) on the lock file, says so, and becomes `tail -f
 * /dev/null` keeping the locked descriptor. `setpriv --pdeathsig` kills it with the process that started the
 * lab, so the kernel frees the lock whatever way that process ends (Ctrl-C, a crash, SIGKILL) and no stale
 * file ever claims the folder.
 */
async function holdLock(lockPath: string): Promise<ChildProcess | undefined> {
  const setpriv = await requireTool('setpriv', 'util-linux');
  await requireTool('flock', 'util-linux');
  const child = spawn(
    setpriv,
    [
      '--pdeathsig',
      'SIGKILL',
      '/bin/bash',
      '--noprofile',
      '--norc',
      '-c',
      'exec 9>>"$1" && flock --nonblock 9 || exit 75; echo locked; exec tail -f /dev/null',
      'lab-lock',
      lockPath,
    ],
    // Not marked as the lab's: stop() ends the lab's processes first and lets the folder go last.
    { stdio: ['ignore', 'pipe', 'ignore'], env: { PATH: '/usr/bin:/bin' } },
  );
  return new Promise((resolvePromise, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('locked')) resolvePromise(child);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 75) resolvePromise(undefined);
      else reject(new Error(`Locking ${lockPath} failed (exit ${code}).`));
    });
  });
}

async function stopHolder(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/**
 * The folder a lab runs in. A temp folder when none is given. A given folder must be empty or a lab's;
 * while another lab runs there the start is refused (its files and processes stay as they are); a lab's
 * folder whose lab has ended is wiped after the processes that lab left behind (hung remote commands) are
 * ended, found by that lab's owner id.
 */
export async function claimLabDir(dir: string | undefined, tmpRoot: () => Promise<string>): Promise<LabDir> {
  const owner = randomBytes(12).toString('hex');
  if (!dir) {
    const tmp = await tmpRoot();
    await writeMarker(tmp, owner);
    return { dir: tmp, temporary: true, owner, release: async () => {} };
  }
  const abs = resolve(dir);
  const entries = await readdir(abs).catch(() => undefined);
  if (entries && entries.length > 0 && !entries.includes(LAB_MARKER_FILE))
    throw new Error(`${abs} is not empty and not a lab folder; give an empty or new folder to --dir.`);
  await mkdir(abs, { recursive: true });
  const holder = await holdLock(join(abs, LOCK_FILE));
  if (!holder) {
    const running = await readLabMarker(abs);
    const who = running ? ` (started by process ${running.pid} at ${running.startedAt})` : '';
    throw new LabDirBusy(
      `A lab is already running in ${abs}${who}. Stop it first (Ctrl-C where it runs), or give another folder to --dir; nothing in ${abs} was changed.`,
    );
  }
  try {
    const previous = await readLabMarker(abs);
    if (previous) await sweepProcesses(ownerEntry(previous.owner));
    await Promise.all(
      (entries ?? [])
        .filter((e) => e !== LOCK_FILE)
        .map((e) => rm(join(abs, e), { recursive: true, force: true })),
    );
    await writeMarker(abs, owner);
  } catch (error) {
    await stopHolder(holder);
    throw error;
  }
  return { dir: abs, temporary: false, owner, release: () => stopHolder(holder) };
}

async function writeMarker(dir: string, owner: string): Promise<void> {
  const marker: LabDirMarker = { owner, pid: process.pid, startedAt: new Date().toISOString() };
  await writeFile(join(dir, LAB_MARKER_FILE), `${JSON.stringify(marker)}\n`);
}
