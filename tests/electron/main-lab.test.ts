import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_ID, HIDDEN_FLAG } from '../../src-main/desktop/model/app-identity';
import { AUTOSTART_FILE } from '../../src-main/desktop/model/login-item';
import { worstTrayState } from '../../src-main/desktop/model/tray-state';
import { RENDERER_CSP, secureWebPreferences } from '../../src-main/desktop/model/window-security';
import { eventMethodName } from '../../src-main/ipc/channels';
import {
  type ContractEvent,
  type EventChannel,
  eventChannels,
  invokeChannels,
  type NavigateTarget,
  type PayloadOf,
} from '../../src-main/ipc/contract';
import { app } from '../support/electron/app';
import { standIn } from '../support/electron/control';
import type { StandInNotification } from '../support/electron/notification';
import { session } from '../support/electron/session';
import { StandInBrowserWindow } from '../support/electron/windows';
import { type LaunchedApp, launchOnLab, REPO_ROOT, until } from './lab-app';

/**
 * `electron` is the stand-in here (vitest.config.ts aliases it); its objects are imported from their own
 * modules for their test-side types.
 *
 * The Electron main process as users run it: src-main/desktop/main.ts, from the real composition root
 * (desktop-app.ts → app/session.ts openApp → createCore) against the lab — real sshd, bash stand-ins, git,
 * ansible-vault, gnome-keyring — with the recording stand-in of `electron`. The preload runs in the window's
 * page; the test acts as the user does (tray menu, notifications, the window's calls through window.api)
 * and asserts what the user sees.
 */

let d: LaunchedApp;
/** Every event the page received through the preload. */
const received: ContractEvent[] = [];

beforeAll(async () => {
  d = await launchOnLab({
    importMain: () => import('../../src-main/desktop/main'),
    runPreload: () => import('../../src-main/desktop/preload'),
  });
  for (const channel of Object.keys(eventChannels) as EventChannel[]) {
    const on = d.api[eventMethodName(channel)] as (listener: (payload: unknown) => void) => () => void;
    on((payload) => received.push({ channel, payload } as ContractEvent));
  }
});

afterAll(async () => {
  await d?.stop();
});

function eventsOf<E extends EventChannel>(channel: E): PayloadOf<E>[] {
  return received.filter((e) => e.channel === channel).map((e) => e.payload as PayloadOf<E>);
}

/** The tray as the user sees it: which icon file, the tooltip, the menu as one line. */
function tray() {
  const view = standIn.trayView(d.tray);
  return {
    icon: view.image?.slice(join(REPO_ROOT, 'assets', 'tray').length + 1),
    imageEmpty: view.imageEmpty,
    tooltip: view.toolTip,
    menu: view.menu ? standIn.menus.describe(view.menu) : '',
  };
}

function notifications(): StandInNotification[] {
  return [...standIn.notifications.shown];
}

function windowView() {
  return standIn.windowView(d.window);
}

