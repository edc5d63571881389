import { type Browser, type BrowserServer, chromium } from 'playwright-core';

/** Debian's Chromium (the /usr/bin/chromium wrapper prints a shell warning) with the TOOLCHAIN flags. */
export const CHROMIUM_PATH = process.env.HST_CHROMIUM ?? '/usr/lib/chromium/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Playwright starts each browser with a fresh temporary --user-data-dir and removes it on close. */
export function launchChromiumServer(): Promise<BrowserServer> {
  return chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}
