import type { Event } from 'electron';

/** One call the app made on a stand-in object, in order: what tests assert on. */
export interface Call {
  /** The object, as `app`, `Tray 1`, `webContents 2`, `session default`. */
  target: string;
  method: string;
  args: unknown[];
}

export const calls: Call[] = [];

export function record(target: string, method: string, args: unknown[]): void {
  calls.push({ target, method, args });
}

/** Electron's Event: the details it carries, preventDefault() and defaultPrevented. */
export function electronEvent<P extends object = Record<never, never>>(details?: P): Event<P> {
  let prevented = false;
  const event = {
    ...details,
    preventDefault: () => {
      prevented = true;
    },
  };
  Object.defineProperty(event, 'defaultPrevented', { get: () => prevented, enumerable: true });
  return event as Event<P>;
}

/** Electron answers a wrong argument with this error (gin's conversion failure), not with odd behaviour. */
export function conversionFailure(index: number, value: unknown): Error {
  const shown = value === null ? 'null' : typeof value === 'object' ? '#<Object>' : String(value);
  return new TypeError(`Error processing argument at index ${index}, conversion failure from ${shown}`);
}

/** Work Electron does on a later turn of its event loop (IPC delivery, 'show' events). */
export function later(work: () => void): void {
  setImmediate(work);
}

/** What crosses a process boundary: a structured clone, with Electron's error for what cannot be (v8_util.cc). */
export function serialize<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    throw new Error('An object could not be cloned.');
  }
}
