import { EventEmitter } from 'node:events';
import type { ContextBridge, IpcMain, IpcMainInvokeEvent, IpcRenderer } from 'electron';
import { type Imitation, INSIDE, type OnlyElectron } from './imitation';
import { electronEvent, later, record, serialize } from './recorder';
import { contentsOf, type StandInFrame } from './windows';

type InvokeHandler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

/** A turn of the event loop for each hop between processes. */
const hop = () => new Promise<void>((resolve) => later(resolve));

class StandInIpcMain extends EventEmitter implements Imitation<IpcMain> {
  readonly [INSIDE] = { handlers: new Map<string, InvokeHandler>() };

  handle(channel: string, listener: InvokeHandler): void {
    record('ipcMain', 'handle', [channel, listener]);
    const handlers = this[INSIDE].handlers;
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    if (typeof listener !== 'function')
      throw new Error(`Expected handler to be a function, but found type '${typeof listener}'`);
    handlers.set(channel, listener);
  }

  handleOnce(channel: string, listener: InvokeHandler): void {
    this.handle(channel, (event, ...args) => {
      this.removeHandler(channel);
      return listener(event, ...args);
    });
  }

  removeHandler(channel: string): void {
    record('ipcMain', 'removeHandler', [channel]);
    this[INSIDE].handlers.delete(channel);
  }
}
const ipcMainOnly: OnlyElectron<StandInIpcMain, IpcMain> = true;
void ipcMainOnly;

export const ipcMain = new StandInIpcMain();

/** Who sent an IPC message, as Electron tells the main process: the webContents and the exact frame. */
function senderDetails(frame: StandInFrame) {
  return {
    frameId: frame.routingId,
    processId: frame.processId,
    sender: contentsOf(frame),
    senderFrame: frame.isDestroyed() ? null : frame,
  };
}

/**
 * ipcRenderer.invoke as the page in `frame` calls it (ipc-dispatch.ts and ipc-renderer.ts): the arguments
 * are cloned, the handler gets an event naming the sender frame, its result is cloned back. A handler that
 * throws, or no handler, rejects in the page with `Error invoking remote method '<channel>': <error>` and
 * logs `Error occurred in handler for '<channel>':` in the main process, as Electron does.
 */
export async function invokeFrom(frame: StandInFrame, channel: string, ...args: unknown[]): Promise<unknown> {
  const sent = serialize(args);
  await hop();
  const event = electronEvent(senderDetails(frame)) as unknown as IpcMainInvokeEvent;
  const handler = ipcMain[INSIDE].handlers.get(channel);
  let reply: { result: unknown } | { error: string };
  try {
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    reply = { result: serialize(await handler(event, ...sent)) };
  } catch (error) {
    console.error(`Error occurred in handler for '${channel}':`, error);
    reply = { error: String(error) };
  }
  await hop();
  if ('error' in reply) throw new Error(`Error invoking remote method '${channel}': ${reply.error}`);
  return reply.result;
}

/** ipcRenderer.send from the page in `frame`: ipcMain's listeners get it with an event that can reply. */
export function sendFrom(frame: StandInFrame, channel: string, ...args: unknown[]): void {
  const sent = serialize(args);
  later(() => {
    const details = senderDetails(frame);
    const event = electronEvent({
      ...details,
      ports: [],
      type: 'frame' as const,
      returnValue: undefined,
      reply: (replyChannel: string, ...replyArgs: unknown[]) => frame.send(replyChannel, ...replyArgs),
    });
    details.sender.emit('ipc-message', event, channel, ...sent);
    ipcMain.emit(channel, event, ...sent);
  });
}

/** The frame whose page this process's preload runs in (the renderer side of the stand-in). */
const page: { frame: StandInFrame | null; world: Record<string, unknown> } = { frame: null, world: {} };

function pageFrame(api: string): StandInFrame {
  if (!page.frame)
    throw new Error(
      `${api}: the preload runs in no page yet: connect it first with standIn.page.connect(frame)`,
    );
  return page.frame;
}

