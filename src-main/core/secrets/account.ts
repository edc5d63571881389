import { InvalidInput } from '../errors';
import { type KeychainRef, secretRefSchema } from './types';

/** The keychain service every item of this app is stored under (libsecret attribute `service`). */
export const SECRET_SERVICE = 'homeserver-tray';

/**
 * `/` separates the account's parts, so a `/` inside a profile name or host is written `%2F` (and `%` as `%25`):
 * every valid profile name can hold secrets, and no two refs share an account.
 */
function escapePart(part: string): string {
  return part.replaceAll('%', '%25').replaceAll('/', '%2F');
}

/** `<profile>/<kind>[/<host>]`; throws InvalidInput for a ref that does not validate. */
export function secretAccount(ref: KeychainRef): string {
  const parsed = secretRefSchema.safeParse(ref);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInput(`secret ${issue?.path.join('.') || 'reference'}`, issue?.message ?? 'is invalid');
  }
  const { profile, kind, host } = parsed.data;
  return host === undefined
    ? `${escapePart(profile)}/${kind}`
    : `${escapePart(profile)}/${kind}/${escapePart(host)}`;
}
