import { z } from 'zod';
import { channelView, delivery } from '../../app/views/alert-channel-schema';
import { call, empty } from './call';

/** A saved channel's id (the settings hold the channels: `settings.set({patch: {alertChannels}})`). */
const channelId = z.string().min(1).max(32);

export const alertsInvoke = {
  /** The saved channels, each with whether its secret is stored (never the secret) and a warning. */
  'alerts.channels': call(empty, z.object({ channels: z.array(channelView) })),
  /** Stores a channel's access token or header secret in the keychain, bound to where it sends. */
  'alerts.setSecret': call(
    z.object({ channelId, value: z.string().min(1).max(4096) }).strict(),
    z.object({ stored: z.boolean() }),
  ),
  'alerts.deleteSecret': call(z.object({ channelId }).strict(), z.object({ deleted: z.boolean() })),
  /** "Send test": one test message to the channel; whether it arrived, or why not. */
  'alerts.test': call(z.object({ channelId }).strict(), delivery),
} as const;
