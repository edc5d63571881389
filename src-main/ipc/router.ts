import type { z } from 'zod';
import type { AppService } from '../app/app-service';
import { errorInfo } from '../app/views/error-view';
import { InvalidInput } from '../core/errors';
import {
  type ContractEvent,
  type EventChannel,
  eventChannels,
  type InvokeChannel,
  type InvokeChannels,
  invokeChannels,
  type Result,
  type ValueOf,
} from './contract';
import { invalidRequest } from './invalid-request';

export interface RouterOptions {
  /** An answer or event the app produced does not match the contract (a bug): told here, not sent. */
  onContractViolation?(channel: string, problem: string): void;
}

export interface Router {
  /** Answers one invoke channel; never throws. */
  handle(channel: string, request: unknown): Promise<Result<unknown>>;
  /** Every event channel of the contract the app emits, validated. */
  subscribe(listener: (event: ContractEvent) => void): () => void;
  /** Stops forwarding events; the app service and the app host are disposed by their owner. */
  dispose(): void;
}

type Request<C extends InvokeChannel> = z.output<InvokeChannels[C]['request']>;
type Handlers = { [C in InvokeChannel]: (request: Request<C>) => Promise<ValueOf<C>> | ValueOf<C> };

/**
 * The IPC transport: validates each request with its channel's schema, calls the app's use case, checks
 * the answer against the contract and wraps it in a Result; forwards the app's events, each validated.
 * Nothing here decides anything: what a channel does is the app's (app/app-service.ts).
 */
