import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLocalUserId } from '../../../../src-main/core/lib/grammar';
import { readWithHashCommand, varsFilePath } from '../../../../src-main/core/runbook/commands';
import { MaintenanceStore } from '../../../../src-main/core/runbook/maintenance';
import { Runbook } from '../../../../src-main/core/runbook/runner';
import type { RemoteExec } from '../../../../src-main/core/ssh/types';
import { fragmentOf, PARAMETER_BITS, soupOf } from '../../../integration/reliability/hostile-strings';
import { wordsOf } from '../../../integration/reliability/shell-records';
import { sweep } from '../../../support/sweep';
import { MemorySecrets, testProfile } from './test-profile';

const profile = testProfile();
const VARS = "matrix_tuwunel_config_allowed_remote_server_names: ['^lab\\.test$']\n";
/** A dry run reads vars.yml (to lint it and show the edit), and nothing else. */
const readOnlyExec: RemoteExec = {
  exec: (_host, command) =>
    command === readWithHashCommand(varsFilePath(profile))
      ? Promise.resolve({
          exitCode: 0,
          signal: null,
          stdout: `${createHash('sha256').update(VARS).digest('hex')}  -\n${VARS}`,
          stderr: '',
          durationMs: 1,
        })
      : Promise.reject(new Error('a dry run must not change anything')),
};
const runbook = (secrets?: MemorySecrets) =>
  new Runbook({
    profile,
    exec: readOnlyExec,
    maintenance: new MaintenanceStore(),
    ...(secrets ? { secrets } : {}),
  });

const RUNS = sweep(10_000);
const fragment = fragmentOf([
  ...PARAMETER_BITS,
  "'; rm -rf / #",
  '$(id)',
  '`id`',
  ':lab.test',
  ':evil.org',
  ' --no-leave-rooms',
]);
/** Hostile strings: random binary, shell/Matrix punctuation soup, and near-valid IDs with something appended. */
const hostile = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 50 }) },
  { weight: 4, arbitrary: soupOf(fragment, 8) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('', '@'),
        fc.stringMatching(/^[a-z0-9._=\-/+]{1,12}$/),
        fc.constantFrom('', ':lab.test', ':other.org'),
      )
      .map(([at, lp, server]) => `${at}${lp}${at ? server || ':lab.test' : ''}`),
  },
);

const cliPrefix = [
  'timeout',
  '60',
  'docker',
  'run',
  '--rm',
  '-v',
  '/matrix/tuwunel/data:/var/lib/tuwunel',
  '-v',
  '/matrix/tuwunel/config:/etc/tuwunel:ro',
  '-e',
  'TUWUNEL_CONFIG=/etc/tuwunel/tuwunel.toml',
  'ghcr.io/matrix-construct/tuwunel:v1.7.0',
  '--maintenance',
  '--execute',
];

/** Expectations are collected and asserted once: tens of thousands of expect() calls are slow. */
async function planOrRefuse(rb: Runbook, id: string, params: Record<string, unknown>, problems: string[]) {
  try {
    return await rb.plan(id, params);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'InvalidInput' && code !== 'ActionRefused')
      problems.push(`${JSON.stringify(params)} threw ${String(e)}`);
    return null;
  }
}

