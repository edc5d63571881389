import { InvalidInput } from '../core/errors';
import type { RunRecord } from '../core/runbook/run-record';
import type { Plan, Runbook } from '../core/runbook/runner';
import { paramPairs, parseArgs } from './args';
import { EXIT, isHostKeyProblem } from './exit-codes';
import { CLI_NAME, type CliIo, confirm, printError } from './io';
import { narrateRun, stepLine } from './narrator';

/**
 * `run <id> [--param k=v]… [--yes] [--dry-run] [--json]`: one runbook action, its output streamed as
 * it comes. Actions with downtime need --yes or a confirmation on the terminal that names the effect;
 * without either nothing is sent. Exit 0 when the run succeeded, 1 otherwise.
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
  const { action, ...rest } = plan;
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
      throw new InvalidInput('action', `give an action id (${CLI_NAME} actions lists them)`);
    if (extra !== undefined)
      throw new InvalidInput(extra, 'is not an argument of run (parameters go as --param name=value)');
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
        return EXIT.failed;
      }
    }
    if (io.stop?.aborted) return EXIT.failed;
    return await execute(deps, plan, io, json);
  } catch (e) {
    return printError(io, e);
  }
}

async function execute(deps: RunDeps, plan: Plan, io: CliIo, json: boolean): Promise<number> {
  const handle = await deps.runbook.start(plan.action.id, plan.params, { confirmed: true });
  const record = await narrateRun(deps.runbook, handle, io, { quiet: json });
  if (json) io.stdout(`${JSON.stringify(record)}\n`);
  else report(io, record);
  return record.state === 'ok' ? EXIT.ok : EXIT.failed;
}

/** After the run's sentence: what to do about a failure, on stderr. */
function report(io: CliIo, record: RunRecord): void {
  if (record.state === 'ok') return;
  const failing = record.steps.find((s) => s.id === record.failingStep) ?? record.steps.find((s) => s.error);
  const error = failing?.error;
  if (error) {
    io.stderr(`${error.nextStep}\n`);
    if (isHostKeyProblem(error.code) && failing?.host)
      io.stderr(`See the key and trust it with: ${CLI_NAME} hostkey trust ${failing.host}\n`);
  }
  if (record.alert) io.stderr(`${record.alert.title}: ${record.alert.message}\n`);
}
