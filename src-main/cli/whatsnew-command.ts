import type { VersionReading, WhatsNewView } from '../app/views/whats-new-schema';
import { releaseNotesBetween, type WhatsNewDeps, whatsNew } from '../app/whats-new';
import { parseArgs, UsageError } from './args';
import { EXIT } from './exit-codes';
import { type CliIo, cliName, printError } from './io';

export const whatsNewHelp = (cli: string): string => `Usage: ${cli} whatsnew [--from V --to V] [--json]

The Tuwunel release the pulled playbook offers (roles/custom/matrix-tuwunel/defaults/main.yml on the deploy
host) beside the pin in vars.yml and the version the server runs, and the operator notes of every release
between (migrations, breaking changes, security fixes, removed and new options, the database and backups),
from the table this app ships: nothing is fetched from the internet.
  --from V --to V   only the notes of that range (e.g. --from 1.7.0 --to 1.9.0); nothing is read from the server
  --json            the view as JSON
`;

function reading(label: string, r: VersionReading | null): string | null {
  if (!r) return null;
  return r.version
    ? `  ${label.padEnd(8)} ${r.version}  (${r.source})`
    : `  ${label.padEnd(8)} ?  ${r.problem} (${r.source})`;
}

export function formatWhatsNew(view: WhatsNewView): string {
  const lines: string[] = [];
  const versions = [
    reading('running', view.running),
    reading('pinned', view.pinned),
    reading('offered', view.offered),
  ].filter((l): l is string => l !== null);
  if (versions.length > 0) lines.push('Tuwunel', ...versions, '');
  lines.push(view.summary);
  const width = Math.max(0, ...view.releases.flatMap((r) => r.notes.map((n) => n.kind.length)));
  for (const r of view.releases) {
    lines.push('', `${r.version} (${r.date})  ${r.source}`);
    for (const n of r.notes) {
      const refs = n.refs.length > 0 ? ` [${n.refs.join(', ')}]` : '';
      lines.push(`  ${n.kind.padEnd(width)}  ${n.text}${refs}${n.source ? ` (${n.source})` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function whatsNewCommand(
  args: string[],
  deps: Omit<WhatsNewDeps, 'signal'>,
  io: CliIo,
): Promise<number> {
  try {
    const { positional, flags, options } = parseArgs(args, {
      flags: ['json', 'help'],
      options: ['from', 'to'],
    });
    if (flags.has('help')) {
      io.stdout(whatsNewHelp(cliName(io)));
      return EXIT.ok;
    }
    if (positional[0] !== undefined) throw new UsageError(positional[0], 'is not an argument of whatsnew');
    const from = options.get('from');
    const to = options.get('to');
    if ((from === undefined) !== (to === undefined))
      throw new UsageError(
        from === undefined ? '--from' : '--to',
        'goes with the other: give both --from and --to',
      );
    const view =
      from !== undefined && to !== undefined
        ? releaseNotesBetween(from, to)
        : await whatsNew({ ...deps, ...(io.stop ? { signal: io.stop } : {}) });
    io.stdout(flags.has('json') ? `${JSON.stringify(view)}\n` : formatWhatsNew(view));
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  }
}
