import { InvalidInput } from '../core/errors';
import type { Profile } from '../core/profile/schema';
import { type SecretRef, type SecretStore, secretKindSchema } from '../core/secrets/types';
import { trimVaultPasswordFile } from '../core/vault/password-file';
import { HOST_ROLES, isPerHostSecret, type SecretKind } from '../core/vocab';
import { parseArgs, UsageError } from './args';
import { EXIT } from './exit-codes';
import { type CliIo, cliName, printError } from './io';
import { readAll, readHidden, withoutLineEnd } from './secret-input';

/**
 * `secret set <kind> [--host h]` and `secret delete <kind> [--host h]`. A secret comes in on stdin (typed
 * without echo at a terminal, or piped), never as an argument, and is never printed.
 */

export interface SecretCliDeps {
  profile: Profile;
  secrets: SecretStore;
}

export const KIND_NAMES: Record<SecretKind, string> = {
  'ssh-password': 'SSH password',
  'ssh-key-passphrase': 'SSH key passphrase',
  'sudo-password': 'sudo password',
  'vault-password': 'vault password',
  'matrix-admin-token': 'Matrix admin access token',
};

const KINDS = secretKindSchema.options.join(', ');

function secretRef(args: string[], profile: Profile, command: 'set' | 'delete', cli: string): SecretRef {
  const { positional, options } = parseArgs(args, { options: ['host'] });
  const [given, ...extra] = positional;
  if (given === undefined)
    throw new UsageError(`secret ${command}`, `needs the kind of secret: one of ${KINDS}`);
  const parsed = secretKindSchema.safeParse(given);
  // The word is not repeated: someone who typed the secret where the kind goes would see it printed.
  if (!parsed.success) throw new UsageError(`secret ${command}`, `the kind must be one of ${KINDS}`);
  const kind = parsed.data;
  const host = options.get('host');
  const hostOption = host === undefined ? '' : ` --host ${host}`;
  if (extra.length > 0)
    throw new UsageError(
      `secret ${command} ${kind}`,
      command === 'set'
        ? `takes no value after the kind (the ${extra.length === 1 ? 'argument' : `${extra.length} arguments`} after "${kind}" ${extra.length === 1 ? 'was' : 'were'} refused and not stored): secrets come on stdin, typed without echo at \`${cli} secret set ${kind}${hostOption}\`, or piped: printf '%s\\n' "$SECRET" | ${cli} secret set ${kind}${hostOption}. If it was the real secret, it is now in your shell history`
        : `takes nothing after the kind ("${kind}")`,
    );
  if (isPerHostSecret(kind)) {
    if (host === undefined || !(HOST_ROLES as readonly string[]).includes(host))
      throw new UsageError(
        '--host',
        `the ${KIND_NAMES[kind]} belongs to a host: give --host homeserver or --host deploy`,
      );
    return { profile: profile.name, kind, host };
  }
  if (host !== undefined)
    throw new UsageError('--host', `the ${KIND_NAMES[kind]} belongs to the profile, not to a host`);
  return { profile: profile.name, kind };
}

export function secretName(ref: Pick<SecretRef, 'kind' | 'host'>): string {
  return `${KIND_NAMES[ref.kind]}${ref.host ? ` for the ${ref.host} host` : ''}`;
}

/** `secret set <kind> [--host h]`: typed without echo at a terminal, or piped on stdin. Never an argument. */
export async function secretSetCommand(args: string[], deps: SecretCliDeps, io: CliIo): Promise<number> {
  let value: Buffer | null = null;
  try {
    const ref = secretRef(args, deps.profile, 'set', cliName(io));
    const name = secretName(ref);
    if (io.stdin.isTTY) {
      value = await readHidden(io, `${name[0]?.toUpperCase()}${name.slice(1)} (not shown): `, name);
    } else {
      const raw = await readAll(io.stdin);
      // The vault password is read as ansible-vault reads its password file; others lose one line end.
      value = ref.kind === 'vault-password' ? trimVaultPasswordFile(raw) : withoutLineEnd(raw);
      raw.fill(0);
    }
    if (value.length === 0) throw new InvalidInput('input', 'is empty; nothing was stored');
    await deps.secrets.set(ref, value);
    io.stdout(`Stored the ${name} of ${deps.profile.name} in the keychain.\n`);
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  } finally {
    value?.fill(0);
  }
}

export async function secretDeleteCommand(args: string[], deps: SecretCliDeps, io: CliIo): Promise<number> {
  try {
    const ref = secretRef(args, deps.profile, 'delete', cliName(io));
    const name = secretName(ref);
    const deleted = await deps.secrets.delete(ref);
    io.stdout(
      deleted ? `Deleted the ${name} from the keychain.\n` : `No ${name} was stored; nothing to delete.\n`,
    );
    return EXIT.ok;
  } catch (e) {
    return printError(io, e);
  }
}
