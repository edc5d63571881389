import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killScript } from '../../../../src-main/core/ssh/kill-script';
import {
  type CommandProcess,
  StdoutUnwrapper,
  wrapCommand,
} from '../../../../src-main/core/ssh/remote-command';

/** The kill script against real process trees on this machine, started through the pool's own wrapper. */

const run = promisify(execFile);

interface Proc {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  ttyNr: number;
  command: string;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state = '', ppid, pgrp, session, ttyNr] = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    return {
      pid,
      state,
      ppid: Number(ppid),
      pgrp: Number(pgrp),
      session: Number(session),
      ttyNr: Number(ttyNr),
      command,
    };
  } catch {
    return null;
  }
}

/** Live (not zombie) processes whose environment carries `tag`: every process a test starts inherits it. */
function tagged(tag: string): Proc[] {
  const needle = `\0KILL_SCRIPT_TEST=${tag}\0`;
  const found: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!`\0${readFileSync(`/proc/${name}/environ`, 'latin1')}\0`.includes(needle)) continue;
    } catch {
      continue;
    }
    const proc = readProc(Number(name));
    if (proc && proc.state !== 'Z') found.push(proc);
  }
  return found;
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleepers = (procs: Proc[]) => procs.filter((p) => p.command === 'sleep 1000');

const tags: string[] = [];
afterEach(() => {
  for (const tag of tags.splice(0)) {
    for (const p of tagged(tag)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
});

let tag = '';
beforeEach(() => {
  tag = newTag();
});

function newTag(): string {
  const t = `kt${randomBytes(6).toString('hex')}`;
  tags.push(t);
  return t;
}

/**
 * Runs `command` the way an ssh exec channel does (wrapped, as the leader of a new session) and
 * returns what the wrapper reported about itself, once `ready` holds for the tagged processes.
 */
async function startCommand(command: string, ready: (procs: Proc[]) => boolean, withTag = tag) {
  const wrapped = wrapCommand(command, 'none');
  const child = spawn('/bin/sh', ['-c', wrapped.line], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, KILL_SCRIPT_TEST: withTag },
  });
  const unwrapper = new StdoutUnwrapper(wrapped.marker, 'none');
  const wrapper = await new Promise<CommandProcess>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      for (const event of unwrapper.push(chunk.toString()).events) {
        if (event.kind === 'wrapper' && event.wrapper) resolve(event.wrapper);
        else reject(new Error('the wrapper did not report itself'));
      }
    });
  });
  child.stdout.resume();
  await until(() => ready(tagged(withTag)));
  return wrapper;
}

async function stop(
  wrapper: CommandProcess,
  graceSeconds: number,
  wrapperMustLive = false,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const started = performance.now();
  await run('/bin/sh', ['-c', killScript(wrapper, graceSeconds, { wrapperMustLive })], { env });
  return performance.now() - started;
}

