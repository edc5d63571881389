import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StatusSnapshot } from '../../src-main/ipc/contract';
import { descendantsOf } from '../lab/process-sweep';
import type { LabHost } from '../lab/types';
import { standIn } from '../support/electron/control';
import type { StandInNotification } from '../support/electron/notification';
import { type LaunchedApp, launchOnLab, until } from './lab-app';

/**
 * Sleep and wake, with main.ts on the lab and the electron stand-in's powerMonitor. The network a laptop
 * loses while it sleeps is the homeserver's sshd frozen with SIGSTOP (the listener and every connection
 * it forked): the kernel still takes connections, nothing answers them. Both sides of the grace period:
 * a failure that ends within it raises nothing; one that outlasts it raises "down" only once it is over.
 */

/**
 * The profile's grace after a wake (status.wakeGraceSeconds). Polls come every 5 s and a frozen host takes
 * 10 s to give up on, so without a grace the host would be down after two failed polls, within 30 s.
 */
const GRACE_SECONDS = 50;

let d: LaunchedApp;
/** Every status the window was sent (through the preload). */
const statuses: StatusSnapshot[] = [];
let thaw: (() => void) | null = null;
/**
 * This process's wall clock, moved by the test as a sleep moves it. Installed before the app starts, so
 * every `Date.now` the app holds (the composition root keeps the function) reads it.
 */
const wallClock = { offsetMs: 0 };

beforeAll(async () => {
  const realNow = Date.now.bind(Date);
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() + wallClock.offsetMs);
  d = await launchOnLab({
    importMain: () => import('../../src-main/desktop/main'),
    runPreload: () => import('../../src-main/desktop/preload'),
  });
  d.api.onStatusChanged((status) => statuses.push(status));
  await d.onboard({ wakeGraceSeconds: GRACE_SECONDS });
  await until('the tray to turn ok', () => trayIcon() === 'tray-ok-32.png', 60_000);
});

afterEach(() => {
  thaw?.();
  thaw = null;
});

afterAll(async () => {
  await d?.stop();
  vi.restoreAllMocks();
});

function trayIcon(): string | undefined {
  return standIn.trayView(d.tray).image?.split('/').at(-1);
}

function notifications(): StandInNotification[] {
  return [...standIn.notifications.shown];
}

/** The host stops answering (SIGSTOP): its sshd and every process the sshd forked. Returns the thaw. */
async function freezeSshd(host: LabHost): Promise<() => void> {
  const listener = Number(readFileSync(join(host.dir, 'sshd', 'listener.pid'), 'utf8'));
  const pids = [listener, ...(await descendantsOf([listener]))];
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  return () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Gone meanwhile (a connection the app closed).
      }
    }
  };
}