class StandInIpcRenderer extends EventEmitter implements Imitation<IpcRenderer> {
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    record('ipcRenderer', 'invoke', [channel, ...args]);
    return invokeFrom(pageFrame('ipcRenderer.invoke'), channel, ...args);
  }

  send(channel: string, ...args: unknown[]): void {
    record('ipcRenderer', 'send', [channel, ...args]);
    sendFrom(pageFrame('ipcRenderer.send'), channel, ...args);
  }
}
const ipcRendererOnly: OnlyElectron<StandInIpcRenderer, IpcRenderer> = true;
void ipcRendererOnly;

export const ipcRenderer = new StandInIpcRenderer();

/**
 * The preload and the page now live in `frame`: what the main process sends to the frame reaches
 * ipcRenderer's listeners, and contextBridge exposes into a fresh main world (the page's `window`).
 */
export function connectPage(frame: StandInFrame): Record<string, unknown> {
  if (page.frame) page.frame[INSIDE].page = null;
  page.frame = frame;
  page.world = {};
  frame[INSIDE].page = {
    deliver: (channel, args) =>
      ipcRenderer.emit(channel, electronEvent({ sender: ipcRenderer, ports: [] }), ...args),
  };
  return page.world;
}

/** The page's `window` as contextBridge left it. */
export function mainWorld(): Record<string, unknown> {
  pageFrame('mainWorld');
  return page.world;
}

const STRUCTURED = [Date, RegExp, Map, Set, ArrayBuffer, DataView, Blob];

/**
 * A value crossing from the preload's world to the page's, as electron_api_context_bridge.cc passes it:
 * primitives as they are, functions as proxies (their arguments and results cross back the same way),
 * promises as new promises, errors as a plain Error with the message, plain arrays and objects copied
 * member by member (prototypes are not carried: a class instance arrives as a plain object of its own
 * enumerable properties), the rest by structured clone.
 */
function bridge(value: unknown, cache: WeakMap<object, unknown>, receiver: unknown = undefined): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value;
  const cached = cache.get(value);
  if (cached !== undefined) return cached;
  let out: unknown;
  if (typeof value === 'function') {
    const fn = value as (...a: unknown[]) => unknown;
    out = (...args: unknown[]) => {
      const back = new WeakMap<object, unknown>();
      return bridge(
        fn.apply(
          receiver,
          args.map((a) => bridge(a, back)),
        ),
        new WeakMap(),
      );
    };
  } else if (value instanceof Promise) {
    out = value.then(
      (v) => bridge(v, new WeakMap()),
      (e: unknown) => {
        throw bridge(e, new WeakMap());
      },
    );
  } else if (value instanceof Error) {
    out = new Error(value.message);
  } else if (Array.isArray(value)) {
    out = value.map((v) => bridge(v, cache));
  } else if (STRUCTURED.some((type) => value instanceof type) || ArrayBuffer.isView(value)) {
    out = serialize(value);
  } else {
    const copy: Record<string, unknown> = {};
    cache.set(value, copy);
    for (const [key, member] of Object.entries(value)) copy[key] = bridge(member, cache, value);
    out = copy;
  }
  cache.set(value as object, out);
  return out;
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const member of Object.values(value)) deepFreeze(member);
}

class StandInContextBridge implements Imitation<ContextBridge> {
  exposeInMainWorld(apiKey: string, api: unknown): void {
    record('contextBridge', 'exposeInMainWorld', [apiKey, api]);
    const world = mainWorld();
    if (apiKey in world)
      throw new Error('Cannot bind an API on top of an existing property on the window object');
    const passed = bridge(api, new WeakMap());
    deepFreeze(passed);
    world[apiKey] = passed;
  }
}
const contextBridgeOnly: OnlyElectron<StandInContextBridge, ContextBridge> = true;
void contextBridgeOnly;

export const contextBridge = new StandInContextBridge();
