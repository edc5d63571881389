import { spawn } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/**
 * The parts every lab host has: `root/` (HOME of its ssh sessions, whose .bashrc is the lab's command
 * wrapper), `bin/` (first on PATH), `lib/faults.sh`, an empty `exec.log` and the fault switch folder.
 * `bin` maps command names to the scripts that stand in for them.
 */
export async function setupHost(hostDir: string, bin: Record<string, string> = {}): Promise<void> {
  await Promise.all(
    ['root', 'bin', 'lib', 'faults/rules'].map((d) => mkdir(join(hostDir, d), { recursive: true })),
  );
  await linkFresh(here('./session.bashrc'), join(hostDir, 'root', '.bashrc'));
  // Login shells (ssh2 shell()) read ~/.bash_profile, not ~/.bashrc.
  await writeFile(join(hostDir, 'root', '.bash_profile'), '. ~/.bashrc\n');
  await linkFresh(here('./faults.sh'), join(hostDir, 'lib', 'faults.sh'));
  await Promise.all(
    Object.entries(bin).map(([name, target]) => linkFresh(target, join(hostDir, 'bin', name))),
  );
  await writeFile(join(hostDir, 'exec.log'), '');
}

export async function linkFresh(target: string, path: string): Promise<void> {
  await rm(path, { force: true });
  await symlink(target, path);
}

/** The deploy host's real git, behind the fault switches. */
export const deployHostBin = { git: here('./git') };

/** The environment an ssh session on this host has (see host/session.bashrc). */
export function hostEnv(hostDir: string, labDir: string): Record<string, string> {
  return {
    PATH: `${join(hostDir, 'bin')}:/usr/local/bin:/usr/bin:/bin`,
    LAB_HOST_DIR: hostDir,
    LAB_DIR: labDir,
    HOME: join(hostDir, 'root'),
  };
}

/**
 * A command in the host's environment without ssh: its PATH, state and HOME, no exec.log entry. `marker`
 * is the lab's process marker (lab-dir.ts), so what the command leaves running ends with the lab.
 */
export function hostShell(
  hostDir: string,
  labDir: string,
  command: string,
  stdin?: string,
  marker: Record<string, string> = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', ['--noprofile', '--norc', '-c', command], {
      cwd: join(hostDir, 'root'),
      env: { ...hostEnv(hostDir, labDir), ...marker },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {});
    child.stdin.end(stdin ?? '');
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        exitCode: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}
