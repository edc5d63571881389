import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Router } from '../../../src-main/ipc/router';
import { type Bridge, connectPage } from './bridge';
import { REPO_ROOT, rendererSnapshot } from './renderer-build';
import { type StaticServer, serveDir } from './static-server';

export interface AppWindow {
  page: Page;
  bridge: Bridge;
  context: BrowserContext;
  /** Uncaught exceptions and console errors of the page (a CSP violation lands here too). */
  errors: string[];
  close(): Promise<void>;
}

export interface WindowOptions {
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
}

let served: Promise<StaticServer & { remove(): Promise<void> }> | null = null;

/** The built renderer over http, one server per process, from this process's own copy of out/renderer. */
export function rendererUrl(): Promise<string> {
  served ??= rendererSnapshot().then(async (snap) => ({
    ...(await serveDir(snap.dir)),
    remove: snap.remove,
  }));
  return served.then((s) => s.url);
}

export async function closeRendererServer(): Promise<void> {
  const s = await served;
  served = null;
  await s?.close();
  await s?.remove();
}

/**
 * The app's window in its own browser context: the built renderer served over http, `window.api`
 * answered by the router as the preload would, the OS colour scheme emulated.
 */
export async function openWindow(
  browser: Browser,
  router: Router,
  options: WindowOptions = {},
): Promise<AppWindow> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 860 },
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  const bridge = await connectPage(page, router);
  await page.goto(await rendererUrl());
  return {
    page,
    bridge,
    context,
    errors,
    close: async () => {
      bridge.close();
      await context.close();
    },
  };
}

/** A failing scenario leaves a picture of the window in test-results/e2e/ (git-ignored). */
export async function screenshotOnFailure(win: AppWindow | undefined, name: string): Promise<void> {
  if (!win) return;
  const file = join(REPO_ROOT, 'test-results', 'e2e', `${name.replace(/[^A-Za-z0-9-]+/g, '-')}.png`);
  await mkdir(dirname(file), { recursive: true });
  await win.page.screenshot({ path: file, fullPage: true }).catch(() => {});
}
