import { matrixLogin, matrixLogout, revokeAccessToken } from '../app/matrix-session';
import type { Profile } from '../core/profile/schema';
import type { SecretStore } from '../core/secrets/types';
import { noArguments, parseArgs, UsageError } from './args';
import { EXIT } from './exit-codes';
import { type CliIo, cliName, printError } from './io';
import { pipedLines, readHidden, readLine } from './secret-input';

/**
 * `admin login [--user U]` and `admin logout`: the Matrix admin's session, as the window's sign-in does it
 * (app/matrix-session.ts). The password is typed without echo or piped, used for the one login request and
 * never stored; only the access token is kept, in the keychain. Logging out revokes it on the server.
 */

export interface AdminCliDeps {
  profile: Profile;
  /** This profile's secrets (get included: a login replaces and revokes an earlier token). */
  secrets: SecretStore;
}

const TOKEN_REF = (profile: Profile) => ({ profile: profile.name, kind: 'matrix-admin-token' as const });

/** User and password: at a terminal asked for (the password without echo), else two piped lines (or one with --user). */
async function credentials(io: CliIo, user: string | undefined, example: string) {
  if (io.stdin.isTTY) {
    const who = user ?? (await readLine(io, `Matrix admin user (e.g. ${example}): `, 'user'));
    return { user: who, password: await readHidden(io, `Password of ${who} (not shown): `, 'password') };
  }
  const [first, second] = await pipedLines(io.stdin, user === undefined ? 2 : 1);
  const who = user ?? first?.toString('utf8');
  const password = user === undefined ? second : first;
  if (user === undefined) first?.fill(0);
  if (!who || !password || password.length === 0) {
    password?.fill(0);
    throw new UsageError(
      'admin login',
      user === undefined
        ? 'reads the user and the password from stdin, one a line (or give --user and pipe only the password)'
        : 'reads the password from stdin',
    );
  }
  return { user: who, password };
}

export async function adminLoginCommand(args: string[], deps: AdminCliDeps, io: CliIo): Promise<number> {
  let password: Buffer | null = null;
  try {
    const { positional, options } = parseArgs(args, { options: ['user'] });
    if (positional.length > 0)
      throw new UsageError(
        'admin login',
        `takes no arguments (the password comes on stdin, never on the command line; the user may go as --user)`,
      );
    const asked = await credentials(io, options.get('user'), `@admin:${deps.profile.serverName}`);
    password = asked.password;
    const previous = await deps.secrets.get(TOKEN_REF(deps.profile));
    const { userId } = await matrixLogin(deps.profile, deps.secrets, asked.user, password.toString('utf8'));
    io.stdout(
      `Signed in as ${userId} on ${deps.profile.publicUrl}. Only the access token is kept, in the keychain; the password was not stored.\n`,
    );
    if (previous) {
      // The earlier session would otherwise stay valid on the server with nobody holding its token.
      const old = previous.toString('utf8');
      previous.fill(0);
      await revokeAccessToken(deps.profile, old).then(
        () => io.stdout('The session signed in before was logged out on the server.\n'),
        () =>
          io.stderr(
            "The session signed in before could not be logged out on the server; remove it from the admin account's sessions in a Matrix client.\n",
          ),
      );
    }
    io.stdout(`\`${cliName(io)} admin logout\` revokes the token.\n`);
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  } finally {
    password?.fill(0);
  }
}

export async function adminLogoutCommand(args: string[], deps: AdminCliDeps, io: CliIo): Promise<number> {
  try {
    noArguments(args, 'admin logout');
    const { revoked } = await matrixLogout(deps.profile, deps.secrets);
    io.stdout(
      revoked
        ? `Logged out: the access token of ${deps.profile.name} is revoked on the server and deleted from the keychain.\n`
        : `No Matrix admin session is stored for ${deps.profile.name}; nothing to log out.\n`,
    );
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  }
}
