import { z } from 'zod';
import { SETTINGS_LIMITS } from '../vocab';

const { clipboardClearSeconds, pollIntervalSeconds, maintenanceReminderMinutes, startRetryMinutes } =
  SETTINGS_LIMITS;

/** The app's own settings (not a homeserver's); the IPC contract carries them with this schema. */
export const settingsSchema = z
  .object({
    /** Seconds until a copied token is cleared (if the clipboard still holds it); null = never. */
    clipboardClearSeconds: z
      .number()
      .int()
      .min(clipboardClearSeconds.min)
      .max(clipboardClearSeconds.max)
      .nullable(),
    pollIntervalSeconds: z.number().int().min(pollIntervalSeconds.min).max(pollIntervalSeconds.max),
    /** Maintenance mode on for longer than this reminds once (a sticky alert every instance shows). */
    maintenanceReminderMinutes: z
      .number()
      .int()
      .min(maintenanceReminderMinutes.min)
      .max(maintenanceReminderMinutes.max),
    /** How long starting Tuwunel again after CLI mode is retried, in all, before the run gives up. */
    startRetryMinutes: z.number().int().min(startRetryMinutes.min).max(startRetryMinutes.max),
    notifications: z.boolean(),
    launchAtLogin: z.boolean(),
  })
  .strict();
export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
  clipboardClearSeconds: clipboardClearSeconds.default,
  pollIntervalSeconds: pollIntervalSeconds.default,
  maintenanceReminderMinutes: maintenanceReminderMinutes.default,
  startRetryMinutes: startRetryMinutes.default,
  notifications: true,
  launchAtLogin: false,
};
