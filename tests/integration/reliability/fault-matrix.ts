import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionLost, HostKeyChanged } from '../../../src-main/core/errors';
import type { HostRole } from '../../../src-main/core/profile/schema';
import { TUWUNEL_STOPPED_ALERT } from '../../../src-main/core/runbook/catalog';
import { MAINTENANCE_MODE_KEY } from '../../../src-main/core/runbook/maintenance';
import type { RunRecord } from '../../../src-main/core/runbook/run-record';
import type { Runbook, RunbookOptions } from '../../../src-main/core/runbook/runner';
import { StickyAlerts } from '../../../src-main/core/runbook/sticky-alerts';
import type { RunbookSettings } from '../../../src-main/core/runbook/types';
import { UPGRADE_ROLLBACK_ALERT } from '../../../src-main/core/runbook/upgrade-action';
import type { ExecOptions, ExecResult, RemoteExec } from '../../../src-main/core/ssh/types';
import type { LabHostRole, LabOptions } from '../../lab/types';
import { type Harness, startHarness } from '../runbook/harness';
import { liveProcessesOf } from '../ssh/lab-processes';

/**
 * The fault matrix of issue 7: every mutating action × a connection cut before, during and after its
 * main step, the main step exiting non-zero, hanging past its timeout, and the host key changing
 * between runs — against the lab (real sshd, sudo, ansible, git): one lab per test file, its rows run
 * one after the other, the lab reset before every cell. Each cell checks what the issue asks: the outcome
 * is true to the lab, finally steps ran, no unit is left stopped without a sticky alert, the audit line
 * matches the run; and nothing the run started is left running on either host.
 */

export const FAULTS = ['cut-before', 'cut-during', 'cut-after', 'exit', 'hang', 'host-key'] as const;
export type Fault = (typeof FAULTS)[number];

/** What a row's `prepare` hands back: how to tell, after the run, what the action did to the lab. */
export interface Effects {
  /** The main step's work is in the lab (e.g. the user is an admin, the units are stopped). */
  main(): Promise<boolean>;
  /** Everything the action promises on success; defaults to `main`. */
  complete?(): Promise<boolean>;
  /** What else the action promises of this cell's outcome (alerts, maintenance mode): the problems found. */
  check?(record: RunRecord, fault: Fault, alerts: StickyAlerts): Promise<string[]>;
}

export interface Row {
  action: string;
  params?: (cell: number) => Record<string, unknown>;
  /** Host and step id of the main step, and the glob the lab's fault switches match its command with. */
  host: LabHostRole;
  main: string;
  mainPattern: string;
  /**
   * Globs of the stand-in commands the run sends right before / right after the main step. Without one,
   * the link is cut between the two steps instead (the main step's command is the first or last the run sends).
   */
  before?: string;
  after?: string;
  /** The main step's failure: exit code, what the tool prints, and the part of it the run's sentence must carry. */
  exit: { code: number; stderr: string; says?: string };
  /** Short limits that make the hung main step time out. */
  hang: Partial<RunbookSettings>;
  /** Brings the lab to the state the action starts from; says how to read its effect afterwards. */
  prepare(h: Harness, cell: number): Promise<Effects>;
  runbook?: (h: Harness) => Partial<RunbookOptions>;
}

export interface CellResult {
  action: string;
  fault: Fault;
  /** null: refused before a run began (an apply's pre-flight look at vars.yml met the changed host key). */
  record: RunRecord | null;
  /** How the fault was made: a fault switch on a command, or the link cut between two steps. */
  how: string;
  effect: boolean;
  truthful: boolean;
  /** null: the action has no finally steps on this route. */
  finallyRan: boolean | null;
  unitsOk: boolean;
  auditOk: boolean;
  problems: string[];
}

/** ansible-core 2.14 when the playbook named on the command line is missing (AnsibleError: exit 1). */
export const ANSIBLE_FAILED = {
  code: 1,
  stderr: 'ERROR! the playbook: setup.yml could not be found\n',
  says: 'Ansible stopped with an error: the playbook: setup.yml could not be found',
};

export function varsPath(h: Harness): string {
  return join(h.profile.deploy.dir, h.profile.deploy.varsFile);
}

export function tuwunelToml(h: Harness): string {
  return join(h.lab.hosts.homeserver.dir, 'state', 'tuwunel', 'config', 'tuwunel.toml');
}