/** SSH logins the host's sshd accepted so far (one per connection the pool opened). */
function logins(host: LabHost): number {
  return (
    readFileSync(join(host.dir, 'sshd', 'sshd.log'), 'utf8').match(/^Accepted publickey for /gm)?.length ?? 0
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SshCheck {
  level: string;
  alert: string;
  detail: string;
}

/**
 * The homeserver's SSH check in each finished poll after the first `skip`, as the window was told (the
 * last status sent per poll). The window hears of a poll a moment after the tray.
 */
function pollsAfter(skip: number): SshCheck[] {
  const byPoll = new Map<string, SshCheck>();
  for (const status of statuses) {
    const ssh = status.checks.find((c) => c.id === 'ssh:homeserver');
    if (ssh && status.lastRefresh !== null)
      byPoll.set(status.lastRefresh, { level: ssh.level, alert: ssh.alert, detail: ssh.detail });
  }
  return [...byPoll.values()].slice(skip);
}

const failed = (polls: SshCheck[]) => polls.filter((c) => c.level === 'fail');

describe('sleep and wake', () => {
  it('suspend pauses polling; on resume the pool reconnects, and a failure inside the grace raises nothing', async () => {
    const homeserver = d.lab.hosts.homeserver;
    const shown = notifications().length;
    standIn.power.suspend();
    const commands = homeserver.execLog().length;
    // Two poll intervals asleep: nothing reaches the host.
    await sleep(11_000);
    expect(homeserver.execLog().length).toBe(commands);

    // The network did not come back with the machine.
    thaw = await freezeSshd(homeserver);
    const loginsBefore = logins(homeserver);
    const before = pollsAfter(0).length;
    standIn.power.resume();
    const resumed = performance.now();
    const first = await until('a failed poll after the wake', () => failed(pollsAfter(before))[0], 30_000);
    // A fresh connection was tried at once: the warm one from before the sleep was dropped, not waited on.
    expect(first.detail).toMatch(/no SSH answer within 10 s/);
    expect((performance.now() - resumed) / 1000).toBeLessThan(30);
    expect(trayIcon()).toBe('tray-fail-32.png');
    expect(standIn.trayView(d.tray).toolTip).toMatch(/^lab\.test: 1 failing \(SSH to the homeserver\)/);
    // Failing in more polls than failuresBeforeDown (2): still pending, nothing announced.
    await until('two failed polls after the wake', () => failed(pollsAfter(before)).length >= 2, 40_000);
    expect(pollsAfter(before).map((c) => c.alert)).not.toContain('down');
    expect((performance.now() - resumed) / 1000).toBeLessThan(GRACE_SECONDS);
    thaw();
    thaw = null;
    await until('the tray to turn ok', () => trayIcon() === 'tray-ok-32.png', 30_000);
    expect(logins(homeserver)).toBeGreaterThan(loginsBefore);
    // Past the grace and more polls: the failure was never announced, nor a recovery of it.
    await sleep(Math.max(0, GRACE_SECONDS * 1000 - (performance.now() - resumed)) + 10_000);
    expect(
      notifications()
        .slice(shown)
        .map((n) => n.title),
    ).toEqual([]);
    expect(trayIcon()).toBe('tray-ok-32.png');
  }, 240_000);

  it('a clock jump is a wake too (no resume event): a failure that outlasts the grace alerts once it is over', async () => {
    const homeserver = d.lab.hosts.homeserver;
    const shown = notifications().length;
    const before = pollsAfter(0).length;
    thaw = await freezeSshd(homeserver);
    // The machine slept an hour and Electron's resume never came (some Linux builds): only the wall clock
    // tells. Awake time (performance.now) did not move.
    wallClock.offsetMs += 3_600_000;
    const jumped = performance.now();
    // Noticed within a clock check (5 s), then a fresh connection tried (10 s to give up on it).
    const first = await until('a failed poll after the jump', () => failed(pollsAfter(before))[0], 30_000);
    expect(first.detail).toMatch(/no SSH answer within 10 s/);
    expect((performance.now() - jumped) / 1000).toBeLessThan(30);
    expect(trayIcon()).toBe('tray-fail-32.png');
    const alert = await until(
      'the down notification',
      () => notifications()[shown],
      (GRACE_SECONDS + 40) * 1000,
    );
    expect((performance.now() - jumped) / 1000).toBeGreaterThanOrEqual(GRACE_SECONDS);
    // Before the grace ended, the host had failed in more polls than it takes to go down.
    expect(failed(pollsAfter(before)).filter((c) => c.alert === 'pending').length).toBeGreaterThanOrEqual(2);
    expect(alert.title).toBe('SSH to the homeserver is down (lab.test)');
    expect(alert.body).toMatch(/no SSH answer within 10 s/);
    expect(alert.urgency).toBe('critical');
    expect(notifications().slice(shown)).toHaveLength(1);

    thaw();
    thaw = null;
    const recovered = await until('the recovered notification', () => notifications()[shown + 1], 40_000);
    expect(recovered.title).toBe('SSH to the homeserver recovered (lab.test)');
    await until('the tray to turn ok', () => trayIcon() === 'tray-ok-32.png', 30_000);
  }, 240_000);
});