const ok = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('the start', () => {
  it('one instance per data folder, with the app id Windows groups notifications by', () => {
    expect(standIn.callsOf('app', 'setPath')[0]?.args).toEqual(['userData', d.dataDir]);
    expect(standIn.callsOf('app', 'requestSingleInstanceLock')).toHaveLength(1);
    expect(app.hasSingleInstanceLock()).toBe(true);
    expect(standIn.appUserModelId()).toBe(APP_ID);
    // Linux, packaged: no menu bar (edit shortcuts work without one).
    expect(standIn.menus.applicationMenu()).toBeNull();
  });

  it('the session refuses every permission and gives the renderer its CSP header', async () => {
    const ses = session.defaultSession;
    const contents = d.window.webContents;
    expect(
      await standIn.session.requestPermission(ses, contents as never, 'notifications', {
        requestingUrl: contents.getURL(),
        isMainFrame: true,
      } as never),
    ).toBe(false);
    expect(
      standIn.session.checkPermission(ses, contents as never, 'clipboard-read', 'file://', {} as never),
    ).toBe(false);
    expect(standIn.session.checkDevicePermission(ses, {} as never)).toBe(false);
    const answer = await standIn.session.receiveHeaders(ses, {
      url: pathToFileURL(join(REPO_ROOT, 'out', 'renderer', 'index.html')).href,
    });
    expect(answer.responseHeaders['Content-Security-Policy']).toEqual([RENDERER_CSP]);
  });

  it('the window loads the built renderer with the built preload and shows once it is ready', async () => {
    const view = await until('the window on screen', () => windowView().visible && windowView());
    expect(view.options).toMatchObject({
      show: false,
      title: 'Homeserver Tray',
      icon: join(REPO_ROOT, 'assets', 'icons', '512x512.png'),
      webPreferences: secureWebPreferences({
        preload: join(REPO_ROOT, 'out', 'preload', 'preload.cjs'),
        devTools: false,
      }),
    });
    expect(view.url).toBe(pathToFileURL(join(REPO_ROOT, 'out', 'renderer', 'index.html')).href);
    expect(view.focused).toBe(true);
  });

  it('before a server is set up, the tray says so and offers nothing that needs one', () => {
    expect(tray()).toEqual({
      icon: 'tray-unknown-32.png',
      imageEmpty: false,
      tooltip: 'Homeserver Tray: no server set up yet',
      menu:
        'Homeserver Tray: state unknown (disabled) | Open the dashboard to set up a server (disabled) | — | ' +
        'Restart Tuwunel… (disabled) | Restart all services… (disabled) | Maintenance stop… (disabled) | ' +
        'Apply configuration… (disabled) | — | Copy registration token (disabled) | Invite someone… (disabled) | ' +
        'Reset a password… (disabled) | — | ' +
        'Open dashboard | Open logs (disabled) | — | Quit Homeserver Tray',
    });
  });
});

