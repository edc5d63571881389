import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Core, createCore } from '../../src-main/app/session';
import { profileSchema } from '../../src-main/core/profile/schema';
import type { SecretStore } from '../../src-main/core/secrets/types';
import { SettingsStore } from '../../src-main/core/settings/store';
import type { AlertEvent } from '../../src-main/core/status/scheduler';
import { startLab } from '../lab/lab';
import { descendantsOf, processesWithEnv } from '../lab/process-sweep';
import type { Lab, LabHost } from '../lab/types';
import { SimClock } from './sim-clock';

/**
 * The soak run: the app's core (createCore, as the tray and the CLI build it) polls the lab once a simulated
 * minute on an accelerated clock, while faults come and go in a fixed cycle of 60 polls:
 *
 *   3       sshd restarts on the homeserver (re-exec, and every connection it had dropped)   → nothing told
 *   8–17    Tuwunel fails (its unit, its container, the endpoints answer 502)              → one down, one recovered
 *   22      one poll of 502s (Tuwunel failed for that poll only)                            → nothing told
 *   26–33   matrix-traefik flaps: failed and active on alternate polls                      → nothing told
 *   38–43   maintenance: a window over every unit, Tuwunel stopped inside it                 → nothing told
 *   47–48   the machine sleeps 30 min (the clock jumps) and wakes with Tuwunel failed for
 *           the first two polls, within the wake grace (90 s)                              → nothing told
 *   52–56   the homeserver's sshd paused (SIGSTOP)                                          → one down, one recovered
 *
 * It records every alert the scheduler delivers with the fault window of its poll, and at the end of each
 * cycle samples what could leak: file descriptors, SSH connections and command processes on the lab hosts,
 * timers (Node's and the clock's) and the heap after a full GC.
 */

export const POLLS_PER_CYCLE = 60;
const POLL_SECONDS = 60;
const SLEEP_MS = 30 * 60_000;
/** A poll that takes longer than this (real time) is a hang, not a slow machine. */
const IDLE_WAIT_MS = 60_000;

export type Window = 'calm' | 'restart' | 'outage' | 'blip' | 'flap' | 'maintenance' | 'wake' | 'freeze';

export function windowOf(k: number): Window {
  if (k === 3) return 'restart';
  if (k >= 8 && k <= 18) return 'outage';
  if (k === 22 || k === 23) return 'blip';
  if (k >= 26 && k <= 34) return 'flap';
  if (k >= 38 && k <= 44) return 'maintenance';
  if (k >= 47 && k <= 49) return 'wake';
  if (k >= 52 && k <= 59) return 'freeze';
  return 'calm';
}

export interface SoakAlert {
  kind: AlertEvent['kind'];
  check: string;
  cycle: number;
  poll: number;
  window: Window;
}

export interface SoakSample {
  cycle: number;
  simHours: number;
  rssMb: number;
  heapMb: number;
  fds: number;
  /** sshd processes serving a connection, on both lab hosts. */
  sshConnections: number;
  /** Processes those connections run (a command in flight or left behind): none between polls. */
  remoteProcesses: number;
  nodeTimers: number;
  clockTimers: number;
}

export interface SoakReport {
  cycles: number;
  polls: number;
  simHours: number;
  alerts: SoakAlert[];
  samples: SoakSample[];
  cpuMsPerPoll: number;
  rssMbEnd: number;
  rssSlopeMbPerH: number;
  heapSlopeMbPerH: number;
  /** Lab processes left once the core closed, other than the sshd listeners: what a poll left behind. */
  orphans: string[];
  realMs: number;
}

/** The keychain is not what is soaked: the sudo password from memory. */
function labSecrets(lab: Lab): SecretStore {
  return {
    get: async (ref) => (ref.kind === 'sudo-password' ? Buffer.from(lab.secrets.sudoPassword) : null),
    has: async (ref) => ref.kind === 'sudo-password',
    set: async () => {},
    delete: async () => false,
  };
}

