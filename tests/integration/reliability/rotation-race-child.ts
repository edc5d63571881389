// One Homeserver Tray instance (createCore, its own data folder) rotating the registration token, for
// rotation-race.test.ts. Usage: node <bundle of> rotation-race-child.ts <profile.yaml> <data dir> <go file>
// Prints READY once its core is built, starts token.rotate (apply=false) at the first line on stdin. When it
// takes the rotation lock it prints LOCKED and holds everything (Atomics.wait, nothing else runs) until the
// go file exists, so the other instance meets the lock for certain. Ends with `DONE <summary as JSON>`.
import { existsSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createCore } from '../../../src-main/app/session';

const [profilePath = '', dataDir = '', goFile = ''] = process.argv.slice(2);
const core = await createCore({ profilePath, dataDir, runbook: { pollIntervalMs: 200 } });
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
writeSync(1, 'READY\n');
await lines.next();

core.runbook.events.on('step-finished', (e) => {
  if (e.step.id !== 'lock' || e.step.state !== 'ok') return;
  writeSync(1, 'LOCKED\n');
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(goFile)) Atomics.wait(cell, 0, 0, 20);
});
const run = await core.runbook.start('token.rotate', { apply: false }, { confirmed: true });
const record = await run.done;
await core.close();
const lock = record.steps.find((s) => s.id === 'lock');
writeSync(
  1,
  `DONE ${JSON.stringify({
    pid: process.pid,
    state: record.state,
    failingStep: record.failingStep,
    sentence: record.sentence,
    lockError: lock?.error ?? null,
    later: record.steps.filter((s) => s.phase === 'main' && s.id !== 'lock').map((s) => s.state),
  })}\n`,
);
process.exit(0);