describe('the window and its preload', () => {
  it('the preload exposes window.api and nothing else: exactly the contract’s channels, frozen', () => {
    const world = standIn.page.world();
    expect(Object.keys(world)).toEqual(['api']);
    const api = world.api as Record<string, unknown>;
    const expected: Record<string, string[]> = {};
    for (const channel of Object.keys(invokeChannels)) {
      const [ns, method] = channel.split('.') as [string, string];
      expected[ns] = [...(expected[ns] ?? []), method].sort();
    }
    const events = Object.keys(eventChannels).map((c) => eventMethodName(c as EventChannel));
    expect(Object.keys(api).sort()).toEqual([...Object.keys(expected), ...events].sort());
    for (const [ns, methods] of Object.entries(expected)) {
      const group = api[ns] as Record<string, unknown>;
      expect(Object.keys(group).sort(), ns).toEqual(methods);
      for (const m of methods) expect(typeof group[m], `${ns}.${m}`).toBe('function');
    }
    for (const e of events) expect(typeof api[e], e).toBe('function');
    expect(Object.isFrozen(api)).toBe(true);
    expect(JSON.stringify(Object.keys(api))).not.toMatch(/ipcRenderer|invoke|send/);
  });

  it('every invoke channel of the contract is registered with ipcMain, and nothing else', () => {
    expect(standIn.ipc.handledChannels().sort()).toEqual(Object.keys(invokeChannels).sort());
  });

  it('the page’s calls reach the app through the router: first run', async () => {
    expect(ok(await d.api.app.info())).toEqual({
      version: '0.1.0',
      platform: process.platform,
      firstRun: true,
    });
    const refused = await d.api.settings.set({ patch: { pollIntervalSeconds: 1 } } as never);
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'InvalidInput', field: 'patch.pollIntervalSeconds' },
    });
  });

  it('importing a profile file asks with the native open dialog; cancelling it imports nothing', async () => {
    const picking = d.api.profiles.importFile();
    const dialog = await standIn.dialogs.next();
    expect(dialog.kind).toBe('open');
    if (dialog.kind !== 'open') return;
    expect(dialog.options).toMatchObject({
      properties: ['openFile'],
      filters: [{ name: 'Profile (YAML)', extensions: ['yml', 'yaml'] }],
    });
    dialog.answer([d.lab.profilePath]);
    const imported = ok(await picking);
    expect(imported.issues).toEqual([]);
    expect(imported.draft).toMatchObject({ serverName: 'lab.test' });
    const cancelled = d.api.profiles.importFile();
    (await standIn.dialogs.next()).dismiss();
    expect(ok(await cancelled)).toEqual({ draft: null, issues: [] });
    expect(ok(await d.api.profiles.list()).profiles).toEqual([]);
  });

  it('a listener the page removes hears nothing more; the others still do', async () => {
    const heard: boolean[] = [];
    const off = d.api.onSettingsChanged((s) => heard.push(s.notifications));
    ok(await d.api.settings.set({ patch: { notifications: false } }));
    await until('the settings event', () => heard.length === 1);
    off();
    const others = eventsOf('settings.changed').length;
    ok(await d.api.settings.set({ patch: { notifications: true } }));
    await until('the settings event for the others', () => eventsOf('settings.changed').length > others);
    expect(heard).toEqual([false]);
  });

  it('a call from a foreign frame or another window is refused before the router sees it', async () => {
    const iframe = standIn.frames.child(d.window.webContents.mainFrame, 'https://evil.example/ad.html');
    const fromIframe = await standIn.ipc.invoke(iframe, 'settings.set', { patch: { notifications: false } });
    expect(fromIframe).toMatchObject({ ok: false, error: { code: 'SenderRefused' } });
    const other = new StandInBrowserWindow({ show: false });
    await other.loadFile(join('out', 'renderer', 'index.html'));
    const fromOther = await standIn.ipc.invoke(other.webContents.mainFrame, 'profiles.list', {});
    expect(fromOther).toMatchObject({ ok: false, error: { code: 'SenderRefused' } });
    other.destroy();
    expect(ok(await d.api.settings.get())).toMatchObject({ notifications: true });
  });

  it('the page cannot navigate, open windows or attach webviews; allowlisted links go to the browser', () => {
    const main = d.window.webContents.mainFrame;
    expect(standIn.navigation.navigate(main, 'https://evil.example/')).toBe(false);
    expect(standIn.navigation.openWindow(main, 'https://evil.example/')).toBeNull();
    expect(standIn.navigation.openWindow(main, 'https://matrix.org/docs')).toBeNull();
    expect(standIn.navigation.navigate(main, 'https://element.io/')).toBe(false);
    expect(standIn.navigation.attachWebview(d.window.webContents, 'https://evil.example/')).toBe(false);
    expect(standIn.navigation.redirect(main, 'https://evil.example/')).toBe(false);
    expect(standIn.shell.opened().map((o) => o.url)).toEqual([
      'https://matrix.org/docs',
      'https://element.io/',
    ]);
    expect(d.window.webContents.getURL()).toBe(
      pathToFileURL(join(REPO_ROOT, 'out', 'renderer', 'index.html')).href,
    );
  });
});

