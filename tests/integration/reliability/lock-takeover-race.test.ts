import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testChild } from '../../support/test-child';

/**
 * Taking over the lock of a holder that was killed, raced by real processes: every round starts from a lock
 * left by a `kill -9`ed process (the real lock code wrote it; in every other round the process also died
 * holding the guard of a takeover), and three contenders try to take it over at the same instant. At most one may hold it at any moment, and the dead holder's lock must not block them.
 * Both locks of the app that hold across processes: the host lock (data folder) and the token rotation's
 * lock (the vault repository's git folder).
 */

const CHILD = testChild(new URL('lock-takeover-child.ts', import.meta.url));
const ROUNDS = 40;
const PERIOD_MS = 150;
const CONTENDERS = 3;

interface Child {
  process: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function start(args: string[]): Child {
  const child = spawn(process.execPath, [CHILD, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    const parts = (partial + c).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      if (stderr) lines.push(`STDERR ${stderr}`);
      resolve(code);
    }),
  );
  return { process: child, lines, exited };
}

async function until(what: string, ready: () => boolean, children: Child[], ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(children.map((c) => c.lines))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each([
  { kind: 'host', busy: 'HostBusy' },
  { kind: 'rotation', busy: 'RotationInProgress' },
])('taking over the $kind lock of a killed holder', ({ kind, busy }) => {
  it(`${CONTENDERS} processes at the same instant, ${ROUNDS} rounds: one holder at a time, and the dead one's lock is taken over`, async () => {
    const base = await mkdtemp(join(tmpdir(), `lock-takeover-${kind}-`));
    const holder = start([kind, 'hold', base, String(ROUNDS)]);
    const contenders: Child[] = [];
    try {
      await until('the holder', () => holder.lines.includes('HELD'), [holder]);
      holder.process.kill('SIGKILL');
      await holder.exited;
      for (let i = 0; i < CONTENDERS; i++)
        contenders.push(start([kind, 'race', base, String(ROUNDS), String(PERIOD_MS)]));
      await until('the contenders', () => contenders.every((c) => c.lines.includes('READY')), contenders);
      const firstAt = Date.now() + 500;
      for (const c of contenders) c.process.stdin?.write(`${firstAt}\n`);
      expect(await Promise.all(contenders.map((c) => c.exited))).toEqual(contenders.map(() => 0));

      const results = contenders.map(
        (c) =>
          new Map(
            (c.lines.find((l) => /^0:/.test(l)) ?? '')
              .split(' ')
              .map((r) => r.split(':') as [string, string]),
          ),
      );
      const overlaps: string[] = [];
      const untaken: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const mine = results.map((r) => r.get(String(round)));
        const held: [number, number][] = [];
        for (const r of mine) {
          if (r === undefined)
            throw new Error(`round ${round} is missing: ${JSON.stringify(contenders.map((c) => c.lines))}`);
          if (/^\d/.test(r)) held.push(r.split('-').map(Number) as [number, number]);
          else expect(r).toBe(busy);
        }
        if (held.length === 0) untaken.push(round);
        for (const [i, [a1, a2]] of held.entries())
          for (const [b1, b2] of held.slice(i + 1))
            if (a1 < b2 && b1 < a2) overlaps.push(`round ${round}: ${mine.join(' and ')}`);
      }
      expect(overlaps).toEqual([]);
      expect(untaken).toEqual([]);
      // Every lock was released, and no takeover guard or temporary file was left behind.
      for (let round = 0; round < ROUNDS; round++)
        expect(await readdir(join(base, `round-${round}`))).toEqual([]);
    } finally {
      for (const c of [holder, ...contenders]) c.process.kill('SIGKILL');
      await rm(base, { recursive: true, force: true });
    }
  }, 90_000);
});
