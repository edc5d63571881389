import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertView } from '../../src-main/app/views/alert-view';
import { alertNotification } from '../../src-main/desktop/model/notifications';
import { type DesktopUnderTest, FAST_SETTINGS, startDesktop } from './harness/desktop';
import { anchorAllowlist } from './harness/lab-state';
import { openBrowser } from './harness/shared-browser';
import { checkLevel, closeRunPanel, foldLine, openPanel, refresh, runAction, runOutcome } from './harness/ui';
import { type AppWindow, closeRendererServer, openWindow, screenshotOnFailure } from './harness/window';

/**
 * Downtime the admin asked for and downtime nobody asked for, in Chromium against the lab:
 * maintenance stop → "maintenance" badges and no alert → start → green; then matrix-tuwunel stopped
 * behind the app's back → pending → down with a notification → restarted from the window → recovered;
 * and the journal followed live in the Logs panel.
 */
let browser: Browser;
let desktop: DesktopUnderTest;
let win: AppWindow;
let page: Page;
const alerts: AlertView[] = [];

const TUWUNEL = 'unit:matrix-tuwunel';
const problem = () => page.getByTestId('problem-unit:matrix-tuwunel');
const attention = () => page.getByRole('region', { name: 'Needs your attention' });

beforeAll(async () => {
  // Polls only when the user presses Refresh: "pending" then "down" must not race a timer.
  const settings = { ...FAST_SETTINGS, pollIntervalSeconds: 3600 };
  const lab = { journalIntervalSeconds: 1 };
  [browser, desktop] = await Promise.all([openBrowser(), startDesktop({ profile: 'saved', settings, lab })]);
  await anchorAllowlist(desktop.lab);
  desktop.service.onAlerts((batch) => alerts.push(...batch));
  win = await openWindow(browser, desktop.router);
  page = win.page;
  await page.getByRole('heading', { level: 1, name: 'lab.test' }).waitFor();
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await screenshotOnFailure(win, `stack-${ctx.task.name}`);
});

afterAll(async () => {
  await win?.close();
  await browser?.close();
  await closeRendererServer();
  await desktop?.stop();
});

describe('maintenance', () => {
  it('starts green: nothing needs attention, every group one line, the whole picture on one screen', async () => {
    await page.setViewportSize({ width: 1280, height: 820 });
    await refresh(page);
    await expect.poll(() => checkLevel(page, TUWUNEL)).toBe('ok');
    expect(await page.getByTestId('overall-sentence').textContent()).toMatch(
      /^Everything is running\. All \d+ checks are OK\.$/,
    );
    expect(await attention().count()).toBe(0);
    const folds = page.locator('details.fold');
    expect(await folds.count()).toBeGreaterThanOrEqual(5);
    for (const fold of await folds.all()) {
      expect(await fold.evaluate((d) => (d as { open: boolean }).open)).toBe(false);
      // One line each: the summary is as tall as a single line of text (plus its padding).
      expect((await fold.boundingBox())?.height).toBeLessThan(48);
    }
    expect(await foldLine(page, 'services').textContent()).toContain(
      `${desktop.lab.profile.units?.length} units running`,
    );
    const content = page.locator('main.content');
    const [scroll, client] = await content.evaluate((el) => [
      (el as { scrollHeight: number }).scrollHeight,
      (el as { clientHeight: number }).clientHeight,
    ]);
    expect(scroll).toBeLessThanOrEqual(client);

    // Opened, the services show one row per unit, each with its unit and container badge.
    await foldLine(page, 'services').click();
    const rows = page.getByTestId('check-group-services').locator('li.unit-row');
    expect(await rows.count()).toBe(desktop.lab.profile.units?.length);
    const first = rows.first();
    await first.getByTestId(`check-${TUWUNEL}`).waitFor();
    await first.getByTestId('check-container:matrix-tuwunel').waitFor();
    await foldLine(page, 'services').click();
  });

  it('stops the stack after a confirm that names the outage, and shows maintenance, not alerts', async () => {
    const confirm = await runAction(page, 'Stop everything for maintenance');
    expect(confirm).toMatch(/stop/i);
    expect((await runOutcome(page)).state).toBe('Succeeded');
    await closeRunPanel(page);
    for (const unit of desktop.lab.profile.units ?? [])
      expect(await desktop.lab.state.unitActive(unit), unit).toBe(false);

    await openPanel(page, 'Dashboard');
    await page.getByRole('status', { name: 'Maintenance' }).waitFor();
    await refresh(page);
    await refresh(page);
    expect(await checkLevel(page, TUWUNEL)).toBe('maintenance');
    // Said once: one banner, no problem cards, and the services fold counts what is held.
    expect(await page.getByRole('status', { name: 'Maintenance' }).count()).toBe(1);
    expect(await attention().count()).toBe(0);
    expect(
      await page
        .getByText(/Under maintenance/)
        .filter({ visible: true })
        .count(),
    ).toBe(0);
    expect(await foldLine(page, 'services').textContent()).toMatch(/\d+ units stopped for maintenance/);
    // What was measured stays one click away, in the unit's row.
    await foldLine(page, 'services').click();
    await page.locator('#unit-matrix-tuwunel summary').click();
    await expect.poll(() => page.locator('#unit-matrix-tuwunel').textContent()).toMatch(/measured: Failing/);
    await foldLine(page, 'services').click();
    expect(alerts).toEqual([]);
  });

  it('starts the stack from the banner: green again, maintenance over', async () => {
    await page
      .getByRole('status', { name: 'Maintenance' })
      .getByRole('button', { name: 'Start all services' })
      .click();
    expect((await runOutcome(page)).state).toBe('Succeeded');
    await closeRunPanel(page);
    for (const unit of desktop.lab.profile.units ?? [])
      expect(await desktop.lab.state.unitActive(unit), unit).toBe(true);
    await refresh(page);
    await expect.poll(() => checkLevel(page, TUWUNEL)).toBe('ok');
    expect(await page.getByRole('status', { name: 'Maintenance' }).count()).toBe(0);
    expect(alerts).toEqual([]);
  });
});

