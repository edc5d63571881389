// A token rotation in its own process, to be killed (SIGKILL) at a chosen point by rotation-kill.test.ts.
// Usage: node <bundle of> rotation-child.ts <profile.yaml> <step:ID | output:TEXT | none>
// Secrets arrive as JSON on stdin. At the chosen point it prints "PAUSED <point>" and blocks the whole
// process (Atomics.wait), so nothing after that point can run before the kill.
import { writeSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile } from '../../../src-main/core/profile/load';
import { MaintenanceStore } from '../../../src-main/core/runbook/maintenance';
import { Runbook } from '../../../src-main/core/runbook/runner';
import { createTokenActions } from '../../../src-main/core/runbook/token-actions';
import { SshPool } from '../../../src-main/core/ssh/pool';
import { MemorySecrets } from '../../unit/core/runbook/test-profile';

const [profilePath, point = 'none'] = process.argv.slice(2);
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const given = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
  vaultPassword: string;
  sudoPassword: string;
};

const profile = await loadProfile(profilePath ?? '');
const secrets = new MemorySecrets();
await secrets.set({ profile: profile.name, kind: 'vault-password' }, given.vaultPassword);
await secrets.set({ profile: profile.name, kind: 'sudo-password', host: 'homeserver' }, given.sudoPassword);
const pool = new SshPool({
  profile,
  appKnownHostsFile: join(await mkdtemp(join(tmpdir(), 'rotation-child-')), 'known_hosts'),
  agentSocket: undefined,
  secret: (kind, host) => secrets.get({ profile: profile.name, kind, host }),
});
const runbook = new Runbook({
  profile,
  exec: pool,
  maintenance: new MaintenanceStore(),
  secrets,
  catalog: createTokenActions({ secrets }),
  settings: { pollIntervalMs: 200 },
});

function pause(label: string): void {
  writeSync(1, `PAUSED ${label}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

const [kind, ...rest] = point.split(':');
const target = rest.join(':');
runbook.events.on('step-finished', (e) => {
  if (kind === 'step' && e.step.id === target) pause(point);
});
runbook.events.on('step-output', (e) => {
  if (kind === 'output' && e.text.includes(target)) pause(point);
});

const run = await runbook.start('token.rotate', { apply: false }, { confirmed: true });
const record = await run.done;
await pool.disconnect();
writeSync(1, `DONE ${record.state} ${record.failingStep ?? ''}\n`);
