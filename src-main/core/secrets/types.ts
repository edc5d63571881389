import { z } from 'zod';
import { KEYCHAIN_KINDS, SECRET_KINDS, type SecretKind } from '../vocab';

export { SECRET_KINDS, type SecretKind };
export const secretKindSchema = z.enum(SECRET_KINDS);
/** A profile's kinds, the app's own (issued invites) and the alert channels' (core/alerts/channel-secrets.ts). */
export const keychainKindSchema = z.enum(KEYCHAIN_KINDS);

/** A part of a keychain account: any text but control characters. */
const accountPart = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max)
    .regex(/^\P{Cc}+$/u, 'must not hold control characters');

export const secretRefSchema = z.object({
  profile: accountPart(253),
  kind: keychainKindSchema,
  // A host identity holds user, address, port, pinned key and jump host; a homeserver's, a whole URL.
  host: accountPart(2048).optional(),
});

/**
 * Which secret. The core's parts name the profile (its name) and, for per-host kinds, the host role; the
 * keychain gets the same shape bound to identity (profile-secrets.ts): the profile's uid, and the identity
 * of the host or homeserver. Account = `<profile>/<kind>[/<host>]`. The app's own entries (APP_SECRET_KINDS)
 * are refs too, but never one a user names: SecretRef holds the user's kinds only.
 */
export type KeychainRef = z.infer<typeof secretRefSchema>;
/** A profile's secret as the user names it (the channels' and the app's own refs are KeychainRefs). */
export type SecretRef = KeychainRef & { kind: SecretKind };

/** The main process's view of the keychain. Only the main process ever calls `get`. */
export interface SecretStore {
  get(ref: KeychainRef): Promise<Buffer | null>;
  set(ref: KeychainRef, value: string | Buffer): Promise<void>;
  has(ref: KeychainRef): Promise<boolean>;
  delete(ref: KeychainRef): Promise<boolean>;
}