function listenerPid(host: LabHost): number {
  return Number(readFileSync(join(host.dir, 'sshd', 'listener.pid'), 'utf8'));
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

async function sshdChildren(host: LabHost): Promise<{ connections: number; processes: number[] }> {
  const pids = await descendantsOf([listenerPid(host)]);
  return {
    connections: pids.filter((p) => comm(p) === 'sshd').length,
    processes: pids.filter((p) => comm(p) !== 'sshd' && comm(p) !== ''),
  };
}

/** SIGSTOP the host's sshd and every process it forked; returns the SIGCONT. */
async function freeze(host: LabHost): Promise<() => void> {
  const listener = listenerPid(host);
  const pids = [listener, ...(await descendantsOf([listener]))];
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  return () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Gone meanwhile.
      }
    }
  };
}

/** What `systemctl restart ssh` amounts to for a client: the daemon re-executes and its connections drop. */
async function restartSshd(host: LabHost): Promise<void> {
  const listener = listenerPid(host);
  const connections = await descendantsOf([listener]);
  const log = join(host.dir, 'sshd', 'sshd.log');
  const before = readLength(log);
  process.kill(listener, 'SIGHUP');
  for (const pid of connections) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Ended by itself.
    }
  }
  // Listening again before the next poll (the log says so; a restart on a real server takes as long).
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (readFileSync(log, 'utf8').slice(before).includes('Server listening')) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the lab's sshd on ${host.address} did not listen again within 5 s`);
}

function readLength(path: string): number {
  try {
    return readFileSync(path, 'utf8').length;
  } catch {
    return 0;
  }
}

function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

const MB = 1024 * 1024;