/** vars.yml with one more entry in the federation allowlist (a flow list, as the lab's vars.yml has it). */
export function addAllowedServer(vars: string, server: string): string {
  const key = 'matrix_tuwunel_config_allowed_remote_server_names: [';
  if (!vars.includes(key)) throw new Error('vars.yml has no flow-list allowlist');
  return vars.replace(key, `${key}'${server}', `);
}

/** Sticky alerts that say matrix-tuwunel is down: a run's own, or the upgrade's rollback that could not finish. */
const TUWUNEL_DOWN_ALERTS = [TUWUNEL_STOPPED_ALERT, UPGRADE_ROLLBACK_ALERT];

const STAND_IN_FOR_CUT: Record<LabHostRole, string> = { homeserver: 'systemctl is-active', deploy: 'git' };
let cuts = 0;

/**
 * Drops the SSH connection the pool holds to `host`, as a broken link would: a stand-in command with a
 * one-shot `cut` switch kills the sshd processes of the connection it runs in.
 */
export async function cutLink(h: Harness, host: LabHostRole): Promise<void> {
  cuts += 1;
  const command = `${STAND_IN_FOR_CUT[host]} reliability-cut-${cuts}`;
  h.lab.faults.cut(host, command, 1);
  const outcome = await h.pool.exec(host, command, { timeoutMs: 15_000, label: 'Cutting the link' }).then(
    (r) => new Error(`the link to the ${host} host was not cut (exit ${r.exitCode})`),
    (e: unknown) => e,
  );
  if (!(outcome instanceof ConnectionLost)) throw outcome;
}

/**
 * The SSH pool with a switch that cuts the link right before or right after the next command sent to a
 * host: for main steps whose command is the first (or last) the run sends, where no neighbouring command
 * can carry a fault switch. It only orders the cut; every command still goes through the real pool.
 */
class CutBetweenSteps implements RemoteExec {
  private armed: { host: HostRole; when: 'before' | 'after' } | null = null;

  constructor(private readonly h: Harness) {}

  arm(host: HostRole, when: 'before' | 'after'): void {
    this.armed = { host, when };
  }

  async exec(host: HostRole, command: string, options?: ExecOptions): Promise<ExecResult> {
    const armed = this.armed?.host === host ? this.armed : null;
    if (!armed) return this.h.pool.exec(host, command, options);
    this.armed = null;
    if (armed.when === 'before') {
      await cutLink(this.h, host);
      return this.h.pool.exec(host, command, options);
    }
    try {
      return await this.h.pool.exec(host, command, options);
    } finally {
      await cutLink(this.h, host);
    }
  }
}

async function unitStates(h: Harness): Promise<Map<string, boolean>> {
  const states = new Map<string, boolean>();
  for (const unit of h.profile.units) states.set(unit, await h.lab.state.unitActive(unit));
  return states;
}

/** Every profile unit active again, no maintenance window, no sticky alert, no fault switch. */
export async function resetStack(h: Harness, alerts: StickyAlerts): Promise<void> {
  h.lab.faults.clear();
  for (const unit of h.profile.units) await h.lab.state.setUnitActive(unit, true);
  for (const w of h.maintenance.list()) h.maintenance.leave(w.key);
  for (const a of alerts.list()) alerts.clear(a.id);
}

/** Both hosts' current keys pinned again after a host-key cell (the profile's known_hosts is the lab's). */
async function pinCurrentHostKeys(h: Harness): Promise<void> {
  await writeFile(
    h.lab.knownHostsPath,
    `${h.lab.hosts.homeserver.knownHostsLine}\n${h.lab.hosts.deploy.knownHostsLine}\n`,
  );
}

/** The invocation id systemd gives each start of a unit: a restart changes it. */
export async function invocationId(h: Harness, unit: string): Promise<string> {
  const r = await h.lab.hosts.homeserver.sh(`systemctl show -p InvocationID --value ${unit}`);
  return r.stdout.trim();
}

export async function setUserFlags(
  h: Harness,
  userId: string,
  flags: { admin: boolean; deactivated: boolean },
): Promise<void> {
  const file = join(h.lab.hosts.homeserver.dir, 'state', 'tuwunel', 'users');
  const lines = (await readFile(file, 'utf8')).split('\n').map((line) => {
    const [id] = line.split('\t');
    return id === userId ? `${userId}\t${flags.admin ? 1 : 0}\t${flags.deactivated ? 1 : 0}` : line;
  });
  await writeFile(file, lines.join('\n'));
}

