import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabFaults, LabHostRole } from './types';

/**
 * The fault switches as files in `<host>/faults/`, read by the hosts' shell side (host/faults.sh for the
 * stand-ins, host/session.bashrc for latency). Writes are synchronous and atomic (write, then rename), so a
 * switch is in force for the very next command a test sends.
 */
export function createFaults(hostDirs: Record<LabHostRole, string>): LabFaults {
  let seq = 0;
  const rulesDir = (host: LabHostRole) => join(hostDirs[host], 'faults', 'rules');

  const atomicWrite = (path: string, content: string) => {
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  };

  const addRule = (
    host: LabHostRole,
    kind: 'hang' | 'exit' | 'cut',
    pattern: string,
    code: number,
    times?: number,
    stderr?: string,
  ) => {
    if (/[\n\r]/.test(pattern)) throw new Error(`A fault pattern is one line: ${JSON.stringify(pattern)}`);
    if (times !== undefined && (!Number.isInteger(times) || times < 1))
      throw new Error(`times must be a positive integer, not ${times}`);
    if (!Number.isInteger(code) || code < 0 || code > 255)
      throw new Error(`exit code must be 0..255, not ${code}`);
    const dir = rulesDir(host);
    mkdirSync(dir, { recursive: true });
    seq += 1;
    const base = join(dir, String(seq).padStart(6, '0'));
    if (stderr !== undefined) atomicWrite(`${base}.stderr`, stderr);
    atomicWrite(`${base}.rule`, `${kind}\n${code}\n${times ?? -1}\n${pattern}\n`);
  };

  const clearHost = (host: LabHostRole) => {
    const dir = rulesDir(host);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      names = [];
    }
    // Rule files first, so no stand-in picks up a rule whose claim files are half gone.
    for (const name of names.filter((n) => n.endsWith('.rule'))) rmSync(join(dir, name), { force: true });
    for (const name of names.filter((n) => !n.endsWith('.rule'))) rmSync(join(dir, name), { force: true });
    rmSync(join(hostDirs[host], 'faults', 'latency'), { force: true });
    if (host === 'homeserver') rmSync(startFaultsDir, { recursive: true, force: true });
  };
  // Read by the Tuwunel stand-in when the service starts (homeserver/lib/tuwunel-boot.sh).
  const startFaultsDir = join(hostDirs.homeserver, 'state', 'tuwunel', 'start-faults');

  return {
    hang(host, pattern, times) {
      addRule(host, 'hang', pattern, 0, times);
    },
    exit(host, pattern, code, stderr, times) {
      addRule(host, 'exit', pattern, code, times, stderr);
    },
    cut(host, pattern, times) {
      addRule(host, 'cut', pattern, 0, times);
    },
    latency(host, ms) {
      if (!Number.isInteger(ms) || ms < 0) throw new Error(`latency must be a whole number of ms, not ${ms}`);
      const path = join(hostDirs[host], 'faults', 'latency');
      mkdirSync(join(hostDirs[host], 'faults'), { recursive: true });
      if (ms === 0) rmSync(path, { force: true });
      else atomicWrite(path, `${ms}\n`);
    },
    tuwunelStartFails(version, message) {
      const v = version.replace(/^v/, '');
      if (!/^\d+\.\d+\.\d+$/.test(v))
        throw new Error(`A Tuwunel version is X.Y.Z, not ${JSON.stringify(version)}`);
      if (message !== undefined && /[\n\r]/.test(message))
        throw new Error(`The failure message is one line: ${JSON.stringify(message)}`);
      mkdirSync(startFaultsDir, { recursive: true });
      atomicWrite(join(startFaultsDir, v), message === undefined ? '' : `${message}\n`);
    },
    clear(host) {
      for (const h of host ? [host] : (Object.keys(hostDirs) as LabHostRole[])) clearHost(h);
    },
  };
}
