import { Cancelled } from '../core/errors';
import { type ActLog, recordAct } from '../core/lib/acts';
import type { Profile } from '../core/profile/schema';
import {
  ROTATION_UNAPPLIED_ALERT,
  ROTATION_UNPUSHED_ALERT,
  rotatedTokenNotLive,
  TOKEN_APPLY_ACTION,
  TOKEN_ROLLBACK_ACTION,
  TOKEN_ROTATE_ACTION,
} from '../core/runbook/rotation-alerts';
import type { Runbook } from '../core/runbook/runner';
import type { SecretStore } from '../core/secrets/types';
import { readRegistrationToken } from '../core/vault/vault-file';
import { noArguments, parseArgs, UsageError } from './args';
import { createCliClipboard } from './cli-clipboard';
import { type ClipboardDeps, copySecret } from './copy-secret';
import { EXIT } from './exit-codes';
import { type CliIo, cliName, confirm, printError, unlessStopped } from './io';
import { narrateRun } from './narrator';
import { runExitCode } from './run-command';

/**
 * `token copy | rotate | rollback`. Each takes (args after the command words, deps, io) and returns an exit
 * code. Nothing here ever writes a secret to stdout or stderr: the token goes to the clipboard (or the command
 * refuses).
 */

export interface TokenCliDeps extends ClipboardDeps {
  profile: Profile;
  secrets: SecretStore;
  /** A runbook whose catalog includes createTokenActions(…) (token rotate / rollback). */
  runbook?: Pick<Runbook, 'prepare' | 'start' | 'events'>;
  /** The audit trail of the profile: a token copy is recorded (never the token). */
  acts?: ActLog;
}

export async function tokenCopyCommand(args: string[], deps: TokenCliDeps, io: CliIo): Promise<number> {
  try {
    noArguments(args, 'token copy');
    const what = 'Copying the registration token';
    // The clipboard first: without one there is nothing to decrypt for, and nothing gets printed. Ctrl-C
    // before the copy copies nothing; once copied, the clearer is scheduled before anything else.
    const clipboard = await unlessStopped(io, what, (deps.clipboard ?? createCliClipboard)());
    const note = await recordAct(
      deps.acts,
      {
        action: 'token.copy',
        params: { to: clipboard.name },
        done: (n) => `Copied the registration token. ${n}`,
      },
      async () => {
        const token = await unlessStopped(io, what, readRegistrationToken(deps.profile, deps.secrets));
        if (io.stop?.aborted) throw new Cancelled(what);
        return copySecret(deps, clipboard, token, 'registration-token');
      },
    );
    io.stdout(`Copied the registration token of ${deps.profile.name}. ${note}\n`);
    // Read from the rotation journal: a rotation pushed but not applied, here or in any other process.
    const notLive = await rotatedTokenNotLive(deps.profile);
    if (notLive) io.stderr(`Note: ${notLive}\n`);
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  }
}

function needRunbook(deps: TokenCliDeps): NonNullable<TokenCliDeps['runbook']> {
  if (!deps.runbook) throw new Error('The token actions are not wired into this command line.');
  return deps.runbook;
}

export async function tokenRotateCommand(args: string[], deps: TokenCliDeps, io: CliIo): Promise<number> {
  try {
    const { positional, flags } = parseArgs(args, { flags: ['no-apply', 'yes'] });
    if (positional.length > 0)
      throw new UsageError('token rotate', `takes no arguments ("${positional[0]}" is one too many)`);
    const runbook = needRunbook(deps);
    const params = { apply: !flags.has('no-apply') };
    // Planned once: what the question names is what starts.
    const prepared = await runbook.prepare(TOKEN_ROTATE_ACTION, params);
    const { plan } = prepared;
    if (!flags.has('yes')) {
      if (!io.stdin.isTTY) {
        io.stderr(
          `${plan.confirm}\nNot confirmed, nothing was changed: run it again with --yes to go ahead.\n`,
        );
        return EXIT.failed;
      }
      if (!(await confirm(io, `${plan.confirm}\nGo ahead?`))) {
        io.stderr('Nothing was changed.\n');
        return io.stop?.aborted ? EXIT.interrupted : EXIT.failed;
      }
    }
    const run = await narrateRun(
      runbook,
      await prepared.start({ confirmation: prepared.plan.confirmation }),
      io,
    );
    if (run.state === 'ok') return EXIT.ok;
    const cli = cliName(io);
    if (run.alert?.id === ROTATION_UNPUSHED_ALERT) {
      if (
        io.stdin.isTTY &&
        !io.stop?.aborted &&
        (await confirm(io, 'Roll the rotation back now (restore the backup, remove the local commit)?'))
      ) {
        const rollback = await runbook.start(TOKEN_ROLLBACK_ACTION, { runId: run.id }, { confirmed: true });
        await narrateRun(runbook, rollback, io);
      } else {
        io.stderr(`To undo it: ${cli} token rollback\n`);
      }
    } else if (run.alert?.id === ROTATION_UNAPPLIED_ALERT) {
      io.stderr(`To make the new token live: ${cli} run ${TOKEN_APPLY_ACTION}\n`);
    }
    return runExitCode(run, io);
  } catch (e) {
    return printError(io, e);
  }
}

export async function tokenRollbackCommand(args: string[], deps: TokenCliDeps, io: CliIo): Promise<number> {
  try {
    noArguments(args, 'token rollback');
    const runbook = needRunbook(deps);
    const handle = await runbook.start(TOKEN_ROLLBACK_ACTION, {}, { confirmed: true });
    return runExitCode(await narrateRun(runbook, handle, io), io);
  } catch (e) {
    return printError(io, e);
  }
}