export function createRouter(app: AppService, options: RouterOptions = {}): Router {
  const listeners = new Set<(event: ContractEvent) => void>();
  let disposed = false;

  const violation =
    options.onContractViolation ??
    ((channel: string, problem: string) =>
      console.error(`IPC ${channel} does not match the contract: ${problem}`));

  const handlers: Handlers = {
    'app.info': () => app.app.info(),
    // The app's openExternal opens only allowlisted https URLs (desktop/electron/external.ts checks them).
    'app.openExternal': ({ url }) => app.app.openExternal(url), // eng-disable OPEN_EXTERNAL_JS_CHECK

    'settings.get': () => app.settings.get(),
    'settings.set': ({ patch }) => app.settings.set(patch),

    'profiles.list': () => app.profiles.list(),
    'profiles.get': ({ id }) => app.profiles.get(id),
    'profiles.example': () => app.profiles.example(),
    'profiles.validate': ({ draft }) => app.profiles.validate(draft),
    'profiles.save': ({ id, draft }) => app.profiles.save(id, draft),
    'profiles.importYaml': ({ yaml }) => app.profiles.importYaml(yaml),
    'profiles.importFile': () => app.profiles.importFile(),
    'profiles.select': ({ id }) => app.profiles.select(id),
    'profiles.delete': ({ id }) => app.profiles.delete(id),

    'onboarding.testHost': ({ host }) => app.onboarding.testHost(host),
    'hostkey.trust': ({ host, fingerprint, permanent }) => app.hostkey.trust(host, fingerprint, permanent),
    'hostkey.forget': ({ host }) => app.hostkey.forget(host),

    'status.get': () => app.status.get(),
    'status.refresh': () => app.status.refresh(),
    'status.all': () => app.status.all(),

    'actions.list': () => app.actions.list(),
    'actions.plan': ({ actionId, params }) => app.actions.plan(actionId, params),
    'actions.run': ({ actionId, params, confirmation }) => app.actions.run(actionId, params, confirmation),
    'runs.list': () => app.runs.list(),
    'runs.get': ({ runId }) => app.runs.get(runId),
    'runs.cancel': ({ runId }) => app.runs.cancel(runId),
    'runs.copyOutput': ({ runId }) => app.runs.copyOutput(runId),

    'logs.follow': ({ unit }) => app.logs.follow(unit),
    'logs.stop': ({ streamId }) => app.logs.stop(streamId),

    'token.copy': () => app.token.copy(),
    'token.reveal': () => app.token.reveal(),
    'token.rotate': ({ apply, confirmation }) => app.token.rotate(apply, confirmation),
    'token.rollback': ({ runId }) => app.token.rollback(runId),

    'invite.create': ({ uses, expiresInDays, inviteTo }) =>
      app.invite.create(uses, expiresInDays, inviteTo ?? null),
    'invite.list': () => app.invite.list(),
    'invite.copyToken': ({ id }) => app.invite.copyToken(id),
    'invite.copyInstructions': () => app.invite.copyInstructions(),
    'invite.revoke': ({ id }) => app.invite.revoke(id),
    'invite.revokeUnused': () => app.invite.revokeUnused(),
    'invite.autoJoinRooms': () => app.invite.autoJoinRooms(),

    'people.list': ({ from, limit, search, devices }) => app.people.list(from, limit, search, devices),
    'people.show': ({ user }) => app.people.show(user),
    'people.devices': ({ user }) => app.people.devices(user),
    'people.signOut': ({ user, deviceId }) => app.people.signOut(user, deviceId),
    'people.deactivate': ({ user, leaveRooms, erase }) => app.people.deactivate(user, leaveRooms, erase),
    'people.setAdmin': ({ user, admin }) => app.people.setAdmin(user, admin),
    'people.resetPassword': ({ user, signOut, password }) =>
      app.people.resetPassword(user, signOut, password),
    'people.sendNotice': ({ text }) => app.people.sendNotice(text),

    'secrets.list': () => app.secrets.list(),
    'secrets.has': ({ kind, host }) => app.secrets.has(kind, host),
    'secrets.set': ({ kind, host, value }) => app.secrets.set(kind, host, value),
    'secrets.delete': ({ kind, host }) => app.secrets.delete(kind, host),

    'matrix.login': ({ userId, password }) => app.matrix.login(userId, password),
    'matrix.logout': () => app.matrix.logout(),

    'history.summary': ({ range, profileId }) => app.history.summary(range, profileId ?? null),
    'history.check': ({ check, range, profileId }) => app.history.check(check, range, profileId ?? null),
    'history.incidents': ({ days, profileId }) => app.history.incidents(days, profileId ?? null),
    'alerts.channels': () => app.alerts.channels(),
    'alerts.setSecret': ({ channelId, value }) => app.alerts.setSecret(channelId, value),
    'alerts.deleteSecret': ({ channelId }) => app.alerts.deleteSecret(channelId),
    'alerts.test': ({ channelId }) => app.alerts.test(channelId),
    'mutes.set': ({ target, duration, profileId }) => app.mutes.set(target, duration, profileId ?? null),
    'mutes.clear': ({ key, profileId }) => app.mutes.clear(key, profileId ?? null),
  };

  async function handle(channel: string, request: unknown): Promise<Result<unknown>> {
    try {
      if (!Object.hasOwn(invokeChannels, channel))
        throw new InvalidInput('channel', `"${channel.slice(0, 80)}" is not a channel of this app`);
      const c = channel as InvokeChannel;
      const parsed = invokeChannels[c].request.safeParse(request);
      if (!parsed.success) throw invalidRequest(parsed.error, 'request');
      const run = handlers[c] as (r: unknown) => Promise<unknown> | unknown;
      const value = await run(parsed.data);
      const shaped = invokeChannels[c].result.safeParse(value);
      if (!shaped.success) {
        violation(c, describeIssue(shaped.error));
        throw new Error('the main process produced an answer the window cannot read');
      }
      return { ok: true, value: shaped.data };
    } catch (e) {
      return { ok: false, error: errorInfo(e) };
    }
  }

  const offApp = app.subscribe((event) => {
    if (disposed) return;
    const channel: EventChannel = event.channel;
    const parsed = eventChannels[channel].safeParse(event.payload);
    if (!parsed.success) {
      violation(channel, describeIssue(parsed.error));
      return;
    }
    const forwarded = { channel, payload: parsed.data } as ContractEvent;
    for (const l of listeners) {
      try {
        l(forwarded);
      } catch {
        // A listener is a window; the others still get the event.
      }
    }
  });

  return {
    handle,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      disposed = true;
      offApp();
      listeners.clear();
    },
  };
}

/** Where an answer broke the contract, without its values (they may be anything the core had). */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
}
