import { InvalidInput } from '../core/errors';
import { type ActLog, recordAct } from '../core/lib/acts';
import { InviteClient, InviteService, parseDuration } from '../core/matrix/invites';
import { joiningInstructions } from '../core/matrix/joining-instructions';
import type { Profile } from '../core/profile/schema';
import {
  ROTATION_UNAPPLIED_ALERT,
  ROTATION_UNPUSHED_ALERT,
  TOKEN_APPLY_ACTION,
  TOKEN_ROLLBACK_ACTION,
  TOKEN_ROTATE_ACTION,
} from '../core/runbook/rotation-alerts';
import type { Runbook } from '../core/runbook/runner';
import { type SecretRef, type SecretStore, secretKindSchema } from '../core/secrets/types';
import {
  ClipboardGuard,
  type ClipboardWhat,
  clearDelayMs,
  DEFAULT_CLEAR_DELAY_SECONDS,
} from '../core/token/clipboard';
import { trimVaultPasswordFile } from '../core/vault/password-file';
import { readRegistrationToken } from '../core/vault/vault-file';
import { HOST_ROLES, isPerHostSecret, type SecretKind } from '../core/vocab';
import { parseArgs } from './args';
import {
  CLIPBOARD_CLEAR_COMMAND as CLIPBOARD_CLEAR_COMMAND_NAME,
  type ClearJob,
  clearJob,
  runClearJob,
  spawnClearLater,
} from './clear-later';
import { type CliClipboard, createCliClipboard } from './cli-clipboard';
import { EXIT } from './exit-codes';
import { type CliIo, confirm, printError } from './io';
import { narrateRun } from './narrator';

/**
 * The command line's token, invite and secret commands. Each takes (args after the command words, deps,
 * io) and returns an exit code. Nothing here ever writes a secret to stdout or stderr: tokens go to the
 * clipboard (or the command refuses), secrets come in on stdin.
 */

export interface TokenCliDeps {
  profile: Profile;
  secrets: SecretStore;
  /** A runbook whose catalog includes createTokenActions(…) (token rotate / rollback). */
  runbook?: Pick<Runbook, 'prepare' | 'start' | 'events'>;
  /** The desktop's clipboard tool; default: found on PATH (createCliClipboard). */
  clipboard?: () => Promise<CliClipboard>;
  /** Settings' clipboard delay in seconds, null = never. Default 30. */
  clearDelaySeconds?: number | null;
  /** Starts the detached clear-if-unchanged; default: this CLI again with `__clipboard-clear`. */
  scheduleClear?: (job: ClearJob) => void;
  invites?: InviteClient;
  now?: () => number;
  /** The audit trail of the profile: a token copy is recorded (never the token). */
  acts?: ActLog;
}

const MAX_SECRET_BYTES = 64 * 1024;

const KIND_NAMES: Record<SecretKind, string> = {
  'ssh-password': 'SSH password',
  'ssh-key-passphrase': 'SSH key passphrase',
  'sudo-password': 'sudo password',
  'vault-password': 'vault password',
  'matrix-admin-token': 'Matrix admin access token',
};

function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function dateTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d{2}\.\d{3}Z$/, ' UTC');
}

/** Copies a secret with the CLI's clipboard and leaves a detached process to clear it if unchanged. */
export async function copySecret(
  deps: Pick<TokenCliDeps, 'clearDelaySeconds' | 'scheduleClear' | 'now'>,
  clipboard: CliClipboard,
  secret: string,
  what: ClipboardWhat,
): Promise<string> {
  const guard = new ClipboardGuard(clipboard);
  const { concealed } = await guard.copy(secret, what, null);
  const delay = clearDelayMs(
    deps.clearDelaySeconds === undefined ? DEFAULT_CLEAR_DELAY_SECONDS : deps.clearDelaySeconds,
  );
  const outstanding = guard.outstanding;
  const concealNote = concealed ? ' (marked as secret for clipboard managers)' : '';
  if (delay === null || !outstanding)
    return `It is on the clipboard (${clipboard.name})${concealNote} and stays there: clearing is set to never.`;
  const schedule =
    deps.scheduleClear ?? ((job: ClearJob) => spawnClearLater(job, { entry: process.argv[1] ?? '' }));
  schedule(clearJob(clipboard.tool, what, outstanding.print, delay));
  const at = (deps.now ?? Date.now)() + delay;
  return `It is on the clipboard (${clipboard.name})${concealNote}; it will be cleared at ${clockTime(at)} if the clipboard still holds it.`;
}

