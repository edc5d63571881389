import { Cancelled, InvalidInput } from '../core/errors';
import {
  InviteClient,
  InviteNotFound,
  type InviteToken,
  parseDuration,
  tokenHint,
} from '../core/matrix/invites';
import { joiningInstructions } from '../core/matrix/joining-instructions';
import { roomRef } from '../core/matrix/room-invite';
import type { Profile } from '../core/profile/schema';
import type { SecretStore } from '../core/secrets/types';
import { parseArgs, UsageError } from './args';
import { createCliClipboard } from './cli-clipboard';
import { type ClipboardDeps, copySecret } from './copy-secret';
import { EXIT } from './exit-codes';
import { INVITE_ID_PATTERN, inviteId, inviteIdKey } from './invite-ids';
import { type CliIo, cliName, printError, unlessStopped } from './io';

/**
 * `invite [--uses N] [--expires 7d] [--invite-to ROOM]`, `invite list`, `invite revoke ID|HINT`, `invite instructions`. An
 * issued token goes to the clipboard, never to the terminal; an invite is revoked by the id or the hint that
 * `invite list` shows, never by the token itself (a command line stays in `ps` and the shell history).
 */

export interface InviteCliDeps extends ClipboardDeps {
  profile: Profile;
  secrets: SecretStore;
  /** The data folder, which keeps the key of the invite ids (invite-ids.ts). */
  dataDir: string;
  invites?: InviteClient;
}

function dateTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d{2}\.\d{3}Z$/, ' UTC');
}

function usesText(uses: number | null, completed: number | null): string {
  // Tuwunel before 1.8.1 does not say how often a token was used (the app lists what it issued).
  if (completed === null) return uses === null ? 'unlimited' : `up to ${uses} ${uses === 1 ? 'use' : 'uses'}`;
  return uses === null ? `${completed} used, unlimited` : `${completed} of ${uses} used`;
}

/** Digits only: Number() would read 0x10 as 16, 1e2 as 100 and '' as 0. */
function usesOption(text: string): number {
  const uses = /^\d+$/.test(text) ? Number(text) : 0;
  if (uses < 1 || uses > 1000) throw new InvalidInput('--uses', 'must be a whole number from 1 to 1000');
  return uses;
}

/** Checked before anything is issued; empty is a mistake, not "never expires" (that is leaving it out). */
function expiresOption(text: string): string {
  if (text.trim() === '')
    throw new InvalidInput(
      '--expires',
      'needs a duration like 7d, 12h, 30m or 1h30m (leave the option out for an invite that never expires)',
    );
  parseDuration(text);
  return text;
}

const client = (deps: InviteCliDeps) =>
  deps.invites ?? new InviteClient({ profile: deps.profile, secrets: deps.secrets });

interface Listed {
  id: string;
  hint: string;
  token: InviteToken;
}

async function listed(deps: InviteCliDeps, io: CliIo): Promise<Listed[]> {
  const key = await inviteIdKey(deps.dataDir);
  return (await unlessStopped(io, 'Listing the invites', client(deps).list())).map((token) => ({
    id: inviteId(key, token.token),
    hint: tokenHint(token.token),
    token,
  }));
}

/** The app's invites that ended (used by whom, expired, revoked), after following the open ones. */
async function printEnded(deps: InviteCliDeps, io: CliIo): Promise<void> {
  const ended = (await client(deps).history()).filter((e) => e.state !== 'pending');
  if (ended.length === 0) return;
  io.stdout('Ended invites:\n');
  for (const e of ended) {
    const who = e.joined.length > 0 ? ` by ${e.joined.join(', ')}` : '';
    const room =
      e.inviteProblem !== null
        ? `; not invited to ${e.inviteTo}: ${e.inviteProblem}`
        : e.invitedTo !== null
          ? `; invited to ${e.invitedTo}`
          : '';
    io.stdout(
      `${e.hint.padEnd(5)}  ${e.state}${who}${e.endedAt === null ? '' : ` (${dateTime(e.endedAt)})`}${room}\n`,
    );
  }
}

async function list(deps: InviteCliDeps, io: CliIo): Promise<number> {
  // An invite used or expired since the last look shows as ended, not as open; a failed look changes
  // nothing, Ctrl-C stops waiting for it.
  await unlessStopped(
    io,
    'Following the invites',
    client(deps)
      .follow()
      .catch(() => []),
  );
  const invites = await listed(deps, io);
  if (invites.length === 0) {
    // Without the admin API the list is the app's record, not the server's tokens: say which was empty.
    const { route } = await client(deps).route();
    io.stdout(
      route === 'admin-api'
        ? 'No registration tokens are valid on the server.\n'
        : 'No invite this app issued is open. (Without the admin API the app lists only the invites it issued.)\n',
    );
    await printEnded(deps, io);
    return EXIT.ok;
  }
  const rows = invites.map(({ id, hint, token: t }) => [
    id,
    hint,
    usesText(t.usesAllowed, t.completed),
    `${t.expiresAt === null ? 'never expires' : `expires ${dateTime(t.expiresAt)}`}${t.source === 'config' ? ' (the configured registration token)' : ''}`,
  ]);
  const widths = [8, 5, Math.max(...rows.map((r) => (r[2] as string).length))];
  for (const row of rows)
    io.stdout(
      `${row.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i] as number) : cell)).join('  ')}\n`,
    );
  // The configured token cannot be revoked: the example names an invite that can be.
  const example = invites.find((i) => i.token.source !== 'config');
  io.stdout(
    `${invites.length === 1 ? 'One token' : `${invites.length} tokens`}.${example ? ` Revoke an invite by its id or its hint: ${cliName(io)} invite revoke ${example.id}` : ''}\n`,
  );
  await printEnded(deps, io);
  return EXIT.ok;
}

