/**
 * Runs in the page before the app's script (bundled into an init script): builds `window.api` with the
 * preload's own buildApi — the same names and the same shapes the preload exposes in Electron, and like the
 * preload without zod (only channel names) — over the harness's transport (bridge.ts): invokes go out
 * through a DevTools binding as one JSON string, answers and events come back as calls of `__hstReply`
 * and `__hstEmit`.
 */
import { buildApi } from '../../../src-main/ipc/channels';
import type { EventChannel, InvokeChannel, Result } from '../../../src-main/ipc/contract';

interface HarnessWindow {
  api?: unknown;
  reportError(error: unknown): void;
  /** The DevTools binding (Runtime.addBinding): takes one string, answers nothing. */
  __hstInvoke(message: string): void;
  __hstReply?: (reply: { id: number; result: Result<unknown> }) => void;
  __hstEmit?: (events: { channel: EventChannel; payload: unknown }[]) => void;
}

const w = globalThis as unknown as HarnessWindow;
const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
const pending = new Map<number, (result: Result<unknown>) => void>();
let lastId = 0;

w.__hstReply = ({ id, result }) => {
  pending.get(id)?.(result);
  pending.delete(id);
};

w.__hstEmit = (events) => {
  for (const { channel, payload } of events) {
    for (const listener of [...(listeners.get(channel) ?? [])]) {
      // A listener that throws is the window's own uncaught error, as with ipcRenderer.on in Electron
      // (the harness's delivery swallows exceptions, so it is reported here) and the next one still runs.
      try {
        listener(payload);
      } catch (e) {
        w.reportError(e);
      }
    }
  }
};

w.api = Object.freeze(
  buildApi(
    (channel: InvokeChannel, request) =>
      new Promise((resolve) => {
        lastId += 1;
        pending.set(lastId, resolve);
        w.__hstInvoke(JSON.stringify({ id: lastId, channel, request }));
      }),
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