const scratch = mkdtempSync(join(tmpdir(), 'kill-script-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('killScript', () => {
  it('stops the whole tree: `timeout` in its own group, a setsid’d grandchild, an orphan left in the session', async () => {
    const bystanderTag = newTag();
    await startCommand('sleep 1000', (p) => sleepers(p).length === 1, bystanderTag);
    const wrapper = await startCommand(
      `timeout 30 sleep 1000 & sh -c 'setsid sleep 1000 & wait' & sh -c 'sleep 1000 &'; wait`,
      (p) => sleepers(p).length === 3 && p.some((q) => q.command === 'timeout 30 sleep 1000'),
    );
    expect(wrapper).toMatchObject({ pgid: wrapper.pid, sid: wrapper.pid });
    const before = tagged(tag);
    const timeout = before.find((p) => p.command === 'timeout 30 sleep 1000')!;
    // What a group kill missed: `timeout` made a group of its own, setsid a session of its own …
    expect(timeout.pgrp).toBe(timeout.pid);
    expect(sleepers(before).some((p) => p.session === p.pid)).toBe(true);
    // … and the orphan's parent is gone: only its session tells it is ours.
    expect(sleepers(before).some((p) => !before.some((q) => q.pid === p.ppid))).toBe(true);

    const ms = await stop(wrapper, 5);
    expect(tagged(tag), `left after the kill script (${ms} ms)`).toEqual([]);
    expect(ms).toBeLessThan(3000);
    expect(sleepers(tagged(bystanderTag))).toHaveLength(1);
  });

  it('finds a command that sudo’s use_pty would run: a new session on a pty, below the wrapper', async () => {
    const wrapper = await startCommand(
      `script -qec 'timeout 30 sleep 1000' /dev/null`,
      (p) => sleepers(p).length === 1,
    );
    const [sleeper] = sleepers(tagged(tag));
    expect(sleeper?.session).not.toBe(wrapper.pid);
    expect(sleeper?.ttyNr).not.toBe(0);
    // util-linux `script` lingers ~2 s after TERM (sudo does not): the grace is short to keep the test quick.
    const ms = await stop(wrapper, 1);
    expect(tagged(tag), `left after the kill script (${ms} ms)`).toEqual([]);
    expect(ms).toBeLessThan(2500);
  });

  it('KILLs what ignores TERM after the grace period, with the children it keeps spawning meanwhile', async () => {
    const wrapper = await startCommand(
      `trap '' TERM PIPE HUP; sh -c "trap '' TERM; sleep 1000" & while :; do setsid sleep 1000 & sleep 0.1; done`,
      (p) => sleepers(p).length >= 3,
    );
    const ms = await stop(wrapper, 0.6);
    expect(tagged(tag), `left after the kill script (${ms} ms)`).toEqual([]);
    expect(ms).toBeGreaterThanOrEqual(550);
    expect(ms).toBeLessThan(2500);
  });

  it('tries a failed scan again (mawk gives up when a process ends between opening and reading its stat)', async () => {
    const wrapper = await startCommand('sleep 1000 & sleep 1000 & wait', (p) => sleepers(p).length === 2);
    // An awk that fails its first two runs the way mawk does (`mawk: read error (No such process)`, 2).
    const bin = mkdtempSync(join(scratch, 'bin-'));
    writeFileSync(
      join(bin, 'awk'),
      `#!/bin/sh\necho x >>${bin}/runs\n[ "$(wc -l <${bin}/runs)" -gt 2 ] || { echo 'mawk: read error (No such process)' >&2; exit 2; }\nexec /usr/bin/awk "$@"\n`,
    );
    chmodSync(join(bin, 'awk'), 0o755);
    await stop(wrapper, 5, false, { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    expect(tagged(tag)).toEqual([]);
    expect(readFileSync(join(bin, 'runs'), 'utf8').split('\n').length).toBeGreaterThan(3);
  });

  it('leaves alone a process that has the wrapper’s pid but not its start time (a reused pid)', async () => {
    const wrapper = await startCommand('sleep 1000 & sleep 1000 & wait', (p) => sleepers(p).length === 2);
    expect(await stop({ ...wrapper, startTime: wrapper.startTime + 1 }, 5)).toBeLessThan(1000);
    expect(sleepers(tagged(tag))).toHaveLength(2);
    await stop(wrapper, 5);
    expect(tagged(tag)).toEqual([]);
  });

  it('after the wrapper exited: its session still counts for a stop, but not for a command found again later', async () => {
    const wrapper = await startCommand('sleep 1000 & sleep 1000 &', (p) => sleepers(p).length === 2);
    await until(() => readProc(wrapper.pid) === null);
    await stop(wrapper, 5, true);
    expect(sleepers(tagged(tag))).toHaveLength(2);
    await stop(wrapper, 5);
    expect(tagged(tag)).toEqual([]);
  });

  it('does nothing for a wrapper that is gone with everything it started, and refuses pids 0 and 1', async () => {
    const gone = { pid: 99_999_999, startTime: 1, pgid: 99_999_999, sid: 99_999_999 };
    expect(await stop(gone, 5)).toBeLessThan(1000);
    expect(() => killScript({ ...gone, pid: 1 }, 5)).toThrow();
    expect(() => killScript({ ...gone, pid: 0 }, 5)).toThrow();
    expect(() => killScript({ ...gone, startTime: -1 }, 5)).toThrow();
  });

  it('keeps the first line the runbook tests recognise the pool’s kill commands by', () => {
    const gone = { pid: 4321, startTime: 1, pgid: 4321, sid: 4321 };
    expect(killScript(gone, 5)).toMatch(/^pg=4321\n/);
  });
});
