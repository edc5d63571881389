import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ansibleVaultView, git, renderedToken } from '../integration/token/token-lab';
import { type DesktopUnderTest, startDesktop } from './harness/desktop';
import { openBrowser } from './harness/shared-browser';
import { actionCard, closeRunPanel, openPanel, runAction, runOutcome } from './harness/ui';
import { type AppWindow, closeRendererServer, openWindow, screenshotOnFailure } from './harness/window';

/**
 * Users and the registration token, in Chromium against the lab: make-admin refuses a bad user ID as
 * you type and then does a good one; the token goes to the (recording) clipboard and off it again after
 * the 10 s delay, a reveal hides after 10 s; a rotation replaces the token in the vault, pushes it and
 * applies it on the server.
 */
let browser: Browser;
let desktop: DesktopUnderTest;
let win: AppWindow;
let page: Page;

beforeAll(async () => {
  [browser, desktop] = await Promise.all([openBrowser(), startDesktop({ profile: 'saved' })]);
  win = await openWindow(browser, desktop.router);
  page = win.page;
  await page.getByRole('heading', { level: 1, name: 'lab.test' }).waitFor();
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await screenshotOnFailure(win, `tokens-${ctx.task.name}`);
});

afterAll(async () => {
  await win?.close();
  await browser?.close();
  await closeRendererServer();
  await desktop?.stop();
});

const vaultFile = () => `${desktop.lab.repos.vaultWorkstation}/${desktop.lab.profile.vault?.file}`;

async function vaultToken(): Promise<string> {
  const view = await ansibleVaultView(vaultFile(), desktop.lab.secrets.vaultPassword, desktop.dataDir);
  const m = /vault_matrix_registration_token:\s*"?([^"\s]+)"?/.exec(view.plaintext);
  if (!m) throw new Error(`no token in the vault: ${view.stderr}`);
  return m[1] as string;
}

/**
 * What reached the homeserver besides the status polls the desktop keeps running meanwhile (each poll is one
 * script framed by its HSTRAY marker, src-main/core/status/remote-script.ts).
 */
const notPolls = (log: string[]) => log.filter((line) => !/HSTRAY[0-9a-f]{32}/.test(line));

describe('make a user server admin', () => {
  it('refuses a bad user ID as it is typed, sending nothing', async () => {
    await openPanel(page, 'Actions');
    const card = actionCard(page, 'Make someone a server admin');
    const field = card.getByLabel('Their Matrix ID', { exact: true });
    const sentBefore = notPolls(desktop.lab.hosts.homeserver.execLog()).length;
    await field.fill('@bob:elsewhere.example');
    await field.blur();
    await card.getByText('Their Matrix ID must be a user of lab.test').waitFor();
    await field.fill('@Bob!:lab.test');
    await card.getByText(/Their Matrix ID may only hold a-z, 0-9/).waitFor();
    await card.getByRole('button', { name: 'Run: Make someone a server admin', exact: true }).click();
    expect(await page.getByRole('alertdialog').count()).toBe(0);
    expect(notPolls(desktop.lab.hosts.homeserver.execLog()).length).toBe(sentBefore);
    expect((await desktop.lab.state.users()).find((u) => u.userId === '@bob:lab.test')?.admin).toBe(false);
  });

  it('makes a good one admin after a confirm that names the user and the downtime', async () => {
    const confirm = await runAction(page, 'Make someone a server admin', { 'Their Matrix ID': 'bob' });
    expect(confirm).toContain('@bob:lab.test');
    expect(confirm).toMatch(/about 30 s/);
    expect((await runOutcome(page)).state).toBe('Succeeded');
    await closeRunPanel(page);
    expect((await desktop.lab.state.users()).find((u) => u.userId === '@bob:lab.test')?.admin).toBe(true);
    expect(await desktop.lab.state.unitActive('matrix-tuwunel')).toBe(true);
  });
});

describe('the registration token', () => {
  it('is copied and cleared after the delay, and a reveal hides after 10 s', async () => {
    const token = desktop.lab.secrets.registrationToken;
    await openPanel(page, 'Tokens');
    await page.getByRole('button', { name: 'Copy token' }).click();
    const state = page.getByTestId('clipboard-registration-token');
    await expect.poll(() => state.textContent()).toMatch(/^Copied\. The clipboard clears in \d+ s/);
    expect(desktop.clipboard.content).toBe(token);
    expect(desktop.clipboard.writes.at(-1)).toEqual({ text: token, concealed: true });

    await page.getByRole('button', { name: 'Reveal for 10 s' }).click();
    await expect
      .poll(() => page.getByRole('status', { name: 'Registration token' }).textContent())
      .toBe(token);
    const revealedAt = Date.now();

    // Both clocks run at once: the clipboard clears after 10 s, the reveal hides after 10 s.
    await page.getByTestId('token-value').waitFor({ state: 'detached', timeout: 15_000 });
    expect(Date.now() - revealedAt).toBeGreaterThan(8_000);
    await expect.poll(() => desktop.clipboard.content, { timeout: 15_000 }).toBe('');
    await state.waitFor({ state: 'detached' });
    await page.getByText('The clipboard was cleared.').waitFor();
    await win.bridge.drained();
    const channels = win.bridge.events.map((e) => e.channel);
    expect(channels).toContain('token.revealExpired');
    expect(win.bridge.events).toContainEqual({
      channel: 'clipboard.cleared',
      payload: { what: 'registration-token', cleared: true },
    });
    // Only token.reveal's answer carried it: no event and nothing left in the page.
    expect(JSON.stringify(win.bridge.events)).not.toContain(token);
    expect(await page.content()).not.toContain(token);
  });

  it('is rotated: a new token in the vault, pushed, pulled and applied on the server', async () => {
    const old = desktop.lab.secrets.registrationToken;
    const remoteBefore = await git(desktop.lab.repos.vaultRemote, 'rev-parse', 'HEAD');
    await openPanel(page, 'Tokens');
    await page.getByRole('button', { name: 'Rotate token…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Rotate the registration token?' });
    await dialog.getByRole('button', { name: 'Rotate token', exact: true }).click();
    const outcome = await runOutcome(page, 90_000);
    expect(outcome.state).toBe('Succeeded');
    expect(outcome.sentence).toMatch(/rotated and applied/);
    await closeRunPanel(page);

    const fresh = await vaultToken();
    expect(fresh).not.toBe(old);
    expect(fresh).toMatch(/^[0-9a-f]{64}$/);
    expect(await git(desktop.lab.repos.vaultRemote, 'rev-parse', 'HEAD')).not.toBe(remoteBefore);
    expect(await renderedToken(desktop.lab)).toBe(fresh);

    await page.getByRole('button', { name: 'Copy token' }).click();
    await expect.poll(() => desktop.clipboard.content).toBe(fresh);
    expect(win.errors).toEqual([]);
  });
});