/** Ctrl-C while a request was on its way: what the server may still do, said instead of "cancelled". */
class StoppedWaiting extends Error {}

function stoppedWaiting(error: unknown, io: CliIo, sentence: string): never {
  if (!(error instanceof Cancelled) || !io.stop?.aborted) throw error;
  io.stderr(`${sentence}\n`);
  throw new StoppedWaiting(sentence);
}

/** The invite an argument of `invite revoke` names: an id as listed, or a hint (4 characters, the … optional). */
function pick(invites: Listed[], given: string): Listed {
  if (INVITE_ID_PATTERN.test(given)) {
    const byId = invites.find((i) => i.id === given);
    if (byId) return byId;
  }
  const hint = given.replace(/…$/, '');
  if (hint.length === 4) {
    const byHint = invites.filter((i) => i.hint === `${hint}…`);
    if (byHint.length === 1) return byHint[0] as Listed;
    if (byHint.length > 1)
      throw new UsageError(
        'invite revoke',
        `${byHint.length} invites start with ${hint}…; give the id instead (${byHint.map((i) => i.id).join(', ')})`,
      );
  }
  if (INVITE_ID_PATTERN.test(given) || hint.length === 4) throw new InviteNotFound();
  // Not echoed: it may be the token itself.
  throw new UsageError(
    'invite revoke',
    'takes the id (8 characters) or the hint (4 characters) that `invite list` shows, never the token itself: a command line stays in `ps` and in the shell history',
  );
}

async function revoke(deps: InviteCliDeps, rest: string[], io: CliIo): Promise<number> {
  if (rest.length !== 1)
    throw new UsageError(
      'invite revoke',
      `takes one id or hint as \`${cliName(io)} invite list\` shows them${rest.length > 1 ? ` (${rest.length} were given)` : ''}`,
    );
  const chosen = pick(await listed(deps, io), rest[0] as string);
  await unlessStopped(io, 'Revoking the invite', client(deps).revoke(chosen.token.token)).catch((e) =>
    stoppedWaiting(
      e,
      io,
      `Stopped waiting for the server to revoke the invite ${chosen.id}; it may have revoked it all the same: \`${cliName(io)} invite list\` shows whether it is still there.`,
    ),
  );
  io.stdout(`Revoked the invite ${chosen.id} (${chosen.hint}); it can no longer be used to register.\n`);
  return EXIT.ok;
}

export async function inviteCommand(args: string[], deps: InviteCliDeps, io: CliIo): Promise<number> {
  try {
    const { positional, options } = parseArgs(args, { options: ['uses', 'expires', 'invite-to'] });
    const [sub, ...rest] = positional;
    if (sub !== undefined && options.size > 0)
      throw new UsageError(
        `--${[...options.keys()][0]}`,
        `is an option of issuing an invite, not of invite ${sub}`,
      );
    if (sub === 'list') {
      if (rest.length > 0)
        throw new UsageError('invite list', `takes no arguments ("${rest[0]}" is one too many)`);
      return await list(deps, io);
    }
    if (sub === 'revoke') return await revoke(deps, rest, io);
    if (sub === 'instructions') {
      if (rest.length > 0)
        throw new UsageError('invite instructions', `takes no arguments ("${rest[0]}" is one too many)`);
      io.stdout(joiningInstructions(deps.profile));
      return EXIT.ok;
    }
    if (sub !== undefined)
      throw new UsageError(`invite ${sub}`, 'is not an invite command (use list, revoke or instructions)');
    const usesGiven = options.get('uses');
    const expiresGiven = options.get('expires');
    const uses = usesGiven === undefined ? 1 : usesOption(usesGiven);
    const expires = expiresGiven === undefined ? null : expiresOption(expiresGiven);
    const inviteToGiven = options.get('invite-to');
    const inviteTo = inviteToGiven === undefined ? null : roomRef(inviteToGiven);
    const what = 'Issuing the invite';
    const clipboard = await unlessStopped(io, what, (deps.clipboard ?? createCliClipboard)());
    const token = await unlessStopped(io, what, client(deps).create({ uses, expires, inviteTo })).catch((e) =>
      stoppedWaiting(
        e,
        io,
        `Stopped waiting for the server to issue the invite; it may have issued it all the same: \`${cliName(io)} invite list\` shows it, and \`${cliName(io)} invite revoke ID\` takes it back. Nothing was copied.`,
      ),
    );
    const note = await copySecret(deps, clipboard, token.token, 'invite-token');
    const id = inviteId(await inviteIdKey(deps.dataDir), token.token);
    io.stdout(
      `Issued the invite ${id} (${tokenHint(token.token)}) for ${uses} registration${uses === 1 ? '' : 's'}${token.expiresAt === null ? '' : `, valid until ${dateTime(token.expiresAt)}`}. ${note}\nSend it through a side channel; \`${cliName(io)} invite instructions\` prints the joining instructions to send with the other.\n`,
    );
    return EXIT.ok;
  } catch (e) {
    if (e instanceof StoppedWaiting) return EXIT.interrupted;
    return printError(io, e);
  }
}
