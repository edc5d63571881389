import { isAtLeast } from './server-facts';

/**
 * The little of Tuwunel's admin grammar the app's guards need, per release, from the clap enums under
 * src/admin at each tag 1.7.0–1.9.0 (tests/unit/core/matrix/admin-grammar.test.ts checks it against the
 * grammar the lab generates from the same source). The server reads a command line as
 * src/service/admin/processor.rs `parse_line` does: split on whitespace, `help X` is `X --help`, `_` is `-` in
 * the first two words (and in the third after `query`), then clap resolves names and aliases exactly.
 */

/** The newest release whose grammar this table was checked against. */
export const LATEST_KNOWN_RELEASE = '1.9.0';

/** `#[clap(alias = …)]` of a subcommand: the same four at every release from 1.7.0 to 1.9.0. */
const ALIASES: Record<string, string> = {
  'appservices show': 'show-config',
  'users create': 'create-user',
  'users list': 'list-users',
  'server reload': 'reload-mods',
};

/**
 * Before 1.8.3 `rooms info` is a group (`list-joined-members`, `view-room-topic`, each taking a room ID); from
 * 1.8.3 it is one command `rooms info <room>` and `list-joined-members` moved up to `rooms list-joined-members`.
 */
export const ROOMS_INFO_COMMAND_SINCE = '1.8.3';

/** Commands that only answer `This command is temporarily disabled`, up to and including this release. */
const STUBS: Record<string, string> = {
  'federation incoming-federation': '1.9.0',
};

/** Commands that stop the homeserver. */
const OUTAGES: Record<string, string> = {
  'server shutdown': 'shuts the homeserver down',
  'server restart': 'restarts the homeserver',
};

export interface ResolvedCommand {
  /** The words after `!admin`, one space apart: what the app sends. */
  text: string;
  /** The command it reaches, by its canonical (lower-case) names, e.g. `rooms list`; '' for none. */
  path: string;
  /** clap prints the command's help and runs nothing. */
  helpOnly: boolean;
}

/** Reads a command line (with or without `!admin`) as the server will: which command it reaches. */
export function resolveAdminCommand(input: string, release: string): ResolvedCommand {
  let words = input
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words[0]?.toLowerCase() === '!admin') words = words.slice(1);
  const text = words.join(' ');
  let argv = words.map((w) => w.toLowerCase());
  let helpOnly = false;
  if (argv[0] === 'help') {
    argv = argv.slice(1);
    helpOnly = true;
  }
  const end = argv.indexOf('--');
  if ((end < 0 ? argv : argv.slice(0, end)).some((w) => w === '--help' || w === '-h')) helpOnly = true;
  argv = argv.map((w, i) => (i < 2 || (i === 2 && argv[0] === 'query') ? w.replaceAll('_', '-') : w));
  const [group = '', sub = '', third = ''] = argv;
  const name = ALIASES[`${group} ${sub}`] ?? sub;
  const infoGroup = group === 'rooms' && name === 'info' && !isAtLeast(release, ROOMS_INFO_COMMAND_SINCE);
  const path = [group, name, ...(infoGroup && third ? [third] : [])].filter((w) => w !== '').join(' ');
  return { text, path, helpOnly };
}

/** What to use instead of listing every room, naming only commands the release has. */
export function oneRoomAdvice(release: string): string {
  return isAtLeast(release, ROOMS_INFO_COMMAND_SINCE)
    ? 'Use "rooms info <room_id>" for one room, or "rooms exists <room_id>".'
    : `Use "rooms info view-room-topic <room_id>" or "rooms info list-joined-members <room_id>" for one room, or "rooms exists <room_id>" (Tuwunel ${release} has no single "rooms info <room_id>"; it came with ${ROOMS_INFO_COMMAND_SINCE}).`;
}

export interface AdminCommandCheck extends ResolvedCommand {
  /** Never sent, by any path: the reason and what to do instead. */
  refused?: { reason: string; nextStep: string };
  /** The command or its reply holds a registration token: only the invite commands may send it. */
  carriesToken?: { reason: string; nextStep: string };
  /** Stops the homeserver: needs the user's explicit confirmation. */
  outage?: string;
  /** A known stub: it is not sent, this sentence says why. */
  stub?: string;
}

const INVITE_NEXT_STEP =
  'Use the invites instead (the window’s Tokens panel, or the command line’s invite, invite list and invite revoke): they keep tokens out of the room and off the screen.';

/** Looks at an admin command before it is sent, as the server at `release` would read it. */
export function checkAdminCommand(input: string, release: string): AdminCommandCheck {
  const resolved = resolveAdminCommand(input, release);
  if (resolved.helpOnly) return resolved;
  const { path } = resolved;
  if (path === 'rooms list')
    return {
      ...resolved,
      refused: {
        reason:
          'Refusing to list all rooms ("rooms list"): the runbook saw it hang indefinitely on this deploy (a 6-minute outage before it was killed).',
        nextStep: oneRoomAdvice(release),
      },
    };
  if (path === 'token list')
    return {
      ...resolved,
      refused: {
        reason:
          'Refusing "token list": its reply shows the registration token from the configuration file (the vault’s) in plain text, and the admin room keeps it in its history on the server and on every admin’s devices.',
        nextStep: INVITE_NEXT_STEP,
      },
    };
  if (path === 'token issue' || path === 'token revoke')
    return {
      ...resolved,
      carriesToken: {
        reason: `Refusing "${path}" here: ${path === 'token issue' ? 'its reply holds the new registration token' : 'the command itself holds a registration token'}, which the admin room would keep in its history.`,
        nextStep: INVITE_NEXT_STEP,
      },
    };
  const outage = OUTAGES[path];
  if (outage)
    return {
      ...resolved,
      outage: `"${path}" ${outage}: Matrix is unavailable until it is back${path === 'server shutdown' ? ' (systemd starts it again, as the unit has Restart=always)' : ''}.`,
    };
  const stubUntil = STUBS[path];
  if (stubUntil && !isAtLeast(release, nextPatch(stubUntil)))
    return {
      ...resolved,
      stub: `"${path}" is disabled in Tuwunel ${release}: it only answers "This command is temporarily disabled" (as every release up to ${stubUntil} does), so it was not sent.`,
    };
  return resolved;
}

function nextPatch(version: string): string {
  const [major, minor, patch] = version.split('.').map(Number);
  return `${major}.${minor}.${(patch ?? 0) + 1}`;
}
