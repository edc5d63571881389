import { join } from 'node:path';
import { type Core, type CoreOptions, createCore } from '../app/session';
import { dataDir } from '../core/paths';
import { NoProfile, ProfileStore } from '../core/profile/store';
import { createKeytarSecretStore } from '../core/secrets/keytar-store';
import { secretKindSchema } from '../core/secrets/types';
import { actionsCommand } from './actions-command';
import { adminLoginCommand, adminLogoutCommand } from './admin-commands';
import { takeProfileOption, UsageError } from './args';
import { CLIPBOARD_CLEAR_COMMAND } from './clear-later';
import { clipboardClearCommand } from './clipboard-clear-command';
import { EXIT } from './exit-codes';
import { hostKeyForgetCommand, hostKeyTrustCommand } from './hostkey-command';
import { inviteCommand } from './invite-command';
import { type CliIo, invocationName, printError } from './io';
import { muteCommand, unmuteCommand } from './mute-command';
import { openCore, resolveProfile, userCwd } from './open-core';
import { printing, processIo } from './printer';
import { profileCommand } from './profile-commands';
import { runCommand } from './run-command';
import { secretDeleteCommand, secretSetCommand } from './secret-commands';
import { statusAllCommand, statusCommand } from './status-command';
import { tokenCopyCommand, tokenRollbackCommand, tokenRotateCommand } from './token-commands';
import { noticeCommand, USERS_CLI_HELP, type UsersCliDeps, usersCommand } from './users-command';
import { APP_VERSION } from './version';
import { whatsNewCommand } from './whatsnew-command';

export type { CliIo } from './io';

/** `--help`, with the command named the way the user runs it (`npm run cli --` or `homeserver-tray`). */
export function help(cli: string): string {
  return `${cli} — the Homeserver Tray core from the command line

Getting started:
  profile add FILE [--yes]           add a profile (YAML) to the app's profiles; it brings no secrets.
                                     A backup check in it is shown first and needs a confirmation
  profile list                       the profiles; * marks the one in use
  profile show [NAME]                a profile's hosts and which of its secrets are stored
  profile use NAME                   use it when no --profile is given (the app too, from its next start)
  profile remove NAME [--yes]        remove it and delete its secrets from the keychain
  secret set <kind> [--host h]       store a secret: typed without echo, or piped on stdin (never an
                                     argument). Kinds: ${secretKindSchema.options.filter((k) => k !== 'matrix-admin-token').join(', ')}
  secret delete <kind> [--host h]
  admin login [--user U]             sign in as the Matrix admin: user and password typed (the password
                                     without echo) or piped one a line; only the access token is kept
  admin logout                       revoke that access token on the server and delete it

Status:
  status [--json] [--watch]          the checks as a table (host, check, level, since, detail) or JSON;
                                     --watch polls at the app's poll interval (its settings) until
                                     Ctrl-C, one table or JSON line per poll
  status --all [--json]              every profile of the data folder at once, as the window shows
                                     them: a table per server (JSON: one object, "servers"); the exit
                                     code is the worst server's
  hostkey trust <host> [--once] [--yes] [--fingerprint SHA256:…]
                                     show a host's key fingerprint and trust it (asks on a terminal,
                                     else needs --yes); --fingerprint: trust only that key (any other
                                     is refused, exit 3); --once: only for this command, nothing written
  hostkey forget <host>              remove the app's trusted key of a host (homeserver or deploy)
  mute server|unit NAME|check ID [--for 1h|8h|recovered]
                                     no desktop or off-host alerts about it for that long (default 1h;
                                     recovered: until everything it covers is up again), in every process
  unmute server|unit NAME|check ID   end that mute now

Actions (the runbook):
  actions [--json]                   list the actions and their parameters
  run <id> [--param name=value]… [--yes] [--dry-run] [--json]
                                     run one; output streams as it comes. Actions with downtime need
                                     --yes or a confirmation on a terminal. --dry-run prints the exact
                                     commands and sends nothing. Ctrl-C cancels (finally steps still run)
  whatsnew [--from V --to V] [--json] the Tuwunel release the pulled playbook offers beside the pin and
                                     the running version, with the release notes between (shipped, not fetched)

Registration token and invites (a token goes to the clipboard, never to the terminal):
  token copy                         copy the registration token (cleared after the set delay if unchanged)
  token rotate [--no-apply] [--yes]  rotate it in the vault, push, pull on the deploy host, apply
  token rollback                     undo a rotation that stopped before it was pushed
  invite [--uses N] [--expires 7d] [--invite-to ROOM]
                                     issue a one-shot registration token and copy it (N: 1–1000;
                                     without --expires it never expires; whoever joins with it is
                                     invited into ROOM, e.g. '#family:example.org', once the app sees it)
  invite list                        the valid tokens: id, hint (first characters), uses, expiry
  invite revoke ID|HINT              revoke one by the id or hint invite list shows (never the token)
  invite instructions                the joining instructions to send with an invite

${USERS_CLI_HELP}
Options every command takes:
  --profile FILE                     the homeserver profile (YAML) to use; default: the profile in use
                                     (the data folder's, or HOMESERVER_TRAY_DATA_DIR's). A relative FILE
                                     is relative to the directory you run the command in
  --help, --version

Exit codes:
  0   done; status: every check is ok
  1   the action failed, or was not confirmed and nothing was done; any other error;
      status: a check warns or is under maintenance
  2   status: a check fails or cannot tell (unknown), or status could not look at all
  3   a host key is not trusted yet, has changed, is revoked or is not the expected one: nothing was sent
  64  wrong command line (unknown command, option or argument, invalid parameter)
  69  no keychain or clipboard tool on this machine
  78  no profile is in use, or the profile file is not valid
  130 interrupted by Ctrl-C: a running action was cancelled after its finally steps ran, a question or
      prompt was left unanswered, or a request to the server was no longer waited for (invite says
      what the server may still have done); status --watch ends with the last poll's code instead
`;
}

