import {
  type Api,
  buildApi,
  type ErrorInfo,
  type EventChannel,
  type InvokeChannel,
  type PayloadOf,
  type RequestOf,
  type Result,
  type ValueOf,
} from '../../src-main/ipc/contract';

export type Handler<C extends InvokeChannel> = (
  request: RequestOf<C>,
) => ValueOf<C> | ErrorInfo | Promise<ValueOf<C> | ErrorInfo>;
export type Handlers = { [C in InvokeChannel]?: Handler<C> };

const REFUSAL = Symbol('refusal');

/** A handler's answer that the fake turns into `{ok: false, error}`, as the router would for a typed error. */
export function refuse(
  code: string,
  message: string,
  nextStep: string,
  extra: Partial<ErrorInfo> = {},
): ErrorInfo {
  return Object.assign({ code, message, nextStep, ...extra }, { [REFUSAL]: true });
}

function isRefusal(v: unknown): v is ErrorInfo {
  return typeof v === 'object' && v !== null && REFUSAL in v;
}

/**
 * A window.api made by the contract's own buildApi over plain fixture functions: a test double of the IPC
 * boundary only. Every call is recorded; `emit` plays the main process pushing an event. A channel without
 * a handler answers with an error, so a test notices calls it did not expect.
 */
export function fakeApi(handlers: Handlers) {
  const calls: { channel: InvokeChannel; request: unknown }[] = [];
  const listeners = new Map<EventChannel, Set<(p: unknown) => void>>();

  const api: Api = buildApi(
    async (channel, request): Promise<Result<unknown>> => {
      calls.push({ channel, request });
      const handler = handlers[channel] as ((r: unknown) => unknown) | undefined;
      if (!handler) {
        return {
          ok: false,
          error: { code: 'Unexpected', message: `No fixture for ${channel}.`, nextStep: 'Add one.' },
        };
      }
      const value = await handler(request);
      return isRefusal(value) ? { ok: false, error: { ...value } } : { ok: true, value };
    },
    (channel, listener) => {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
      }
      set.add(listener);
      return () => set.delete(listener);
    },
  );

  return {
    api,
    calls,
    callsTo<C extends InvokeChannel>(channel: C): RequestOf<C>[] {
      return calls.filter((c) => c.channel === channel).map((c) => c.request as RequestOf<C>);
    },
    emit<E extends EventChannel>(channel: E, payload: PayloadOf<E>): void {
      for (const l of listeners.get(channel) ?? []) l(payload);
    },
    listenerCount(channel: EventChannel): number {
      return listeners.get(channel)?.size ?? 0;
    },
  };
}

export type FakeApi = ReturnType<typeof fakeApi>;