export interface SoakOptions {
  /** Simulated hours to poll: whole cycles until at least this much simulated time has passed. */
  hours: number;
  /** Told after each cycle (a line per simulated hour or so, for the log). */
  onCycle?: (sample: SoakSample) => void;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const started = performance.now();
  const lab = await startLab({ keyring: false });
  const dataDir = mkdtempSync(join(tmpdir(), 'hst-soak-'));
  const clock = new SimClock(Date.now());
  const start = clock.now();
  let core: Core | undefined;
  const thaws: (() => void)[] = [];
  try {
    const settings = new SettingsStore(dataDir);
    await settings.set({ pollIntervalSeconds: POLL_SECONDS });
    const profile = { ...profileSchema.parse(lab.profile), uid: randomUUID() };
    core = await createCore({
      profile,
      dataDir,
      settings,
      clock,
      secrets: labSecrets(lab),
      // A paused host is given up on in about 2 s instead of 10: the soak runs on real sockets.
      pool: { agentSocket: undefined, readyTimeoutMs: 2_000, keepaliveIntervalMs: 500, keepaliveCountMax: 2 },
    });
    const scheduler = core.scheduler;
    const homeserver = lab.hosts.homeserver;
    const alerts: SoakAlert[] = [];
    let poll = 0;
    let cycle = 0;
    let window: Window = 'calm';
    scheduler.subscribe((_snapshot, events) => {
      for (const e of events)
        alerts.push({ kind: e.kind, check: e.check.id, cycle, poll: poll % POLLS_PER_CYCLE, window });
    });

    const idle = async () => {
      const deadline = performance.now() + IDLE_WAIT_MS;
      while (scheduler.snapshot().refreshing || clock.pendingTimers === 0) {
        if (performance.now() > deadline)
          throw new Error(`poll ${poll} (cycle ${cycle}) did not finish within ${IDLE_WAIT_MS / 1000} s`);
        await new Promise((r) => setTimeout(r, 2));
      }
    };

    const faults = async (k: number) => {
      const unit = (name: string, state: 'active' | 'inactive' | 'failed') =>
        lab.state.setUnitState(name, state);
      if (k === 3) await restartSshd(homeserver);
      if (k === 8) await unit('matrix-tuwunel', 'failed');
      if (k === 18) await unit('matrix-tuwunel', 'active');
      if (k === 22) await unit('matrix-tuwunel', 'failed');
      if (k === 23) await unit('matrix-tuwunel', 'active');
      if (k >= 26 && k <= 33) await unit('matrix-traefik', k % 2 === 0 ? 'failed' : 'active');
      if (k === 34) await unit('matrix-traefik', 'active');
      if (k === 38) {
        core?.maintenance.enter({ key: 'soak-maintenance', units: 'all', reason: 'soak', persistent: true });
        await unit('matrix-tuwunel', 'inactive');
      }
      if (k === 43) await unit('matrix-tuwunel', 'active');
      if (k === 44) core?.maintenance.leave('soak-maintenance');
      if (k === 47) {
        await unit('matrix-tuwunel', 'failed');
        clock.jump(SLEEP_MS);
      }
      if (k === 49) await unit('matrix-tuwunel', 'active');
      if (k === 52) thaws.push(await freeze(homeserver));
      if (k === 57) for (const thaw of thaws.splice(0)) thaw();
    };

    const remote = async () => {
      const hosts = await Promise.all([sshdChildren(lab.hosts.homeserver), sshdChildren(lab.hosts.deploy)]);
      return {
        connections: hosts.reduce((s, h) => s + h.connections, 0),
        processes: hosts.flatMap((h) => h.processes),
      };
    };

    const samples: SoakSample[] = [];
    const sample = async () => {
      gc();
      const mem = process.memoryUsage();
      const lab = await remote();
      const s: SoakSample = {
        cycle,
        simHours: (clock.now() - start) / 3_600_000,
        rssMb: mem.rss / MB,
        heapMb: mem.heapUsed / MB,
        fds: readdirSync('/proc/self/fd').length,
        sshConnections: lab.connections,
        remoteProcesses: lab.processes.length,
        nodeTimers: process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length,
        clockTimers: clock.pendingTimers,
      };
      samples.push(s);
      options.onCycle?.(s);
    };

    const cpuBefore = process.cpuUsage();
    scheduler.start();
    const end = start + options.hours * 3_600_000;
    while (clock.now() < end || poll % POLLS_PER_CYCLE !== 0) {
      await idle();
      const k = poll % POLLS_PER_CYCLE;
      cycle = Math.floor(poll / POLLS_PER_CYCLE);
      if (k === 0 && cycle > 0) await sample();
      await faults(k);
      window = windowOf(k);
      clock.fireNext();
      poll++;
    }
    // A calm tail: what was down at the end of the last cycle is seen up again (and told so).
    for (let i = 0; i < 10; i++) {
      await idle();
      window = 'calm';
      clock.fireNext();
      poll++;
    }
    await idle();
    cycle = Math.floor(poll / POLLS_PER_CYCLE);
    await sample();
    const cpu = process.cpuUsage(cpuBefore);

    await core.close();
    core = undefined;
    // What a poll started on a host and nobody stopped: every lab process but the sshd listeners.
    await new Promise((r) => setTimeout(r, 300));
    const listeners = new Set([listenerPid(lab.hosts.homeserver), listenerPid(lab.hosts.deploy)]);
    const orphans = (await processesWithEnv(lab.processMarker))
      .filter((pid) => !listeners.has(pid))
      .map((pid) => `${pid} ${comm(pid)}`)
      .filter((p) => !p.endsWith(' '));

    const simHours = (clock.now() - start) / 3_600_000;
    const last = samples.at(-1);
    return {
      cycles: Math.floor(poll / POLLS_PER_CYCLE),
      polls: poll,
      simHours,
      alerts,
      samples,
      cpuMsPerPoll: (cpu.user + cpu.system) / 1000 / poll,
      rssMbEnd: last?.rssMb ?? 0,
      rssSlopeMbPerH: slope(samples.map((s) => ({ x: s.simHours, y: s.rssMb }))),
      heapSlopeMbPerH: slope(samples.map((s) => ({ x: s.simHours, y: s.heapMb }))),
      orphans,
      realMs: performance.now() - started,
    };
  } finally {
    for (const thaw of thaws) thaw();
    await core?.close();
    await lab.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
