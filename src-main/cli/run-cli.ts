import { join } from 'node:path';
import type { Core, CoreOptions } from '../app/session';
import { actionsCommand } from './actions-command';
import { takeProfileOption } from './args';
import { EXIT } from './exit-codes';
import { hostKeyForgetCommand, hostKeyTrustCommand } from './hostkey-command';
import { type CliIo, printError } from './io';
import { openCore } from './open-core';
import { runCommand } from './run-command';
import { statusCommand } from './status-command';
import { CLIPBOARD_CLEAR_COMMAND, dispatchTokenCli, TOKEN_CLI_HELP } from './token-commands';
import { noticeCommand, USERS_CLI_HELP, type UsersCliDeps, usersCommand } from './users-command';
import { APP_VERSION } from './version';

export type { CliIo } from './io';

export const HELP = `homeserver-tray — the Homeserver Tray core from the command line
(in this checkout: npm run cli -- <command> …)

Status:
  status [--json] [--watch]          the checks as a table (host, check, level, since, detail) or JSON;
                                     --watch polls at the app's poll interval (its settings) until
                                     Ctrl-C, one table or JSON line per poll
  hostkey trust <host> [--once] [--yes] [--fingerprint SHA256:…]
                                     show a host's key fingerprint and trust it (asks on a terminal,
                                     else needs --yes); --fingerprint: trust only that key (any other
                                     is refused, exit 3); --once: only for this command, nothing written
  hostkey forget <host>              remove the app's trusted key of a host (homeserver or deploy)

Actions (the runbook):
  actions [--json]                   list the actions and their parameters
  run <id> [--param name=value]… [--yes] [--dry-run] [--json]
                                     run one; output streams as it comes. Actions with downtime need
                                     --yes or a confirmation on a terminal. --dry-run prints the exact
                                     commands and sends nothing. Ctrl-C cancels (finally steps still run)

${TOKEN_CLI_HELP}
${USERS_CLI_HELP}
Options every command takes:
  --profile FILE                     the homeserver profile (YAML) to use; default: the profile selected
                                     in the app (its data folder, or HOMESERVER_TRAY_DATA_DIR)
  --help, --version

Exit codes:
  0   done; status: every check is ok
  1   the action failed or was not confirmed, or another error; status: a check warns
  2   status: a check fails or cannot tell (unknown); token rotate: not confirmed
  3   a host key is not trusted yet, has changed or is revoked: nothing was sent
  64  wrong command line (unknown command or option, invalid parameter)
  69  no keychain or clipboard tool on this machine
  78  no profile is selected, or the profile file is not valid
`;

export interface CliOptions {
  /** Where the data folder comes from (HOMESERVER_TRAY_DATA_DIR). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Extra options for the core (tests: short runbook timeouts). */
  core?: Partial<CoreOptions>;
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdin: process.stdin,
};

type Command = (args: string[], core: Core, io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command | Record<string, Command>> = {
  status: (args, core, io) =>
    statusCommand(
      args,
      {
        profile: core.profile,
        remote: core.pool,
        scheduler: core.scheduler,
        ...(io.stop ? { stop: io.stop } : {}),
      },
      io,
    ),
  hostkey: {
    trust: (args, core, io) => hostKeyTrustCommand(args, hostKeyDeps(core), io),
    forget: (args, core, io) => hostKeyForgetCommand(args, hostKeyDeps(core), io),
  },
  actions: (args, core, io) => actionsCommand(args, core, io),
  run: (args, core, io) => runCommand(args, core, io),
  users: (args, core, io) => usersCommand(args, usersDeps(core), io),
  notice: (args, core, io) => noticeCommand(args, usersDeps(core), io),
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

/** Runs one CLI invocation and returns its exit code. Every core it opens is closed before it returns. */
export async function runCli(
  argv: string[],
  io: CliIo = processIo,
  options: CliOptions = {},
): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (first === '--version' || first === '-V') {
    io.stdout(`${APP_VERSION}\n`);
    return EXIT.ok;
  }
  // The detached clipboard clearer: no profile, no core, only its job on stdin.
  if (first === CLIPBOARD_CLEAR_COMMAND)
    return (await dispatchTokenCli(argv, () => never(), io)) ?? EXIT.usage;

  let profilePath: string | null;
  let rest: string[];
  try {
    ({ profilePath, rest } = takeProfileOption(argv));
  } catch (e) {
    return printError(io, e);
  }
  const env = options.env ?? process.env;
  const opened: Core[] = [];
  const open = async () => {
    const core = await openCore({ profilePath, env, ...(options.core ? { core: options.core } : {}) });
    opened.push(core);
    if (core.secretsMigration?.sentence) io.stderr(`${core.secretsMigration.sentence}\n`);
    return core;
  };
  try {
    const [name, sub, ...args] = rest;
    if (name === undefined) {
      io.stderr('Give a command after --profile FILE. Run with --help to see what is available.\n');
      return EXIT.usage;
    }
    const entry = COMMANDS[name];
    if (entry !== undefined) {
      const command = typeof entry === 'function' ? entry : sub === undefined ? undefined : entry[sub];
      if (!command) {
        io.stderr(`Unknown command "${rest.join(' ')}". Run with --help to see what is available.\n`);
        return EXIT.usage;
      }
      const commandArgs = typeof entry === 'function' ? rest.slice(1) : args;
      return await command(commandArgs, await open(), io);
    }
    const token = await dispatchTokenCli(
      rest,
      async () => {
        const core = await open();
        return {
          profile: core.profile,
          secrets: core.secrets,
          runbook: core.runbook,
          invites: core.inviteClient,
          clearDelaySeconds: core.settings.get().clipboardClearSeconds,
          acts: core.acts,
        };
      },
      io,
    );
    if (token !== null) return token;
    io.stderr(`Unknown command "${name}". Run with --help to see what is available.\n`);
    return EXIT.usage;
  } catch (e) {
    // Commands print their own errors; this is for a bug, which still gets a sentence, not a stack.
    return printError(io, e);
  } finally {
    await Promise.all(opened.map((core) => core.close()));
  }
}

function never(): Promise<never> {
  return Promise.reject(new Error('the clipboard clearer needs no profile'));
}
