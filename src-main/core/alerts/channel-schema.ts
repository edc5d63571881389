import { z } from 'zod';
import { isServerName } from '../lib/grammar';
import { ALERT_KINDS, type AlertChannelType, type ChannelSecretKind } from '../vocab';

/**
 * An off-host alert channel as the settings hold it. Secrets are never here: an ntfy access token, a webhook's
 * header secret and a Matrix access token live in the keychain (channel-secrets.ts), bound to the channel and to
 * where it sends.
 */

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Whether a URL's host is this computer: only there may plain http carry an alert. */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK.test(url.hostname);
}

/**
 * An absolute https URL without credentials, query or fragment; plain http only to this computer (a relay or a
 * test receiver), because an alert names the server and what is wrong with it, and a channel's secret travels
 * with it.
 */
const endpointUrl = z
  .string()
  .max(2000)
  .superRefine((text, ctx) => {
    const url = URL.parse(text);
    const problem = !url
      ? 'is not a URL'
      : url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))
        ? 'must start with https:// (plain http only to this computer)'
        : url.username || url.password
          ? 'must not hold a user name or password (the secret goes to the keychain)'
          : url.search || url.hash
            ? 'must not have a query or fragment'
            : null;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const noControl = /^\P{Cc}+$/u;

const common = {
  /** Stable: the keychain binds the channel's secret to it. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1–32 lowercase letters, digits or -'),
  /** Shown in the settings and in "channel failed" reports. */
  name: z.string().min(1).max(60).regex(noControl, 'must not hold control characters'),
  enabled: z.boolean(),
  /** Which of the alert policy's events go there; "recovered" without "down" is allowed (a quiet channel). */
  events: z.array(z.enum(ALERT_KINDS)).min(1).max(ALERT_KINDS.length),
};

/** ntfy's topic grammar (server/server.go topicRegex). */
const NTFY_TOPIC = /^[-_A-Za-z0-9]{1,64}$/;

export const ntfyChannelSchema = z
  .object({
    ...common,
    type: z.literal('ntfy'),
    /** The ntfy server, e.g. https://ntfy.sh or a self-hosted one; published to as JSON at its root. */
    serverUrl: endpointUrl,
    topic: z.string().regex(NTFY_TOPIC, 'must be 1–64 letters, digits, - or _ (ntfy topic names)'),
    /** Send the access token kept in the keychain (a protected topic on a self-hosted server). */
    useAccessToken: z.boolean(),
  })
  .strict();

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

export const webhookChannelSchema = z
  .object({
    ...common,
    type: z.literal('webhook'),
    url: endpointUrl,
    /** The header that carries the secret kept in the keychain (e.g. `Authorization`); null: no secret. */
    secretHeader: z.string().regex(HEADER_NAME, 'must be an HTTP header name').nullable(),
  })
  .strict();

/** `!opaque:server`: a room ID (an alias would need the homeserver to resolve it, at the worst moment). */
const roomId = z
  .string()
  .max(255)
  .refine((s) => {
    const m = /^![^:\s]+:(.+)$/.exec(s);
    return m !== null && isServerName(m[1] ?? '');
  }, 'must be a room ID like !abc123:example.org (Element: Room settings → Advanced)');

export const matrixChannelSchema = z
  .object({
    ...common,
    type: z.literal('matrix'),
    /** The client-server API base of the homeserver that hosts the room, e.g. https://matrix.example.org. */
    homeserverUrl: endpointUrl,
    roomId,
  })
  .strict();

export const alertChannelSchema = z.discriminatedUnion('type', [
  ntfyChannelSchema,
  webhookChannelSchema,
  matrixChannelSchema,
]);
export type AlertChannel = z.infer<typeof alertChannelSchema>;
export type NtfyChannel = z.infer<typeof ntfyChannelSchema>;
export type WebhookChannel = z.infer<typeof webhookChannelSchema>;
export type MatrixChannel = z.infer<typeof matrixChannelSchema>;

/** The keychain kind a channel's secret is kept under, and whether the channel sends it. */
export function channelSecretKind(channel: AlertChannel): ChannelSecretKind | null {
  switch (channel.type) {
    case 'ntfy':
      return channel.useAccessToken ? 'ntfy-access-token' : null;
    case 'webhook':
      return channel.secretHeader ? 'webhook-secret' : null;
    case 'matrix':
      return 'matrix-room-token';
  }
}

export const CHANNEL_TYPE_NAMES: Record<AlertChannelType, string> = {
  ntfy: 'ntfy topic',
  webhook: 'webhook',
  matrix: 'Matrix room',
};
