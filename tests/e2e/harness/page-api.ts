/**
 * Runs in the page before the app's script (bundled into an init script): builds `window.api` with the
 * contract's own buildApi, over the harness's binding (invoke) and event pump — the same names and the
 * same shapes the preload exposes in Electron.
 */
import { buildApi, type EventChannel, type InvokeChannel, type Result } from '../../../src-main/ipc/contract';

interface HarnessWindow {
  api?: unknown;
  __hstInvoke(channel: InvokeChannel, request: unknown): Promise<Result<unknown>>;
  __hstEmit?: (events: { channel: EventChannel; payload: unknown }[]) => void;
}

const w = globalThis as unknown as HarnessWindow;
const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();

w.__hstEmit = (events) => {
  for (const { channel, payload } of events) {
    for (const listener of [...(listeners.get(channel) ?? [])]) listener(payload);
  }
};

w.api = Object.freeze(
  buildApi(
    (channel, request) => w.__hstInvoke(channel, request),
    (channel, listener) => {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
  ),
);
