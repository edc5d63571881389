import { beforeAll, describe, expect, it } from 'vitest';
import type { ServerRef } from '../../src-main/app/app-service';
import type { AlertView } from '../../src-main/app/views/alert-view';
import type { MuteDuration, MuteTarget } from '../../src-main/app/views/status-schema';
import { setupNotifications } from '../../src-main/desktop/electron/notifications';
import { standIn } from '../support/electron/control';

/**
 * The notification adapter with the Electron stand-in: a down alert carries mute buttons where Electron shows
 * them (macOS, Windows); pressing one mutes through the app's use case, the same one the tray and the window
 * call, on the server the notification names.
 */

const LAB: ServerRef = { profileId: 'lab', serverName: 'lab.test' };

function fakeApp(failWith: Error | null = null) {
  const alertListeners: ((alerts: readonly AlertView[], server: ServerRef) => void)[] = [];
  const muted: [MuteTarget, MuteDuration, string | null][] = [];
  const app = {
    onAlerts: (l: (alerts: readonly AlertView[], server: ServerRef) => void) => {
      alertListeners.push(l);
      return () => {};
    },
    onNotice: () => () => {},
    onRunFinished: () => () => {},
    onInviteEnded: () => () => {},
    mutes: {
      set: async (target: MuteTarget, duration: MuteDuration, profileId: string | null) => {
        if (failWith) throw failWith;
        muted.push([target, duration, profileId]);
        return { mute: { key: 'k', target, label: 'x', since: '', until: null } };
      },
      clear: async () => ({ cleared: true }),
    },
  };
  const alert = (kind: AlertView['kind'], id = 'unit:matrix-tuwunel'): AlertView => ({
    kind,
    check: { id, host: 'homeserver', title: 'Tuwunel', detail: 'matrix-tuwunel is failed. Restart it.' },
    at: '2026-12-07T06:00:00.000Z',
  });
  const tell = (alerts: AlertView[], server: ServerRef = LAB) => {
    for (const l of alertListeners) l(alerts, server);
  };
  return { app, muted, alert, tell };
}

function setup(platform: string, fake: ReturnType<typeof fakeApp>) {
  setupNotifications({
    app: fake.app as never,
    platform,
    settings: () => null,
    open: () => {},
  });
}

const last = () => standIn.notifications.shown.at(-1);

describe('mute buttons on alert notifications', () => {
  beforeAll(() => standIn.ready());

  it('macOS: a down alert has the three mute buttons; pressing one mutes that check for that long', async () => {
    const fake = fakeApp();
    setup('darwin', fake);
    fake.tell([fake.alert('down')]);
    const shown = last();
    if (!shown) throw new Error('no notification shown');
    expect(shown.actions.map((a) => a.text)).toEqual(['Mute 1 h', 'Mute 8 h', 'Mute until recovered']);
    standIn.notifications.press(shown, 2);
    await new Promise((r) => setImmediate(r));
    expect(fake.muted).toEqual([[{ kind: 'check', checkId: 'unit:matrix-tuwunel' }, 'recovered', 'lab']]);
  });

  it('with several servers, the buttons mute the server the notification names', async () => {
    const fake = fakeApp();
    setup('darwin', fake);
    fake.tell([fake.alert('down')], { profileId: 'second', serverName: 'second.test' });
    const shown = last();
    if (!shown) throw new Error('no notification shown');
    expect(shown.title).toBe('Tuwunel is down (second.test)');
    standIn.notifications.press(shown, 0);
    await new Promise((r) => setImmediate(r));
    expect(fake.muted).toEqual([[{ kind: 'check', checkId: 'unit:matrix-tuwunel' }, '1h', 'second']]);
  });

  it('Windows: several alerts in one notification mute the whole server', async () => {
    const fake = fakeApp();
    setup('win32', fake);
    fake.tell([fake.alert('down'), fake.alert('down', 'http:federation-version')]);
    const shown = last();
    if (!shown) throw new Error('no notification shown');
    standIn.notifications.press(shown, 0);
    await new Promise((r) => setImmediate(r));
    expect(fake.muted).toEqual([[{ kind: 'server' }, '1h', 'lab']]);
  });

  it('a recovery has no buttons, and Linux shows none (its click opens the dashboard, which has them)', () => {
    const mac = fakeApp();
    setup('darwin', mac);
    mac.tell([mac.alert('recovered')]);
    expect(last()?.actions).toEqual([]);
    const linux = fakeApp();
    setup('linux', linux);
    linux.tell([linux.alert('down')]);
    expect(last()?.title).toBe('Tuwunel is down (lab.test)');
    expect(last()?.actions).toEqual([]);
  });

  it('a mute the app refuses is told in a notification with its next step', async () => {
    const fake = fakeApp(Object.assign(new Error('No server is set up.'), { code: 'NoProfile' }));
    setup('darwin', fake);
    fake.tell([fake.alert('down')]);
    const shown = last();
    if (!shown) throw new Error('no notification shown');
    standIn.notifications.press(shown, 1);
    await new Promise((r) => setImmediate(r));
    expect(last()?.title).toBe('Mute 8 h: not done');
    expect(() => standIn.notifications.press(shown, 3)).toThrow(/has no button 3/);
  });
});
