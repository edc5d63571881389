// One contender for the vault repository's rotation lock, for rotation-race.test.ts.
// Usage: node <bundle of> lock-race-child.ts <lock folder> <rounds> <period ms>
// Prints READY and reads the first round's start time (epoch ms) from stdin. Each round it waits for the shared start time (startAt, so both contenders leave the line together), tries
// the lock, holds it for a third of the period when it got it, and prints `<round>:<acquired>-<released>`
// (epoch ms) or `<round>:<error code>`.
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { acquireRotationLock } from '../../../src-main/core/vault/rotation-lock';
import { startAt } from './start-line';

const [folder = '', rounds = '0', period = '0'] = process.argv.slice(2);
writeSync(1, 'READY\n');
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const firstAt = Number((await lines.next()).value);
const now = () => performance.timeOrigin + performance.now();
const results: string[] = [];
for (let round = 0; round < Number(rounds); round++) {
  const at = firstAt + round * Number(period);
  await startAt(at);
  try {
    const lock = await acquireRotationLock(folder, '/the/vault/repo', `race-${process.pid}-${round}`);
    const acquired = now();
    await new Promise((resolve) => setTimeout(resolve, Number(period) / 3));
    const released = now();
    await lock.release();
    results.push(`${round}:${acquired.toFixed(1)}-${released.toFixed(1)}`);
  } catch (e) {
    results.push(`${round}:${(e as { code?: string }).code ?? (e as Error).message}`);
  }
}
writeSync(1, `${results.join(' ')}\n`);
process.exit(0);
