import { z } from 'zod';
import { time } from '../../app/views/common-schema';
import { deviceView, userDetails, userInput, userPage } from '../../app/views/people-schema';
import { call } from './call';

export const peopleInvoke = {
  /** One page of local users; `search` matches the user ID (and the display name through the admin API). */
  'people.list': call(
    z
      .object({
        from: z.number().int().min(0).max(1_000_000),
        limit: z.number().int().min(1).max(1000),
        search: z.string().max(200),
        /** Count each listed user's devices (one request per user through the admin API). */
        devices: z.boolean(),
      })
      .strict(),
    userPage,
  ),
  'people.show': call(z.object({ user: userInput }).strict(), userDetails),
  'people.devices': call(z.object({ user: userInput }).strict(), z.object({ devices: z.array(deviceView) })),
  /** One device (its access token stops working), or every device when `deviceId` is null. */
  'people.signOut': call(
    z.object({ user: userInput, deviceId: z.string().trim().min(1).max(255).nullable() }).strict(),
    z.object({ removed: z.array(z.string()) }),
  ),
  'people.deactivate': call(
    z.object({ user: userInput, leaveRooms: z.boolean(), erase: z.boolean() }).strict(),
    z.object({ deactivated: z.boolean() }),
  ),
  'people.setAdmin': call(
    z.object({ user: userInput, admin: z.boolean() }).strict(),
    z.object({ admin: z.boolean() }),
  ),
  /**
   * A new password (generated in the main process, or the one typed in the window) set through the admin API
   * and put on the clipboard; the answer never holds it.
   */
  'people.resetPassword': call(
    z
      .object({ user: userInput, signOut: z.boolean(), password: z.string().min(10).max(512).nullable() })
      .strict(),
    z.object({ clearsAt: time.nullable(), generated: z.boolean() }),
  ),
  /** A server notice to every active local user (Tuwunel 1.8.2 on). */
  'people.sendNotice': call(
    z.object({ text: z.string().trim().min(1).max(4000) }).strict(),
    z.object({
      sent: z.number().int(),
      failed: z.array(z.object({ userId: z.string(), reason: z.string() })),
    }),
  ),
} as const;
