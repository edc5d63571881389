import type { MenuItemConstructorOptions, NativeImage } from 'electron';
import { Menu, nativeImage, Tray } from 'electron';
import type { AppService } from '../../app/app-service';
import type { ActionInfo, StatusSnapshot } from '../../ipc/contract';
import { trayIconFile } from '../model/tray-icons';
import { type TrayCommand, type TrayMenuItem, trayMenu } from '../model/tray-menu';
import { serversTooltip, type TrayState, worstTrayState } from '../model/tray-state';

export interface TrayHandle {
  /** The latest status of every server the tray shows, in the store's order. */
  servers(): readonly StatusSnapshot[];
}

/**
 * The tray icon (the worst of every watched server) and its menu (a section per server when there are
 * several), rebuilt from the pure model on every status, catalog or profile change:
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

  let servers: StatusSnapshot[] = [];
  let actions: ActionInfo[] = [];
  let shown = '';
  const tray = new Tray(image('unknown'));
  if (platform !== 'darwin') tray.on('click', options.onClick);

  const render = () => {
    const model = trayMenu({ servers, actions });
    const state = worstTrayState(servers);
    const tooltip = serversTooltip(servers);
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
  // The set of servers and their order come from the app; each status.changed replaces its server's entry.
  const loadStatus = () => {
    servers = app.status.all().servers;
    render();
  };

  app.subscribe((event) => {
    if (event.channel === 'status.changed') {
      const i = servers.findIndex((s) => s.profileId === event.payload.profileId);
      if (i < 0) return loadStatus();
      servers = servers.with(i, event.payload);
      render();
    } else if (event.channel === 'profiles.changed') {
      void loadActions();
      loadStatus();
    }
  });
  render();
  void loadActions();
  loadStatus();
  return { servers: () => servers };
}

function menuItem(item: TrayMenuItem, onCommand: (command: TrayCommand) => void): MenuItemConstructorOptions {
  switch (item.type) {
    case 'separator':
      return { type: 'separator' };
    case 'label':
      return { id: item.id, label: item.label, enabled: false };
    case 'item':
      return { id: item.id, label: item.label, enabled: item.enabled, click: () => onCommand(item.command) };
    case 'submenu':
      return { id: item.id, label: item.label, submenu: item.items.map((i) => menuItem(i, onCommand)) };
  }
}
