import { resolve } from 'node:path';
import { Menu, Notification, nativeImage, Tray } from 'electron';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { standIn } from '../../support/electron/control';
import type { StandInMenu } from '../../support/electron/menu';
import type { StandInNotification } from '../../support/electron/notification';
import type { StandInTray } from '../../support/electron/tray';

/** What the user sees of the tray, its menu and notifications, as the stand-in records and lets tests use it. */

const icon = (name: string) => resolve('assets/tray', name);

describe('before ready', () => {
  it('no tray and no notification exist yet, as in Electron', () => {
    expect(() => new Tray(icon('tray-ok-32.png'))).toThrow('Cannot create Tray before app is ready');
    expect(() => new Notification({ title: 't' })).toThrow('Cannot create Notification before app is ready');
  });
});

describe('after ready', () => {
  beforeAll(() => standIn.ready());

  it('nativeImage reads the PNG size; a missing or relative path gives an empty image, not an error', () => {
    const image = nativeImage.createFromPath(icon('tray-ok-32@2x.png'));
    expect(image.isEmpty()).toBe(false);
    expect(image.getSize()).toEqual({ width: 64, height: 64 });
    expect(nativeImage.createFromPath(icon('no-such.png')).isEmpty()).toBe(true);
    expect(nativeImage.createFromPath('assets/tray/tray-ok.png').isEmpty()).toBe(true);
  });

  it('the tray shows the image, tooltip and menu last set; setContextMenu calls are recorded each time', () => {
    const tray = new Tray(nativeImage.createFromPath(icon('tray-unknown-32.png')));
    const stand = standIn.trays().at(-1) as StandInTray;
    tray.setImage(icon('tray-fail-32.png'));
    tray.setToolTip('rampancy.cloud: 1 problem');
    const first = Menu.buildFromTemplate([{ id: 'open', label: 'Open', click: () => undefined }]);
    tray.setContextMenu(first);
    tray.setContextMenu(Menu.buildFromTemplate([{ id: 'open', label: 'Open' }]));
    expect(standIn.trayView(stand)).toMatchObject({
      image: icon('tray-fail-32.png'),
      imageEmpty: false,
      toolTip: 'rampancy.cloud: 1 problem',
    });
    expect(standIn.callsOf(/^Tray/, 'setContextMenu')).toHaveLength(2);
    expect(() => tray.setImage({} as never)).toThrow(
      'Error processing argument at index 0, conversion failure',
    );
    tray.destroy();
    expect(() => tray.setToolTip('x')).toThrow('Object has been destroyed');
  });

  it('buildFromTemplate keeps the template, folds separators like Electron and refuses items without label, role or type', () => {
    const picked = vi.fn();
    const template = [
      { type: 'separator' as const },
      { id: 'restart', label: 'Restart Tuwunel', click: picked },
      { type: 'separator' as const },
      { type: 'separator' as const },
      { id: 'off', label: 'Stop everything', enabled: false },
      { type: 'separator' as const },
    ];
    const menu = Menu.buildFromTemplate(template) as unknown as StandInMenu;
    expect(standIn.menus.template(menu)).toBe(template);
    expect(menu.items.map((i) => i.type)).toEqual(['normal', 'separator', 'normal']);
    expect(standIn.menus.describe(menu)).toBe('Restart Tuwunel | — | Stop everything (disabled)');

    standIn.menus.pick(menu, 'restart');
    expect(picked).toHaveBeenCalledOnce();
    expect(picked.mock.calls[0]?.[0]).toBe(menu.items[0]);
    expect(() => standIn.menus.pick(menu, 'off')).toThrow("Menu item 'off' (Stop everything) is disabled");
    expect(() => standIn.menus.pick(menu, 'gone')).toThrow("No menu item with id 'gone'");
    expect(() => Menu.buildFromTemplate([{ id: 'x' }])).toThrow(
      'Invalid template for MenuItem: must have at least one of label, role or type',
    );
  });

  it('a notification shows on a later turn; a click reaches the app; one not shown cannot be clicked', async () => {
    expect(Notification.isSupported()).toBe(true);
    const notification = new Notification({
      title: 'Tuwunel is down',
      body: 'matrix-tuwunel stopped',
      urgency: 'critical',
    });
    const stand = notification as unknown as StandInNotification;
    expect(() => standIn.notifications.click(stand)).toThrow('is not on screen');
    const shown = new Promise<void>((r) => notification.once('show', () => r()));
    const clicked = vi.fn();
    notification.on('click', clicked);
    notification.show();
    await shown;
    standIn.notifications.click(stand);
    expect(clicked).toHaveBeenCalledOnce();
    expect(standIn.notifications.shown.at(-1)).toMatchObject({
      title: 'Tuwunel is down',
      urgency: 'critical',
    });
    standIn.notifications.setSupported(false);
    expect(Notification.isSupported()).toBe(false);
  });
});
