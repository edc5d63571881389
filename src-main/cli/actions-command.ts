import type { ActionInfo, Runbook } from '../core/runbook/runner';
import { parseArgs, UsageError } from './args';
import { EXIT } from './exit-codes';
import { type CliIo, cliName, printError } from './io';

interface JsonSchemaObject {
  properties?: Record<string, { default?: unknown }>;
  required?: string[];
}

/** `user=…` for a required parameter, `[leaveRooms=true]` for one with a default. */
export function paramsText(info: Pick<ActionInfo, 'params'>): string {
  const schema = info.params as JsonSchemaObject;
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {})
    .map(([name, p]) =>
      required.has(name)
        ? `${name}=…`
        : `[${name}${p.default === undefined ? '=…' : `=${String(p.default)}`}]`,
    )
    .join(' ');
}

/** The catalog grouped as the window shows it: id, title, parameters. */
export function formatActions(actions: ActionInfo[], cli: string): string {
  const idWidth = Math.max(...actions.map((a) => a.id.length));
  const titleWidth = Math.max(...actions.map((a) => a.title.length + (a.readOnly ? 12 : 0)));
  const groups = [...new Set(actions.map((a) => a.group))];
  const lines: string[] = [];
  for (const group of groups) {
    lines.push(group);
    for (const a of actions.filter((x) => x.group === group)) {
      const title = `${a.title}${a.readOnly ? ' (read-only)' : ''}`;
      lines.push(`  ${a.id.padEnd(idWidth)}  ${title.padEnd(titleWidth)}  ${paramsText(a)}`.trimEnd());
    }
  }
  return `${lines.join('\n')}\n\nParameters are passed as --param name=value. See what an action would do: ${cli} run <id> --dry-run\n`;
}

export async function actionsCommand(
  args: string[],
  deps: { runbook: Pick<Runbook, 'actions'> },
  io: CliIo,
): Promise<number> {
  try {
    const { positional, flags } = parseArgs(args, { flags: ['json'] });
    if (positional[0] !== undefined) throw new UsageError(positional[0], 'is not an argument of actions');
    const actions = deps.runbook.actions();
    io.stdout(flags.has('json') ? `${JSON.stringify(actions)}\n` : formatActions(actions, cliName(io)));
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  }
}
