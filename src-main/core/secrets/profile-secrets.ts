import { InvalidInput } from '../errors';
import { HOST_ROLES, type HostRole, type Profile } from '../profile/schema';
import { isChannelSecret } from '../vocab';
import type { KeychainRef, SecretKind, SecretStore } from './types';

/**
 * What a secret is bound to. The keychain holds every secret under the profile's uid (never its name, which
 * another profile may carry too) and under the identity of what it opens:
 * - SSH and sudo secrets: the host as the connection reaches it — user, address and port, the pinned host key
 *   where the profile pins one, and the jump host it goes through. Editing any of these makes the stored
 *   secret not apply any more: the user is asked again instead of it being sent to another machine.
 * - the Matrix admin token and the invites the app issued: the homeserver — server name and public URL, the only
 *   place the token is sent and where the invites are valid.
 * - the vault password: the profile alone (it opens a file on this computer and is never sent).
 */

export const PER_HOST_SECRET_KINDS: readonly SecretKind[] = [
  'ssh-password',
  'ssh-key-passphrase',
  'sudo-password',
];

function hostTarget(profile: Pick<Profile, 'hosts'>, role: HostRole): string {
  const h = profile.hosts[role];
  const pinned = h.hostKeyFingerprint ? ` key ${h.hostKeyFingerprint}` : '';
  return `${h.user}@${h.address.toLowerCase()}:${h.port}${pinned}`;
}

/** e.g. `admin@192.168.1.243:22`, `admin@10.0.0.5:22 key SHA256:… via root@203.0.113.7:22`. */
export function hostIdentity(profile: Pick<Profile, 'hosts'>, role: HostRole): string {
  const jump = profile.hosts[role].jump;
  return jump ? `${hostTarget(profile, role)} via ${hostTarget(profile, jump)}` : hostTarget(profile, role);
}

/** e.g. `rampancy.cloud https://matrix.rampancy.cloud`. */
export function homeserverIdentity(profile: Pick<Profile, 'serverName' | 'publicUrl'>): string {
  return `${profile.serverName} ${profile.publicUrl}`;
}

export interface ProfileIdentity {
  profile: Pick<Profile, 'name' | 'serverName' | 'publicUrl' | 'hosts'>;
  uid: string;
}

function isHostRole(host: string | undefined): host is HostRole {
  return (HOST_ROLES as readonly string[]).includes(host ?? '');
}

/** The keychain's ref for a ref of the core (profile name, kind, host role). */
export function keychainRef({ profile, uid }: ProfileIdentity, ref: KeychainRef): KeychainRef {
  if (ref.profile !== profile.name)
    throw new InvalidInput('secret', `belongs to the profile "${ref.profile}", not to "${profile.name}"`);
  // An alert channel's secret is bound to the channel and where it sends (core/alerts), never to a profile.
  if (isChannelSecret(ref.kind))
    throw new InvalidInput('secret', `a ${ref.kind} belongs to an alert channel, not to a profile`);
  if ((PER_HOST_SECRET_KINDS as readonly string[]).includes(ref.kind)) {
    if (!isHostRole(ref.host))
      throw new InvalidInput('secret host', `a ${ref.kind} belongs to a host: homeserver or deploy`);
    return { profile: uid, kind: ref.kind, host: hostIdentity(profile, ref.host) };
  }
  if (ref.host !== undefined)
    throw new InvalidInput('secret host', `a ${ref.kind} belongs to the profile, not to a host`);
  if (ref.kind === 'matrix-admin-token' || ref.kind === 'issued-invites')
    return { profile: uid, kind: ref.kind, host: homeserverIdentity(profile) };
  return { profile: uid, kind: ref.kind };
}

/**
 * The keychain as one profile's core sees it: refs name the profile (which must be this one) and a host
 * role, and reach only the entries bound to this profile's identity (see above).
 */
export function profileSecretStore(keychain: SecretStore, identity: ProfileIdentity): SecretStore {
  const at = (ref: KeychainRef) => keychainRef(identity, ref);
  return {
    get: async (ref) => keychain.get(at(ref)),
    set: async (ref, value) => keychain.set(at(ref), value),
    has: async (ref) => keychain.has(at(ref)),
    delete: async (ref) => keychain.delete(at(ref)),
  };
}
