import type { HttpReply, HttpRequest } from '../lib/http-request';
import type { AlertMessage, MessageKind } from './alert-message';
import type { AlertChannel, MatrixChannel, NtfyChannel, WebhookChannel } from './channel-schema';

/** How long one delivery may take: an alert that waits longer is late anyway, and the next poll comes. */
export const SEND_TIMEOUT_MS = 10_000;

/** What a channel answered that was not a delivery: a sentence part, and the next step. */
export interface Refusal {
  reason: string;
  nextStep: string;
}

const USER_AGENT = 'Homeserver Tray';

// ntfy: priority 1–5 (3 default), tags that map to emojis (docs/publish.md "Tags & emojis").
const NTFY_PRIORITY: Record<MessageKind, number> = {
  down: 5,
  'still-down': 4,
  recovered: 3,
  test: 3,
  'channel-failed': 4,
  forecast: 4,
};
const NTFY_TAGS: Record<MessageKind, string[]> = {
  down: ['rotating_light'],
  'still-down': ['warning'],
  recovered: ['white_check_mark'],
  test: ['test_tube'],
  'channel-failed': ['warning'],
  forecast: ['hourglass_flowing_sand'],
};

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** ntfy's "publish as JSON": a POST of the whole message to the server's root (UTF-8 safe, unlike headers). */
export function ntfyRequest(channel: NtfyChannel, message: AlertMessage, token: string | null): HttpRequest {
  return {
    method: 'POST',
    url: joinUrl(channel.serverUrl, ''),
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      topic: channel.topic,
      title: message.title,
      message: message.text,
      priority: NTFY_PRIORITY[message.kind],
      tags: NTFY_TAGS[message.kind],
    }),
    timeoutMs: SEND_TIMEOUT_MS,
  };
}

/** The webhook's JSON body: stable field names a receiver can rely on (documented in the README). */
export function webhookBody(message: AlertMessage): Record<string, unknown> {
  return {
    source: 'homeserver-tray',
    version: 1,
    event: message.kind,
    server: message.server,
    title: message.title,
    text: message.text,
    urgent: message.urgent,
    at: message.at,
    alerts: message.events.map((e) => ({
      kind: e.kind,
      at: e.at,
      check: { id: e.check.id, title: e.check.title, host: e.check.host, detail: e.check.detail },
    })),
  };
}

export function webhookRequest(
  channel: WebhookChannel,
  message: AlertMessage,
  secret: string | null,
): HttpRequest {
  return {
    method: 'POST',
    url: channel.url,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      ...(channel.secretHeader && secret ? { [channel.secretHeader]: secret } : {}),
    },
    body: JSON.stringify(webhookBody(message)),
    timeoutMs: SEND_TIMEOUT_MS,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A message into the room (client-server API, PUT …/send/m.room.message/{txnId}). `m.text`, not `m.notice`:
 * the default push rules silence notices, and an alert should make a phone buzz. The same txnId on a retry
 * lets the homeserver drop the duplicate.
 */
export function matrixRequest(
  channel: MatrixChannel,
  message: AlertMessage,
  token: string,
  txnId: string,
): HttpRequest {
  const path = `_matrix/client/v3/rooms/${encodeURIComponent(channel.roomId)}/send/m.room.message/${encodeURIComponent(txnId)}`;
  return {
    method: 'PUT',
    url: joinUrl(channel.homeserverUrl, path),
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      Authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({
      msgtype: 'm.text',
      body: `${message.title}\n${message.text}`,
      format: 'org.matrix.custom.html',
      formatted_body: `<b>${escapeHtml(message.title)}</b><br>${escapeHtml(message.text).replaceAll('\n', '<br>')}`,
    }),
    timeoutMs: SEND_TIMEOUT_MS,
  };
}

function parseJson(body: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(body);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function said(text: unknown): string {
  return typeof text === 'string'
    ? text
        .replace(/\p{Cc}/gu, ' ')
        .trim()
        .slice(0, 160)
    : '';
}

/** null when the channel took the message, else why not and what to do. */
export function refusal(channel: AlertChannel, reply: HttpReply): Refusal | null {
  const { status } = reply;
  if (status >= 200 && status < 300) return null;
  const json = parseJson(reply.body);
  if (status >= 300 && status < 400)
    return {
      reason: `it answered with a redirect (${status}) to ${said(reply.headers.location) || 'elsewhere'}`,
      nextStep:
        'Enter the final URL in the channel: redirects are not followed, so its secret goes nowhere else.',
    };
  switch (channel.type) {
    case 'ntfy': {
      const why = said(json?.error) || `HTTP ${status}`;
      if (status === 401 || status === 403)
        return {
          reason: `the ntfy server refused to publish to "${channel.topic}" (${why})`,
          nextStep: 'Check the access token stored for this channel and that it may write to the topic.',
        };
      if (status === 429)
        return {
          reason: `the ntfy server limits requests (${why})`,
          nextStep: 'Wait, or use a server of your own.',
        };
      return {
        reason: `the ntfy server answered ${status} (${why})`,
        nextStep: 'Check the server URL (the root of the ntfy server, without the topic).',
      };
    }
    case 'webhook':
      return {
        reason: `the webhook answered ${status}${said(reply.body) ? ` (${said(reply.body)})` : ''}`,
        nextStep:
          status === 401 || status === 403
            ? 'Check the header secret stored for this channel and the header name.'
            : 'Check the URL and that the receiver is running.',
      };
    case 'matrix': {
      const errcode = said(json?.errcode);
      const why = [errcode, said(json?.error)].filter(Boolean).join(': ') || `HTTP ${status}`;
      if (errcode === 'M_UNKNOWN_TOKEN' || status === 401)
        return {
          reason: `the homeserver did not accept the access token (${why})`,
          nextStep: 'Store a new access token for this channel (the account may have logged out).',
        };
      if (errcode === 'M_FORBIDDEN' || status === 403)
        return {
          reason: `the account may not post in ${channel.roomId} (${why})`,
          nextStep:
            'Invite the alert account to the room and accept the invite, or give it the right to post.',
        };
      return {
        reason: `the homeserver answered ${status} (${why})`,
        nextStep: 'Check the homeserver URL and the room ID.',
      };
    }
  }
}
