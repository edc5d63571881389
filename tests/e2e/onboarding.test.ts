import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DesktopUnderTest, startDesktop } from './harness/desktop';
import { anchorAllowlist } from './harness/lab-state';
import { fillMachinesStep, fillServerStep, labelled } from './harness/onboarding-form';
import { openBrowser } from './harness/shared-browser';
import { type AppWindow, closeRendererServer, openWindow, screenshotOnFailure } from './harness/window';

/**
 * First run in Chromium against the lab: no profile yet → onboarding's guided form, filled as a person
 * would, each slip (a server name outside the Matrix grammar, a bad address) named at its field by the
 * real profile schema → a backup command, shown and confirmed before saving → each host tested, its
 * unknown key shown with its fingerprint and trusted → the sudo and vault passwords stored (write-only)
 * → the dashboard, all green.
 */
/** The backup check the profile brings: prints "now" as epoch seconds, so the check is green. */
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

/** The message shown at a field (its aria-describedby error), or '' when there is none. */
async function errorAt(field: Locator): Promise<string> {
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
  for (const id of ids) {
    const el = page.locator(`[id="${id}"].field-error`);
    if ((await el.count()) > 0) return (await el.textContent()) ?? '';
  }
  return '';
}

describe('first run', () => {
  it('opens onboarding on its guided form, with YAML import folded away as the other way in', async () => {
    await page.getByRole('heading', { name: 'Set up Homeserver Tray' }).waitFor();
    expect(
      await page.getByRole('list', { name: 'Steps' }).locator('[aria-current="step"]').textContent(),
    ).toContain('Your server');
    expect(await labelled(page, 'Server name').isVisible()).toBe(true);
    expect(await page.getByLabel('Or paste it here').isVisible()).toBe(false);
    await page.getByText('Already have a profile? Import it instead').waitFor();
  });

  it('names a server name outside the Matrix grammar at its field, and will not go on with it', async () => {
    const server = labelled(page, 'Server name');
    await server.fill('lab test');
    await expect.poll(() => errorAt(server)).toMatch(/^server name is not a hostname/);
    await page.getByRole('button', { name: 'Continue' }).click();
    // The focus goes to the field that needs it (this project's Node tsconfig has no DOM types).
    await expect
      .poll(() =>
        server.evaluate(
          (el) =>
            el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement,
        ),
      )
      .toBe(true);
    expect(await page.getByRole('group', { name: 'Homeserver host' }).count()).toBe(0);

    await fillServerStep(page, desktop.lab.profile);
    await expect.poll(() => server.getAttribute('aria-invalid')).toBe('false');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('group', { name: 'Homeserver host' }).waitFor();
  });

  it('checks the machines as they are typed, then shows the backup command before saving the profile', async () => {
    const profile = { ...desktop.lab.profile, checks: { backup: { command: BACKUP } } };
    const address = labelled(page.getByRole('group', { name: 'Homeserver host' }), 'Address');
    await address.fill('nas .local');
    await address.blur();
    await expect.poll(() => errorAt(address)).toMatch(/^address is not a hostname/);
    await fillMachinesStep(page, profile);
    await expect.poll(() => address.getAttribute('aria-invalid')).toBe('false');

    await page.getByRole('button', { name: 'Save and test the connection' }).click();
    const confirm = page.getByRole('alertdialog', {
      name: 'Run this command on the homeserver at every check?',
    });
    expect(await confirm.getByTestId('backup-command').textContent()).toBe(BACKUP);
    const { address: host, user } = desktop.lab.profile.hosts.homeserver;
    expect(await confirm.getByTestId('backup-effect').textContent()).toContain(
      `on the homeserver (${user}@${host}) at every status poll (every 5 s), as root, through sudo.`,
    );
    await confirm.getByRole('button', { name: 'Save and run it at every check' }).click();
    await page
      .getByRole('list', { name: 'Steps' })
      .locator('[aria-current="step"]', { hasText: 'Connect' })
      .waitFor();
    const list = await desktop.router.handle('profiles.list', {});
    expect(list).toMatchObject({ ok: true, value: { selectedId: 'lab-lab.test' } });
    // What was typed is what was saved: the profile the app polls is the lab's.
    const saved = await desktop.router.handle('profiles.get', { id: 'lab-lab.test' });
    expect(saved).toMatchObject({
      ok: true,
      value: {
        draft: {
          serverName: 'lab.test',
          publicUrl: desktop.lab.profile.publicUrl,
          caFile: desktop.lab.profile.caFile,
          hosts: { deploy: { address: desktop.lab.profile.hosts.deploy.address } },
          deploy: { varsFile: desktop.lab.profile.deploy.varsFile },
          vault: { repo: desktop.lab.profile.vault?.repo },
        },
      },
    });
  });

  it('tests each host, shows its unknown key with the fingerprint, and trusts it', async () => {
    // Two sources ask about a key: the Test button, and the status poll of the new profile (which may
    // have met both keys before any click). Whatever asks, each key is one question, asked in turn, the
    // dialog shows the lab's key, and the row it held up connects once it is trusted. A deadline, not a
    // count of rounds: a test of a host takes seconds on a busy machine.
    const trusted = new Set<string>();
    const connected = async (host: 'homeserver' | 'deploy') =>
      (await hostRow(host).getByText('✓ Connected').count()) > 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
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
      for (const host of ['homeserver', 'deploy'] as const) {
        const test = hostRow(host).getByRole('button', { name: /^Test/ });
        // A row still connecting, or connected, is left alone; a dialog opening meanwhile comes next round.
        if ((await connected(host)) || (await test.isDisabled())) continue;
        await test.click({ timeout: 1500 }).catch(() => {});
      }
    }
    expect([...trusted].sort()).toEqual(['deploy', 'homeserver']);
    for (const host of ['homeserver', 'deploy'] as const)
      await expect.poll(() => connected(host), { timeout: 30_000 }).toBe(true);
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
    await expect
      .poll(() => sentence.textContent(), { timeout: 20_000 })
      .toMatch(/^Everything is running\. All \d+ checks are OK\.$/);
    for (const fold of await page.locator('details.fold').all())
      expect(await fold.locator('summary.fold-line .badge').getAttribute('data-level')).toBe('ok');
    expect(
      await page.getByTestId('check-unit:matrix-tuwunel').locator('.badge').getAttribute('data-level'),
    ).toBe('ok');
    expect(await desktop.lab.state.unitActive('matrix-tuwunel')).toBe(true);
    // The polls reached the lab as one script per host (not one command per check).
    expect(desktop.lab.hosts.homeserver.execLog().some((l) => l.includes('systemctl show'))).toBe(true);
    // The confirmed backup command is what the homeserver's polls run.
    expect(await page.getByTestId('check-backup:age').locator('.badge').getAttribute('data-level')).toBe(
      'ok',
    );
    expect(desktop.lab.hosts.homeserver.execLog().some((l) => l.includes(BACKUP))).toBe(true);
    expect(desktop.lab.hosts.deploy.execLog().some((l) => l.includes(BACKUP))).toBe(false);
    expect(win.errors).toEqual([]);
  });
});
