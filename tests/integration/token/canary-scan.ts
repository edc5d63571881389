import { execFile } from 'node:child_process';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';

/**
 * The leak canary's searching: canary values in files, git objects, text and the process list, as is,
 * hex-encoded and base64-encoded. A hit names where and which canary, never the value.
 */
const execFileAsync = promisify(execFile);

export interface Canary {
  /** What it stands for, e.g. "vault password"; the value itself is never reported. */
  name: string;
  value: string;
}

export interface Hit {
  canary: string;
  where: string;
}

function forms(value: string): Buffer[] {
  const raw = Buffer.from(value, 'utf8');
  return [raw, Buffer.from(raw.toString('hex')), Buffer.from(raw.toString('base64').replace(/=+$/, ''))];
}

export function searchBuffer(data: Buffer, canaries: Canary[], where: string): Hit[] {
  const hits: Hit[] = [];
  for (const c of canaries)
    if (forms(c.value).some((f) => data.includes(f))) hits.push({ canary: c.name, where });
  return hits;
}

export function searchText(text: string, canaries: Canary[], where: string): Hit[] {
  return searchBuffer(Buffer.from(text, 'utf8'), canaries, where);
}

/** Every regular file under `root` (symlinks not followed), minus `exclude` (absolute paths). */
export async function filesUnder(root: string, exclude: Set<string> = new Set()): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const path = join(dir, name);
      if (exclude.has(path)) continue;
      const s = await lstat(path).catch(() => null);
      if (!s) continue;
      if (s.isDirectory()) await walk(path);
      else if (s.isFile()) out.push(path);
    }
  };
  await walk(root);
  return out;
}

export async function searchFiles(files: string[], canaries: Canary[]): Promise<Hit[]> {
  const hits: Hit[] = [];
  for (const file of files) {
    const data = await readFile(file).catch(() => null);
    if (data) hits.push(...searchBuffer(data, canaries, file));
  }
  return hits;
}

/** Every object of a repository, decompressed (`git cat-file --batch-all-objects --batch`). */
export async function searchGitObjects(repo: string, canaries: Canary[]): Promise<Hit[]> {
  const { stdout } = await execFileAsync('git', ['cat-file', '--batch-all-objects', '--batch'], {
    cwd: repo,
    encoding: 'buffer',
    maxBuffer: 512 * 1024 * 1024,
  });
  return searchBuffer(stdout, canaries, `git objects of ${repo}`);
}

/**
 * Samples /proc/<pid>/cmdline and /proc/<pid>/environ of every process, continuously, in a worker
 * thread (so the flows under test keep their event loop). stop() returns every distinct text seen.
 */
export function sampleProcesses(intervalMs = 20): { stop(): Promise<{ samples: number; texts: string[] }> } {
  const worker = new Worker(
    `
    const { parentPort } = require('node:worker_threads');
    const fs = require('node:fs');
    const seen = new Set();
    let samples = 0;
    let running = true;
    parentPort.on('message', () => { running = false; });
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const loop = () => {
      for (const pid of fs.readdirSync('/proc')) {
        if (!/^\\d+$/.test(pid)) continue;
        for (const what of ['cmdline', 'environ']) {
          try { seen.add(pid + ' ' + what + ' ' + fs.readFileSync('/proc/' + pid + '/' + what).toString('utf8').split('\\0').join(' ')); } catch {}
        }
      }
      samples++;
      if (running) { Atomics.wait(pause, 0, 0, ${intervalMs}); setImmediate(loop); }
      else parentPort.postMessage({ samples, texts: [...seen] });
    };
    loop();
    `,
    { eval: true },
  );
  return {
    stop: () =>
      new Promise((resolve, reject) => {
        worker.once('message', (m: { samples: number; texts: string[] }) => {
          void worker.terminate();
          resolve(m);
        });
        worker.once('error', reject);
        worker.postMessage('stop');
      }),
  };
}
