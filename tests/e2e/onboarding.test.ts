import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DesktopUnderTest, startDesktop } from './harness/desktop';
import { anchorAllowlist } from './harness/lab-state';
import { openBrowser } from './harness/shared-browser';
import { type AppWindow, closeRendererServer, openWindow, screenshotOnFailure } from './harness/window';

/**
 * First run in Chromium against the lab: no profile yet → onboarding → the lab's profile pasted (with a
 * backup command, which is shown and confirmed before saving) → each host tested, its unknown key shown with its fingerprint and trusted → the sudo and vault
 * passwords stored (write-only) → the dashboard, all green.
 */
/** The backup check the pasted profile brings: prints "now" as epoch seconds, so the check is green. */
const BACKUP = 'date +%s';

let browser: Browser;
let desktop: DesktopUnderTest;
let win: AppWindow;
let page: Page;

beforeAll(async () => {
  [browser, desktop] = await Promise.all([openBrowser(), startDesktop({ profile: 'none' })]);
  await anchorAllowlist(desktop.lab);
  win = await openWindow(browser, desktop.router);
  page = win.page;
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await screenshotOnFailure(win, `onboarding-${ctx.task.name}`);
});

afterAll(async () => {
  await win?.close();
  await browser?.close();
  await closeRendererServer();
  await desktop?.stop();
});

/** Trusts whatever key dialog is open, after checking it shows the lab host's real fingerprint. */
async function trustKeyDialog(): Promise<'homeserver' | 'deploy'> {
  const dialog = page.getByRole('alertdialog', { name: /Unknown host key for the/ });
  await dialog.waitFor();
  const title = (await dialog.getByRole('heading').textContent()) ?? '';
  const host = title.includes('homeserver') ? 'homeserver' : 'deploy';
  await expect
    .poll(() => dialog.getByTestId('hostkey-fingerprint').textContent())
    .toBe(desktop.lab.hosts[host].fingerprint);
  // The other host's question may follow at once: wait for this one to go, not for every dialog. A poll
  // that met the key while the trust was on its way can ask once more; the user answers again.
  const same = page.getByRole('alertdialog', { name: title });
  for (let attempt = 0; attempt < 3; attempt++) {
    await same.getByRole('button', { name: 'Trust always' }).click();
    if (
      await same.waitFor({ state: 'detached', timeout: 3000 }).then(
        () => true,
        () => false,
      )
    )
      return host;
  }
  throw new Error(`the dialog "${title}" stayed open after trusting three times`);
}

function hostRow(host: 'homeserver' | 'deploy'): Locator {
  return page.getByTestId(`host-test-${host}`);
}

