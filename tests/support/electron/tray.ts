import { EventEmitter } from 'node:events';
import type { KeyboardEvent, Menu, NativeImage, Rectangle, TitleOptions, Tray } from 'electron';
import { type Imitation, INSIDE, type OnlyElectron } from './imitation';
import { StandInMenu } from './menu';
import { imageArgument, type StandInNativeImage } from './native-image';
import { conversionFailure, record } from './recorder';
import { readiness } from './registry';

let nextTrayId = 1;

/** Every tray icon the app created, in order. */
export const trays: StandInTray[] = [];

interface TrayState {
  label: string;
  guid: string | null;
  image: StandInNativeImage;
  toolTip: string;
  title: string;
  contextMenu: StandInMenu | null;
  destroyed: boolean;
}

/** The tray icon as the shell shows it: image, tooltip, title and the menu it opens. */
class StandInTray extends EventEmitter implements Imitation<Tray> {
  readonly [INSIDE]: TrayState;

  constructor(image: NativeImage | string, guid?: string) {
    super();
    if (!readiness.ready) throw new Error('Cannot create Tray before app is ready');
    const label = `Tray ${nextTrayId++}`;
    record(label, 'constructor', guid === undefined ? [image] : [image, guid]);
    this[INSIDE] = {
      label,
      guid: guid ?? null,
      image: imageArgument(image, 0),
      toolTip: '',
      title: '',
      contextMenu: null,
      destroyed: false,
    };
    trays.push(this);
  }

  /** Electron's error for a destroyed tray (gin's "Object has been destroyed"). */
  private alive(method: string, args: unknown[]): TrayState {
    const s = this[INSIDE];
    if (s.destroyed) throw new TypeError('Object has been destroyed');
    record(s.label, method, args);
    return s;
  }

  setImage(image: NativeImage | string): void {
    this.alive('setImage', [image]).image = imageArgument(image, 0);
  }

  setToolTip(toolTip: string): void {
    if (typeof toolTip !== 'string') throw conversionFailure(0, toolTip);
    this.alive('setToolTip', [toolTip]).toolTip = toolTip;
  }

  setTitle(title: string, options?: TitleOptions): void {
    if (typeof title !== 'string') throw conversionFailure(0, title);
    this.alive('setTitle', options === undefined ? [title] : [title, options]).title = title;
  }

  getTitle(): string {
    return this.alive('getTitle', []).title;
  }

  setContextMenu(menu: Menu | null): void {
    if (menu !== null && !(menu instanceof StandInMenu)) throw conversionFailure(0, menu);
    this.alive('setContextMenu', [menu]).contextMenu = menu;
  }

  getGUID(): string | null {
    return this.alive('getGUID', []).guid;
  }

  getBounds(): Rectangle {
    this.alive('getBounds', []);
    return { x: 0, y: 0, width: 22, height: 22 };
  }

  destroy(): void {
    const s = this[INSIDE];
    record(s.label, 'destroy', []);
    s.destroyed = true;
  }

  isDestroyed(): boolean {
    return this[INSIDE].destroyed;
  }
}
const trayOnly: OnlyElectron<StandInTray, Tray> = true;
void trayOnly;

export { StandInTray };

/** What the shell shows for a tray icon now. */
export function trayView(tray: StandInTray): {
  image: string | null;
  imageEmpty: boolean;
  toolTip: string;
  title: string;
  menu: StandInMenu | null;
  destroyed: boolean;
} {
  const s = tray[INSIDE];
  return {
    image: s.image[INSIDE].path,
    imageEmpty: s.image.isEmpty(),
    toolTip: s.toolTip,
    title: s.title,
    menu: s.contextMenu,
    destroyed: s.destroyed,
  };
}

/** The user clicks the icon (Windows; macOS and AppIndicator open the menu instead). */
export function clickTray(tray: StandInTray, event: KeyboardEvent = {}): void {
  if (tray.isDestroyed()) throw new Error(`${tray[INSIDE].label} is destroyed: there is no icon to click`);
  tray.emit('click', event, tray.getBounds(), { x: 11, y: 11 });
}
