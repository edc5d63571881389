import { openApp } from '../app/session';
import { createRouter } from '../ipc/router';
import type { CreateDesktopApp } from './model/desktop-app';

/**
 * The desktop app the Electron shell talks to: the app host (profiles, settings, the selected profile's
 * core) behind the IPC router, so the tray, the notifications and the window all go through the contract.
 */
export const createDesktopApp: CreateDesktopApp = async (host) => {
  const app = await openApp({ dataDir: host.dataDir, clipboard: host.clipboard });
  const router = createRouter(app, {
    version: host.version,
    platform: host.platform,
    clipboard: host.clipboard,
    openExternal: host.openExternal,
    chooseProfileFile: host.chooseProfileFile,
  });
  return {
    handle: router.handle,
    subscribe: router.subscribe,
    onAlerts: router.onAlerts,
    publicUrl: router.publicUrl,
    async start() {
      await app.start();
    },
    async shutdown() {
      router.dispose();
      await app.close();
    },
  };
};
