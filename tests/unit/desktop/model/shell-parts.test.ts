import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { refusedSender, SenderRefused } from '../../../../src-main/desktop/electron/sender-refused';
import { appMenuRoles } from '../../../../src-main/desktop/model/app-menu';
import { appIconFile, assetsDir, trayIconFile } from '../../../../src-main/desktop/model/tray-icons';
import { TRAY_STATES } from '../../../../src-main/desktop/model/tray-state';
import { errorInfo } from '../../../../src-main/ipc/contract';

describe('application menu', () => {
  it('macOS gets the app, Edit and Window menus (Cmd+Q, copy/paste in fields); View only in development', () => {
    expect(appMenuRoles('darwin', false)).toEqual(['appMenu', 'editMenu', 'windowMenu']);
    expect(appMenuRoles('darwin', true)).toContain('viewMenu');
  });
  it('Windows and Linux: no menu bar when packaged', () => {
    expect(appMenuRoles('linux', false)).toBeNull();
    expect(appMenuRoles('win32', false)).toBeNull();
    expect(appMenuRoles('linux', true)).toEqual(['editMenu', 'viewMenu']);
  });
});

describe('icon files', () => {
  it('assets sit next to app.asar when packaged (extraResources), in the checkout otherwise', () => {
    expect(
      assetsDir({
        isPackaged: true,
        resourcesPath: '/opt/h/resources',
        appPath: '/opt/h/resources/app.asar',
      }),
    ).toBe(join('/opt/h/resources', 'assets'));
    expect(assetsDir({ isPackaged: false, resourcesPath: '/x', appPath: '/work/main' })).toBe(
      join('/work/main', 'assets'),
    );
  });
  it('per platform: macOS Template PNG, Windows .ico, Linux 32 px PNG', () => {
    expect(trayIconFile('/a', 'fail', 'darwin')).toBe(join('/a', 'tray', 'tray-failTemplate.png'));
    expect(trayIconFile('/a', 'fail', 'win32')).toBe(join('/a', 'tray', 'tray-fail.ico'));
    expect(trayIconFile('/a', 'fail', 'linux')).toBe(join('/a', 'tray', 'tray-fail-32.png'));
    expect(appIconFile('/a')).toBe(join('/a', 'icons', '512x512.png'));
  });
  it('every file the tray and window ask for exists under assets/', async () => {
    const { existsSync } = await import('node:fs');
    const files = [appIconFile('assets')];
    for (const state of TRAY_STATES)
      for (const platform of ['darwin', 'win32', 'linux'] as const) {
        const file = trayIconFile('assets', state, platform);
        files.push(file);
        if (file.endsWith('.png')) files.push(file.replace(/\.png$/, '@2x.png'));
      }
    for (const file of files) expect(existsSync(file), file).toBe(true);
  });
});

describe('refused IPC sender', () => {
  it('answers with a typed error in the contract shape, naming the channel', () => {
    const r = refusedSender('token.reveal');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(errorInfo.parse(r.error)).toEqual(r.error);
    expect(r.error.code).toBe('SenderRefused');
    expect(r.error.message).toContain('token.reveal');
    expect(new SenderRefused('x').nextStep).toMatch(/Restart the app/);
  });
});
