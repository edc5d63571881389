import { contextBridge, ipcRenderer } from 'electron';
import { buildApi } from '../ipc/channels';

/**
 * The window's only door to the main process: `window.api`, named functions built from the IPC contract's
 * channel names. ipcRenderer itself never crosses the bridge, and listeners never see the IPC event (its
 * `sender` would hand the page ipcRenderer back). A sandboxed preload can require nothing but 'electron', so
 * this file is bundled whole; it imports channels.ts, not contract.ts, so zod stays out of the window's
 * first script (validation is the router's job).
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