// ------------------------------------------------------------------ token copy

export async function tokenCopyCommand(args: string[], deps: TokenCliDeps, io: CliIo): Promise<number> {
  try {
    noArguments(args, 'token copy');
    // The clipboard first: without one there is nothing to decrypt for, and nothing gets printed.
    const clipboard = await (deps.clipboard ?? createCliClipboard)();
    const note = await recordAct(
      deps.acts,
      {
        action: 'token.copy',
        params: { to: clipboard.name },
        done: (n) => `Copied the registration token. ${n}`,
      },
      async () =>
        copySecret(
          deps,
          clipboard,
          await readRegistrationToken(deps.profile, deps.secrets),
          'registration-token',
        ),
    );
    io.stdout(`Copied the registration token of ${deps.profile.name}. ${note}\n`);
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  }
}

// ------------------------------------------------------------------ token rotate / rollback

/** Starts an action (confirmed by the command's own question) and narrates it to its end. */
async function runAction(
  runbook: NonNullable<TokenCliDeps['runbook']>,
  actionId: string,
  params: Record<string, unknown>,
  io: CliIo,
) {
  return narrateRun(runbook, await runbook.start(actionId, params, { confirmed: true }), io);
}

/** A command that takes no positional arguments and no options of its own. */
function noArguments(args: string[], command: string): void {
  const { positional } = parseArgs(args, {});
  if (positional.length > 0)
    throw new InvalidInput(positional[0] as string, `is not an argument of ${command}`);
}

function needRunbook(deps: TokenCliDeps): NonNullable<TokenCliDeps['runbook']> {
  if (!deps.runbook) throw new Error('The token actions are not wired into this command line.');
  return deps.runbook;
}

export async function tokenRotateCommand(args: string[], deps: TokenCliDeps, io: CliIo): Promise<number> {
  try {
    const { positional, flags } = parseArgs(args, { flags: ['no-apply', 'yes'] });
    if (positional.length > 0)
      throw new InvalidInput(positional[0] as string, 'is not an argument of token rotate');
    const runbook = needRunbook(deps);
    const params = { apply: !flags.has('no-apply') };
    // Planned once: what the question names is what starts.
    const prepared = await runbook.prepare(TOKEN_ROTATE_ACTION, params);
    const { plan } = prepared;
    if (!flags.has('yes')) {
      if (!io.stdin.isTTY) {
        io.stderr(`${plan.confirm}\nNot confirmed: run it again with --yes to go ahead.\n`);
        return EXIT.notConfirmed;
      }
      if (!(await confirm(io, `${plan.confirm}\nGo ahead?`))) {
        io.stderr('Nothing was changed.\n');
        return EXIT.notConfirmed;
      }
    }
    const run = await narrateRun(runbook, await prepared.start({ confirmed: true }), io);
    if (run.state === 'ok') return EXIT.ok;
    if (run.alert?.id === ROTATION_UNPUSHED_ALERT) {
      if (
        io.stdin.isTTY &&
        (await confirm(io, 'Roll the rotation back now (restore the backup, remove the local commit)?'))
      ) {
        await runAction(runbook, TOKEN_ROLLBACK_ACTION, { runId: run.id }, io);
      } else {
        io.stderr('To undo it: homeserver-tray token rollback\n');
      }
    } else if (run.alert?.id === ROTATION_UNAPPLIED_ALERT) {
      io.stderr(`To make the new token live: homeserver-tray run ${TOKEN_APPLY_ACTION}\n`);
    }
    return EXIT.failed;
  } catch (e) {
    return printError(io, e);
  }
}

