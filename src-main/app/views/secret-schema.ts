import { z } from 'zod';
import { CLIPBOARD_WHATS, INVITE_STATES, SECRET_KINDS } from '../../core/vocab';
import { hostRole, id, time } from './common-schema';

export const inviteInfo = z.object({
  /** Opaque handle chosen by the main process; the invite token itself never reaches the window. */
  id,
  /** The token's first 4 characters and an ellipsis, to tell invites apart. */
  hint: z.string(),
  usesAllowed: z.number().int().nullable(),
  /** null: not known — an invite from the app's own record, on a Tuwunel without the admin API (before 1.8.1). */
  pending: z.number().int().nullable(),
  completed: z.number().int().nullable(),
  expiresAt: time.nullable(),
  /** pending: still usable; used (up), expired, revoked: the app's invite history. */
  state: z.enum(INVITE_STATES),
  /** Who registered with it (the admin room's registration notices). */
  joined: z.array(z.string()),
  /** The room or space whoever registers with it is invited into (an invite this app issued); null for none. */
  inviteTo: z.string().nullable(),
  /** Why bringing whoever joined into inviteTo failed (a sentence); null when it did not, or not yet. */
  inviteProblem: z.string().nullable(),
  issuedAt: time.nullable(),
  endedAt: time.nullable(),
});
export type InviteInfo = z.infer<typeof inviteInfo>;

export const secretKind = z.enum(SECRET_KINDS);
export type SecretKind = z.infer<typeof secretKind>;

export const secretSlot = z.object({ kind: secretKind, host: hostRole.nullable(), stored: z.boolean() });
export type SecretSlot = z.infer<typeof secretSlot>;

/** What the clipboard held when its clear delay ran out. */
export const clipboardWhat = z.enum(CLIPBOARD_WHATS);