function expectedFailure(
  fault: Fault,
  row: Row,
  record: RunRecord,
  how: string,
  sentToHost: number,
): string[] {
  const problems: string[] = [];
  const step = (id: string) => record.steps.find((s) => s.id === id && s.phase === 'main');
  const main = step(row.main);
  if (fault === 'cut-during' && main?.error?.code !== 'ConnectionLost')
    problems.push(`the main step should fail with ConnectionLost, not ${JSON.stringify(main?.error)}`);
  if (fault === 'exit' && (main?.state !== 'failed' || record.state !== 'failed'))
    problems.push(`an exit ${row.exit.code} of the main step should fail the run`);
  // The tool's own error is what tells the admin what to fix.
  const toolError = row.exit.says ?? row.exit.stderr.split('\n')[0] ?? '';
  if (fault === 'exit' && !record.sentence?.includes(toolError))
    problems.push(`the sentence does not carry the tool's error "${toolError}"`);
  if (fault === 'hang' && !(main?.error?.code === 'Timeout' || main?.exitCode === 124))
    problems.push(`the hung main step should time out, not ${JSON.stringify(main?.error)}`);
  if (fault === 'host-key') {
    const first = record.steps.find((s) => s.phase === 'main' && s.state === 'failed');
    if (first?.error?.code !== 'HostKeyChanged')
      problems.push(`the run should stop at HostKeyChanged, not ${JSON.stringify(first?.error)}`);
    if (sentToHost !== 0) problems.push(`${sentToHost} command(s) reached the host with the new key`);
  }
  if (fault === 'cut-before' && how.startsWith('switch')) {
    const cut = record.steps.findIndex((s) => s.error?.code === 'ConnectionLost');
    if (cut < 0 || cut >= record.steps.findIndex((s) => s.id === row.main))
      problems.push('the cut before the main step should fail the step before it');
  }
  return problems;
}

