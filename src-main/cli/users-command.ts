import { InvalidInput } from '../core/errors';
import {
  type DeviceInfo,
  generatePassword,
  localUser,
  type PeopleClient,
  typedPassword,
  type UserSummary,
} from '../core/matrix/people';
import type { Profile } from '../core/profile/schema';
import { parseArgs } from './args';
import type { ClearJob } from './clear-later';
import { type CliClipboard, createCliClipboard } from './cli-clipboard';
import { copySecret } from './copy-secret';
import { EXIT } from './exit-codes';
import { type CliIo, confirm, printError } from './io';
import { readAll, readHidden } from './secret-input';

/**
 * `users …` and `notice send`: the family admin's tasks on people from the command line. A new password goes
 * to the clipboard (cleared like the registration token), never to stdout or stderr; a typed one is read
 * without echo; the notice text comes on stdin.
 */

export interface UsersCliDeps {
  profile: Profile;
  people: PeopleClient;
  clipboard?: () => Promise<CliClipboard>;
  clearDelaySeconds?: number | null;
  scheduleClear?: (job: ClearJob) => void;
  now?: () => number;
}

/** Up to this many users, `users list` counts each one's devices (one request per user through the admin API). */
const COUNT_DEVICES_UP_TO = 200;

export const USERS_CLI_HELP = `People (local users of the homeserver; admin API from Tuwunel 1.8.1, else the admin room):
  users list [--search S] [--json]   who is on the server: display name, admin, deactivated, last
                                     active, devices (what the route can tell)
  users show <user> [--json]         one user, with their devices where the admin API serves them
  users devices <user> [--json]      a user's devices with when and where they were last seen
  users sign-out <user> (<device>|--all) [--yes]
                                     sign a lost device out (its access token stops working)
  users reset-password <user> [--sign-out] [--type] [--yes]
                                     set a new password (generated, or --type it without echo) and
                                     copy it; it is never printed. Admin API only: the admin room's
                                     reply would keep the password in the room's history
  users deactivate <user> [--keep-rooms] [--erase] [--yes]
                                     deactivate (leaves every room unless --keep-rooms; --erase from 1.8.1)
  users make-admin <user> [--yes] | users remove-admin <user> [--yes]
  notice send [--yes]                a server notice to every local user, text on stdin (Tuwunel 1.8.2 on)
`;

function when(ms: number | null): string {
  if (ms === null) return 'never';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d{2}\.\d{3}Z$/, ' UTC');
}

