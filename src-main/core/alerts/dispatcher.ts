import { randomBytes } from 'node:crypto';
import { describeError } from '../errors';
import { type HttpRequester, httpRequest, RequestFailed } from '../lib/http-request';
import type { SecretStore } from '../secrets/types';
import {
  type AlertEventLike,
  type AlertMessage,
  alertMessage,
  channelFailedMessage,
  forecastMessage,
  testMessage,
} from './alert-message';
import { type AlertChannel, CHANNEL_TYPE_NAMES, channelSecretKind } from './channel-schema';
import { readChannelSecret } from './channel-secrets';
import { AlertChannelFailed } from './errors';
import { matrixRequest, ntfyRequest, refusal, webhookRequest } from './senders';

export interface Delivery {
  channelId: string;
  ok: boolean;
  /** The failure as the UI shows it. */
  error?: { code: string; message: string; nextStep: string };
}

/** A channel started failing (told once per failing streak) or works again. */
export interface ChannelProblem {
  kind: 'failed' | 'works-again';
  channelId: string;
  channelName: string;
  error?: { code: string; message: string; nextStep: string };
  at: string;
}

export interface AlertDispatcherOptions {
  /** The channels as the settings hold them now (read on every send, so edits apply at once). */
  channels: () => readonly AlertChannel[];
  secrets: SecretStore;
  request?: HttpRequester;
  now?: () => number;
  /** A transaction id per Matrix message (random; fixed in tests). */
  txnId?: () => string;
  /** Pause before the single retry of a transport failure or a 5xx. */
  retryDelayMs?: number;
}

const TRANSIENT = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN']);

/**
 * Sends the alert policy's events to the off-host channels (ntfy, webhook, a Matrix room on another server), so
 * an alert survives a closed laptop lid and a homeserver that is down itself. Every enabled channel gets each
 * message in parallel; a transport failure or a 5xx is retried once. A channel that fails is reported once —
 * to the listeners and, as a message, to the channels that still work — until it delivers again.
 */
export class AlertDispatcher {
  private readonly request: HttpRequester;
  private readonly now: () => number;
  private readonly txnId: () => string;
  private readonly retryDelayMs: number;
  private readonly failing = new Set<string>();
  private readonly listeners = new Set<(problem: ChannelProblem) => void>();

  constructor(private readonly options: AlertDispatcherOptions) {
    this.request = options.request ?? httpRequest;
    this.now = options.now ?? Date.now;
    this.txnId = options.txnId ?? (() => `hstray-${randomBytes(12).toString('hex')}`);
    this.retryDelayMs = options.retryDelayMs ?? 2000;
  }

