// One process in the lock-takeover race of lock-takeover-race.test.ts, on the real lock code.
// Usage: node <bundle of> lock-takeover-child.ts <host|rotation> <hold|race> <base folder> <rounds> [period ms]
// Round r uses its own lock folder, <base>/round-<r>.
//   hold: takes the lock of every round, and in even rounds also the guard a takeover holds (as if it had been
//         killed in the middle of taking over a dead lock); prints HELD and waits to be killed (kill -9 leaves
//         every lock and guard stale).
//   race: prints READY, reads the first round's start time (epoch ms) from stdin; each round it waits for the
//         round's start (startAt, so the contenders leave the line together), tries the lock, holds it for a third
//         of the period when it got it, and finally prints `<round>:<acquired>-<released>` (epoch ms) or
//         `<round>:<error code>` for every round.
import { mkdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { acquireLockFile } from '../../../src-main/core/lib/lock-file';
import { HostLocks } from '../../../src-main/core/ssh/host-lock';
import { acquireRotationLock } from '../../../src-main/core/vault/rotation-lock';
import { startAt } from './start-line';

const [kind = '', mode = '', base = '', rounds = '0', period = '0'] = process.argv.slice(2);
const hosts = {
  homeserver: { address: '127.0.0.2', port: 2222, user: 'root', sudo: false, agent: false },
  deploy: { address: '127.0.0.3', port: 2222, user: 'root', sudo: false, agent: false },
};

async function take(round: number): Promise<() => Promise<void>> {
  const folder = join(base, `round-${round}`);
  mkdirSync(folder, { recursive: true });
  if (kind === 'host') {
    const lock = new HostLocks({ hosts }, folder).acquire('homeserver', `round ${round} by ${process.pid}`);
    return async () => lock.release();
  }
  const lock = await acquireRotationLock(folder, '/the/vault/repo', `race-${process.pid}-${round}`);
  return () => lock.release();
}

if (mode === 'hold') {
  for (let round = 0; round < Number(rounds); round++) {
    await take(round);
    const folder = join(base, `round-${round}`);
    const lock = kind === 'host' ? '127.0.0.2-2222.lock' : 'rotation.lock';
    if (round % 2 === 0 && !('held' in acquireLockFile(join(folder, `${lock}.takeover`), {})))
      throw new Error('the takeover guard is taken');
  }
  writeSync(1, 'HELD\n');
  setInterval(() => {}, 60_000);
} else {
  const now = () => performance.timeOrigin + performance.now();
  writeSync(1, 'READY\n');
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const firstAt = Number((await lines.next()).value);
  const results: string[] = [];
  for (let round = 0; round < Number(rounds); round++) {
    const at = firstAt + round * Number(period);
    await startAt(at);
    try {
      const release = await take(round);
      const acquired = now();
      await new Promise((resolve) => setTimeout(resolve, Number(period) / 3));
      const released = now();
      await release();
      results.push(`${round}:${acquired.toFixed(1)}-${released.toFixed(1)}`);
    } catch (e) {
      results.push(`${round}:${(e as { code?: string }).code ?? (e as Error).message}`);
    }
  }
  writeSync(1, `${results.join(' ')}\n`);
  process.exit(0);
}
