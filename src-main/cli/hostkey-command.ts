import { HostKeyMismatch, InvalidInput } from '../core/errors';
import { type HostRole, hostRoleSchema, type Profile, sha256FingerprintSchema } from '../core/profile/schema';
import { knownHostsName } from '../core/ssh/known-hosts';
import type { SshPool } from '../core/ssh/pool';
import { parseArgs, UsageError } from './args';
import { EXIT } from './exit-codes';
import { type CliIo, cliName, confirm, printError } from './io';

/**
 * `hostkey trust <host> [--once] [--yes] [--fingerprint SHA256:…]` and `hostkey forget <host>`: the
 * command-line side of the trust-on-first-use dialog. The fingerprint is always shown before anything is
 * trusted. `--fingerprint` is the expected key, compared by the command (for scripts that know it): any
 * other key is refused (exit 3), and the matching one needs no further confirmation. `--yes` alone accepts
 * whatever key the host presents, and says which one it was.
 */

export interface HostKeyDeps {
  profile: Profile;
  pool: Pick<SshPool, 'scanHostKey' | 'trustHostKey' | 'forgetHostKey' | 'connect'>;
  /** The app's known_hosts file (where a permanent trust is written), for the message. */
  knownHostsFile: string;
}

function hostArg(positional: string[], command: string, cli: string): HostRole {
  if (positional.length !== 1)
    throw new UsageError('host', `give one host: ${cli} hostkey ${command} homeserver|deploy`);
  const parsed = hostRoleSchema.safeParse(positional[0]);
  if (!parsed.success) throw new UsageError('host', `must be homeserver or deploy, not "${positional[0]}"`);
  return parsed.data;
}

function target(profile: Profile, host: HostRole): string {
  const h = profile.hosts[host];
  return `${h.user}@${h.address}:${h.port}`;
}

function expectedFingerprint(value: string | undefined): string | null {
  if (value === undefined) return null;
  const parsed = sha256FingerprintSchema.safeParse(value);
  if (!parsed.success)
    throw new InvalidInput('--fingerprint', `"${value.slice(0, 80)}" ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

export async function hostKeyTrustCommand(args: string[], deps: HostKeyDeps, io: CliIo): Promise<number> {
  try {
    const { positional, flags, options } = parseArgs(args, {
      flags: ['once', 'yes'],
      options: ['fingerprint'],
    });
    const host = hostArg(positional, 'trust', cliName(io));
    const expected = expectedFingerprint(options.get('fingerprint'));
    const scan = await deps.pool.scanHostKey(host);
    io.stdout(
      `The ${host} host (${target(deps.profile, host)}) presents this ${scan.keyType} key:\n  ${scan.fingerprint}\n`,
    );
    if (expected !== null && scan.fingerprint !== expected) {
      const h = deps.profile.hosts[host];
      return printError(
        io,
        new HostKeyMismatch(
          host,
          knownHostsName(h.address, h.port),
          scan.keyType,
          scan.fingerprint,
          expected,
          '--fingerprint',
        ),
      );
    }
    if (scan.status === 'trusted') {
      io.stdout('It is already trusted; nothing to do.\n');
      return EXIT.ok;
    }
    if (scan.status !== 'unknown') return printError(io, scan.error);
    io.stdout(
      'Compare it with what the machine itself says (on its console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub).\n',
    );
    if (expected !== null) {
      io.stdout(`It is the key given with --fingerprint.\n`);
    } else if (!flags.has('yes')) {
      if (!io.stdin.isTTY) {
        io.stderr(
          `Not trusted: there is no terminal to confirm on. After comparing the fingerprint, run it again with --yes.\n`,
        );
        return EXIT.failed;
      }
      const how = flags.has('once') ? 'for this command only' : `permanently (${deps.knownHostsFile})`;
      if (!(await confirm(io, `Trust this key ${how}?`))) {
        io.stderr('Not trusted; nothing was changed.\n');
        return EXIT.failed;
      }
    }
    const accepted = `${scan.keyType} ${scan.fingerprint}`;
    if (flags.has('once')) {
      await deps.pool.trustHostKey(host, scan.fingerprint, false);
      // Trusting for one command only makes sense as a check: log in once with the key accepted.
      await deps.pool.connect(host);
      io.stdout(
        `Logged in to the ${host} host with ${accepted} accepted for this command only; nothing was written. Run it again without --once to keep it.\n`,
      );
      return EXIT.ok;
    }
    await deps.pool.trustHostKey(host, scan.fingerprint, true);
    io.stdout(`Trusted ${accepted}: added to ${deps.knownHostsFile}.\n`);
    if (expected === null && flags.has('yes'))
      io.stderr(
        `Accepted without comparing: --yes takes whatever key the host presents. Check ${scan.fingerprint} on the machine's console, or give the expected key with --fingerprint next time.\n`,
      );
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  }
}

export async function hostKeyForgetCommand(args: string[], deps: HostKeyDeps, io: CliIo): Promise<number> {
  try {
    const { positional } = parseArgs(args, {});
    const host = hostArg(positional, 'forget', cliName(io));
    const { removed, stillPinnedBy } = await deps.pool.forgetHostKey(host);
    io.stdout(
      removed > 0
        ? `Removed ${removed} key${removed === 1 ? '' : 's'} of the ${host} host from ${deps.knownHostsFile}.\n`
        : `The app had no key of the ${host} host in ${deps.knownHostsFile}.\n`,
    );
    if (stillPinnedBy.length === 0) return EXIT.ok;
    const h = deps.profile.hosts[host];
    const name = knownHostsName(h.address, h.port);
    for (const p of stillPinnedBy) {
      io.stderr(
        `Still pinned: ${p.keyType} ${p.fingerprint} in ${p.file}:${p.line} (the profile's known_hosts, which the app never edits).\n`,
      );
    }
    const files = [...new Set(stillPinnedBy.map((p) => p.file))];
    io.stderr(
      `Remove it yourself if the machine really has a new key: ${files.map((f) => `ssh-keygen -R '${name}' -f ${f}`).join('; ')}\n`,
    );
    return EXIT.failed;
  } catch (e) {
    return printError(io, e);
  }
}
