import { Menu } from 'electron';
import { appMenuRoles } from '../model/app-menu';

export function setupAppMenu(platform: NodeJS.Platform, development: boolean): void {
  const roles = appMenuRoles(platform, development);
  Menu.setApplicationMenu(roles ? Menu.buildFromTemplate(roles.map((role) => ({ role }))) : null);
}
