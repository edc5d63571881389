import * as events from 'node:events';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import * as timers from 'node:timers';
import * as url from 'node:url';
import { runInThisContext } from 'node:vm';
import { contextBridge, ipcRenderer } from './ipc';
import { nativeImage } from './native-image';

/**
 * What `require('electron')` gives a sandboxed preload: the renderer side only (no app, no BrowserWindow).
 * The stand-in has no webFrame, webUtils or crashReporter; a preload that used them would fail here.
 */
const rendererElectron = { contextBridge, ipcRenderer, nativeImage };

/** The modules a sandboxed preload can require (lib/sandboxed_renderer/init.ts: loadedModules, loadableModules). */
const MODULES: Record<string, unknown> = {
  electron: rendererElectron,
  'electron/common': rendererElectron,
  'electron/renderer': rendererElectron,
  events,
  'node:events': events,
  timers,
  'node:timers': timers,
  url,
  'node:url': url,
};

/**
 * Runs a built preload (CommonJS) as Electron runs it in a sandboxed renderer: wrapped in a function that
 * gets Electron's own `require`, which knows only the modules above and throws `module not found: <name>`
 * for any other, as Electron does. Connect the page first (standIn.page.connect): what the preload exposes
 * lands in that page's main world.
 */
export function runSandboxedPreload(file: string): void {
  const source = readFileSync(file, 'utf8');
  const preloadRequire = (name: string): unknown => {
    if (Object.hasOwn(MODULES, name)) return MODULES[name];
    throw new Error(`module not found: ${name}`);
  };
  const module = { exports: {} };
  const process = Object.assign(new EventEmitter(), {
    platform: globalThis.process.platform,
    sandboxed: true,
  });
  const wrapped = runInThisContext(
    `(function preloadWrapper(require, process, Buffer, global, setImmediate, clearImmediate, exports, module) {\n${source}\n})`,
    { filename: file },
  ) as (...args: unknown[]) => void;
  wrapped(preloadRequire, process, Buffer, globalThis, setImmediate, clearImmediate, module.exports, module);
}