describe('a server set up from the window, watched by the tray', () => {
  it('onboarding: the lab profile and its secrets saved through window.api; the tray turns green', async () => {
    await d.onboard();
    const green = await until('the tray to turn ok', () => tray().icon === 'tray-ok-32.png' && tray());
    expect(green.tooltip).toMatch(/^lab\.test: all \d+ checks OK$/);
    expect(green.menu).toMatch(
      /^lab\.test: all OK \(disabled\) \| Last check [^|]+ \(disabled\) \| — \| Mute alerts for 1 hour \| Mute alerts for 8 hours \| — \| Restart Tuwunel… \| Restart all services… \| Maintenance stop… \| Apply configuration… \| — \| Copy registration token \| Invite someone… \| Reset a password… \| — \| Open dashboard \| Open logs \| — \| Quit Homeserver Tray$/,
    );
    expect(eventsOf('profiles.changed').at(-1)?.profiles).toHaveLength(1);
    expect(eventsOf('status.changed').at(-1)?.overall).toBe('ok');
  });

  it('a unit stops: red at once, a notification only after the retries, and a new menu on every change', async () => {
    const shownBefore = notifications().length;
    const menusBefore = standIn.callsOf('Tray 1', 'setContextMenu').length;
    await d.lab.state.setUnitActive('matrix-static-files', false);
    const red = await until('the tray to turn red', () => tray().icon === 'tray-fail-32.png' && tray());
    expect(red.tooltip).toBe('lab.test: 2 failing (matrix-static-files unit, matrix-static-files container)');
    expect(red.menu).toMatch(
      /^lab\.test: failing \(disabled\) \| Last check [^|]* \| — \| Failing: matrix-static-files container \| Failing: matrix-static-files unit \| — \| Mute alerts for 1 hour \| Mute alerts for 8 hours \| Mute alerts until it recovers \| — \| Restart Tuwunel… \|/,
    );
    // The first failing poll is the first try (failuresBeforeDown: 2): pending, no notification yet.
    expect(notifications().length).toBe(shownBefore);
    const failing = eventsOf('status.changed')
      .at(-1)
      ?.checks.filter((c) => c.level === 'fail');
    expect(failing?.map((c) => c.alert)).toEqual(['pending', 'pending']);

    const alert = await until('the down notification', () => notifications()[shownBefore]);
    expect(alert.title).toBe('lab.test: 2 down');
    expect(alert.body).toMatch(
      /^Down: matrix-static-files (unit|container), matrix-static-files (unit|container)\. /,
    );
    expect(alert.urgency).toBe('critical');
    expect(alert.timeoutType).toBe('never');
    expect(
      eventsOf('status.changed')
        .at(-1)
        ?.checks.filter((c) => c.alert === 'down'),
    ).toHaveLength(2);

    // Every render set the image, the tooltip and a freshly built menu together: AppIndicator shows a
    // changed menu only after setContextMenu.
    const calls = standIn.callsOf('Tray 1').slice(1);
    for (let i = 0; i < calls.length; i += 3)
      expect(calls.slice(i, i + 3).map((c) => c.method)).toEqual([
        'setImage',
        'setToolTip',
        'setContextMenu',
      ]);
    const menus = standIn.callsOf('Tray 1', 'setContextMenu').map((c) => c.args[0]);
    expect(new Set(menus).size).toBe(menus.length);
    expect(menus.length).toBeGreaterThan(menusBefore + 1);
  });

  it('clicking the notification opens the window on the failing check', async () => {
    standIn.closeWindow(d.window);
    expect(windowView()).toMatchObject({ visible: false, destroyed: false });
    const alert = notifications().at(-1) as StandInNotification;
    const before = eventsOf('app.navigate').length;
    standIn.notifications.click(alert);
    expect(windowView()).toMatchObject({ visible: true, focused: true });
    const target = await until('the page to be told where to go', () => eventsOf('app.navigate')[before]);
    const down = eventsOf('status.changed')
      .at(-1)
      ?.checks.filter((c) => c.alert === 'down')
      .map((c) => c.id);
    expect(target.panel).toBe('dashboard');
    expect(down).toContain(target.checkId);
    expect(target).toEqual({ panel: 'dashboard', checkId: target.checkId } satisfies NavigateTarget);
  });

  it('the unit comes back: a recovered notification, and the tray is green again', async () => {
    const shownBefore = notifications().length;
    await d.lab.state.setUnitActive('matrix-static-files', true);
    await until('the tray to turn ok', () => tray().icon === 'tray-ok-32.png');
    const recovered = await until('the recovered notification', () => notifications()[shownBefore]);
    expect(recovered.title).toBe('lab.test: 2 recovered');
    expect(recovered.urgency).toBe('normal');
    expect(tray().menu).not.toMatch(/Failing/);
    // The user swipes it away; it cannot be clicked any more.
    standIn.notifications.dismiss(recovered);
    expect(() => standIn.notifications.click(recovered)).toThrow(/not on screen/);
  });
});

