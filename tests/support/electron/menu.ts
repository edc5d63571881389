import { EventEmitter } from 'node:events';
import type { KeyboardEvent, Menu, MenuItem, MenuItemConstructorOptions } from 'electron';
import { type Imitation, INSIDE, type OnlyElectron } from './imitation';
import { record } from './recorder';

const ITEM_TYPES = ['normal', 'separator', 'submenu', 'checkbox', 'radio', 'header', 'palette'];
let nextCommandId = 0;

type Template = Array<MenuItemConstructorOptions | MenuItem>;

/**
 * A menu item as lib/browser/api/menu-item.ts builds it from its options: the label, type, role and state
 * the user sees, and a click() that runs the app's handler. Roles keep their name; the labels and
 * submenus Electron fills in for roles (menu-item-roles.ts) are not imitated.
 */
class StandInMenuItem implements Imitation<MenuItem> {
  readonly id: string;
  label: string;
  sublabel: string;
  toolTip: string;
  readonly type: MenuItem['type'];
  readonly role?: MenuItem['role'];
  accelerator: string | null;
  enabled: boolean;
  visible: boolean;
  checked: boolean;
  readonly submenu?: StandInMenu;
  readonly commandId: number;
  readonly click: (event?: KeyboardEvent, focusedWindow?: unknown, focusedWebContents?: unknown) => void;

  constructor(options: MenuItemConstructorOptions) {
    const submenu =
      options.submenu === undefined
        ? undefined
        : options.submenu instanceof StandInMenu
          ? options.submenu
          : StandInMenu.buildFromTemplate(options.submenu as Template);
    const type = options.type ?? (submenu ? 'submenu' : 'normal');
    if (type === 'submenu' && !submenu) throw new Error('Invalid submenu');
    if (!ITEM_TYPES.includes(type)) throw new Error(`Unknown menu item type: ${type}`);
    this.id = options.id ?? '';
    this.label = options.label ?? '';
    this.sublabel = options.sublabel ?? '';
    this.toolTip = options.toolTip ?? '';
    this.type = type;
    if (options.role) this.role = options.role.toLowerCase() as MenuItem['role'];
    this.accelerator = options.accelerator ?? null;
    this.enabled = options.enabled ?? true;
    this.visible = options.visible ?? true;
    this.checked = options.checked ?? false;
    if (submenu) this.submenu = submenu;
    this.commandId = ++nextCommandId;
    const handler = options.click;
    this.click = (event = {}, focusedWindow, focusedWebContents) => {
      if (this.type === 'checkbox' || this.type === 'radio') this.checked = !this.checked;
      handler?.(this as unknown as MenuItem, focusedWindow as never, event);
      void focusedWebContents;
    };
  }
}
const itemOnly: OnlyElectron<StandInMenuItem, MenuItem> = true;
void itemOnly;

/** Electron folds adjacent separators and drops those at the edges (removeExtraSeparators in menu.ts). */
function withoutExtraSeparators<T extends { type?: string; visible?: boolean }>(items: T[]): T[] {
  const folded = items.filter(
    (e, i, all) =>
      e.visible === false || e.type !== 'separator' || i === 0 || all[i - 1]?.type !== 'separator',
  );
  return folded.filter(
    (e, i, all) => e.visible === false || e.type !== 'separator' || (i !== 0 && i !== all.length - 1),
  );
}

let applicationMenu: StandInMenu | null = null;

class StandInMenu extends EventEmitter implements Imitation<Menu> {
  readonly items: StandInMenuItem[] = [];
  /** The template the app built it from, as given: what tests compare with the model. */
  readonly [INSIDE]: { template: Template | null } = { template: null };

  static buildFromTemplate(template: Template): StandInMenu {
    record('Menu', 'buildFromTemplate', [template]);
    if (!Array.isArray(template))
      throw new TypeError('Invalid template for Menu: Menu template must be an array');
    const valid = template.every(
      (item) =>
        item != null &&
        typeof item === 'object' &&
        (Object.hasOwn(item, 'label') || Object.hasOwn(item, 'role') || item.type === 'separator'),
    );
    if (!valid)
      throw new TypeError('Invalid template for MenuItem: must have at least one of label, role or type');
    if (template.some((item) => 'before' in item || 'after' in item || 'beforeGroupContaining' in item))
      throw new Error('The electron stand-in does not imitate menu item positions (before/after)');
    const menu = new StandInMenu();
    menu[INSIDE].template = template;
    for (const item of withoutExtraSeparators(template))
      menu.add(
        menu.items.length,
        item instanceof StandInMenuItem ? item : new StandInMenuItem(item as MenuItemConstructorOptions),
      );
    return menu;
  }

  static setApplicationMenu(menu: Menu | null): void {
    record('Menu', 'setApplicationMenu', [menu]);
    if (menu && !(menu instanceof StandInMenu)) throw new TypeError('Invalid menu');
    applicationMenu = menu;
  }

  static getApplicationMenu(): StandInMenu | null {
    return applicationMenu;
  }

  append(menuItem: MenuItem): void {
    this.insert(this.items.length, menuItem);
  }

  insert(pos: number, menuItem: MenuItem): void {
    if (!((menuItem as unknown) instanceof StandInMenuItem)) throw new TypeError('Invalid item');
    this.add(pos, menuItem as unknown as StandInMenuItem);
  }

  private add(pos: number, menuItem: StandInMenuItem): void {
    if (pos < 0) throw new RangeError(`Position ${pos} cannot be less than 0`);
    if (pos > this.items.length)
      throw new RangeError(`Position ${pos} cannot be greater than the total MenuItem count`);
    this.items.splice(pos, 0, menuItem);
  }

  getMenuItemById(id: string): StandInMenuItem | null {
    for (const item of this.items) {
      if (item.id === id) return item;
      const inside = item.submenu?.getMenuItemById(id);
      if (inside) return inside;
    }
    return null;
  }
}
const menuOnly: OnlyElectron<StandInMenu, Menu> = true;
void menuOnly;
const menuStatics: OnlyElectron<typeof StandInMenu, typeof Menu> = true;
void menuStatics;

export { StandInMenu, StandInMenuItem };

/**
 * The user picks the item with this id, as the native menu lets them: only a visible, enabled item of a
 * shown menu can be picked. Throws when it cannot, naming what the user would see instead.
 */
export function pick(menu: StandInMenu, id: string, event: KeyboardEvent = {}): void {
  const item = menu.getMenuItemById(id);
  if (!item) throw new Error(`No menu item with id '${id}': ${describeMenu(menu)}`);
  if (!item.visible) throw new Error(`Menu item '${id}' is hidden`);
  if (!item.enabled) throw new Error(`Menu item '${id}' (${item.label}) is disabled`);
  if (item.type === 'separator') throw new Error(`Menu item '${id}' is a separator`);
  item.click(event, null, null);
}

/** The menu as the user reads it, one entry per item: for error messages and snapshots. */
export function describeMenu(menu: StandInMenu): string {
  return menu.items
    .filter((i) => i.visible)
    .map((i) =>
      i.type === 'separator' ? '—' : `${i.label || i.role || '?'}${i.enabled ? '' : ' (disabled)'}`,
    )
    .join(' | ');
}
