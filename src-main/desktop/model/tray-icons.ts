import { join } from 'node:path';
import type { TrayState } from './tray-state';

/**
 * The folder holding assets/ at run time: beside the app in development; in a package, electron-builder's
 * extraResources copy it next to app.asar (outside it, so AppIndicator and the shell can read the files).
 */
export function assetsDir(options: { isPackaged: boolean; resourcesPath: string; appPath: string }): string {
  return options.isPackaged ? join(options.resourcesPath, 'assets') : join(options.appPath, 'assets');
}

/**
 * The tray icon file per platform. macOS: black+alpha "Template" images that the menu bar tints for light
 * and dark (state shown by the glyph's shape); Windows: .ico with 16–32 px inside; Linux: 32 px PNG, as
 * AppIndicator panels draw 22–32 px. Electron picks the @2x sibling of a PNG on HiDPI screens itself.
 */
export function trayIconFile(dir: string, state: TrayState, platform: NodeJS.Platform): string {
  if (platform === 'darwin') return join(dir, 'tray', `tray-${state}Template.png`);
  if (platform === 'win32') return join(dir, 'tray', `tray-${state}.ico`);
  return join(dir, 'tray', `tray-${state}-32.png`);
}

/** The window and taskbar icon (Linux and Windows; macOS takes the bundle's .icns). */
export function appIconFile(dir: string): string {
  return join(dir, 'icons', '512x512.png');
}
