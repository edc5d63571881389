import {
  type AlertChannel,
  CHANNEL_TYPE_NAMES,
  channelSecretKind,
  isLoopbackUrl,
} from '../core/alerts/channel-schema';
import { channelSecretRef } from '../core/alerts/channel-secrets';
import type { AlertDispatcher, Delivery } from '../core/alerts/dispatcher';
import { InvalidInput } from '../core/errors';
import type { WriteOnlySecretStore } from '../core/secrets/write-only';
import type { ChannelSecretKind } from '../core/vocab';

/** A channel as Settings → Alerts shows it: whether its secret is stored, and whether it can outlive the server. */
export interface ChannelView {
  channel: AlertChannel;
  /** The secret this channel sends, if any. */
  secretKind: ChannelSecretKind | null;
  /** null when the channel sends no secret. */
  secretStored: boolean | null;
  /** Set when the channel depends on a server it watches: then it goes quiet exactly when it is needed. */
  warning: string | null;
}

/** A server the app watches, as far as "does this channel depend on it" needs. */
export interface WatchedServer {
  serverName: string;
  publicUrl: string;
}

function hostOf(url: string): string {
  return (URL.parse(url)?.hostname ?? '').toLowerCase();
}

/** Whether a channel's messages would pass through one of the watched servers (the point of off-host is that they do not). */
export function dependsOnWatched(channel: AlertChannel, watched: readonly WatchedServer[]): string | null {
  const target =
    channel.type === 'ntfy'
      ? channel.serverUrl
      : channel.type === 'webhook'
        ? channel.url
        : channel.homeserverUrl;
  const host = hostOf(target);
  if (isLoopbackUrl(new URL(target))) return null;
  for (const s of watched) {
    const name = s.serverName.replace(/:\d+$/, '').toLowerCase();
    const roomServer = channel.type === 'matrix' ? channel.roomId.slice(channel.roomId.indexOf(':') + 1) : '';
    if (host === hostOf(s.publicUrl) || host === name || roomServer.toLowerCase() === name)
      return `This ${CHANNEL_TYPE_NAMES[channel.type]} goes through ${s.serverName}, a server it watches: when that server is down, its alerts cannot arrive. Use one hosted elsewhere.`;
  }
  return null;
}

export async function channelViews(
  channels: readonly AlertChannel[],
  secrets: WriteOnlySecretStore,
  watched: readonly WatchedServer[],
): Promise<ChannelView[]> {
  return Promise.all(
    channels.map(async (channel) => {
      const ref = channelSecretRef(channel);
      return {
        channel,
        secretKind: channelSecretKind(channel),
        secretStored: ref ? await secrets.has(ref) : null,
        warning: dependsOnWatched(channel, watched),
      };
    }),
  );
}

function refOf(channel: AlertChannel) {
  const ref = channelSecretRef(channel);
  if (!ref)
    throw new InvalidInput(
      'secret',
      `the ${CHANNEL_TYPE_NAMES[channel.type]} "${channel.name}" sends no secret; turn on its access token or header first`,
    );
  return ref;
}

/** Stores a channel's secret (write-only: nothing reads it back but the dispatcher, for one send). */
export async function setChannelSecret(
  secrets: WriteOnlySecretStore,
  channel: AlertChannel,
  value: string,
): Promise<{ stored: true }> {
  const ref = refOf(channel);
  if (value.trim() === '') throw new InvalidInput('secret', 'is empty; nothing was stored');
  const bytes = Buffer.from(value, 'utf8');
  try {
    await secrets.set(ref, bytes);
  } finally {
    bytes.fill(0);
  }
  return { stored: true };
}

export async function deleteChannelSecret(
  secrets: WriteOnlySecretStore,
  channel: AlertChannel,
): Promise<{ deleted: boolean }> {
  return { deleted: await secrets.delete(refOf(channel)) };
}

/** The "send test" button of a channel. */
export function sendChannelTest(
  dispatcher: AlertDispatcher,
  serverName: string,
  channel: AlertChannel,
): Promise<Delivery> {
  return dispatcher.sendTest(serverName, channel);
}
