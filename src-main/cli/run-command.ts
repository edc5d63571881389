import type { RunRecord } from '../core/runbook/run-record';
import type { Plan, Runbook } from '../core/runbook/runner';
import { paramPairs, parseArgs, UsageError } from './args';
import { EXIT } from './exit-codes';
import { type CliIo, cliName, confirm, printError } from './io';
import { narrateRun, stepLine } from './narrator';
import { cliNextStep } from './next-step';

/**
 * `run <id> [--param k=v]… [--yes] [--dry-run] [--json]`: one runbook action, its output streamed as
 * it comes. Actions with downtime need --yes or a confirmation on the terminal that names the effect;
 * without either nothing is sent. Exit 0 when the run succeeded, 1 otherwise, 130 when Ctrl-C cancelled it.
 */

export interface RunDeps {
  runbook: Pick<Runbook, 'plan' | 'start' | 'events'>;
}

const DANGER_TEXT = { safe: 'no downtime', disruptive: 'disruptive', outage: 'outage' } as const;
const ROUTE_TEXT = {
  'admin-api': 'the admin API',
  'admin-room': 'the admin room',
  cli: "Tuwunel's CLI (Tuwunel stopped)",
} as const;

/** The dry run: what the action would do, every command exactly as it would be sent (secrets masked). */
export function formatPlan(plan: Omit<Plan, 'action'> & { action: { id: string; title: string } }): string {
  const out: string[] = [`${plan.action.title} (${plan.action.id})`];
  const params = Object.entries(plan.params);
  if (params.length > 0) out.push(`Parameters: ${params.map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
  out.push(`Impact: ${DANGER_TEXT[plan.danger]}${plan.downtime ? ` — ${plan.downtime}` : ''}`);
  if (plan.route) out.push(`Route: ${ROUTE_TEXT[plan.route]}${plan.routeWhy ? ` — ${plan.routeWhy}` : ''}`);
  if (plan.locks.length > 0) out.push(`Locks: ${plan.locks.join(', ')}`);
  if (plan.danger !== 'safe') out.push(`Confirm: ${plan.confirm}`);
  const steps = (phase: 'main' | 'finally') => plan.steps.filter((s) => s.phase === phase);
  let n = 0;
  const list = (items: Plan['steps']) => {
    for (const s of items) {
      out.push(`  ${++n}. ${s.title}`);
      out.push(`     ${stepLine(s)}`);
      if (s.stdin) out.push(`     stdin: ${s.stdin}`);
    }
  };
  out.push('Steps:');
  list(steps('main'));
  if (steps('finally').length > 0) {
    out.push('Finally (always run, also after a failure or a cancel):');
    list(steps('finally'));
  }
  return `${out.join('\n')}\n`;
}

function planJson(plan: Plan) {
  // The confirmation is this process's, for its own start: no use to anyone reading the dry run.
  const { action, confirmation: _, ...rest } = plan;
  return { actionId: action.id, title: action.title, ...rest };
}

export async function runCommand(args: string[], deps: RunDeps, io: CliIo): Promise<number> {
  try {
    const { positional, flags, repeated } = parseArgs(args, {
      flags: ['yes', 'dry-run', 'json'],
      repeatable: ['param'],
    });
    const [actionId, extra] = positional;
    if (actionId === undefined)
      throw new UsageError('action', `give an action id (${cliName(io)} actions lists them)`);
    if (extra !== undefined)
      throw new UsageError(extra, 'is not an argument of run (parameters go as --param name=value)');
    const params = paramPairs(repeated.get('param') ?? []);
    const plan = await deps.runbook.plan(actionId, params);
    const json = flags.has('json');
    if (flags.has('dry-run')) {
      io.stdout(json ? `${JSON.stringify(planJson(plan))}\n` : formatPlan(plan));
      return EXIT.ok;
    }
    if (plan.danger !== 'safe' && !flags.has('yes')) {
      if (!io.stdin.isTTY) {
        io.stderr(`${plan.confirm}\nNot confirmed, nothing was done: run it again with --yes to go ahead.\n`);
        return EXIT.failed;
      }
      if (!(await confirm(io, `${plan.confirm}\nGo ahead?`))) {
        io.stderr('Nothing was done.\n');
        return io.stop?.aborted ? EXIT.interrupted : EXIT.failed;
      }
    }
    if (io.stop?.aborted) return EXIT.interrupted;
    return await execute(deps, plan, io, json);
  } catch (e) {
    return printError(io, e);
  }
}

async function execute(deps: RunDeps, plan: Plan, io: CliIo, json: boolean): Promise<number> {
  // --yes or the terminal's answer accepted this plan: its confirmation starts exactly it.
  const handle = await deps.runbook.start(plan.action.id, plan.params, { confirmation: plan.confirmation });
  const record = await narrateRun(deps.runbook, handle, io, { quiet: json });
  if (json) io.stdout(`${JSON.stringify(record)}\n`);
  else report(io, record);
  return runExitCode(record, io);
}

/** 0 for a run that succeeded, 130 for one Ctrl-C cancelled, else 1. */
export function runExitCode(record: Pick<RunRecord, 'state'>, io: Pick<CliIo, 'stop'>): number {
  if (record.state === 'ok') return EXIT.ok;
  return record.state === 'cancelled' && io.stop?.aborted ? EXIT.interrupted : EXIT.failed;
}

/** After the run's sentence: what to do about a failure, on stderr. */
function report(io: CliIo, record: RunRecord): void {
  if (record.state === 'ok') return;
  const failing = record.steps.find((s) => s.id === record.failingStep) ?? record.steps.find((s) => s.error);
  if (failing?.error) io.stderr(`${cliNextStep(failing.error, cliName(io))}\n`);
  if (record.alert) io.stderr(`${record.alert.title}: ${record.alert.message}\n`);
}
