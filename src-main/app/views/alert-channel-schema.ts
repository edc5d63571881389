import { z } from 'zod';
import { alertChannelSchema } from '../../core/alerts/channel-schema';
import { CHANNEL_SECRET_KINDS } from '../../core/vocab';
import { errorInfo } from './common-schema';

/** The off-host alert channels as Settings → Alerts shows them (app/alert-channels.ts builds them). */

export { type AlertChannel, alertChannelSchema as alertChannel } from '../../core/alerts/channel-schema';

export const channelSecretKind = z.enum(CHANNEL_SECRET_KINDS);

export const channelView = z.object({
  channel: alertChannelSchema,
  /** The secret this channel sends (an access token, a header secret); null: it sends none. */
  secretKind: channelSecretKind.nullable(),
  /** Whether that secret is in the keychain; null when the channel sends none. Never the secret itself. */
  secretStored: z.boolean().nullable(),
  /** Set when the channel goes through a server the app watches: it would go quiet exactly when needed. */
  warning: z.string().nullable(),
});
export type ChannelView = z.infer<typeof channelView>;

/** What one send to one channel did ("Send test"). */
export const delivery = z.object({
  channelId: z.string(),
  ok: z.boolean(),
  error: errorInfo.optional(),
});
export type Delivery = z.infer<typeof delivery>;
