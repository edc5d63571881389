import { z } from 'zod';
import { id, time } from '../../app/views/common-schema';
import { inviteInfo } from '../../app/views/secret-schema';
import { call, empty } from './call';

export const inviteInvoke = {
  /** Issues a one-shot registration token and copies it (same clipboard rules as token.copy). */
  'invite.create': call(
    z
      .object({
        uses: z.number().int().min(1).max(100),
        expiresInDays: z.number().int().min(1).max(365).nullable(),
      })
      .strict(),
    z.object({ invite: inviteInfo, clearsAt: time.nullable() }),
  ),
  'invite.list': call(empty, z.object({ invites: z.array(inviteInfo) })),
  'invite.copyToken': call(z.object({ id }).strict(), z.object({ clearsAt: time.nullable() })),
  /** The runbook's joining block for this server, WITHOUT the token (it goes through a side channel). */
  'invite.copyInstructions': call(empty, z.object({ copied: z.boolean() })),
  'invite.revoke': call(z.object({ id }).strict(), z.object({ revoked: z.boolean() })),
} as const;
