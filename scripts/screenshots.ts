// `npm run screenshots`: PNGs of every panel, light and dark, in docs/screenshots/ — the built renderer in
// Debian's Chromium, its window.api answered by the real router over a real core on the lab (the same
// harness as the end-to-end tests). Prints one line per file written.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../tests/e2e/harness/chromium';
import { type DesktopUnderTest, FAST_SETTINGS, startDesktop } from '../tests/e2e/harness/desktop';
import { anchorAllowlist } from '../tests/e2e/harness/lab-state';
import { REPO_ROOT } from '../tests/e2e/harness/renderer-build';
import { openPanel, refresh, runAction, runOutcome } from '../tests/e2e/harness/ui';
import { closeRendererServer, openWindow } from '../tests/e2e/harness/window';

const OUT = join(REPO_ROOT, 'docs', 'screenshots');
const SCHEMES = ['light', 'dark'] as const;
const VIEWPORT = { width: 1280, height: 820 };

async function shoot(page: Page, name: string, scheme: string): Promise<void> {
  // Let transitions, countdowns and lazy chunks settle before the picture.
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(150);
  const file = join(OUT, `${name}-${scheme}.png`);
  await page.screenshot({ path: file });
  console.log(file.slice(REPO_ROOT.length));
}

async function firstRun(browser: Browser): Promise<void> {
  const desktop = await startDesktop({ profile: 'none' });
  try {
    for (const colorScheme of SCHEMES) {
      const win = await openWindow(browser, desktop.router, { colorScheme, viewport: VIEWPORT });
      await win.page.getByRole('heading', { name: 'Set up Homeserver Tray' }).waitFor();
      await shoot(win.page, 'onboarding', colorScheme);
      await win.close();
    }
  } finally {
    await desktop.stop();
  }
}

async function panels(
  browser: Browser,
  desktop: DesktopUnderTest,
  colorScheme: 'light' | 'dark',
): Promise<void> {
  const win = await openWindow(browser, desktop.router, { colorScheme, viewport: VIEWPORT });
  const { page } = win;
  await page.getByRole('heading', { level: 1, name: 'lab.test' }).waitFor();
  await refresh(page);
  await shoot(page, 'dashboard', colorScheme);

  await openPanel(page, 'Actions');
  await shoot(page, 'actions', colorScheme);

  await openPanel(page, 'Actions');
  const card = page.getByRole('article', { name: 'Make a user server admin', exact: true });
  await card.getByLabel('User ID', { exact: true }).fill('@bob:elsewhere');
  await card.getByLabel('User ID', { exact: true }).blur();
  await card.scrollIntoViewIfNeeded();
  await shoot(page, 'actions-validation', colorScheme);

  await page
    .getByRole('article', { name: 'Restart Tuwunel', exact: true })
    .getByRole('button', { name: 'Run: Restart Tuwunel', exact: true })
    .click();
  await page.getByRole('alertdialog').waitFor();
  await shoot(page, 'confirm', colorScheme);
  await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();

  await runAction(page, 'Restart Tuwunel');
  await runOutcome(page);
  await shoot(page, 'run', colorScheme);
  await page.getByRole('button', { name: 'Close the run panel' }).click();

  await openPanel(page, 'Logs');
  await page
    .getByTestId('log-count')
    .getByText(/following/)
    .waitFor();
  await page.waitForTimeout(1500);
  await shoot(page, 'logs', colorScheme);

  await openPanel(page, 'Tokens');
  await shoot(page, 'tokens', colorScheme);

  await openPanel(page, 'Settings');
  // The whole panel (the window scrolls inside, so a full-page shot would not show more): servers, secrets
  // with the admin sign-in, and the preferences below them.
  const content = await page.locator('main.content').evaluate((el) => el.scrollHeight);
  await page.setViewportSize({ width: VIEWPORT.width, height: Math.max(VIEWPORT.height, content + 60) });
  await shoot(page, 'settings', colorScheme);
  await page.setViewportSize(VIEWPORT);

  // A backup command typed into the profile is shown as it will run before the profile is saved.
  await page.getByRole('button', { name: /^Edit / }).click();
  await page
    .getByRole('textbox', { name: /^Command/ })
    .fill('stat -c %Y "$(ls -1t /backup/*.tar.zst | head -n1)"');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('alertdialog').waitFor();
  await shoot(page, 'backup-confirm', colorScheme);
  await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();

  await stackStopped(page, colorScheme);
  await win.close();
}

/** The dashboard in maintenance mode, then back. */
async function stackStopped(page: Page, colorScheme: string): Promise<void> {
  await runAction(page, 'Stop the stack (maintenance)');
  await runOutcome(page);
  await page.getByRole('button', { name: 'Close the run panel' }).click();
  await openPanel(page, 'Dashboard');
  await refresh(page);
  await page.getByRole('status', { name: 'Maintenance' }).waitFor();
  await shoot(page, 'dashboard-maintenance', colorScheme);
  await page
    .getByRole('status', { name: 'Maintenance' })
    .getByRole('button', { name: 'Start stack' })
    .click();
  await runOutcome(page);
  await page.getByRole('button', { name: 'Close the run panel' }).click();
}

await mkdir(OUT, { recursive: true });
const browser = await launchChromium();
try {
  await firstRun(browser);
  const desktop = await startDesktop({
    profile: 'saved',
    settings: { ...FAST_SETTINGS, pollIntervalSeconds: 3600 },
    lab: { journalIntervalSeconds: 0.5 },
  });
  try {
    await anchorAllowlist(desktop.lab);
    for (const scheme of SCHEMES) await panels(browser, desktop, scheme);
  } finally {
    await desktop.stop();
  }
} finally {
  await browser.close();
  await closeRendererServer();
}
