/**
 * The `electron` module as the app's main process and preload see it in tests: vitest's `electron` project
 * aliases `electron` to this file (vitest.config.ts), so it never reaches a bundle. Only names Electron
 * exports are here, each imitating its real counterpart (imitation.ts). Tests drive and inspect it through
 * `standIn` (control.ts).
 */
import type * as Electron from 'electron';
import type { OnlyElectron } from './imitation';
import type * as self from './index';

export { app } from './app';
export { clipboard, StandInClipboardItem as ClipboardItem } from './clipboard';
export { dialog } from './dialog';
export { contextBridge, ipcMain, ipcRenderer } from './ipc';
export { StandInMenu as Menu, StandInMenuItem as MenuItem } from './menu';
export { nativeImage } from './native-image';
export { StandInNotification as Notification } from './notification';
export { session } from './session';
export { powerMonitor, safeStorage, shell } from './system';
export { StandInTray as Tray } from './tray';
export { StandInBrowserWindow as BrowserWindow } from './windows';

const onlyElectron: OnlyElectron<typeof self, typeof Electron> = true;
void onlyElectron;
