import { z } from 'zod';
import { SETTINGS_LIMITS } from '../vocab';

const { clipboardClearSeconds, pollIntervalSeconds } = SETTINGS_LIMITS;

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
    notifications: z.boolean(),
    launchAtLogin: z.boolean(),
  })
  .strict();
export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
  clipboardClearSeconds: clipboardClearSeconds.default,
  pollIntervalSeconds: pollIntervalSeconds.default,
  notifications: true,
  launchAtLogin: false,
};