describe('the tray menu acts', () => {
  it('a quick action asks with a native dialog, shows busy while it runs, and green after', async () => {
    const menu = standIn.trayView(d.tray).menu!;
    standIn.menus.pick(menu, 'action:tuwunel.restart');
    const dialog = await standIn.dialogs.next();
    expect(dialog.kind).toBe('messageBox');
    if (dialog.kind !== 'messageBox') return;
    expect(dialog.options.buttons?.[0]).toMatch(/Restart/);
    dialog.answer(0);
    const busy = await until('the tray to show busy', () => tray().icon === 'tray-busy-32.png' && tray());
    expect(busy.tooltip).toMatch(/^lab\.test: running “/);
    expect(busy.menu).toMatch(/Restart Tuwunel… \(disabled\)/);
    await until('the run to end and the tray to be green', () => tray().icon === 'tray-ok-32.png', 60_000);
    const finished = eventsOf('run.finished').at(-1);
    expect(finished).toMatchObject({ actionId: 'tuwunel.restart', state: 'ok' });
  });

  it('maintenance: the menu offers to end it instead of starting it, and ending it brings green back', async () => {
    standIn.menus.pick(standIn.trayView(d.tray).menu!, 'action:stack.stop');
    const dialog = await standIn.dialogs.next();
    if (dialog.kind !== 'messageBox') throw new Error(`a ${dialog.kind} dialog instead of the confirmation`);
    expect(dialog.options.type).toBe('warning');
    dialog.answer(0);
    const stopped = await until(
      'the tray in maintenance',
      () => tray().icon === 'tray-maintenance-32.png' && tray(),
      60_000,
    );
    expect(stopped.menu).toMatch(/\| Maintenance mode since [^|]* \(disabled\) \|/);
    expect(stopped.menu).toMatch(/\| Start the stack \(end maintenance\) \|/);
    expect(stopped.menu).not.toMatch(/Maintenance stop…/);
    expect(await d.lab.state.unitActive('matrix-tuwunel')).toBe(false);
    // Ending maintenance is safe: no dialog.
    standIn.menus.pick(standIn.trayView(d.tray).menu!, 'action:stack.start');
    const green = await until(
      'the tray green again',
      () => tray().icon === 'tray-ok-32.png' && tray(),
      60_000,
    );
    expect(green.menu).toMatch(/\| Maintenance stop… \|/);
    expect(standIn.dialogs.onScreen()).toEqual([]);
    expect(await d.lab.state.unitActive('matrix-tuwunel')).toBe(true);
  });

  it('cancelling the dialog runs nothing', async () => {
    const runs = eventsOf('run.finished').length;
    const logged = d.lab.hosts.homeserver.execLog().length;
    standIn.menus.pick(standIn.trayView(d.tray).menu!, 'action:stack.stop');
    const dialog = await standIn.dialogs.next();
    dialog.dismiss();
    await new Promise((r) => setTimeout(r, 500));
    expect(eventsOf('run.finished').length).toBe(runs);
    expect(d.lab.hosts.homeserver.execLog().slice(logged).join('\n')).not.toMatch(/systemctl stop/);
    expect(tray().icon).toBe('tray-ok-32.png');
  });

  it('copy registration token: on the clipboard (concealed), a notification says when it is cleared', async () => {
    const shownBefore = notifications().length;
    standIn.menus.pick(standIn.trayView(d.tray).menu!, 'copy-token');
    const note = await until('the copied notification', () => notifications()[shownBefore]);
    expect(note.title).toBe('Registration token copied');
    expect(note.body).toMatch(/^The clipboard is cleared at .* if it still holds the token\.$/);
    const contents = standIn.clipboard.contents();
    expect(contents['text/plain']).toBe(d.lab.secrets.registrationToken);
    expect(Object.keys(contents).length).toBeGreaterThan(1);
    expect(note.body).not.toContain(d.lab.secrets.registrationToken);
  });
});

