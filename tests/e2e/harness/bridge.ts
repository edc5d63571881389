import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { DesktopEvent } from '../../../src-main/core/desktop/desktop-app';
import type { Router } from '../../../src-main/ipc/router';

let pageApiScript: Promise<string> | null = null;

/** page-api.ts (and the contract it imports) as one classic script for addInitScript. */
function bundlePageApi(): Promise<string> {
  pageApiScript ??= (async () => {
    const { build } = await import('vite');
    const out = await build({
      configFile: false,
      logLevel: 'warn',
      build: {
        write: false,
        minify: true,
        lib: {
          entry: fileURLToPath(new URL('./page-api.ts', import.meta.url)),
          formats: ['iife'],
          name: 'hstPageApi',
        },
      },
    });
    const result = Array.isArray(out) ? out[0] : out;
    const chunk = result && 'output' in result ? result.output.find((o) => o.type === 'chunk') : undefined;
    if (chunk?.type !== 'chunk') throw new Error('bundling page-api.ts produced no script');
    return chunk.code;
  })();
  return pageApiScript;
}

export interface Bridge {
  /** Every event the page was sent, in order (for assertions on what the main process pushed). */
  events: DesktopEvent[];
  /** Resolves once every event emitted so far has been handed to the page. */
  drained(): Promise<void>;
  close(): void;
}

/**
 * Gives the page what Electron's preload gives the window: `window.api` built by the contract's buildApi,
 * its invokes answered by the router (through a Playwright binding, as ipcMain.handle would), and the
 * router's events pushed into the page in order. Call before the page's first navigation.
 */
export async function connectPage(page: Page, router: Router): Promise<Bridge> {
  await page.exposeBinding('__hstInvoke', (_source, channel: string, request: unknown) =>
    router.handle(channel, request),
  );
  await page.addInitScript({ content: await bundlePageApi() });

  const events: DesktopEvent[] = [];
  let queue: DesktopEvent[] = [];
  let pumping: Promise<void> = Promise.resolve();
  let closed = false;

  const pump = () => {
    pumping = pumping.then(async () => {
      if (queue.length === 0 || closed) return;
      const batch = queue;
      queue = [];
      try {
        await page.evaluate((evs) => {
          (globalThis as unknown as { __hstEmit?: (e: unknown[]) => void }).__hstEmit?.(evs);
        }, batch);
      } catch {
        // The page navigated or closed; its next document gets the events that follow.
      }
    });
  };

  const off = router.subscribe((event) => {
    if (closed) return;
    events.push(event);
    queue.push(event);
    pump();
  });

  return {
    events,
    drained: async () => {
      await pumping;
    },
    close() {
      closed = true;
      off();
    },
  };
}
