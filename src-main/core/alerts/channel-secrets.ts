import type { KeychainRef, SecretStore } from '../secrets/types';
import { type AlertChannel, channelSecretKind } from './channel-schema';

/**
 * The keychain's "profile" part of every channel secret. A profile's entries are stored under its uid, which
 * never holds "@" (profile/schema.ts), so no profile can reach these and no channel a profile's.
 */
export const CHANNEL_SECRET_OWNER = '@alert-channels';

/** Where a channel sends: its secret is bound to this, so editing the destination makes it not apply any more. */
export function channelDestination(channel: AlertChannel): string {
  switch (channel.type) {
    case 'ntfy':
      return `${channel.serverUrl} topic ${channel.topic}`;
    case 'webhook':
      return `${channel.url} header ${channel.secretHeader ?? '-'}`;
    case 'matrix':
      return `${channel.homeserverUrl} room ${channel.roomId}`;
  }
}

/**
 * The keychain entry of a channel's secret, or null for a channel that sends none. Bound, like a host's
 * password, to what it opens: the channel's id and its destination. A channel pointed somewhere else asks for
 * its secret again instead of sending the old one to the new place.
 */
export function channelSecretRef(channel: AlertChannel): KeychainRef | null {
  const kind = channelSecretKind(channel);
  if (!kind) return null;
  return { profile: CHANNEL_SECRET_OWNER, kind, host: `${channel.id} ${channelDestination(channel)}` };
}

/** Reads a channel's secret for one send; the caller zeroes the Buffer after use. */
export async function readChannelSecret(store: SecretStore, channel: AlertChannel): Promise<Buffer | null> {
  const ref = channelSecretRef(channel);
  return ref ? store.get(ref) : null;
}