describe(`parameters against ${RUNS} hostile strings each`, () => {
  it('user (make-admin, deactivate): rejected, or one quoted --execute argument naming a local user', async () => {
    const rb = runbook();
    const samples = fc.sample(hostile, RUNS);
    const lines: string[] = [];
    const expected: string[][] = [];
    const problems: string[] = [];
    for (const [i, user] of samples.entries()) {
      const deactivate = i % 2 === 1;
      const plan = await planOrRefuse(
        rb,
        deactivate ? 'user.deactivate' : 'user.make-admin',
        { user, ...(deactivate ? { leaveRooms: i % 4 === 1 } : {}) },
        problems,
      );
      const parsed = parseLocalUserId(user, 'lab.test');
      if (!plan) {
        if (!('problem' in parsed))
          problems.push(`${JSON.stringify(user)} was refused but is a valid local user`);
        continue;
      }
      const userId = 'userId' in parsed ? parsed.userId : '';
      if (!/^@[a-z0-9._=\-/+]+:lab\.test$/.test(userId))
        problems.push(`${JSON.stringify(user)} was accepted as ${userId}`);
      const docker = plan.steps.find((s) => s.id === 'execute');
      lines.push(docker?.command ?? '');
      expected.push([
        ...cliPrefix,
        deactivate
          ? `users deactivate ${i % 4 === 1 ? '' : '--no-leave-rooms '}${userId}`
          : `users make-user-admin ${userId}`,
        '--execute',
        'server shutdown',
      ]);
    }
    expect(problems).toEqual([]);
    expect(lines.length).toBeGreaterThan(RUNS / 20);
    expect(lines.length).toBeLessThan(RUNS);
    expect(wordsOf(lines)).toEqual(expected);
  }, 60_000);

  it('unit (logs.follow): rejected, or one of the profile’s units as one argument', async () => {
    const rb = runbook();
    const samples = fc.sample(
      fc.oneof(
        { weight: 9, arbitrary: hostile },
        { weight: 1, arbitrary: fc.constantFrom(...profile.units) },
      ),
      RUNS,
    );
    const lines: string[] = [];
    const expected: string[][] = [];
    const problems: string[] = [];
    for (const unit of samples) {
      const plan = await planOrRefuse(rb, 'logs.follow', { unit }, problems);
      if (!plan) {
        if (profile.units.includes(unit)) problems.push(`${unit} was refused`);
        continue;
      }
      if (!profile.units.includes(unit)) problems.push(`${JSON.stringify(unit)} was accepted`);
      lines.push(plan.steps[0]?.command ?? '');
      expected.push(['journalctl', '-fu', unit]);
    }
    expect(problems).toEqual([]);
    expect(lines.length).toBeGreaterThan(RUNS / 100);
    expect(wordsOf(lines)).toEqual(expected);
  }, 60_000);

  it('server (federation): rejected, or never on a command line at all (it travels in the file on stdin)', async () => {
    const rb = runbook();
    const samples = fc.sample(fc.oneof(hostile, fc.domain()), RUNS);
    // The log file name carries the run's start time, the apply's guard the edited file's SHA-256 (hex);
    // everything else must not depend on the server.
    const remoteCommands = (plan: Awaited<ReturnType<Runbook['plan']>>) =>
      plan.steps
        .filter((s) => s.kind === 'remote')
        .map((s) =>
          s.command
            .replace(/config-apply-\d{8}T\d{6}Z/, 'config-apply-STAMP')
            .replace(/'[0-9a-f]{64}'|(?<= )[0-9a-f]{64}(?=;| )/g, 'SHA256'),
        )
        .join('\n');
    const reference = remoteCommands(await rb.plan('federation.allow', { server: 'reference.example' }));
    let accepted = 0;
    const problems: string[] = [];
    for (const server of samples) {
      const plan = await planOrRefuse(rb, 'federation.allow', { server }, problems);
      if (!plan) continue;
      accepted += 1;
      if (remoteCommands(plan) !== reference)
        problems.push(`${JSON.stringify(server)} changed a command line`);
    }
    expect(problems).toEqual([]);
    expect(accepted).toBeGreaterThan(RUNS / 20);
  }, 60_000);

  it('admin command: rejected, or exactly one line for the bot (never a shell)', async () => {
    const secrets = new MemorySecrets();
    await secrets.set({ profile: 'lab.test', kind: 'matrix-admin-token' }, 'tok');
    const rb = runbook(secrets);
    const samples = fc.sample(
      fc.oneof(hostile, fc.constantFrom('rooms list', '!admin rooms  LIST', 'server shutdown')),
      RUNS,
    );
    let accepted = 0;
    const problems: string[] = [];
    for (const command of samples) {
      const plan = await planOrRefuse(rb, 'admin.command', { command }, problems);
      if (!plan) {
        const why =
          /\p{Cc}/u.test(command) ||
          /^\s*(!admin)?\s*$/i.test(command) ||
          /rooms\s+list/i.test(command) ||
          /^\s*(!admin\s+)?token\s+(list|issue|revoke)/i.test(command);
        if (!why) problems.push(`${JSON.stringify(command)} was refused`);
        continue;
      }
      accepted += 1;
      const [step, ...rest] = plan.steps;
      if (rest.length > 0 || step?.kind !== 'admin-room' || /[\n\r]/.test(step.command)) {
        problems.push(`${JSON.stringify(command)} planned ${JSON.stringify(plan.steps)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(accepted).toBeGreaterThan(RUNS / 10);
  }, 60_000);
});
