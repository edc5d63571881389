// `npm run screenshots [name…]`: PNGs of the window, light and dark, in docs/screenshots/ — the built renderer
// in Debian's Chromium, its window.api answered by the real router over a real core on the lab (the same
// harness as the end-to-end tests) — and of the tray menu in each state, its template from the pure tray
// model drawn as an HTML menu. The lab is shown as it is: its allowlist is the runbook's unanchored one, and
// the dashboard says so. Names given on the command line shoot only the pictures that start with them.
// Prints one line per file written.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type TrayMenuItem, trayMenu } from '../src-main/desktop/model/tray-menu';
import { serversTooltip, worstTrayState } from '../src-main/desktop/model/tray-state';
import type { ActionInfo, ProfilesList, StatusSnapshot } from '../src-main/ipc/contract';
import { launchChromium } from '../tests/e2e/harness/chromium';
import { type DesktopUnderTest, FAST_SETTINGS, startDesktop } from '../tests/e2e/harness/desktop';
import { fillMachinesStep, fillServerStep, labelled } from '../tests/e2e/harness/onboarding-form';
import { REPO_ROOT } from '../tests/e2e/harness/renderer-build';
import {
  actionCard,
  closeRunPanel,
  foldLine,
  openPanel,
  refresh,
  runAction,
  runOutcome,
} from '../tests/e2e/harness/ui';
import { closeRendererServer, openWindow } from '../tests/e2e/harness/window';
import { startLab } from '../tests/lab/lab';
import type { Lab } from '../tests/lab/types';

const OUT = join(REPO_ROOT, 'docs', 'screenshots');
const SCHEMES = ['light', 'dark'] as const;
type Scheme = (typeof SCHEMES)[number];
const VIEWPORT = { width: 1280, height: 820 };
const ONLY = process.argv.slice(2);

function wanted(name: string): boolean {
  return ONLY.length === 0 || ONLY.some((o) => name.startsWith(o));
}

async function shoot(page: Page, name: string, scheme: Scheme): Promise<void> {
  if (!wanted(name)) return;
  // Let transitions, countdowns and lazy chunks settle before the picture.
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(150);
  const file = join(OUT, `${name}-${scheme}.png`);
  await page.screenshot({ path: file });
  console.log(file.slice(REPO_ROOT.length));
}

// ───────────────────────────── the tray menu, drawn ─────────────────────────────

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A server's submenu is drawn closed, as the menu first opens: its label and an arrow. */
function menuHtml(items: TrayMenuItem[], icon: string, tooltip: string): string {
  const rows = items
    .map((item) => {
      if (item.type === 'separator') return '<li class="sep" role="separator"></li>';
      if (item.type === 'submenu')
        return `<li class="item submenu">${escapeHtml(item.label)}<span>▸</span></li>`;
      const cls = item.type === 'label' ? 'label' : item.enabled ? 'item' : 'item disabled';
      return `<li class="${cls}">${escapeHtml(item.label)}</li>`;
    })
    .join('');
  return `<!doctype html><html><head><style>
    :root { color-scheme: light dark; --panel: #e8e8e8; --menu: #ffffff; --text: #1c1c1c; --muted: #7a7a7a;
      --line: #d9d9d9; --hover: #e6ecf8; --tip: #333; --tip-text: #fff; }
    @media (prefers-color-scheme: dark) { :root { --panel: #1d1d1d; --menu: #2b2b2b; --text: #f0f0f0;
      --muted: #9a9a9a; --line: #3d3d3d; --hover: #3a4457; --tip: #eee; --tip-text: #111; } }
    body { margin: 0; font: 14px/1.3 Cantarell, "DejaVu Sans", system-ui, sans-serif; background: transparent; }
    .shot { display: inline-block; padding: 0 16px 16px; background: #6b7b8c; }
    @media (prefers-color-scheme: dark) { .shot { background: #23272e; } }
    .panel { display: flex; justify-content: flex-end; align-items: center; gap: 10px; height: 32px;
      margin: 0 -16px 0; padding: 0 16px; background: var(--panel); color: var(--text); font-size: 13px; }
    .panel img { width: 22px; height: 22px; padding: 3px; border-radius: 4px; background: var(--hover); }
    .tip { position: relative; margin: 6px 0 0 auto; width: max-content; max-width: 420px; padding: 4px 8px;
      border-radius: 4px; background: var(--tip); color: var(--tip-text); font-size: 12px; }
    ul { list-style: none; margin: 6px 0 0 auto; padding: 6px 0; width: 380px; background: var(--menu);
      color: var(--text); border-radius: 8px; box-shadow: 0 6px 24px rgb(0 0 0 / 35%); }
    li { padding: 6px 18px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    li.label, li.disabled { color: var(--muted); }
    li.label:first-child { color: var(--text); font-weight: 600; }
    li.sep { padding: 0; margin: 5px 0; border-top: 1px solid var(--line); }
    li.submenu { display: flex; justify-content: space-between; }
  </style></head><body><div class="shot">
    <div class="panel"><span>Tue 14:02</span><img alt="" src="data:image/png;base64,${icon}"></div>
    <div class="tip">${escapeHtml(tooltip)}</div>
    <ul role="menu">${rows}</ul>
  </div></body></html>`;
}

