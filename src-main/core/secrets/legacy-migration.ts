import { HOST_ROLES } from '../profile/schema';
import { keychainRef, PER_HOST_SECRET_KINDS, type ProfileIdentity } from './profile-secrets';
import { SECRET_KINDS, type SecretRef, type SecretStore, secretRefSchema } from './types';

/**
 * Earlier versions stored secrets under the profile's name (`<name>/<kind>[/<host role>]`), so a second profile
 * with the same name received them. Those entries are moved to the identity-bound ones (profile-secrets.ts)
 * the first time their profile is loaded — only when exactly one profile carries that name, since otherwise
 * nothing tells whose they are: then they are left where they are, and the user is told.
 */

export interface LegacyMigration {
  /** Entries moved to this profile's own (and deleted under the name). */
  moved: number;
  /** Entries left under the name because several profiles carry it. */
  left: number;
  /** What to tell the user; null when there was nothing under the name. */
  sentence: string | null;
}

function legacyRefs(name: string): SecretRef[] {
  const refs = SECRET_KINDS.flatMap((kind): SecretRef[] =>
    PER_HOST_SECRET_KINDS.includes(kind)
      ? HOST_ROLES.map((host) => ({ profile: name, kind, host }))
      : [{ profile: name, kind }],
  );
  // A name the old accounts could not hold never had entries.
  return refs.filter((ref) => secretRefSchema.safeParse(ref).success);
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Moves the name-keyed entries of `identity.profile` to its identity-bound ones. `namesakes`: how many
 * profiles carry this name, this one included. An identity-bound entry that is already set wins (the user
 * set it after the upgrade); the old one is deleted all the same. Keychain failures are thrown.
 */
export async function migrateLegacySecrets(
  keychain: SecretStore,
  identity: ProfileIdentity,
  namesakes: number,
): Promise<LegacyMigration> {
  const name = identity.profile.name;
  let moved = 0;
  let left = 0;
  for (const legacy of legacyRefs(name)) {
    const value = await keychain.get(legacy);
    if (value === null) continue;
    try {
      if (namesakes > 1) {
        left += 1;
        continue;
      }
      const target = keychainRef(identity, legacy);
      if (!(await keychain.has(target))) await keychain.set(target, value);
      await keychain.delete(legacy);
      moved += 1;
    } finally {
      value.fill(0);
    }
  }
  const sentences: string[] = [];
  if (moved > 0)
    sentences.push(
      `Moved ${plural(moved, 'secret', 'secrets')} that an earlier version stored under the name "${name}" to this profile's own keychain entries, bound to its hosts and homeserver.`,
    );
  if (left > 0)
    sentences.push(
      `Left ${plural(left, 'secret', 'secrets')} that an earlier version stored under the name "${name}" in the keychain: ${namesakes} profiles are named "${name}", so they could belong to any of them. Give the profiles different names to have them moved, or set this profile's secrets again and delete the old entries (service homeserver-tray, accounts starting "${name}/").`,
    );
  return { moved, left, sentence: sentences.length > 0 ? sentences.join(' ') : null };
}