describe('a second server', () => {
  let second = '';

  it('saved from the window, it is watched at once: the icon is the worst server, the menu has a section each', async () => {
    const saved = await d.api.profiles.save({ id: null, draft: { ...d.lab.profile, name: 'Lab two' } });
    if (!saved.ok) throw new Error(saved.error.message);
    second = saved.value.id;
    // Its secrets are not stored yet: its homeserver cannot be polled, the first one stays green.
    const both = await until(
      'the tray to show two sections',
      () => tray().menu.startsWith('2 servers:') && tray(),
    );
    const all = await until('the second server polled', async () => {
      const r = await d.api.status.all();
      return r.ok && r.value.servers.every((s) => s.lastRefresh !== null) && r.value.servers;
    });
    const first = all.find((s) => s.profileId !== second);
    const other = all.find((s) => s.profileId === second);
    expect(first?.overall).toBe('ok');
    expect(other?.overall).not.toBe('ok');
    const icon = await until(
      'the icon of the worst server',
      () => tray().icon !== 'tray-ok-32.png' && tray().icon,
    );
    expect(icon).toBe(`tray-${worstTrayState(all)}-32.png`);
    expect(both.menu).toMatch(/\| Lab \(lab\.test\): all OK \(disabled\) \|/);
    expect(tray().tooltip).toMatch(/^2 servers: Lab two (failing|unknown|warning)$/);
    const menu = standIn.trayView(d.tray).menu!;
    const first_id = first?.profileId as string;
    // Each section: its own submenu of quick actions, ids named by the server.
    expect(
      menu
        .getMenuItemById(`${first_id}/actions`)
        ?.submenu?.getMenuItemById(`${first_id}/action:tuwunel.restart`),
    ).toBeTruthy();
    expect(
      menu.getMenuItemById(`${second}/actions`)?.submenu?.getMenuItemById(`${second}/copy-token`),
    ).toBeTruthy();
    // The window still shows the first server.
    expect((await d.api.profiles.list()).ok && eventsOf('profiles.changed').at(-1)?.selectedId).toBe(
      first_id,
    );
  });

  it("an item of the second server's section opens the window on that server", async () => {
    standIn.closeWindow(d.window);
    const before = eventsOf('app.navigate').length;
    standIn.menus.pick(standIn.trayView(d.tray).menu!, `${second}/open-logs`);
    const target = await until('the page to be told where to go', () => eventsOf('app.navigate')[before]);
    expect(target.panel).toBe('logs');
    expect(windowView()).toMatchObject({ visible: true });
    await until('the window to show the second server', () =>
      eventsOf('profiles.changed').some((p) => p.selectedId === second),
    );
    const shown = await d.api.status.get();
    expect(shown.ok && shown.value.profileId).toBe(second);
  });

  it('copying its token from its section is refused for that server (no vault password), and says so', async () => {
    const shownBefore = notifications().length;
    standIn.menus.pick(standIn.trayView(d.tray).menu!, `${second}/copy-token`);
    const note = await until('the refusal', () => notifications()[shownBefore]);
    expect(note.title).toBe('Copy registration token: not done');
    expect(standIn.clipboard.contents()['text/plain']).not.toBe('');
  });

  it('its section mutes that server only, shows the mute, and its Unmute ends it', async () => {
    standIn.menus.pick(standIn.trayView(d.tray).menu!, `${second}/mute:server:1h`);
    const servers = await until('the second server muted', async () => {
      const r = await d.api.status.all();
      return (
        r.ok && r.value.servers.find((s) => s.profileId === second)?.mutes.length === 1 && r.value.servers
      );
    });
    const first = servers.find((s) => s.profileId !== second);
    expect(first?.mutes).toEqual([]);
    const menu = await until('the mute in its section', () => {
      const m = standIn.trayView(d.tray).menu;
      return m?.getMenuItemById(`${second}/muted:server`) ? m : undefined;
    });
    expect(menu.getMenuItemById(`${second}/muted:server`)?.label).toMatch(/^Muted: .* until \S+/);
    // Muted as a whole, the section offers its Unmute instead; the first server's section still mutes.
    const actions = (id: string | null | undefined) => menu.getMenuItemById(`${id}/actions`)?.submenu;
    expect(actions(second)?.getMenuItemById(`${second}/mute:server:1h`)).toBeFalsy();
    expect(actions(first?.profileId)?.getMenuItemById(`${first?.profileId}/mute:server:1h`)).toBeTruthy();
    standIn.menus.pick(menu, `${second}/unmute:server`);
    await until('the mute ended', async () => {
      const r = await d.api.status.all();
      return r.ok && r.value.servers.every((s) => s.mutes.length === 0);
    });
  });

  it('deleted, it is no longer watched: one server, the one-server menu, green', async () => {
    const first = eventsOf('status.changed').find((s) => s.profileId !== second)?.profileId as string;
    await d.api.profiles.select({ id: first });
    const removed = await d.api.profiles.delete({ id: second });
    expect(removed.ok).toBe(true);
    await until(
      'the one-server menu',
      () => tray().menu.startsWith('lab.test: ') && tray().icon === 'tray-ok-32.png',
    );
    const all = await d.api.status.all();
    expect(all.ok && all.value.servers.map((s) => s.profileId)).toEqual([first]);
  });
});