/** Processes of a run still alive on a host after it ended (a dropped connection's take a moment to exit). */
async function leftovers(hostDir: string): Promise<string[]> {
  for (let waited = 0; ; waited += 100) {
    const left = liveProcessesOf(hostDir).map((p) => p.command);
    if (left.length === 0 || waited >= 3_000) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs one cell: prepares the lab, arms the fault, runs the action, and checks what the issue asks. */
export async function runCell(
  h: Harness,
  row: Row,
  fault: Fault,
  cell: number,
  alerts: StickyAlerts,
): Promise<CellResult> {
  const effects = await row.prepare(h, cell);
  const seam = new CutBetweenSteps(h);
  const extra = row.runbook?.(h) ?? {};
  const rb: Runbook = h.runbook({
    ...extra,
    exec: seam,
    alerts,
    settings: { ...extra.settings, ...(fault === 'hang' ? row.hang : {}) },
  });
  let how = '';
  const arm = (when: 'before' | 'after') =>
    rb.events.on('step-started', (e) => {
      if (e.step.id === row.main && e.step.phase === 'main') seam.arm(row.host, when);
    });
  switch (fault) {
    case 'cut-before':
    case 'cut-after': {
      const when = fault === 'cut-before' ? 'before' : 'after';
      const neighbour = row[when];
      if (neighbour) {
        h.lab.faults.cut(row.host, neighbour, 1);
        how = `switch cut '${neighbour}'`;
      } else {
        arm(when);
        how = `link cut right ${when} the main step`;
      }
      break;
    }
    case 'cut-during':
      h.lab.faults.cut(row.host, row.mainPattern, 1);
      how = `switch cut '${row.mainPattern}'`;
      break;
    case 'exit':
      h.lab.faults.exit(row.host, row.mainPattern, row.exit.code, row.exit.stderr);
      how = `switch exit ${row.exit.code} '${row.mainPattern}'`;
      break;
    case 'hang':
      h.lab.faults.hang(row.host, row.mainPattern, 1);
      how = `switch hang '${row.mainPattern}' (${JSON.stringify(row.hang)})`;
      break;
    case 'host-key':
      await cutLink(h, row.host);
      await h.lab.hosts[row.host].rotateHostKey();
      how = `${row.host} host key rotated, link dropped`;
      break;
  }
  const unitsBefore = await unitStates(h);
  const logBefore = h.lab.hosts[row.host].execLog().length;

  let refusal: unknown = null;
  const run = await rb
    .start(row.action, row.params?.(cell) ?? {}, { confirmed: true })
    .catch((e: unknown) => {
      refusal = e;
      return null;
    });
  const record = run === null ? null : await run.done;
  h.lab.faults.clear();
  const sentToHost = h.lab.hosts[row.host].execLog().length - logBefore;
  if (fault === 'host-key') await pinCurrentHostKeys(h);
  if (record === null) return refusedCell(h, row, fault, how, refusal, effects, unitsBefore, sentToHost);

  const problems: string[] = expectedFailure(fault, row, record, how, sentToHost);
  if (effects.check) problems.push(...(await effects.check(record, fault, alerts)));
  const effect = await effects.main();
  const complete = effects.complete ? await effects.complete() : effect;
  const index = (id: string | null) => record.steps.findIndex((s) => s.id === id);
  const mainIndex = record.steps.findIndex((s) => s.id === row.main && s.phase === 'main');
  let truthful: boolean;
  if (record.state === 'ok') truthful = complete;
  else if (record.state === 'failed' && record.failingStep !== null)
    truthful = index(record.failingStep) <= mainIndex ? !effect : effect;
  else truthful = false;
  if (!truthful)
    problems.push(
      `the run says ${record.state} at ${record.failingStep}, but the main effect is ${effect ? 'there' : 'not there'}`,
    );
  // The run's sticky alert is part of its outcome: it must not claim a unit is down that is running.
  if (record.alert?.id === TUWUNEL_STOPPED_ALERT && (await h.lab.state.unitActive('matrix-tuwunel'))) {
    truthful = false;
    problems.push(`it raised "${record.alert.title}" while matrix-tuwunel is active`);
  }
  if (record.state !== 'ok' && !record.sentence?.includes('failed'))
    problems.push(`the sentence does not say it failed: ${record.sentence}`);

  const finallySteps = record.steps.filter((s) => s.phase === 'finally');
  const finallyRan =
    finallySteps.length === 0
      ? null
      : finallySteps.every((s) => (s.state === 'ok' || s.state === 'failed') && s.attempts >= 1);
  if (finallyRan === false)
    problems.push(
      `finally steps did not all run: ${finallySteps.map((s) => `${s.id}=${s.state}`).join(', ')}`,
    );

  const unitsAfter = await unitStates(h);
  const maintenanceOn = h.maintenance.get(MAINTENANCE_MODE_KEY) !== undefined;
  const stuck = [...unitsAfter]
    .filter(([, active]) => !active)
    .map(([unit]) => unit)
    .filter((unit) => {
      // Stopped on purpose: the maintenance stop keeps alerts quiet until the stack is started again.
      if (maintenanceOn && row.action === 'stack.stop') return false;
      if (unit === 'matrix-tuwunel' && alerts.list().some((a) => TUWUNEL_DOWN_ALERTS.includes(a.id)))
        return false;
      // Down before the run and maintenance mode off: the status alerts name it.
      if (!unitsBefore.get(unit) && !maintenanceOn) return false;
      return true;
    });
  const unitsOk = stuck.length === 0;
  if (!unitsOk) problems.push(`stopped without a sticky alert: ${stuck.join(', ')}`);

  const last = (await h.audit.read()).at(-1);
  const auditOk =
    last !== undefined &&
    last.runId === record.id &&
    last.action === record.actionId &&
    last.outcome === record.state &&
    last.failingStep === record.failingStep &&
    last.sentence === record.sentence &&
    last.durationMs === record.durationMs &&
    last.time === record.startedAt &&
    isDeepStrictEqual(last.params, record.params);
  if (!auditOk) problems.push(`audit line ${JSON.stringify(last)} does not match the run`);

  for (const role of ['homeserver', 'deploy'] as const) {
    const left = await leftovers(h.lab.hosts[role].dir);
    if (left.length > 0) problems.push(`left running on the ${role} host: ${left.join(' | ')}`);
  }
  return {
    action: row.action,
    fault,
    record,
    how,
    effect,
    truthful,
    finallyRan,
    unitsOk,
    auditOk,
    problems,
  };
}

/**
 * An action whose plan looks at a host first (an apply lints the vars.yml it would deploy) meets a changed
 * host key at that look: refused before any run begins. Only that is expected, and it must leave the lab as
 * it was: nothing reached the host, nothing changed, nothing left running.
 */
async function refusedCell(
  h: Harness,
  row: Row,
  fault: Fault,
  how: string,
  error: unknown,
  effects: Effects,
  unitsBefore: Map<string, boolean>,
  sentToHost: number,
): Promise<CellResult> {
  const problems: string[] = [];
  if (fault !== 'host-key' || !(error instanceof HostKeyChanged))
    problems.push(`refused before the run began: ${error instanceof Error ? error.message : String(error)}`);
  if (sentToHost !== 0) problems.push(`${sentToHost} command(s) reached the host with the new key`);
  const effect = await effects.main();
  if (effect) problems.push('refused, yet the main effect is there');
  const unitsOk = isDeepStrictEqual(await unitStates(h), unitsBefore);
  if (!unitsOk) problems.push('refused, yet a unit changed state');
  for (const role of ['homeserver', 'deploy'] as const) {
    const left = await leftovers(h.lab.hosts[role].dir);
    if (left.length > 0) problems.push(`left running on the ${role} host: ${left.join(' | ')}`);
  }
  return {
    action: row.action,
    fault,
    record: null,
    how,
    effect,
    truthful: !effect,
    finallyRan: null,
    unitsOk,
    // No run, so no run line: the refusal is the plan's.
    auditOk: true,
    problems,
  };
}

const mark = (v: boolean | null) => (v === null ? '–' : v ? '✓' : '✗');

/** `failed@execute f✓ u✓ a✓ t✓`: outcome, finally ran, units ok, audit ok, outcome true to the lab. */
export function cellText(c: CellResult): string {
  if (c.record === null) return `refused@plan u${mark(c.unitsOk)} t${mark(c.truthful)}`;
  const outcome = c.record.state === 'ok' ? 'ok' : `${c.record.state}@${c.record.failingStep ?? '?'}`;
  return `${outcome} f${mark(c.finallyRan)} u${mark(c.unitsOk)} a${mark(c.auditOk)} t${mark(c.truthful)}`;
}

/** The matrix as a table for the test output. */
function formatMatrix(title: string, rows: CellResult[][]): string {
  const header = ['action', ...FAULTS];
  const body = rows.map((cells) => [cells[0]?.action ?? '', ...cells.map(cellText)]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' │ ');
  const details = rows
    .flat()
    .map(
      (c) => `  ${c.action} × ${c.fault}: ${c.how} → ${c.record?.sentence ?? 'refused before the run began'}`,
    )
    .join('\n');
  return [
    `Fault matrix — ${title}`,
    line(header),
    widths.map((w) => '─'.repeat(w)).join('─┼─'),
    ...body.map(line),
    'outcome@failing step · f finally steps ran · u no unit stopped without a sticky alert · a audit line matches · t outcome true to the lab (– none on this route)',
    details,
  ].join('\n');
}

/**
 * A test file's matrix: one lab for the file (keytar keeps its first D-Bus connection, so one keyring
 * per process), one test per row running its six cells in order with the lab reset before each, and
 * the table printed once the file is done. `ready` runs once the lab is up, before the first row.
 */
export function describeMatrix(
  title: string,
  rows: Row[],
  options: { timeoutMs: number; ready?: (h: Harness) => Promise<void>; lab?: LabOptions },
): void {
  let h: Harness | undefined;
  const alerts = new StickyAlerts();
  const results: CellResult[][] = [];
  beforeAll(async () => {
    h = await startHarness({ playbookSeconds: 0, ...options.lab });
    await options.ready?.(h);
  });
  afterAll(async () => {
    if (results.length > 0) console.log(formatMatrix(title, results));
    await h?.stop();
  });
  describe(`fault matrix: ${title}`, () => {
    for (const row of rows) {
      it(
        `${row.action} × every fault`,
        async ({ signal }) => {
          const lab = h as Harness;
          const cells: CellResult[] = [];
          for (const [i, fault] of FAULTS.entries()) {
            // A row that timed out stops here: its next cells would hold the hosts under the next row.
            if (signal.aborted) return;
            await resetStack(lab, alerts);
            cells.push(await runCell(lab, row, fault, i, alerts));
          }
          results.push(cells);
          expect(cells.flatMap((c) => c.problems.map((p) => `${c.fault}: ${p}`))).toEqual([]);
        },
        options.timeoutMs,
      );
    }
  });
}
