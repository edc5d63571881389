import { z } from 'zod';
import {
  CLEAR_DELAY_MAX_SECONDS,
  CLEAR_DELAY_MIN_SECONDS,
  DEFAULT_CLEAR_DELAY_SECONDS,
} from '../token/clipboard';

/** The app's own settings (not a homeserver's): the same shape as the IPC contract's `Settings`. */
export const settingsSchema = z
  .object({
    /** Seconds until a copied token is cleared (if the clipboard still holds it); null = never. */
    clipboardClearSeconds: z
      .number()
      .int()
      .min(CLEAR_DELAY_MIN_SECONDS)
      .max(CLEAR_DELAY_MAX_SECONDS)
      .nullable(),
    pollIntervalSeconds: z.number().int().min(5).max(3600),
    notifications: z.boolean(),
    launchAtLogin: z.boolean(),
  })
  .strict();
export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
  clipboardClearSeconds: DEFAULT_CLEAR_DELAY_SECONDS,
  pollIntervalSeconds: 30,
  notifications: true,
  launchAtLogin: false,
};
