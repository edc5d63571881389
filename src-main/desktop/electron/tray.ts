import type { MenuItemConstructorOptions, NativeImage } from 'electron';
import { Menu, nativeImage, Tray } from 'electron';
import type { AppService } from '../../app/app-service';
import type { ActionInfo, StatusSnapshot } from '../../ipc/contract';
import { trayIconFile } from '../model/tray-icons';
import { type TrayCommand, type TrayMenuItem, trayMenu } from '../model/tray-menu';
import { type TrayState, trayState, trayTooltip } from '../model/tray-state';

export interface TrayHandle {
  /** The latest status the tray shows (notifications name the server from it). */
  status(): StatusSnapshot | null;
}

/**
 * The tray icon and its menu, rebuilt from the pure model on every status, catalog or profile change:
 * Linux AppIndicator only shows a menu again after setContextMenu. The Tray object lives as long as the
 * app (it is never destroyed: on Linux a destroyed indicator cannot come back in the same process).
 */
export function setupTray(options: {
  app: Pick<AppService, 'subscribe' | 'status' | 'actions'>;
  assetsDir: string;
  platform: NodeJS.Platform;
  onCommand: (command: TrayCommand) => void;
  /** Tray click on Windows (macOS and AppIndicator open the menu instead). */
  onClick: () => void;
}): TrayHandle {
  const { app, assetsDir, platform } = options;
  const images = new Map<TrayState, NativeImage>();
  const image = (state: TrayState): NativeImage => {
    let img = images.get(state);
    if (!img) {
      img = nativeImage.createFromPath(trayIconFile(assetsDir, state, platform));
      if (platform === 'darwin') img.setTemplateImage(true);
      images.set(state, img);
    }
    return img;
  };

  let status: StatusSnapshot | null = null;
  let actions: ActionInfo[] = [];
  let shown = '';
  const tray = new Tray(image('unknown'));
  if (platform !== 'darwin') tray.on('click', options.onClick);

  const render = () => {
    const model = trayMenu({ status, actions });
    const state = trayState(status);
    const tooltip = trayTooltip(status);
    const key = JSON.stringify([model, state, tooltip]);
    if (key === shown) return;
    shown = key;
    tray.setImage(image(state));
    tray.setToolTip(tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(model.map((item) => menuItem(item, options.onCommand))));
  };
  // Without a profile (or with a broken one) the menu shows what it can: the window says why.
  const loadActions = async () => {
    try {
      actions = (await app.actions.list()).actions;
    } catch {
      actions = [];
    }
    render();
  };
  const loadStatus = () => {
    try {
      status = app.status.get();
    } catch {
      // Keeps the last status: NoProfile until one is saved.
    }
    render();
  };

  app.subscribe((event) => {
    if (event.channel === 'status.changed') {
      status = event.payload;
      render();
    } else if (event.channel === 'profiles.changed') {
      void loadActions();
      loadStatus();
    }
  });
  render();
  void loadActions();
  loadStatus();
  return { status: () => status };
}

function menuItem(item: TrayMenuItem, onCommand: (command: TrayCommand) => void): MenuItemConstructorOptions {
  switch (item.type) {
    case 'separator':
      return { type: 'separator' };
    case 'label':
      return { id: item.id, label: item.label, enabled: false };
    case 'item':
      return { id: item.id, label: item.label, enabled: item.enabled, click: () => onCommand(item.command) };
  }
}
