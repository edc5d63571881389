import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertView } from '../../src-main/app/views/alert-view';
import { alertNotification } from '../../src-main/desktop/model/notifications';
import { type DesktopUnderTest, FAST_SETTINGS, startDesktop } from './harness/desktop';
import { anchorAllowlist } from './harness/lab-state';
import { openBrowser } from './harness/shared-browser';
import { checkLevel, closeRunPanel, openPanel, refresh, runAction, runOutcome } from './harness/ui';
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
const row = (checkId: string) => page.getByTestId(`check-${checkId}`);

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
  it('starts green', async () => {
    await refresh(page);
    await expect.poll(() => checkLevel(page, TUWUNEL)).toBe('ok');
  });

  it('stops the stack after a confirm that names the outage, and shows maintenance, not alerts', async () => {
    const confirm = await runAction(page, 'Stop the stack (maintenance)');
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
    await expect.poll(() => row(TUWUNEL).textContent()).toMatch(/measured: Failing/);
    expect(await row(TUWUNEL).getByText('alerted').count()).toBe(0);
    expect(await row(TUWUNEL).getByText('retrying before alert').count()).toBe(0);
    expect(alerts).toEqual([]);
  });

  it('starts the stack from the banner: green again, maintenance over', async () => {
    await page
      .getByRole('status', { name: 'Maintenance' })
      .getByRole('button', { name: 'Start stack' })
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
  it('goes pending, then down with one notification naming the check', async () => {
    await desktop.lab.state.setUnitState('matrix-tuwunel', 'failed');
    await refresh(page);
    expect(await checkLevel(page, TUWUNEL)).toBe('fail');
    await row(TUWUNEL).getByText('retrying before alert').waitFor();
    expect(alerts).toEqual([]);

    await refresh(page);
    await row(TUWUNEL).getByText('alerted').waitFor();
    const down = alerts.filter((a) => a.kind === 'down');
    expect(down.map((a) => a.check.id)).toContain(TUWUNEL);
    const note = alertNotification(down, 'lab.test');
    expect(note?.title).toMatch(/down/);
    expect(`${note?.title} ${note?.body}`).toContain('matrix-tuwunel');
    expect(note?.target).toMatchObject({ panel: 'dashboard' });
  });

  it('is fixed from the window: Restart Tuwunel, then recovered', async () => {
    const confirm = await runAction(page, 'Restart Tuwunel');
    expect(confirm).toMatch(/restart matrix-tuwunel/i);
    const outcome = await runOutcome(page);
    expect(outcome.state).toBe('Succeeded');
    await closeRunPanel(page);
    expect(await desktop.lab.state.unitActive('matrix-tuwunel')).toBe(true);
    await openPanel(page, 'Dashboard');
    await refresh(page);
    await expect.poll(() => checkLevel(page, TUWUNEL)).toBe('ok');
    expect(await row(TUWUNEL).getByText('alerted').count()).toBe(0);
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
