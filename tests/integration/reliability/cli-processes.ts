import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * For the tests where what matters is that another process does it (one killed with SIGKILL mid-run, one
 * watching; the processes themselves: startCli in ../token/cli-process.ts): waiting on what they print, and
 * on the lab's hang switches.
 */

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
