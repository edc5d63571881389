import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_ENTRY } from '../token/cli-process';

/**
 * The command line as real processes (src-main/cli/main.ts under tsx, as `npm run cli` starts it), for the
 * tests where what matters is that another process does it: one killed with SIGKILL mid-run, one watching.
 */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  child.stdin?.end();
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

export async function until<T>(what: string, probe: () => T | undefined | false, ms = 45_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Whether a hang switch of a lab host was taken: its stand-in is blocked in the command now. */
export function hangTaken(hostDir: string): boolean {
  const rules = join(hostDir, 'faults', 'rules');
  if (!existsSync(rules)) return false;
  return readdirSync(rules)
    .filter((f) => f.endsWith('.claim.1'))
    .some((claim) => {
      try {
        return readFileSync(join(rules, claim.replace(/\.claim\.1$/, '.rule')), 'utf8').startsWith('hang\n');
      } catch {
        return false;
      }
    });
}