/** The tray as the desktop shows it for the core's current status: icon, tooltip and the menu opened. */
async function shootTray(
  browser: Browser,
  desktop: DesktopUnderTest,
  name: string,
  scheme: Scheme,
): Promise<void> {
  if (!wanted(name)) return;
  const all = await desktop.router.handle('status.all', {});
  const list = await desktop.router.handle('actions.list', {});
  const servers = all.ok ? (all.value as { servers: StatusSnapshot[] }).servers : [];
  const actions = list.ok ? (list.value as { actions: ActionInfo[] }).actions : [];
  const icon = await readFile(join(REPO_ROOT, 'assets', 'tray', `tray-${worstTrayState(servers)}-32@2x.png`));
  const context = await browser.newContext({ colorScheme: scheme, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    await page.setContent(
      menuHtml(trayMenu({ servers, actions }), icon.toString('base64'), serversTooltip(servers)),
    );
    const file = join(OUT, `${name}-${scheme}.png`);
    await page.locator('.shot').screenshot({ path: file });
    console.log(file.slice(REPO_ROOT.length));
  } finally {
    await context.close();
  }
}

// ───────────────────────────── first run ─────────────────────────────

/**
 * Onboarding as a newcomer meets it, on a desktop with no profile yet. The profile it saves is deleted
 * again, so the next colour scheme starts from the first run too.
 */
async function firstRun(browser: Browser, desktop: DesktopUnderTest, scheme: Scheme): Promise<void> {
  await shootTray(browser, desktop, 'tray-setup', scheme);
  const win = await openWindow(browser, desktop.router, { colorScheme: scheme, viewport: VIEWPORT });
  const { page } = win;
  await page.getByRole('heading', { name: 'Set up Homeserver Tray' }).waitFor();
  const profile = desktop.lab.profile;
  await fillServerStep(page, profile);
  await shoot(page, 'onboarding', scheme);

  await page.getByRole('button', { name: 'Continue' }).click();
  await fillMachinesStep(page, profile);
  await page.locator('details.advanced > summary').click();
  // One slip, as the form shows it: the address is checked as you type.
  const address = labelled(page.getByRole('group', { name: 'Homeserver host' }), 'Address');
  await address.fill('nas .local');
  await address.blur();
  await page.getByText(/address is not a hostname/).waitFor();
  await shoot(page, 'onboarding-machines', scheme);
  await address.fill(profile.hosts.homeserver.address);

  await page.getByRole('button', { name: 'Save and test the connection' }).click();
  await page.getByTestId('host-test-homeserver').waitFor();
  // The new profile's first status poll may ask about a key before the Test button does: either asks.
  const dialog = page.getByRole('alertdialog', { name: /Unknown host key/ });
  await page
    .getByRole('button', { name: 'Test the homeserver' })
    .click({ timeout: 1500 })
    .catch(() => {});
  await dialog.waitFor();
  await shoot(page, 'onboarding-hostkey', scheme);
  await win.close();
  const list = await desktop.router.handle('profiles.list', {});
  for (const p of list.ok ? (list.value as ProfilesList).profiles : [])
    await desktop.router.handle('profiles.delete', { id: p.id });
}

// ───────────────────────────── a server in use ─────────────────────────────

async function panels(browser: Browser, desktop: DesktopUnderTest, scheme: Scheme): Promise<void> {
  const win = await openWindow(browser, desktop.router, { colorScheme: scheme, viewport: VIEWPORT });
  const { page } = win;
  await page.getByRole('heading', { level: 1, name: 'lab.test' }).waitFor();
  await refresh(page);
  await shoot(page, 'dashboard', scheme);
  await shootTray(browser, desktop, 'tray-healthy', scheme);

  await foldLine(page, 'services').click();
  await shoot(page, 'dashboard-services', scheme);
  await foldLine(page, 'services').click();

  await openPanel(page, 'Actions');
  await shoot(page, 'actions', scheme);

  const card = page.getByRole('article', { name: 'Make someone a server admin', exact: true });
  await card.getByLabel('Their Matrix ID', { exact: true }).fill('@bob:elsewhere');
  await card.getByLabel('Their Matrix ID', { exact: true }).blur();
  await card.getByText('Details').click();
  await card.scrollIntoViewIfNeeded();
  await shoot(page, 'actions-validation', scheme);

  // A user action's confirm says how it reaches Tuwunel and why (here: no admin sign-in, so CLI mode).
  await card.getByLabel('Their Matrix ID', { exact: true }).fill('bob');
  await card.getByRole('button', { name: 'Run: Make someone a server admin', exact: true }).click();
  await page.getByRole('alertdialog').waitFor();
  await shoot(page, 'confirm-route', scheme);
  await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();

  await page
    .getByRole('article', { name: 'Restart Tuwunel', exact: true })
    .getByRole('button', { name: 'Run: Restart Tuwunel', exact: true })
    .click();
  await page.getByRole('alertdialog').waitFor();
  await shoot(page, 'confirm', scheme);
  await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();

  await runAction(page, 'Restart Tuwunel');
  await runOutcome(page);
  await shoot(page, 'run', scheme);
  await closeRunPanel(page);

  await upgrade(desktop, page, scheme);

  await openPanel(page, 'Logs');
  await page
    .getByTestId('log-count')
    .getByText(/following/)
    .waitFor();
  await page.waitForTimeout(1500);
  await shoot(page, 'logs', scheme);

  await openPanel(page, 'Tokens');
  await shoot(page, 'tokens', scheme);

  await openPanel(page, 'Settings');
  // The whole panel (the window scrolls inside, so a full-page shot would not show more): servers, secrets
  // with the admin sign-in, and the preferences below them.
  const content = await page.locator('main.content').evaluate((el) => el.scrollHeight);
  await page.setViewportSize({ width: VIEWPORT.width, height: Math.max(VIEWPORT.height, content + 60) });
  await shoot(page, 'settings', scheme);
  await page.setViewportSize(VIEWPORT);

  // A backup command typed into the profile is shown as it will run before the profile is saved.
  await page.getByRole('button', { name: /^Edit / }).click();
  await page
    .getByRole('textbox', { name: /^Command/ })
    .fill('stat -c %Y "$(ls -1t /backup/*.tar.zst | head -n1)"');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('alertdialog').waitFor();
  await shoot(page, 'backup-confirm', scheme);
  await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();

  await tuwunelDown(browser, desktop, page, scheme);
  await stackStopped(browser, desktop, page, scheme);
  await win.close();
}

const UPGRADE_SHOTS = ['upgrade-plan', 'upgrade-progress', 'upgrade-rollback'];

/**
 * "Upgrade Tuwunel" 1.7.0 → 1.9.0 with the new release's start failing (the lab's fault switch): the plan in
 * the confirmation, the run during 1.9.0's one-time migrations, and the rollback's outcome. The rollback
 * restores 1.7.0, so the next scheme starts from the same server.
 */
async function upgrade(desktop: DesktopUnderTest, page: Page, scheme: Scheme): Promise<void> {
  if (!UPGRADE_SHOTS.some(wanted)) return;
  desktop.lab.faults.tuwunelStartFails('1.9.0');
  await openPanel(page, 'Actions');
  const card = actionCard(page, 'Upgrade Tuwunel');
  await card.getByLabel('Version', { exact: true }).fill('v1.9.0');
  await card.getByRole('button', { name: 'Run: Upgrade Tuwunel', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Upgrade Tuwunel?' });
  await dialog.waitFor();
  await shoot(page, 'upgrade-plan', scheme);
  await dialog.getByRole('button', { name: 'Upgrade Tuwunel' }).click();
  const panel = page.getByRole('complementary', { name: 'Upgrade Tuwunel' });
  const migrating = panel.getByText(/Scanning ShortID columns/).first();
  await migrating.waitFor({ timeout: 60_000 });
  // The running step and the migration's lines as they come, below the list of steps.
  await migrating.scrollIntoViewIfNeeded();
  await shoot(page, 'upgrade-progress', scheme);
  await runOutcome(page, 180_000);
  // The rollback's steps and the sentence that ends the run.
  await panel.getByTestId('run-outcome').scrollIntoViewIfNeeded();
  await shoot(page, 'upgrade-rollback', scheme);
  desktop.lab.faults.clear();
  await closeRunPanel(page);
}

/**
 * Tuwunel failed behind the app's back: two polls (pending, then down), then fixed from its problem. A poll just
 * before the failure saw it up: the first failing poll stands for the time since then, so the history counts the
 * outage from the failure, not from a poll taken before the pictures of the other panels.
 */
async function tuwunelDown(
  browser: Browser,
  desktop: DesktopUnderTest,
  page: Page,
  scheme: Scheme,
): Promise<void> {
  await openPanel(page, 'Dashboard');
  await refresh(page);
  await desktop.lab.state.setUnitState('matrix-tuwunel', 'failed');
  await refresh(page);
  await refresh(page);
  const problem = page.getByTestId('problem-unit:matrix-tuwunel');
  await problem.getByText('alert sent').waitFor();
  await shoot(page, 'dashboard-failing', scheme);
  await shootTray(browser, desktop, 'tray-failing', scheme);
  // Muted until it recovers, from its card: still red, a banner says so; the restart below ends it.
  await problem.getByLabel('Mute alerts about', { exact: false }).click();
  await problem.getByRole('button', { name: 'until it recovers' }).click();
  await page.getByTestId('mute-unit:matrix-tuwunel').waitFor();
  await shoot(page, 'dashboard-muted', scheme);
  await shootTray(browser, desktop, 'tray-muted', scheme);
  await problem.getByRole('button', { name: 'Restart Tuwunel' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Restart Tuwunel' }).click();
  await runOutcome(page);
  await closeRunPanel(page);
  await refresh(page);
}

/** The dashboard in maintenance mode, then back. */
async function stackStopped(
  browser: Browser,
  desktop: DesktopUnderTest,
  page: Page,
  scheme: Scheme,
): Promise<void> {
  await runAction(page, 'Stop everything for maintenance');
  await runOutcome(page);
  await closeRunPanel(page);
  await openPanel(page, 'Dashboard');
  await refresh(page);
  await page.getByRole('status', { name: 'Maintenance' }).waitFor();
  await shoot(page, 'dashboard-maintenance', scheme);
  await shootTray(browser, desktop, 'tray-maintenance', scheme);
  await page
    .getByRole('status', { name: 'Maintenance' })
    .getByRole('button', { name: 'Start all services' })
    .click();
  await runOutcome(page);
  await closeRunPanel(page);
}

// ───────────────────────────── several servers ─────────────────────────────

const SEVERAL = ['servers', 'tray-servers'];

/**
 * Three homeservers watched at once: the desktop's lab and two more labs (each its own hosts), saved as
 * profiles "Family" and "Friends" with their keys trusted and secrets stored, as the window onboards them.
 * Tuwunel has failed on Friends: the tray icon is the worst server, one menu section each; the window's
 * row of servers shows each level, and a click switches to Friends. The added profiles are deleted after.
 */
async function severalServers(browser: Browser, desktop: DesktopUnderTest): Promise<void> {
  if (!SEVERAL.some(wanted)) return;
  const ok = async (channel: string, request: unknown) => {
    const r = await desktop.router.handle(channel, request);
    if (!r.ok) throw new Error(`${channel}: ${r.error.message}`);
    return r.value;
  };
  const first = ((await ok('profiles.list', {})) as ProfilesList).selectedId as string;
  const labs = await Promise.all([startLab({ keyring: false }), startLab({ keyring: false })]);
  const added: string[] = [];
  try {
    for (const [i, lab] of labs.entries()) {
      const { id } = (await ok('profiles.save', {
        id: null,
        draft: { ...lab.profile, name: ['Family', 'Friends'][i] },
      })) as { id: string };
      added.push(id);
      await ok('profiles.select', { id });
      const core = desktop.app.core();
      for (const host of ['homeserver', 'deploy'] as const) {
        await core?.pool.scanHostKey(host);
        await ok('hostkey.trust', { host, fingerprint: lab.hosts[host].fingerprint, permanent: true });
      }
      await ok('secrets.set', { kind: 'sudo-password', host: 'homeserver', value: lab.secrets.sudoPassword });
      await ok('secrets.set', { kind: 'vault-password', host: null, value: lab.secrets.vaultPassword });
    }
    const pollAll = () => Promise.all(desktop.app.servers().map(({ core }) => core.scheduler.refreshNow()));
    // A poll of each, onboarded, before Tuwunel fails on Friends: its history counts the outage from there.
    await pollAll();
    await (labs[1] as Lab).state.setUnitState('matrix-tuwunel', 'failed');
    await ok('profiles.select', { id: first });
    // Two polls each: the failure goes from pending to down, as the scheduler would over two intervals.
    for (let i = 0; i < 2; i++) await pollAll();
    for (const scheme of SCHEMES) {
      await shootTray(browser, desktop, 'tray-servers', scheme);
      const win = await openWindow(browser, desktop.router, { colorScheme: scheme, viewport: VIEWPORT });
      const servers = win.page.getByRole('navigation', { name: 'Servers' });
      await servers.getByRole('button', { name: /Friends/ }).waitFor();
      await shoot(win.page, 'servers', scheme);
      await servers.getByRole('button', { name: /Friends/ }).click();
      await win.page.getByTestId('problem-unit:matrix-tuwunel').waitFor();
      await shoot(win.page, 'servers-switched', scheme);
      await ok('profiles.select', { id: first });
      await win.close();
    }
  } finally {
    await desktop.router.handle('profiles.select', { id: first });
    for (const id of added) await desktop.router.handle('profiles.delete', { id });
    await Promise.all(labs.map((lab) => lab.stop()));
  }
}

const FIRST_RUN = ['tray-setup', 'onboarding', 'onboarding-machines', 'onboarding-hostkey'];

/**
 * The People panel (issue 16) on a 1.9.0 lab with a thousand more people, through the admin API: the list with
 * one person's devices, then the invite lifecycle after someone registered with an invite. Its own lab, so its
 * own run: `npm run screenshots people`.
 */
async function people(browser: Browser, scheme: Scheme, desktop: DesktopUnderTest): Promise<void> {
  const win = await openWindow(browser, desktop.router, { colorScheme: scheme, viewport: VIEWPORT });
  const { page } = win;
  await page.getByRole('heading', { level: 1, name: 'lab.test' }).waitFor();
  await openPanel(page, 'People');
  await page
    .getByTestId('people-count')
    .getByText(/^100\d users/)
    .waitFor({ timeout: 30_000 });
  await page.getByLabel('Search').fill('mum');
  await page.getByRole('button', { name: /@mum:lab\.test/ }).click();
  await page.getByRole('rowheader', { name: /Element X/ }).waitFor();
  await page.getByLabel('Search').fill('');
  await page
    .getByTestId('people-count')
    .getByText(/^100\d users/)
    .waitFor({ timeout: 30_000 });
  await shoot(page, 'people', scheme);

  await page.getByLabel('Then invite them to (optional)').fill('#family:lab.test');
  await page.getByRole('button', { name: 'Create invite and copy it' }).click();
  await page.getByText(/is on the clipboard\. Next/).waitFor();
  await desktop.lab.client.register({
    username: `nana${scheme}`,
    password: 'family-password-1',
    token: desktop.clipboard.content,
    deviceName: 'iPad',
  });
  await page.getByRole('button', { name: 'Create invite and copy it' }).click();
  await openPanel(page, 'Dashboard');
  await openPanel(page, 'People');
  // A status poll tells what the list saw end (polls are hourly here), once the app has brought the new member
  // into #family: the banner above the form. A poll that comes while that room invite is under way tells nothing.
  const banner = page
    .getByText(`@nana${scheme}:lab.test joined with the invite`)
    .filter({ hasText: 'They were invited to #family:lab.test.' });
  for (let i = 0; i < 20 && !(await banner.isVisible()); i++) {
    await desktop.router.handle('status.refresh', {});
    await banner.waitFor({ timeout: 1_000 }).catch(() => {});
  }
  await banner.waitFor({ timeout: 5_000 });
  await page
    .getByTestId('people-count')
    .getByText(/^100\d users/)
    .waitFor({ timeout: 30_000 });
  // Scroll the window's content (not the document) so the invites card is at the top of the view.
  await page.locator('main.content').evaluate((el) => {
    const card = el.querySelector('#people-invites-title')?.closest('section');
    if (card) el.scrollTop += card.getBoundingClientRect().top - el.getBoundingClientRect().top - 12;
  });
  await shoot(page, 'people-invites', scheme);
  await win.close();
}

const PEOPLE_ONLY = ONLY.length > 0 && ONLY.every((o) => o.startsWith('people'));
if (PEOPLE_ONLY) {
  const browser = await launchChromium();
  const desktop = await startDesktop({
    profile: 'saved',
    settings: { ...FAST_SETTINGS, pollIntervalSeconds: 3600 },
    // No auto_join_rooms: the invites card shows the app bringing the new member into #family instead.
    lab: { tuwunelVersion: '1.9.0', seedUsers: 1000 },
  });
  try {
    const stored = await desktop.router.handle('secrets.set', {
      kind: 'matrix-admin-token',
      host: null,
      value: desktop.lab.secrets.adminAccessToken,
    });
    if (!stored.ok) throw new Error(stored.error.message);
    await desktop.lab.client.register({
      username: 'mum',
      password: 'family-password-1',
      token: desktop.lab.secrets.registrationToken,
      deviceName: 'Element X (iPhone)',
    });
    await desktop.lab.client.login('mum', 'family-password-1', 'Firefox on the kitchen laptop');
    for (const scheme of SCHEMES) await people(browser, scheme, desktop);
  } finally {
    await desktop.stop();
    await browser.close();
    await closeRendererServer();
  }
  process.exit(0);
}

// One lab for every picture: the keychain library keeps its first D-Bus connection for the whole process.
const browser = await launchChromium();
const desktop = await startDesktop({
  profile: 'none',
  settings: { ...FAST_SETTINGS, pollIntervalSeconds: 3600 },
  // Backups configured and migrations that take a few seconds: the upgrade pictures show its progress.
  lab: {
    journalIntervalSeconds: 0.5,
    databaseBackupPath: '/var/lib/tuwunel/backups',
    migrationSeconds: { '1.8.0': 2, '1.9.0': 6 },
    healthCheckSeconds: 1,
  },
});
try {
  if (FIRST_RUN.some(wanted)) for (const scheme of SCHEMES) await firstRun(browser, desktop, scheme);
  if (ONLY.length === 0 || ONLY.some((o) => !FIRST_RUN.some((n) => n.startsWith(o)))) {
    // Onboarded as the window does it: saved, its host keys trusted, its secrets stored. Its first poll may come
    // before the trust and fail: that poll is a point in the history, not downtime.
    await desktop.saveLabProfile();
    for (const scheme of SCHEMES) await panels(browser, desktop, scheme);
    await severalServers(browser, desktop);
  }
  if (ONLY.length === 0)
    console.log('people-*: not in this run (a 1.9.0 lab of their own): npm run screenshots people');
} finally {
  await desktop.stop();
  await browser.close();
  await closeRendererServer();
}
