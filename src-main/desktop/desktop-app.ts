import { type AppPorts, type AppService, createAppService } from '../app/app-service';
import { openApp } from '../app/session';
import type { Clipboard } from '../core/token/clipboard';
import { createRouter, type Router } from '../ipc/router';

/** What the Electron shell hands to the app: the parts only Electron has. */
export interface DesktopHost extends Omit<AppPorts, 'clipboard' | 'batchMs'> {
  /** Electron's userData folder (the same folder the CLI computes with core/paths.ts dataDir()). */
  dataDir: string;
  /** Electron's clipboard (desktop/electron/clipboard.ts). */
  clipboard: Clipboard;
}

/**
 * The desktop app: the app host (profiles, settings, every profile's core), its use cases, and the
 * IPC router the window talks to. The tray and the notifications call the use cases directly; the window
 * reaches the same ones through the router, so no two of them can disagree.
 */
export interface DesktopApp {
  readonly service: AppService;
  readonly router: Router;
  /** Loads settings and every profile and starts polling them. */
  start(): Promise<void>;
  /** Whether the window shows another server than this one (a profile id; null: whichever it shows). */
  needsSwitch(profileId: string | null): boolean;
  /** Selects this server (a profile id) for the window unless it is selected already; null: leaves it. */
  showServer(profileId: string | null): Promise<void>;
  /** On quit: stop polling and log streams, clear a clipboard that still holds a token. Never throws. */
  shutdown(): Promise<void>;
  /** The machine is going to sleep (powerMonitor 'suspend'): polling pauses. */
  suspend(): void;
  /** The machine woke (powerMonitor 'resume'): fresh SSH connections, a poll, and the grace before alerts. */
  resume(): void;
}

export async function createDesktopApp(host: DesktopHost): Promise<DesktopApp> {
  const app = await openApp({ dataDir: host.dataDir, clipboard: host.clipboard });
  const service = createAppService(app, {
    version: host.version,
    platform: host.platform,
    clipboard: host.clipboard,
    openExternal: host.openExternal,
    chooseProfileFile: host.chooseProfileFile,
    ...(host.setLaunchAtLogin ? { setLaunchAtLogin: host.setLaunchAtLogin } : {}),
  });
  const router = createRouter(service);
  return {
    service,
    router,
    async start() {
      await app.start();
    },
    async shutdown() {
      router.dispose();
      service.dispose();
      await app.close();
    },
    needsSwitch: (profileId) => profileId !== null && profileId !== app.selectedId(),
    async showServer(profileId) {
      if (profileId === null || profileId === app.selectedId()) return;
      await service.profiles.select(profileId);
    },
    suspend() {
      for (const { core } of app.servers()) core.scheduler.pause();
    },
    resume() {
      for (const { core } of app.servers()) core.scheduler.wake();
    },
  };
}
