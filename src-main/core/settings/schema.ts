import { z } from 'zod';
import { alertChannelSchema } from '../alerts/channel-schema';
import { SETTINGS_LIMITS } from '../vocab';

const {
  clipboardClearSeconds,
  pollIntervalSeconds,
  maintenanceReminderMinutes,
  startRetryMinutes,
  historyRetentionDays,
  historyDetailDays,
  expiryNotifyDays,
  diskFullNotifyDays,
  alertChannels,
} = SETTINGS_LIMITS;

const days = (limits: { min: number; max: number }) => z.number().int().min(limits.min).max(limits.max);

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
    /** Off-host alert channels (ntfy, webhook, Matrix room on another server); ids unique. */
    alertChannels: z
      .array(alertChannelSchema)
      .max(alertChannels.max)
      .refine((list) => new Set(list.map((c) => c.id)).size === list.length, 'channel ids must be unique'),
    /** Days before a TLS certificate or the domain registration expires to notify at, each once. */
    expiryNotifyDays: z
      .array(days(expiryNotifyDays))
      .max(5)
      .refine((list) => new Set(list).size === list.length, 'must not repeat a day'),
    /** Notify when the data disk is forecast full within this many days. */
    diskFullNotifyDays: days(diskFullNotifyDays),
    /** Days of poll history kept; the last `historyDetailDays` at full resolution, older ones per hour. */
    historyRetentionDays: days(historyRetentionDays),
    historyDetailDays: days(historyDetailDays),
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
  alertChannels: [],
  expiryNotifyDays: [...expiryNotifyDays.default],
  diskFullNotifyDays: diskFullNotifyDays.default,
  historyRetentionDays: historyRetentionDays.default,
  historyDetailDays: historyDetailDays.default,
};
