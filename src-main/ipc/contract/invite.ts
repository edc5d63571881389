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
        /** A room or space whoever registers with it is invited into (alias or room ID), once they joined. */
        inviteTo: z.string().max(255).nullable().optional(),
      })
      .strict(),
    z.object({ invite: inviteInfo, clearsAt: time.nullable() }),
  ),
  'invite.list': call(empty, z.object({ invites: z.array(inviteInfo) })),
  'invite.copyToken': call(z.object({ id }).strict(), z.object({ clearsAt: time.nullable() })),
  /** The runbook's joining block for this server, WITHOUT the token (it goes through a side channel). */
  'invite.copyInstructions': call(empty, z.object({ copied: z.boolean() })),
  'invite.revoke': call(z.object({ id }).strict(), z.object({ revoked: z.boolean() })),
  /** Revokes every invite the app issued that nobody has used yet, in one go. */
  'invite.revokeUnused': call(empty, z.object({ revoked: z.number().int() })),
  /** `matrix_tuwunel_config_auto_join_rooms` of vars.yml on the deploy host: where a new user lands. */
  'invite.autoJoinRooms': call(
    empty,
    z.object({ rooms: z.array(z.string()).nullable(), problem: z.string().nullable() }),
  ),
} as const;

export const inviteEvents = {
  /** An invite the app issued was used up (by `joined`, as far as the admin room tells) or expired. */
  'invite.ended': z.object({
    hint: z.string(),
    state: z.enum(['used', 'expired']),
    joined: z.array(z.string()),
    /** The room they were invited into, as the invite asked; null when none or it failed. */
    invitedTo: z.string().nullable(),
    /** Why inviting them into it failed (a sentence); null when nothing failed. */
    inviteProblem: z.string().nullable(),
  }),
} as const;
