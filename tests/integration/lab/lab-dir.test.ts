import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { keyringProcesses } from '../../lab/keyring';
import { startLab } from '../../lab/lab';
import { ownerEntry, readLabMarker } from '../../lab/lab-dir';
import { alive, killAll, processesWithEnv } from '../../lab/process-sweep';
import type { Lab } from '../../lab/types';
import { connect, eventually, exec } from './ssh-helpers';

const argv0 = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
  } catch {
    return undefined;
  }
};

/** `npm run lab -- …` as a user runs it (tests/lab/cli.ts under tsx). */
function labCli(args: string[]): { child: ChildProcess; out: () => string; err: () => string } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(process.cwd(), 'tests/lab/cli.ts'), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return { child, out: () => out, err: () => err };
}

const closed = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('close', (code) => resolve(code));
  });

// Real processes throughout: the lab's sshd, keyring and lock holder, a shell that sourced the lab's env file,
// and the lab CLI itself.
describe('the lab folder and the lab’s own processes (issue 14.3)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hst-lab-dir-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  const started = async (dir: string, keyring = false): Promise<Lab> => {
    const lab = await startLab({ dir, keyring });
    cleanups.push(() => lab.stop());
    return lab;
  };

  it('stopping a lab leaves alone what a shell that sourced its env file runs', async () => {
    const dir = await tempDir();
    const lab = await started(dir, true);
    // The user's other terminal: `. <dir>/env`, then a long CLI command (here: sleep).
    const shell = spawn(
      '/bin/bash',
      ['--noprofile', '--norc', '-c', '. "$1/env" && exec sleep 300', 'user-shell', dir],
      { stdio: 'ignore' },
    );
    cleanups.push(() => killAll([shell.pid!]));
    await eventually(() => argv0(shell.pid!) === 'sleep', 'the user shell exec’ing sleep', 5000);
    // And a remote command of the lab's that outlives its session (as a hung one-off container does).
    const hs = await connect(lab.hosts.homeserver, {
      keyPath: lab.clientKeyPath,
      pinned: lab.hosts.homeserver.fingerprint,
    });
    await exec(hs, 'setsid sleep 300 </dev/null >/dev/null 2>&1 &');
    hs.end();
    // The user's shell carries what the env file exports (LAB_DIR, the old marker) but not the lab's own.
    expect(await processesWithEnv(`LAB_DIR=${dir}`)).toContain(shell.pid);
    expect(await processesWithEnv(lab.processMarker)).not.toContain(shell.pid);
    let labPids: number[] = [];
    await eventually(
      async () => {
        labPids = await processesWithEnv(lab.processMarker);
        // dbus-daemon, gnome-keyring-daemon and the remote sleep.
        return labPids.filter((pid) => argv0(pid) === 'sleep').length === 1 && labPids.length >= 3;
      },
      'the lab’s marked processes',
      5000,
    );

    await lab.stop();
    expect(alive(shell.pid!)).toBe(true);
    for (const pid of labPids) expect(alive(pid), `lab pid ${pid}`).toBe(false);
  });

  it('refuses a second start on a running lab’s folder and leaves the first lab as it was', async () => {
    const dir = await tempDir();
    const first = await started(dir, true);
    const profileBefore = await readFile(first.profilePath, 'utf8');
    const keyrings = await keyringProcesses(join(dir, 'keyring'));
    expect(keyrings).toHaveLength(2);

    await expect(startLab({ dir, keyring: true })).rejects.toThrow(
      `A lab is already running in ${dir} (started by process ${process.pid} at `,
    );
    // The same from the command line, as a user running `npm run lab -- --dir` twice would see it.
    const second = labCli(['--dir', dir, '--no-keyring']);
    expect(await closed(second.child)).toBe(1);
    expect(second.err()).toContain(`A lab is already running in ${dir}`);
    expect(second.err()).toContain('Stop it first (Ctrl-C where it runs), or give another folder to --dir');
    expect(second.out()).not.toContain('LAB READY');

    // The first lab is untouched: its files, its keyring, its sshd.
    expect(await readFile(first.profilePath, 'utf8')).toBe(profileBefore);
    for (const pid of keyrings) expect(alive(pid)).toBe(true);
    const hs = await connect(first.hosts.homeserver, {
      keyPath: first.clientKeyPath,
      pinned: first.hosts.homeserver.fingerprint,
    });
    expect((await exec(hs, 'echo still here')).stdout).toBe('still here\n');
    hs.end();

    // Once it has stopped, the folder is free again.
    await first.stop();
    const again = await started(dir);
    expect(again.dir).toBe(dir);
  });

  it('takes over the folder of a lab that was killed, ending what that lab left running', async () => {
    const dir = await tempDir();
    const crashed = labCli(['--dir', dir, '--no-keyring']);
    cleanups.push(async () => {
      crashed.child.kill('SIGKILL');
      await closed(crashed.child);
    });
    await eventually(() => crashed.out().includes('LAB READY'), 'LAB READY', 60_000);
    const marker = ownerEntry((await readLabMarker(dir))?.owner ?? '');
    const profile = parse(await readFile(join(dir, 'profile.yaml'), 'utf8'));
    const host = profile.hosts.homeserver as { address: string; port: number; identityFile: string };
    const fingerprint = /homeserver .*\((SHA256:[^)]+)\)/.exec(crashed.out())?.[1] ?? '';
    const hs = await connect(host, { keyPath: host.identityFile, pinned: fingerprint });
    // A remote command that outlives its session, as a hung one-off container does.
    await exec(hs, 'setsid sleep 300 </dev/null >/dev/null 2>&1 &');
    hs.end();
    let leftover: number[] = [];
    await eventually(
      async () => {
        leftover = (await processesWithEnv(marker)).filter((pid) => argv0(pid) === 'sleep');
        return leftover.length === 1;
      },
      'the detached remote command',
      5000,
    );

    crashed.child.kill('SIGKILL');
    await closed(crashed.child);
    expect(alive(leftover[0]!)).toBe(true);

    const lab = await started(dir);
    expect(alive(leftover[0]!)).toBe(false);
    expect(lab.processMarker).not.toBe(marker);
    expect(await readLabMarker(dir)).toMatchObject({ pid: process.pid });
  });

  it('refuses a folder that is neither empty nor a lab’s', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'notes.txt'), 'mine\n');
    await expect(startLab({ dir })).rejects.toThrow(`${dir} is not empty and not a lab folder`);
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
  });
});