function yesNo(v: boolean | null): string {
  return v === null ? '?' : v ? 'yes' : 'no';
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function userRows(users: UserSummary[]): string {
  return table([
    ['USER', 'NAME', 'ADMIN', 'DEACTIVATED', 'LAST ACTIVE', 'DEVICES'],
    ...users.map((u) => [
      u.userId,
      u.displayName ?? '',
      yesNo(u.admin),
      yesNo(u.deactivated),
      when(u.lastActiveAt),
      u.deviceCount === null ? '?' : String(u.deviceCount),
    ]),
  ]);
}

function deviceRows(devices: DeviceInfo[]): string {
  if (devices.length === 0) return 'No devices.';
  return table([
    ['DEVICE', 'NAME', 'LAST SEEN', 'FROM'],
    ...devices.map((d) => [d.deviceId, d.displayName ?? '', when(d.lastSeenAt), d.lastSeenIp ?? '']),
  ]);
}

function oneUser(positional: string[], command: string, profile: Profile): string {
  if (positional.length !== 1) throw new InvalidInput(command, 'takes one user (@name:server or name)');
  return localUser(positional[0] as string, profile.serverName);
}

/** The user's yes: --yes, or asked on a terminal; null when neither (nothing is done). */
async function confirmed(io: CliIo, yes: boolean, question: string): Promise<boolean | null> {
  if (yes) return true;
  if (!io.stdin.isTTY) return null;
  return confirm(io, question);
}

function notConfirmed(io: CliIo, answer: boolean | null): number {
  io.stderr(
    answer === null
      ? 'Not confirmed, nothing was changed: run it again with --yes to go ahead (there is no terminal to ask on).\n'
      : 'Nothing was changed.\n',
  );
  return io.stop?.aborted ? EXIT.interrupted : EXIT.failed;
}

async function typedTwice(io: CliIo): Promise<string> {
  if (!io.stdin.isTTY) {
    const raw = await readAll(io.stdin);
    const text = raw.toString('utf8').replace(/\r?\n$/, '');
    raw.fill(0);
    return typedPassword(text);
  }
  const first = await readHidden(io, 'New password (not shown): ', 'the new password');
  const second = await readHidden(io, 'Again (not shown): ', 'the new password');
  try {
    if (!first.equals(second))
      throw new InvalidInput('password', 'the two entries differ; nothing was changed');
    return typedPassword(first.toString('utf8'));
  } finally {
    first.fill(0);
    second.fill(0);
  }
}

export async function usersCommand(args: string[], deps: UsersCliDeps, io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'list': {
        const a = parseArgs(rest, { flags: ['json'], options: ['search'] });
        if (a.positional.length > 0) throw new InvalidInput('users list', 'takes no arguments');
        const users: UserSummary[] = [];
        let note: string | null = null;
        const search = a.options.get('search') ?? '';
        // Device counts cost a request per user: counted for a family-sized answer, not for a big server (the
        // admin room has none to give, and is not asked twice).
        const viaApi = (await deps.people.route()).route === 'admin-api';
        const total = viaApi
          ? (await deps.people.listUsers({ from: 0, limit: 1, search, devices: false })).total
          : 0;
        const devices = viaApi && total <= COUNT_DEVICES_UP_TO;
        for (let from: number | null = 0; from !== null; ) {
          const page = await deps.people.listUsers({ from, limit: 1000, search, devices });
          users.push(...page.users);
          note = page.note;
          from = page.nextFrom;
        }
        if (viaApi && !devices)
          note = `${note ? `${note} ` : ''}Devices are counted for up to ${COUNT_DEVICES_UP_TO} users; see one with users devices <user>.`;
        if (a.flags.has('json')) io.stdout(`${JSON.stringify({ users, note })}\n`);
        else
          io.stdout(
            `${userRows(users)}\n${users.length} user${users.length === 1 ? '' : 's'}.${note ? ` ${note}` : ''}\n`,
          );
        return EXIT.ok;
      }
      case 'show': {
        const a = parseArgs(rest, { flags: ['json'] });
        const user = await deps.people.showUser(oneUser(a.positional, 'users show', deps.profile));
        if (a.flags.has('json')) io.stdout(`${JSON.stringify(user)}\n`);
        else
          io.stdout(
            `${userRows([user])}\n${user.devices ? deviceRows(user.devices) : 'Devices: not listed through the admin room (they need the admin API, Tuwunel 1.8.1 on).'}\n`,
          );
        return EXIT.ok;
      }
      case 'devices': {
        const a = parseArgs(rest, { flags: ['json'] });
        const devices = await deps.people.devices(oneUser(a.positional, 'users devices', deps.profile));
        io.stdout(a.flags.has('json') ? `${JSON.stringify({ devices })}\n` : `${deviceRows(devices)}\n`);
        return EXIT.ok;
      }
      case 'sign-out': {
        const a = parseArgs(rest, { flags: ['all', 'yes'] });
        const [who, device, ...extra] = a.positional;
        if (who === undefined || extra.length > 0 || (device === undefined) === !a.flags.has('all'))
          throw new InvalidInput('users sign-out', 'takes a user and either one device ID or --all');
        const userId = localUser(who, deps.profile.serverName);
        const answer = await confirmed(
          io,
          a.flags.has('yes'),
          device ? `Sign ${userId} out of the device ${device}?` : `Sign ${userId} out of every device?`,
        );
        if (!answer) return notConfirmed(io, answer);
        const r = await deps.people.signOut(userId, device ? { deviceId: device } : { all: true });
        io.stdout(
          `Signed ${userId} out of ${r.removed.length} device${r.removed.length === 1 ? '' : 's'}${r.removed.length > 0 ? ` (${r.removed.join(', ')})` : ''}.\n`,
        );
        return EXIT.ok;
      }
      case 'deactivate': {
        const a = parseArgs(rest, { flags: ['keep-rooms', 'erase', 'yes'] });
        const userId = oneUser(a.positional, 'users deactivate', deps.profile);
        const leaveRooms = !a.flags.has('keep-rooms');
        const erase = a.flags.has('erase');
        const answer = await confirmed(
          io,
          a.flags.has('yes'),
          `Deactivate ${userId}${leaveRooms ? ' (they leave every room)' : ''}${erase ? ' and erase their data' : ''}? This cannot be undone from the app.`,
        );
        if (!answer) return notConfirmed(io, answer);
        await deps.people.deactivate(userId, { leaveRooms, erase });
        io.stdout(`Deactivated ${userId}.\n`);
        return EXIT.ok;
      }
      case 'make-admin':
      case 'remove-admin': {
        const a = parseArgs(rest, { flags: ['yes'] });
        const userId = oneUser(a.positional, `users ${sub}`, deps.profile);
        const admin = sub === 'make-admin';
        const answer = await confirmed(
          io,
          a.flags.has('yes'),
          admin ? `Make ${userId} a server admin?` : `Remove ${userId}'s admin rights?`,
        );
        if (!answer) return notConfirmed(io, answer);
        await deps.people.setAdmin(userId, admin);
        io.stdout(admin ? `${userId} is a server admin.\n` : `${userId} is no longer a server admin.\n`);
        return EXIT.ok;
      }
      case 'reset-password': {
        const a = parseArgs(rest, { flags: ['sign-out', 'type', 'yes'] });
        const userId = oneUser(a.positional, 'users reset-password', deps.profile);
        const signOut = a.flags.has('sign-out');
        // The clipboard first: without one, the new password would have nowhere to go but the screen.
        const clipboard = await (deps.clipboard ?? createCliClipboard)();
        const password = a.flags.has('type') ? await typedTwice(io) : generatePassword();
        const answer = await confirmed(
          io,
          a.flags.has('yes'),
          `Set a new password for ${userId}${signOut ? ' and sign out all their devices' : ''}?`,
        );
        if (!answer) return notConfirmed(io, answer);
        await deps.people.resetPassword(userId, password, { signOut });
        const note = await copySecret(
          {
            clearDelaySeconds: deps.clearDelaySeconds,
            ...(deps.scheduleClear ? { scheduleClear: deps.scheduleClear } : {}),
            ...(deps.now ? { now: deps.now } : {}),
          },
          clipboard,
          password,
          'password',
        );
        io.stdout(
          `Set a new password for ${userId}${signOut ? ' and signed out their devices' : ''}. ${note}\nGive it to them in person or by phone; they can change it in their client.\n`,
        );
        return EXIT.ok;
      }
      default:
        throw new InvalidInput(
          `users ${sub ?? ''}`.trim(),
          'is not a users command (list, show, devices, sign-out, reset-password, deactivate, make-admin, remove-admin)',
        );
    }
  } catch (e) {
    return printError(io, e);
  }
}

/** `notice send [--yes]`: the text on stdin, to every local user. */
export async function noticeCommand(args: string[], deps: UsersCliDeps, io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub !== 'send')
      throw new InvalidInput(`notice ${sub ?? ''}`.trim(), 'is not a notice command (send)');
    const a = parseArgs(rest, { flags: ['yes'] });
    if (a.positional.length > 0)
      throw new InvalidInput('notice send', 'takes the text on stdin, not as arguments');
    if (io.stdin.isTTY) io.stderr('Type the notice, then Ctrl-D on a line of its own:\n');
    const text = (await readAll(io.stdin)).toString('utf8');
    if (!a.flags.has('yes'))
      throw new InvalidInput('notice send', 'sends to every local user: add --yes to send it');
    const r = await deps.people.sendNotice(text);
    io.stdout(`Sent the notice to ${r.sent.length} user${r.sent.length === 1 ? '' : 's'}.\n`);
    for (const f of r.failed) io.stderr(`Not sent to ${f.userId}: ${f.reason}\n`);
    return r.failed.length > 0 ? EXIT.failed : EXIT.ok;
  } catch (e) {
    return printError(io, e);
  }
}
