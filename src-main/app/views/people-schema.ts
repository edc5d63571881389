import { z } from 'zod';
import { ROUTES } from '../../core/vocab';
import { time } from './common-schema';

/** The People panel's views (issue 16): local users and their devices, never a password. */

export const userSummary = z.object({
  userId: z.string(),
  displayName: z.string().nullable(),
  /** null: the route does not say (the admin room before 1.8.1). */
  admin: z.boolean().nullable(),
  deactivated: z.boolean(),
  lastActiveAt: time.nullable(),
  deviceCount: z.number().int().nullable(),
});
export type UserSummaryView = z.infer<typeof userSummary>;

export const peopleRoute = z.enum(ROUTES).exclude(['cli']);

export const userPage = z.object({
  users: z.array(userSummary),
  total: z.number().int(),
  nextFrom: z.number().int().nullable(),
  route: peopleRoute,
  /** What this route cannot show, as a sentence. */
  note: z.string().nullable(),
});
export type UserPageView = z.infer<typeof userPage>;

export const deviceView = z.object({
  deviceId: z.string(),
  displayName: z.string().nullable(),
  lastSeenAt: time.nullable(),
  lastSeenIp: z.string().nullable(),
});
export type DeviceView = z.infer<typeof deviceView>;

export const userDetails = userSummary.extend({
  erased: z.boolean().nullable(),
  /** null: not listed on this route (the admin room). */
  devices: z.array(deviceView).nullable(),
  route: peopleRoute,
});
export type UserDetailsView = z.infer<typeof userDetails>;

/** A user as typed: `@name:server` or a bare localpart (the core checks the Matrix grammar and the server). */
export const userInput = z.string().trim().min(1).max(255);
