import { clearMute, setMute } from '../app/mutes';
import type { Core } from '../app/session';
import type { MuteTarget } from '../app/views/status-schema';
import { muteKey } from '../core/status/mutes';
import { MUTE_DURATIONS, type MuteDuration } from '../core/vocab';
import { parseArgs, UsageError } from './args';
import { EXIT } from './exit-codes';
import { type CliIo, cliName, printError } from './io';

/**
 * `mute server|unit NAME|check ID [--for 1h|8h|recovered]` and `unmute …`: the same mutes as the tray's,
 * the notification's and the dashboard's, kept in the data folder, so the running app and `status --watch`
 * keep those alerts quiet from their next poll. The check is looked at once first: "until it recovers" needs
 * to know what fails, and a check id must be one the server has.
 */

function targetArg(positional: string[], command: string, cli: string): MuteTarget {
  const [kind, name, ...extra] = positional;
  const usage = `give what to ${command}: ${cli} ${command} server | unit NAME | check ID`;
  if (extra.length > 0) throw new UsageError('target', usage);
  if (kind === 'server' && name === undefined) return { kind: 'server' };
  if (kind === 'unit' && name) return { kind: 'unit', unit: name };
  if (kind === 'check' && name) return { kind: 'check', checkId: name };
  throw new UsageError('target', usage);
}

function durationArg(value: string | undefined): MuteDuration {
  if (value === undefined) return '1h';
  const found = MUTE_DURATIONS.find((d) => d === value);
  if (!found)
    throw new UsageError('--for', `must be ${MUTE_DURATIONS.join(', ')}, not "${value.slice(0, 40)}"`);
  return found;
}

export async function muteCommand(args: string[], core: Core, io: CliIo): Promise<number> {
  try {
    const { positional, options } = parseArgs(args, { options: ['for'] });
    const target = targetArg(positional, 'mute', cliName(io));
    const duration = durationArg(options.get('for'));
    await core.scheduler.refreshNow();
    const mute = setMute(core, target, duration);
    const until = mute.until ? `until ${mute.until}` : 'until it recovers';
    io.stdout(
      `Alerts about ${mute.label} are muted ${until}: no desktop notification and no off-host alert, in every process of this profile. Its checks still show their level.\n`,
    );
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  }
}

export async function unmuteCommand(args: string[], core: Core, io: CliIo): Promise<number> {
  try {
    const { positional } = parseArgs(args, {});
    const key = muteKey(targetArg(positional, 'unmute', cliName(io)));
    const { cleared } = clearMute(core, key);
    io.stdout(cleared ? `Unmuted (${key}): its alerts are told again.\n` : `Nothing was muted as ${key}.\n`);
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  }
}
