/**
 * Tuwunel admin commands the runbook sends, and how their replies read. The same command text works
 * in the admin room (prefixed `!admin `) and with the CLI's `--execute` (without the prefix); the
 * reply texts are Tuwunel's (src/admin/user/commands.rs), errors start with COMMAND_FAILED.
 */

export const ADMIN_PREFIX = '!admin';
export const COMMAND_FAILED = 'Command failed with error:';

export function makeUserAdminCommand(userId: string): string {
  return `users make-user-admin ${userId}`;
}

export function deactivateUserCommand(userId: string, leaveRooms: boolean): string {
  return `users deactivate ${leaveRooms ? '' : '--no-leave-rooms '}${userId}`;
}

export type ReplyVerdict = { ok: true; line: string } | { ok: false; line: string };

/** Terminal colour sequences (ESC [ … letter), should a tool force colours through a pipe. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

/** Tuwunel's reply as plain lines: no terminal colours, no Markdown emphasis around the user ID. */
function lines(text: string): string[] {
  return text
    .replace(ANSI, '')
    .split(/\r?\n/)
    .map((l) => l.replace(/[`*]/g, '').trim())
    .filter((l) => l !== '');
}

/**
 * The line that says the command failed: Tuwunel's `Command failed with error:` (its detail is on the
 * next lines, in a code block), a clap usage error (`error: …`, sent as a plain notice) or a panic.
 */
function failureLine(all: string[]): string | null {
  const at = all.findIndex((l) => l.includes(COMMAND_FAILED) || /^error: /.test(l) || l.startsWith(PANIC));
  if (at < 0) return null;
  const line = all[at] as string;
  const head = line.includes(COMMAND_FAILED) ? line.slice(line.indexOf(COMMAND_FAILED)) : line;
  const detail = all.slice(at + 1).find((l) => l !== '' && !/^(Usage:|For more information)/.test(l));
  return head.endsWith(':') && detail ? `${head} ${detail}` : head;
}

const PANIC = 'Panic occurred while processing command:';

function verdict(text: string, success: string): ReplyVerdict {
  const all = lines(text);
  const failed = failureLine(all);
  if (failed) return { ok: false, line: failed };
  const good = all.find((l) => l.includes(success));
  if (good) return { ok: true, line: success };
  return { ok: false, line: all.at(-1) ?? 'Tuwunel gave no reply.' };
}

/**
 * `@u:s has been granted admin privileges.` Tuwunel before 1.8.0 refuses a user who already is an
 * admin ("User is already joined in the admin room"): what was asked for is already true.
 */
export function readMakeUserAdminReply(text: string, userId: string): ReplyVerdict {
  const v = verdict(text, `${userId} has been granted admin privileges.`);
  if (!v.ok && v.line.includes('User is already joined in the admin room')) {
    return {
      ok: true,
      line: `${userId} already is a server admin (Tuwunel: User is already joined in the admin room).`,
    };
  }
  return v;
}

/** `User @u:s has been deactivated` */
export function readDeactivateReply(text: string, userId: string): ReplyVerdict {
  return verdict(text, `User ${userId} has been deactivated`);
}

/** A generic reply: failed when Tuwunel says the command failed. */
export function readAnyReply(text: string): ReplyVerdict {
  const all = lines(text);
  const failed = failureLine(all);
  return failed ? { ok: false, line: failed } : { ok: true, line: all[0] ?? '' };
}

export interface AdminCommandCheck {
  /** The command without the `!admin` prefix, words separated by single spaces. */
  command: string;
  /** Set when the command must not be sent at all. */
  refused?: { reason: string; nextStep: string };
  /** Set when the command takes the server down and needs the user's explicit confirmation. */
  outage?: string;
}

/**
 * Looks at an admin command before it is sent. `rooms list` is refused (the runbook saw it hang for
 * six minutes); `server shutdown` / `server restart` stop the homeserver, so they need confirmation.
 */
export function checkAdminCommand(input: string): AdminCommandCheck {
  let text = input.trim();
  if (text.toLowerCase().startsWith(ADMIN_PREFIX)) text = text.slice(ADMIN_PREFIX.length).trim();
  const words = text.split(/\s+/).filter((w) => w !== '');
  const command = words.join(' ');
  const [group, sub] = words.map((w) => w.toLowerCase());
  if (group === 'rooms' && sub === 'list') {
    return {
      command,
      refused: {
        reason:
          'Refusing "rooms list": the runbook saw it hang indefinitely on this deploy (a 6-minute outage before it was killed).',
        nextStep: 'Use "rooms info <room_id>" for a specific room, or "rooms exists <room_id>".',
      },
    };
  }
  if (group === 'server' && (sub === 'shutdown' || sub === 'restart')) {
    return {
      command,
      outage: `"server ${sub}" ${sub === 'shutdown' ? 'shuts the homeserver down' : 'restarts the homeserver'}: Matrix is unavailable until it is back${sub === 'shutdown' ? ' (systemd restarts it, as the unit has Restart=always)' : ''}.`,
    };
  }
  return { command };
}
