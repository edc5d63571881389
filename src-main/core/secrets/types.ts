import { z } from 'zod';
import { SECRET_KINDS, type SecretKind } from '../vocab';

export { SECRET_KINDS, type SecretKind };
export const secretKindSchema = z.enum(SECRET_KINDS);

/** A profile name or host as part of a keychain account: any text but control characters. */
const accountPart = z
  .string()
  .min(1, 'must not be empty')
  .max(253)
  .regex(/^\P{Cc}+$/u, 'must not hold control characters');

export const secretRefSchema = z.object({
  profile: accountPart,
  kind: secretKindSchema,
  host: accountPart.optional(),
});

/** Which secret: the kind, and for per-host kinds the host role. Account = `<profile>/<kind>[/<host>]`. */
export type SecretRef = z.infer<typeof secretRefSchema>;

/** The main process's view of the keychain. Only the main process ever calls `get`. */
export interface SecretStore {
  get(ref: SecretRef): Promise<Buffer | null>;
  set(ref: SecretRef, value: string | Buffer): Promise<void>;
  has(ref: SecretRef): Promise<boolean>;
  delete(ref: SecretRef): Promise<boolean>;
}