describe('an outage nobody asked for', () => {
  it('goes pending, then down with one notification naming the check; the problem comes first', async () => {
    await desktop.lab.state.setUnitState('matrix-tuwunel', 'failed');
    await refresh(page);
    expect(await checkLevel(page, TUWUNEL)).toBe('fail');
    await problem().getByText('checking again before alerting').waitFor();
    expect(alerts).toEqual([]);
    // One card for the unit, its container and the endpoints it no longer answers, above everything else.
    expect(await problem().getByRole('heading').textContent()).toBe('Tuwunel is not running');
    expect(await attention().getByRole('article').count()).toBe(1);
    const [cardTop, foldsTop] = await Promise.all([
      problem().boundingBox(),
      page.getByRole('region', { name: 'Everything else' }).boundingBox(),
    ]);
    expect(cardTop?.y).toBeLessThan(foldsTop?.y ?? 0);

    await refresh(page);
    await problem().getByText('alert sent').waitFor();
    const down = alerts.filter((a) => a.kind === 'down');
    expect(down.map((a) => a.check.id)).toContain(TUWUNEL);
    const note = alertNotification(down, { profileId: 'lab', serverName: 'lab.test' });
    expect(note?.title).toMatch(/down/);
    expect(`${note?.title} ${note?.body}`).toContain('matrix-tuwunel');
    expect(note?.target).toMatchObject({ panel: 'dashboard' });
  });

  it('is fixed by the problem’s own button: Restart Tuwunel, then recovered', async () => {
    await problem().getByRole('button', { name: 'Restart Tuwunel' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Restart Tuwunel?' });
    expect(await dialog.locator('.effect').textContent()).toMatch(/restart matrix-tuwunel/i);
    await dialog.getByRole('button', { name: 'Restart Tuwunel' }).click();
    const outcome = await runOutcome(page);
    expect(outcome.state).toBe('Succeeded');
    await closeRunPanel(page);
    expect(await desktop.lab.state.unitActive('matrix-tuwunel')).toBe(true);
    await refresh(page);
    await expect.poll(() => checkLevel(page, TUWUNEL)).toBe('ok');
    expect(await attention().count()).toBe(0);
    expect(alerts.filter((a) => a.kind === 'recovered').map((a) => a.check.id)).toContain(TUWUNEL);
    expect(win.errors).toEqual([]);
  });
});

describe('logs', () => {
  const count = () => page.getByTestId('log-count').textContent();
  const lines = async () => Number(/^([\d,]+)/.exec((await count()) ?? '')?.[1]?.replaceAll(',', '') ?? 0);

  it('follows the journal of matrix-tuwunel live, pauses and stops', async () => {
    await openPanel(page, 'Logs');
    await expect.poll(count).toMatch(/· following$/);
    await expect.poll(lines).toBeGreaterThan(0);
    const log = page.getByRole('log', { name: 'Journal of matrix-tuwunel' });

    // Something happens on the host: the line shows up while following.
    await desktop.lab.state.setUnitState('matrix-tuwunel', 'failed');
    await log
      .getByText(/Main process exited/)
      .first()
      .waitFor({ timeout: 15_000 });
    await desktop.lab.state.setUnitActive('matrix-tuwunel', true);

    await page.getByRole('button', { name: 'Pause' }).click();
    const frozen = await lines();
    await expect.poll(count, { timeout: 10_000 }).toMatch(/new while paused/);
    expect(await lines()).toBe(frozen);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(lines).toBeGreaterThan(frozen);

    await page.getByRole('button', { name: 'Stop following' }).click();
    await expect.poll(count).toMatch(/· stopped$/);
    expect(
      desktop.lab.hosts.homeserver.execLog().some((l) => /journalctl .*-f.*matrix-tuwunel/.test(l)),
    ).toBe(true);
    // The remote journalctl was stopped with the stream, not left running on this lab's host.
    const followers =
      'for p in $(pgrep -f "[j]ournalctl.* -f"); do tr "\\0" "\\n" < /proc/$p/environ 2>/dev/null | grep -qx "LAB_HOST_DIR=$LAB_HOST_DIR" && echo $p; done; true';
    await expect.poll(async () => (await desktop.lab.hosts.homeserver.sh(followers)).stdout.trim()).toBe('');
    expect(win.errors).toEqual([]);
  });
});
