import { z } from 'zod';
import { type HostRole, hostRole } from '../../app/views/common-schema';
import { type SecretKind, secretKind, secretSlot } from '../../app/views/secret-schema';
import { isPerHostSecret } from '../../core/vocab';
import { call, empty } from './call';

function belongsWhereItShould(r: { kind: SecretKind; host: HostRole | null }): boolean {
  return isPerHostSecret(r.kind) === (r.host !== null);
}
const secretPlace = {
  message: 'SSH and sudo secrets belong to a host; the vault password and admin token do not',
  path: ['host'],
};

export const secretRef = z
  .object({ kind: secretKind, host: hostRole.nullable() })
  .strict()
  .refine(belongsWhereItShould, secretPlace);
export type SecretRef = z.infer<typeof secretRef>;

export const secretsInvoke = {
  /**
   * Which secrets of the selected profile are stored. Secrets are write-only: there is no get. `migration`:
   * what moving an earlier version's name-keyed entries did when the profile was opened (null: none there).
   */
  'secrets.list': call(empty, z.object({ secrets: z.array(secretSlot), migration: z.string().nullable() })),
  'secrets.has': call(secretRef, z.object({ stored: z.boolean() })),
  'secrets.set': call(
    z
      .object({ kind: secretKind, host: hostRole.nullable(), value: z.string().min(1).max(65_536) })
      .strict()
      .refine(belongsWhereItShould, secretPlace),
    z.object({ stored: z.boolean() }),
  ),
  'secrets.delete': call(secretRef, z.object({ deleted: z.boolean() })),
} as const;