  onChannelProblem(listener: (problem: ChannelProblem) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The events of one poll of `server`, to every enabled channel that takes their kind. */
  async notify(server: string, events: readonly AlertEventLike[]): Promise<Delivery[]> {
    const at = new Date(this.now()).toISOString();
    const channels = this.options.channels().filter((c) => c.enabled);
    const results = await Promise.all(
      channels.map(async (channel) => {
        const wanted = events.filter((e) => channel.events.includes(e.kind));
        const message = alertMessage(server, wanted, at);
        return message ? this.deliverTracked(channel, message) : null;
      }),
    );
    const deliveries = results.filter((d): d is Delivery => d !== null);
    await this.reportNewFailures(server, deliveries, at);
    return deliveries;
  }

  /** A forecast notice (core/forecast) to every enabled channel. */
  async notifyForecast(server: string, title: string, text: string): Promise<Delivery[]> {
    const at = new Date(this.now()).toISOString();
    const message = forecastMessage(server, title, text, at);
    const channels = this.options.channels().filter((c) => c.enabled);
    const deliveries = await Promise.all(channels.map((c) => this.deliverTracked(c, message)));
    await this.reportNewFailures(server, deliveries, at);
    return deliveries;
  }

  /** The "send test" button: one test message to this channel (enabled or not); its failure is thrown. */
  async sendTest(server: string, channel: AlertChannel): Promise<Delivery> {
    const at = new Date(this.now()).toISOString();
    const delivery = await this.deliverTracked(channel, testMessage(server, channel.name, at));
    await this.reportNewFailures(server, [delivery], at);
    return delivery;
  }

  private async deliverTracked(channel: AlertChannel, message: AlertMessage): Promise<Delivery> {
    try {
      await this.deliver(channel, message);
      if (this.failing.delete(channel.id))
        this.tell({
          kind: 'works-again',
          channelId: channel.id,
          channelName: channel.name,
          at: message.at,
        });
      return { channelId: channel.id, ok: true };
    } catch (e) {
      return { channelId: channel.id, ok: false, error: describeError(e) };
    }
  }

  /** Channels that failed now but did not before: told once, to the listeners and to the working channels. */
  private async reportNewFailures(server: string, deliveries: Delivery[], at: string): Promise<void> {
    const fresh = deliveries.filter((d) => !d.ok && !this.failing.has(d.channelId));
    if (fresh.length === 0) return;
    const channels = this.options.channels();
    for (const d of fresh) {
      this.failing.add(d.channelId);
      const channel = channels.find((c) => c.id === d.channelId);
      const name = channel?.name ?? d.channelId;
      this.tell({
        kind: 'failed',
        channelId: d.channelId,
        channelName: name,
        ...(d.error ? { error: d.error } : {}),
        at,
      });
      const others = channels.filter((c) => c.enabled && !this.failing.has(c.id));
      const reason = d.error ? `${d.error.message} ${d.error.nextStep}` : 'it failed';
      await Promise.all(
        others.map((c) =>
          this.deliver(c, channelFailedMessage(server, name, reason, at)).catch(() => undefined),
        ),
      );
    }
  }

  private tell(problem: ChannelProblem): void {
    for (const l of this.listeners) {
      try {
        l(problem);
      } catch {
        // A listener (the desktop notification) must not stop the others.
      }
    }
  }

  /** One message to one channel, retried once on a transport failure or a 5xx; throws AlertChannelFailed. */
  private async deliver(channel: AlertChannel, message: AlertMessage): Promise<void> {
    const fail = (reason: string, nextStep: string) =>
      new AlertChannelFailed(channel.id, channel.name, reason, nextStep);
    const kind = channelSecretKind(channel);
    let secret: Buffer | null = null;
    try {
      if (kind) {
        secret = await readChannelSecret(this.options.secrets, channel);
        if (!secret || secret.length === 0)
          throw fail(
            `its ${kind === 'webhook-secret' ? 'header secret' : 'access token'} is not in the keychain`,
            `Store it for the ${CHANNEL_TYPE_NAMES[channel.type]} "${channel.name}" under Settings → Alerts (it is kept for this channel and address only).`,
          );
      }
      const value = secret?.toString('utf8') ?? null;
      const txnId = this.txnId();
      const req =
        channel.type === 'ntfy'
          ? ntfyRequest(channel, message, value)
          : channel.type === 'webhook'
            ? webhookRequest(channel, message, value)
            : matrixRequest(channel, message, value ?? '', txnId);
      // A server's answer is shown to the user: never with the secret in it, should it echo it.
      const clean = (text: string) =>
        value && text.includes(value) ? '(withheld: it contained the secret)' : text;
      for (let attempt = 1; ; attempt++) {
        try {
          const reply = await this.request(req);
          const refused = refusal(channel, reply);
          if (!refused) return;
          if (reply.status < 500 || attempt > 1) throw fail(clean(refused.reason), refused.nextStep);
        } catch (e) {
          if (!(e instanceof RequestFailed)) throw e;
          if (!TRANSIENT.has(e.code) || attempt > 1)
            throw fail(
              clean(`${new URL(req.url).host} could not be reached (${e.code}: ${e.message})`),
              'Check the address and that this computer is online; the channel is tried again with the next alert.',
            );
        }
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
      }
    } finally {
      secret?.fill(0);
    }
  }
}
