// The users-list measure in a process of its own (users-list.bench.ts starts it): the keychain library keeps the
// first D-Bus connection it meets for the whole process, and this bench needs a lab (and keyring) of its own.
// Prints one JSON Measure on stdout.
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { AdminRoomClient } from '../../src-main/core/matrix/admin-room';
import { launchChromium } from '../e2e/harness/chromium';
import { type DesktopUnderTest, FAST_SETTINGS, startDesktop } from '../e2e/harness/desktop';
import { ensureRendererBuilt } from '../e2e/harness/renderer-build';
import { openPanel } from '../e2e/harness/ui';
import { closeRendererServer, openWindow } from '../e2e/harness/window';
import type { Measure } from './run';

const ROUNDS = 9;
const SEED = 1000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * In the page, as a string (a function would be rewritten by the TypeScript loader with helpers the page does
 * not have): clicks "People" and resolves with the milliseconds until every user is counted and rows are drawn.
 */
const OPEN_PEOPLE = `new Promise((resolve) => {
  const start = performance.now();
  // The store still holds the last list when the panel mounts: the measure ends only after a new load began
  // ("Loading…") and every page of it arrived.
  let loading = false;
  const done = () => {
    const count = document.querySelector('[data-testid="people-count"]')?.textContent ?? '';
    if (count.startsWith('Loading')) loading = true;
    return loading && /^10\\d\\d users/.test(count) && document.querySelectorAll('.people-row').length > 10;
  };
  new MutationObserver((_, observer) => {
    if (done()) {
      observer.disconnect();
      resolve(performance.now() - start);
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
  for (const b of document.querySelectorAll('nav[aria-label="Sections"] button'))
    if (b.textContent.trim() === 'People') b.click();
})`;

/**
 * Opening the People panel on a server with 1,000 more people, in Chromium: from the click on "People" to the
 * count saying every user was listed (all pages answered by the real router over the core, through the admin
 * API of a 1.9.0 lab) with the rows in view rendered.
 */
async function panelRounds(browser: Browser, desktop: DesktopUnderTest): Promise<number[]> {
  const win = await openWindow(browser, desktop.router);
  const { page } = win;
  const times: number[] = [];
  try {
    await page.getByRole('heading', { level: 1, name: 'lab.test' }).waitFor();
    // A first visit loads the lazy chunk; the rounds measure the list, not the download.
    await openPanel(page, 'People');
    await page
      .getByTestId('people-count')
      .getByText(/^10\d\d users/)
      .waitFor({ timeout: 60_000 });
    for (let i = 0; i < ROUNDS; i++) {
      await openPanel(page, 'Dashboard');
      const ms = (await page.evaluate(OPEN_PEOPLE)) as number;
      times.push(ms);
      // The device counts of the first users come after the list: let them finish before the next round.
      await page
        .locator('.people-row .people-devices', { hasText: 'device' })
        .first()
        .waitFor({ timeout: 60_000 });
    }
  } finally {
    await win.close();
  }
  return times;
}

/** The by-hand way: `!admin users list-users` sent to the admin room and its reply read (what Element shows). */
async function adminRoomRounds(desktop: DesktopUnderTest): Promise<number[]> {
  const room = new AdminRoomClient({
    baseUrl: desktop.lab.profile.publicUrl,
    serverName: desktop.lab.profile.serverName,
    ca: await readFile(desktop.lab.caCertPath),
    pollIntervalMs: 50,
  });
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    const reply = await room.run(desktop.lab.secrets.adminAccessToken, 'users list-users', {
      timeoutMs: 60_000,
    });
    if (!reply.body.includes('local user account(s)')) throw new Error('list-users did not answer');
    times.push(performance.now() - start);
  }
  return times;
}

await ensureRendererBuilt();
const desktop = await startDesktop({
  profile: 'saved',
  settings: { ...FAST_SETTINGS, pollIntervalSeconds: 3600 },
  lab: { tuwunelVersion: '1.9.0', seedUsers: SEED },
});
const browser = await launchChromium();
try {
  const stored = await desktop.router.handle('secrets.set', {
    kind: 'matrix-admin-token',
    host: null,
    value: desktop.lab.secrets.adminAccessToken,
  });
  if (!stored.ok) throw new Error(stored.error.message);
  const ours = await panelRounds(browser, desktop);
  const byHand = await adminRoomRounds(desktop);
  const measure: Measure = {
    name: 'users-list',
    users: SEED + 5,
    median_ms: round(median(ours)),
    admin_room_list_users_median_ms: round(median(byHand)),
    rounds: ROUNDS,
    goal_ms: 150,
  };
  console.log(JSON.stringify(measure));
} finally {
  await browser.close();
  await closeRendererServer();
  await desktop.stop();
}