describe('the window and the tray live on', () => {
  it('closing the window hides it to the tray; the app and its polling go on', async () => {
    const polls = eventsOf('status.changed').length;
    standIn.closeWindow(d.window);
    expect(windowView()).toMatchObject({ visible: false, destroyed: false });
    expect(standIn.callsOf('app', 'quit')).toEqual([]);
    await until('another poll', () => eventsOf('status.changed').length > polls + 1);
    standIn.menus.pick(standIn.trayView(d.tray).menu!, 'open-dashboard');
    expect(windowView()).toMatchObject({ visible: true, focused: true });
  });

  it('a second instance hands over to the first, which comes to the front, and quits', async () => {
    d.window.minimize();
    d.window.blur();
    vi.resetModules();
    const second = (await import('../support/electron/control')).standIn;
    await import('../../src-main/desktop/main');
    const ending = await second.ended();
    expect(ending).toEqual({ how: 'quit', code: 0 });
    expect(second.callsOf('app', 'setPath')[0]?.args).toEqual(['userData', d.dataDir]);
    expect(second.windows()).toEqual([]);
    expect(second.trays()).toEqual([]);
    await until(
      'the first window to come back',
      () => windowView().visible && !windowView().minimized && windowView().focused,
    );
  });

  it('launch at login on Linux: an XDG autostart entry that starts the app hidden, removed when turned off', async () => {
    const entry = join(d.configHome, 'autostart', AUTOSTART_FILE);
    expect(ok(await d.api.settings.set({ patch: { launchAtLogin: true } }))).toMatchObject({
      launchAtLogin: true,
    });
    await until('the autostart entry', () => existsSync(entry));
    const text = readFileSync(entry, 'utf8');
    expect(text).toMatch(/^\[Desktop Entry\]\nType=Application\nName=Homeserver Tray\n/);
    expect(text).toContain(`\nExec=${process.execPath} ${HIDDEN_FLAG}\n`);
    ok(await d.api.settings.set({ patch: { launchAtLogin: false } }));
    await until('the autostart entry gone', () => !existsSync(entry));
    // Electron's own API does nothing on Linux; the app does not rely on it there.
    expect(standIn.callsOf('app', 'setLoginItemSettings')).toEqual([]);
  });
});

describe('quit', () => {
  it('cancels a running action and waits for its finally step before the app ends; the clipboard is cleared', async () => {
    const homeserver = d.lab.hosts.homeserver;
    d.lab.faults.hang('homeserver', 'docker run*');
    const plan = ok(
      await d.api.actions.plan({ actionId: 'user.make-admin', params: { user: '@bob:lab.test' } }),
    );
    const started = ok(
      await d.api.actions.run({
        actionId: 'user.make-admin',
        params: { user: '@bob:lab.test' },
        confirmation: plan.confirmation,
      }),
    );
    await until('the one-off container to hang', () =>
      homeserver.execLog().some((l) => l.includes('docker run')),
    );
    expect(await d.lab.state.unitActive('matrix-tuwunel')).toBe(false);
    const logged = homeserver.execLog().length;

    standIn.menus.pick(standIn.trayView(d.tray).menu!, 'quit');
    const ending = await standIn.ended();
    expect(ending).toEqual({ how: 'quit', code: 0 });
    // The finally step ran before the app ended: Tuwunel is back.
    expect(await d.lab.state.unitActive('matrix-tuwunel')).toBe(true);
    expect(homeserver.execLog().slice(logged).join('\n')).toMatch(/systemctl start matrix-tuwunel/);
    const audit = readFileSync(join(d.dataDir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { runId: string | null; outcome: string });
    expect(audit.find((e) => e.runId === started.runId)?.outcome).toBe('cancelled');
    expect(standIn.clipboard.contents()).toEqual({});
    expect(windowView().destroyed).toBe(true);
  });
});
