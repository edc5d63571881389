/**
 * Tuwunel admin commands the runbook sends, and how their replies read. The same command text works
 * in the admin room (prefixed `!admin `) and with the CLI's `--execute` (without the prefix); the
 * reply texts are Tuwunel's (src/admin/user/commands.rs), errors start with COMMAND_FAILED.
 */

import { MASK } from '../lib/mask';

export const ADMIN_PREFIX = '!admin';
export const COMMAND_FAILED = 'Command failed with error:';

/** The command that ends Tuwunel's one-off CLI container after the others ran (docs/maintenance.md). */
export const SHUTDOWN_COMMAND = 'server shutdown';

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

/**
 * Tuwunel's replies that carry registration tokens, with the token masked: ``New registration token issued:
 * `TOKEN` - …`` (token issue) and ``- `TOKEN` --- …`` (token list, src/admin/token at 1.7.0–1.9.0). Whoever
 * sent the command, these lines never reach a screen, a log or the audit trail with the token in them.
 */
export function maskTokenReplies(text: string): string {
  // Both replies quote the token in backticks: most texts (every planned command, most output) have none.
  if (!text.includes('`')) return text;
  return text
    .replace(/(New registration token issued: `)[^`]+(`)/g, `$1${MASK}$2`)
    .replace(/^(\s*- `)[^`]+(` --- )/gm, `$1${MASK}$2`);
}