export async function tokenRollbackCommand(args: string[], deps: TokenCliDeps, io: CliIo): Promise<number> {
  try {
    noArguments(args, 'token rollback');
    const run = await runAction(needRunbook(deps), TOKEN_ROLLBACK_ACTION, {}, io);
    return run.state === 'ok' ? EXIT.ok : EXIT.failed;
  } catch (e) {
    return printError(io, e);
  }
}

// ------------------------------------------------------------------ invites

function inviteService(deps: TokenCliDeps, clipboard: CliClipboard | null): InviteService {
  const client = deps.invites ?? new InviteClient({ profile: deps.profile, secrets: deps.secrets });
  const guard = new ClipboardGuard(
    clipboard ?? { name: 'none', concealable: false, writeText: refuse, readText: refuse, clear: refuse },
  );
  return new InviteService({
    client,
    guard,
    profile: () => deps.profile,
    clearDelaySeconds: () => null,
  });
}

async function refuse(): Promise<never> {
  throw new Error('This command does not use the clipboard.');
}

function usesText(uses: number | null, completed: number | null): string {
  // Tuwunel before 1.8.1 does not say how often a token was used (the app lists what it issued).
  if (completed === null) return uses === null ? 'unlimited' : `up to ${uses} uses`;
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

/** `invite [--uses N] [--expires 7d]`, `invite list`, `invite revoke <token>`, `invite instructions`. */
export async function inviteCommand(args: string[], deps: TokenCliDeps, io: CliIo): Promise<number> {
  try {
    const { positional, options } = parseArgs(args, { options: ['uses', 'expires'] });
    const [sub, ...rest] = positional;
    if (sub === 'list') {
      const invites = await inviteService(deps, null).list();
      const live = invites.filter((i) => i.state === 'pending');
      if (live.length === 0) io.stdout('No registration tokens are valid on the server.\n');
      for (const i of live) {
        io.stdout(
          `${i.hint.padEnd(6)}  ${usesText(i.usesAllowed, i.completed).padEnd(18)}  ${i.expiresAt === null ? 'never expires' : `expires ${dateTime(i.expiresAt)}`}${i.source === 'config' ? '  (the configured registration token)' : ''}\n`,
        );
      }
      const ended = invites.filter((i) => i.state !== 'pending');
      if (ended.length > 0) io.stdout('Ended invites:\n');
      for (const i of ended) {
        const who = i.joined.length > 0 ? ` by ${i.joined.join(', ')}` : '';
        io.stdout(
          `${i.hint.padEnd(6)}  ${i.state}${who}${i.endedAt === null ? '' : ` (${dateTime(i.endedAt)})`}\n`,
        );
      }
      return EXIT.ok;
    }
    if (sub === 'revoke') {
      if (rest.length !== 1)
        throw new InvalidInput(
          'invite revoke',
          'takes one token (or its first characters, as invite list shows them)',
        );
      const service = inviteService(deps, null);
      await service.list();
      const id = service.findByPrefix(rest[0] as string);
      await service.revoke(id);
      io.stdout(
        `Revoked the invite ${(rest[0] as string).slice(0, 4)}…; it can no longer be used to register.\n`,
      );
      return EXIT.ok;
    }
    if (sub === 'instructions') {
      io.stdout(joiningInstructions(deps.profile));
      return EXIT.ok;
    }
    if (sub !== undefined)
      throw new InvalidInput(sub, 'is not an invite command (use list, revoke or instructions)');
    const usesGiven = options.get('uses');
    const expiresGiven = options.get('expires');
    const uses = usesGiven === undefined ? 1 : usesOption(usesGiven);
    const expires = expiresGiven === undefined ? null : expiresOption(expiresGiven);
    const clipboard = await (deps.clipboard ?? createCliClipboard)();
    const client = deps.invites ?? new InviteClient({ profile: deps.profile, secrets: deps.secrets });
    const token = await client.create({ uses, expires });
    const note = await copySecret(deps, clipboard, token.token, 'invite-token');
    io.stdout(
      `Issued the invite ${token.token.slice(0, 4)}… for ${uses} registration${uses === 1 ? '' : 's'}${token.expiresAt === null ? '' : `, valid until ${dateTime(token.expiresAt)}`}. ${note}\nSend it through a side channel; \`homeserver-tray invite instructions\` prints the joining instructions to send with the other.\n`,
    );
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  }
}

// ------------------------------------------------------------------ secrets

function secretRef(args: string[], profile: Profile): SecretRef {
  const { positional, options } = parseArgs(args, { options: ['host'] });
  if (positional.length !== 1)
    throw new InvalidInput('kind', `give one of ${secretKindSchema.options.join(', ')}`);
  const parsed = secretKindSchema.safeParse(positional[0]);
  if (!parsed.success)
    throw new InvalidInput('kind', `must be one of ${secretKindSchema.options.join(', ')}`);
  const kind = parsed.data;
  const host = options.get('host');
  if (isPerHostSecret(kind)) {
    if (host === undefined || !(HOST_ROLES as readonly string[]).includes(host))
      throw new InvalidInput(
        '--host',
        `the ${KIND_NAMES[kind]} belongs to a host: give --host homeserver or --host deploy`,
      );
    return { profile: profile.name, kind, host };
  }
  if (host !== undefined)
    throw new InvalidInput('--host', `the ${KIND_NAMES[kind]} belongs to the profile, not to a host`);
  return { profile: profile.name, kind };
}

/** Reads a line from a terminal without echoing it (raw mode), as a Buffer the caller zeroes. */
export function readHidden(io: CliIo, prompt: string): Promise<Buffer> {
  const stdin = io.stdin;
  return new Promise((resolve, reject) => {
    const bytes = Buffer.alloc(MAX_SECRET_BYTES);
    let length = 0;
    // Raw mode before the prompt: nothing typed after seeing it may reach the terminal's echo.
    stdin.setRawMode?.(true);
    io.stderr(prompt);
    const finish = (error: Error | null) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr('\n');
      if (error) {
        bytes.fill(0);
        reject(error);
        return;
      }
      const value = Buffer.from(bytes.subarray(0, length));
      bytes.fill(0);
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      for (const byte of data) {
        if (byte === 0x0d || byte === 0x0a) return finish(null);
        if (byte === 0x03)
          return finish(new InvalidInput('input', 'was interrupted (Ctrl-C); nothing was stored'));
        if (byte === 0x04 && length === 0)
          return finish(new InvalidInput('input', 'ended before a value was typed'));
        if (byte === 0x7f || byte === 0x08) {
          // One character back, UTF-8 continuation bytes included.
          while (length > 0 && ((bytes[length - 1] as number) & 0xc0) === 0x80) length--;
          if (length > 0) length--;
        } else if (byte === 0x15) {
          length = 0;
        } else if (length < MAX_SECRET_BYTES) {
          bytes[length++] = byte;
        }
      }
      if (typeof chunk !== 'string') chunk.fill(0);
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** A copy without one final `\n` or `\r\n` (what `echo value |` adds). */
function withoutLineEnd(raw: Buffer): Buffer {
  let end = raw.length;
  if (raw[end - 1] === 0x0a) end--;
  if (end < raw.length && raw[end - 1] === 0x0d) end--;
  return Buffer.from(raw.subarray(0, end));
}

export async function readAll(stdin: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    size += b.length;
    chunks.push(b);
    if (size > MAX_SECRET_BYTES) {
      for (const c of chunks) c.fill(0);
      throw new InvalidInput('input', `is longer than ${MAX_SECRET_BYTES / 1024} KiB`);
    }
  }
  const all = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  return all;
}

/** `secret set <kind> [--host h]`: typed without echo at a terminal, or piped on stdin. Never an argument. */
export async function secretSetCommand(args: string[], deps: TokenCliDeps, io: CliIo): Promise<number> {
  let value: Buffer | null = null;
  try {
    const ref = secretRef(args, deps.profile);
    const name = KIND_NAMES[ref.kind];
    if (io.stdin.isTTY) {
      value = await readHidden(
        io,
        `${name[0]?.toUpperCase()}${name.slice(1)}${ref.host ? ` for the ${ref.host} host` : ''} (not shown): `,
      );
    } else {
      const raw = await readAll(io.stdin);
      // The vault password is read as ansible-vault reads its password file; others lose one line end.
      value = ref.kind === 'vault-password' ? trimVaultPasswordFile(raw) : withoutLineEnd(raw);
      raw.fill(0);
    }
    if (value.length === 0) throw new InvalidInput('input', 'is empty; nothing was stored');
    await deps.secrets.set(ref, value);
    io.stdout(
      `Stored the ${name}${ref.host ? ` for the ${ref.host} host` : ''} of ${deps.profile.name} in the keychain.\n`,
    );
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  } finally {
    value?.fill(0);
  }
}

export async function secretDeleteCommand(args: string[], deps: TokenCliDeps, io: CliIo): Promise<number> {
  try {
    const ref = secretRef(args, deps.profile);
    const name = `${KIND_NAMES[ref.kind]}${ref.host ? ` for the ${ref.host} host` : ''}`;
    const deleted = await deps.secrets.delete(ref);
    io.stdout(
      deleted ? `Deleted the ${name} from the keychain.\n` : `No ${name} was stored; nothing to delete.\n`,
    );
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  }
}

/** The hidden `__clipboard-clear` command the detached clearer runs (see cli/clear-later.ts). */
export async function clipboardClearCommand(
  _args: string[],
  _deps: unknown,
  io: Pick<CliIo, 'stdin'>,
): Promise<number> {
  try {
    const input = await readAll(io.stdin);
    return (await runClearJob(input.toString('utf8'))) ? EXIT.ok : EXIT.failed;
  } catch {
    return EXIT.failed;
  }
}

/** The hidden command the detached clipboard clearer runs. */
export { CLIPBOARD_CLEAR_COMMAND } from './clear-later';

export const TOKEN_CLI_HELP = `Registration token, invites and secrets:
  token copy                         copy the registration token (cleared after the set delay if unchanged)
  token rotate [--no-apply] [--yes]  rotate it in the vault, push, pull on the deploy host, apply
  token rollback                     undo a rotation that stopped before it was pushed
  invite [--uses N] [--expires 7d]   issue a one-shot registration token and copy it (N: 1–1000;
                                     without --expires it never expires)
  invite list | revoke <token> | instructions
  secret set <kind> [--host h]       store a secret (typed without echo, or piped on stdin)
  secret delete <kind> [--host h]    kinds: ${secretKindSchema.options.join(', ')}
`;

/**
 * Routes `token …`, `invite …`, `secret …` and the hidden clipboard command; null when argv is none of
 * them. `deps` is built only when needed (loading the profile, the keychain, the runbook).
 */
export async function dispatchTokenCli(
  argv: string[],
  deps: () => Promise<TokenCliDeps>,
  io: CliIo,
): Promise<number | null> {
  const [first, second, ...rest] = argv;
  if (first === CLIPBOARD_CLEAR_COMMAND_NAME) return clipboardClearCommand([], null, io);
  type Handler = (args: string[], deps: TokenCliDeps, io: CliIo) => Promise<number>;
  const commands: Record<string, Record<string, Handler> | Handler> = {
    token: { copy: tokenCopyCommand, rotate: tokenRotateCommand, rollback: tokenRollbackCommand },
    invite: inviteCommand,
    secret: { set: secretSetCommand, delete: secretDeleteCommand },
  };
  const group = first === undefined ? undefined : commands[first];
  if (group === undefined) return null;
  const handler = typeof group === 'function' ? group : second === undefined ? undefined : group[second];
  if (!handler) {
    io.stderr(`Unknown command "${argv.join(' ')}".\n${TOKEN_CLI_HELP}`);
    return EXIT.usage;
  }
  let built: TokenCliDeps;
  try {
    built = await deps();
  } catch (e) {
    return printError(io, e);
  }
  return handler(typeof group === 'function' ? argv.slice(1) : rest, built, io);
}
