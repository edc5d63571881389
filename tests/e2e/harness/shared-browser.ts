import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { inject } from 'vitest';
import { launchChromium } from './chromium';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The browser tests/e2e/global-setup.ts started, shared by every e2e file. */
    chromiumWsEndpoint: string | undefined;
  }
}

/**
 * The shared browser when the e2e global setup started one, else a browser of this file's own. Closing
 * the returned handle disconnects from the shared one, or stops the own one.
 */
export async function openBrowser(): Promise<Browser> {
  const ws = inject('chromiumWsEndpoint');
  return ws ? chromium.connect(ws) : launchChromium();
}