describe('first run', () => {
  it('opens onboarding when no profile exists', async () => {
    await page.getByRole('heading', { name: 'Set up Homeserver Tray' }).waitFor();
    await expect.poll(() => page.getByText('Step 1 of 3').count()).toBe(1);
  });

  it('takes the pasted profile, shows it for checking, asks about its backup command and saves it', async () => {
    // The lab's profile plus a backup check: shell code that every poll will run on the homeserver.
    const yaml = `${await readFile(desktop.lab.profilePath, 'utf8')}checks:\n  backup:\n    command: ${BACKUP}\n`;
    await page.getByLabel('Profile YAML').fill(yaml);
    await page.getByRole('button', { name: 'Use this YAML' }).click();
    await page.getByText('Step 2 of 3').waitFor();
    await page.getByRole('button', { name: 'Save and continue' }).click();
    const confirm = page.getByRole('alertdialog', {
      name: 'Run this command on the homeserver at every check?',
    });
    expect(await confirm.getByTestId('backup-command').textContent()).toBe(BACKUP);
    const { address, user } = desktop.lab.profile.hosts.homeserver;
    expect(await confirm.getByTestId('backup-effect').textContent()).toContain(
      `on the homeserver (${user}@${address}) at every status poll (every 5 s), as root, through sudo.`,
    );
    await confirm.getByRole('button', { name: 'Save and run it at every check' }).click();
    await page.getByText('Step 3 of 3').waitFor();
    const list = await desktop.router.handle('profiles.list', {});
    expect(list).toMatchObject({ ok: true, value: { selectedId: 'lab-lab.test' } });
  });

  it('tests each host, shows its unknown key with the fingerprint, and trusts it', async () => {
    // Two sources ask about a key: the Test button, and the status poll of the new profile (which may
    // have met both keys before any click). Whatever asks, the dialog shows the lab's key and is trusted.
    const trusted = new Set<string>();
    const connected = async (host: 'homeserver' | 'deploy') =>
      (await hostRow(host).getByText('✓ Connected').count()) > 0;
    for (let round = 0; round < 12; round++) {
      if ((await connected('homeserver')) && (await connected('deploy'))) break;
      const dialog = page.getByRole('alertdialog');
      if (
        await dialog.waitFor({ timeout: 1500 }).then(
          () => true,
          () => false,
        )
      ) {
        trusted.add(await trustKeyDialog());
        continue;
      }
      const host = (await connected('homeserver')) ? 'deploy' : 'homeserver';
      // A dialog may open between the look and the click; the next round trusts it.
      await hostRow(host)
        .getByRole('button', { name: /^Test/ })
        .click({ timeout: 1500 })
        .catch(() => {});
    }
    expect([...trusted].sort()).toEqual(['deploy', 'homeserver']);
    for (const host of ['homeserver', 'deploy'] as const) expect(await connected(host)).toBe(true);
    await expect.poll(() => hostRow('homeserver').textContent()).toMatch(/sudo asks for a password/);
    // Trusted permanently: the lab's keys are in the app's own known_hosts, nowhere else.
    const knownHosts = await readFile(join(desktop.dataDir, 'known_hosts'), 'utf8');
    for (const host of ['homeserver', 'deploy'] as const) {
      const [, type, key] = desktop.lab.hosts[host].knownHostsLine.split(' ');
      expect(knownHosts).toContain(`${type} ${key}`);
    }
    expect(await readFile(desktop.lab.knownHostsPath, 'utf8')).toBe('');
  });

  it('stores the sudo and vault passwords write-only', async () => {
    await page.getByText('Passwords and passphrases', { exact: true }).click();
    const sudo = page.getByLabel('sudo password for the homeserver', { exact: true });
    await sudo.fill(desktop.lab.secrets.sudoPassword);
    await page.getByRole('button', { name: 'Store sudo password for the homeserver' }).click();
    await page.getByLabel('Ansible Vault password', { exact: true }).fill(desktop.lab.secrets.vaultPassword);
    await page.getByRole('button', { name: 'Store Ansible Vault password' }).click();
    await expect
      .poll(() => page.getByTestId('secret-sudo-password-homeserver').textContent())
      .toMatch(/^\W*stored$/);
    await expect
      .poll(() => page.getByTestId('secret-vault-password-profile').textContent())
      .toMatch(/^\W*stored$/);
    // The fields are emptied and nothing of the value is in the page.
    expect(await sudo.inputValue()).toBe('');
    expect(await page.content()).not.toContain(desktop.lab.secrets.sudoPassword);

    await hostRow('homeserver').getByRole('button', { name: /^Test/ }).click();
    await expect
      .poll(() => hostRow('homeserver').textContent())
      .toMatch(/sudo works with the stored password/);
  });

  it('opens the dashboard: every check green, and the lab is what it says', async () => {
    await page.getByRole('button', { name: /^Open the dashboard/ }).click();
    await page.getByRole('heading', { name: 'lab.test', level: 1 }).waitFor();
    const sentence = page.getByTestId('overall-sentence');
    await expect.poll(() => sentence.textContent(), { timeout: 20_000 }).toMatch(/^All \d+ checks are OK\.$/);
    for (const card of ['homeserver', 'deploy', 'public'] as const) {
      const badge = page.getByTestId(`card-${card}`).locator('.card-header .badge');
      expect(await badge.getAttribute('data-level')).toBe('ok');
    }
    await page.getByTestId('check-unit:matrix-tuwunel').getByText('OK').waitFor();
    expect(await desktop.lab.state.unitActive('matrix-tuwunel')).toBe(true);
    // The polls reached the lab as one script per host (not one command per check).
    expect(desktop.lab.hosts.homeserver.execLog().some((l) => l.includes('systemctl show'))).toBe(true);
    // The confirmed backup command is what the homeserver's polls run.
    await page.getByTestId('check-backup:age').getByText('OK').waitFor();
    expect(desktop.lab.hosts.homeserver.execLog().some((l) => l.includes(BACKUP))).toBe(true);
    expect(desktop.lab.hosts.deploy.execLog().some((l) => l.includes(BACKUP))).toBe(false);
    expect(win.errors).toEqual([]);
  });
});