export interface CliOptions {
  /** Where the data folder, the working directory and the invocation come from. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Extra options for the core (tests: short runbook timeouts, a keychain of their own). */
  core?: Partial<CoreOptions>;
}

/** What a command gets besides its arguments: the core of the invocation's profile, opened when asked for. */
interface CliContext {
  core: () => Promise<Core>;
  /** A core for every profile of the data folder, in the store's order (status --all). */
  cores: () => Promise<{ id: string; core: Core }[]>;
  dataDir: string;
  source: Parameters<typeof openCore>[0];
}

type Command = (args: string[], ctx: CliContext, io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command | Record<string, Command>> = {
  status: async (args, ctx, io) => {
    if (args.includes('--all')) {
      const servers = (await ctx.cores()).map(({ id, core }) => ({
        id,
        profile: core.profile,
        scheduler: core.scheduler,
      }));
      return statusAllCommand(args, servers, io);
    }
    const core = await ctx.core();
    return statusCommand(
      args,
      {
        profile: core.profile,
        remote: core.pool,
        scheduler: core.scheduler,
        ...(io.stop ? { stop: io.stop } : {}),
      },
      io,
    );
  },
  hostkey: {
    trust: async (args, ctx, io) => hostKeyTrustCommand(args, hostKeyDeps(await ctx.core()), io),
    forget: async (args, ctx, io) => hostKeyForgetCommand(args, hostKeyDeps(await ctx.core()), io),
  },
  mute: async (args, ctx, io) => muteCommand(args, await ctx.core(), io),
  unmute: async (args, ctx, io) => unmuteCommand(args, await ctx.core(), io),
  actions: async (args, ctx, io) => actionsCommand(args, await ctx.core(), io),
  run: async (args, ctx, io) => runCommand(args, await ctx.core(), io),
  whatsnew: async (args, ctx, io) => {
    const core = await ctx.core();
    return whatsNewCommand(args, { profile: core.profile, remote: core.pool }, io);
  },
  token: {
    copy: async (args, ctx, io) => tokenCopyCommand(args, tokenDeps(await ctx.core()), io),
    rotate: async (args, ctx, io) => tokenRotateCommand(args, tokenDeps(await ctx.core()), io),
    rollback: async (args, ctx, io) => tokenRollbackCommand(args, tokenDeps(await ctx.core()), io),
  },
  invite: async (args, ctx, io) => {
    const core = await ctx.core();
    return inviteCommand(args, { ...tokenDeps(core), dataDir: core.dataDir, invites: core.inviteClient }, io);
  },
  secret: {
    set: async (args, ctx, io) => secretSetCommand(args, await ctx.core(), io),
    delete: async (args, ctx, io) => secretDeleteCommand(args, await ctx.core(), io),
  },
  admin: {
    login: async (args, ctx, io) => adminLoginCommand(args, await ctx.core(), io),
    logout: async (args, ctx, io) => adminLogoutCommand(args, await ctx.core(), io),
  },
  users: async (args, ctx, io) => usersCommand(args, usersDeps(await ctx.core()), io),
  notice: async (args, ctx, io) => noticeCommand(args, usersDeps(await ctx.core()), io),
  profile: (args, ctx, io) =>
    profileCommand(
      args,
      {
        store: new ProfileStore(ctx.dataDir),
        cwd: ctx.source.cwd,
        current: () => resolveProfile(ctx.source),
        keychain: () => ctx.source.core?.secrets ?? createKeytarSecretStore(),
      },
      io,
    ),
};

function usersDeps(core: Core): UsersCliDeps {
  return {
    profile: core.profile,
    people: core.peopleClient,
    clearDelaySeconds: core.settings.get().clipboardClearSeconds,
  };
}

function hostKeyDeps(core: Core) {
  return { profile: core.profile, pool: core.pool, knownHostsFile: join(core.dataDir, 'known_hosts') };
}

function tokenDeps(core: Core) {
  return {
    profile: core.profile,
    secrets: core.secrets,
    runbook: core.runbook,
    clearDelaySeconds: core.settings.get().clipboardClearSeconds,
    acts: core.acts,
  };
}

/**
 * Runs one CLI invocation and returns its exit code. Everything it writes goes through the printer
 * (printer.ts), whatever io it is given; every core it opens is closed before it returns.
 */
export async function runCli(argv: string[], given?: CliIo, options: CliOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const io = { ...(given ? printing(given) : processIo()), name: given?.name ?? invocationName(env) };
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout(help(io.name));
    return EXIT.ok;
  }
  if (first === '--version' || first === '-V') {
    io.stdout(`${APP_VERSION}\n`);
    return EXIT.ok;
  }
  // The detached clipboard clearer: no profile, no core, only its job on stdin.
  if (first === CLIPBOARD_CLEAR_COMMAND) return clipboardClearCommand(io);

  let profilePath: string | null;
  let rest: string[];
  try {
    ({ profilePath, rest } = takeProfileOption(argv));
  } catch (e) {
    return printError(io, e);
  }
  const source = { profilePath, env, cwd: userCwd(env), ...(options.core ? { core: options.core } : {}) };
  const opened: Core[] = [];
  const ctx: CliContext = {
    dataDir: dataDir(env),
    source,
    core: async () => {
      const core = await openCore(source);
      opened.push(core);
      if (core.secretsMigration?.sentence) io.stderr(`${core.secretsMigration.sentence}\n`);
      return core;
    },
    cores: async () => {
      if (source.profilePath !== null)
        throw new UsageError('--all', 'polls every profile of the data folder: leave out --profile');
      const store = new ProfileStore(dataDir(env));
      const { profiles } = await store.list();
      if (profiles.length === 0) throw new NoProfile(store.dataDir);
      const servers: { id: string; core: Core }[] = [];
      for (const { id } of profiles) {
        const core = await createCore({
          ...source.core,
          profile: await store.load(id),
          dataDir: store.dataDir,
        });
        opened.push(core);
        servers.push({ id, core });
      }
      return servers;
    },
  };
  try {
    const [name, sub, ...args] = rest;
    if (name === undefined) {
      io.stderr('Give a command after --profile FILE. Run with --help to see what is available.\n');
      return EXIT.usage;
    }
    const entry = COMMANDS[name];
    const command = typeof entry === 'function' ? entry : sub === undefined ? undefined : entry?.[sub];
    if (!command) {
      const what = entry === undefined || sub === undefined ? name : `${name} ${sub}`;
      const known =
        entry !== undefined && typeof entry !== 'function'
          ? ` (${name}: ${Object.keys(entry).join(', ')})`
          : '';
      io.stderr(`Unknown command "${what}"${known}. Run with --help to see what is available.\n`);
      return EXIT.usage;
    }
    return await command(typeof entry === 'function' ? rest.slice(1) : args, ctx, io);
  } catch (e) {
    // Opening the core (no profile, a bad file, no keychain) or a bug: a sentence, never a stack.
    return printError(io, e);
  } finally {
    await Promise.all(opened.map((core) => core.close()));
  }
}
