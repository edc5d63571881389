import { contextBridge, ipcRenderer } from 'electron';
import { buildApi } from './ipc/contract';

/**
 * The window's only door to the main process: `window.api`, named functions built from the IPC contract.
 * ipcRenderer itself never crosses the bridge, and listeners never see the IPC event (its `sender` would
 * hand the page ipcRenderer back). This file is bundled whole (zod included): a sandboxed preload can
 * require nothing but 'electron'.
 */
const api = buildApi(
  (channel, request) => ipcRenderer.invoke(channel, request),
  (channel, listener) => {
    const forward = (_event: unknown, payload: unknown) => listener(payload);
    ipcRenderer.on(channel, forward);
    return () => {
      ipcRenderer.removeListener(channel, forward);
    };
  },
);

contextBridge.exposeInMainWorld('api', api);
