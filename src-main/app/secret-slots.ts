import type { Profile } from '../core/profile/schema';
import type { SecretRef } from '../core/secrets/types';
import {
  HOST_ROLES,
  type HostRole,
  hostSecretKinds,
  profileSecretKinds,
  type SecretKind,
} from '../core/vocab';

/** One place a secret of the profile can be stored: per host for SSH and sudo, per profile otherwise. */
export interface SecretSlotRef {
  kind: SecretKind;
  host: HostRole | null;
}

/** The secrets this profile can use, as Settings → Secrets lists them (which secrets each host needs). */
export function secretSlots(profile: Profile): SecretSlotRef[] {
  return [
    ...HOST_ROLES.flatMap((host) => hostSecretKinds(profile.hosts[host]).map((kind) => ({ kind, host }))),
    ...profileSecretKinds(profile).map((kind) => ({ kind, host: null })),
  ];
}

/** The keychain reference of a slot of this profile. */
export function secretRef(profile: Profile, slot: SecretSlotRef): SecretRef {
  return { profile: profile.name, kind: slot.kind, ...(slot.host ? { host: slot.host } : {}) };
}
