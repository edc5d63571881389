import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The Electron glue cannot run here (no Electron binary), so the rules it must keep are checked on its
 * source: one place creates windows, one place registers IPC, the preload exposes one object, and nothing
 * starts the crash reporter.
 */
function sources(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => {
      const file = join(e.parentPath, e.name);
      return { file: relative('.', file), text: withoutComments(readFileSync(file, 'utf8')) };
    });
}

/** Rules are about code: comments may name what is not done. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

const all = sources('src-main');
const where = (pattern: RegExp) => all.filter((s) => pattern.test(s.text)).map((s) => s.file);

describe('Electron glue rules', () => {
  it('no crash reporter: Crashpad runs only when started, so no minidump of a process holding secrets', () => {
    expect(where(/crashReporter/)).toEqual([]);
  });

  it('one place creates the window, with the SecureWebPreferences type', () => {
    expect(where(/new BrowserWindow\(/)).toEqual([join('src-main', 'desktop', 'electron', 'window.ts')]);
    const window = readFileSync('src-main/desktop/electron/window.ts', 'utf8');
    expect(window).toMatch(/webPreferences: SecureWebPreferences;/);
    expect(window).toMatch(/webPreferences: options\.webPreferences,/);
  });

  it('devtools follow app.isPackaged', () => {
    const main = readFileSync('src-main/desktop/main.ts', 'utf8');
    expect(main).toMatch(/const development = !app\.isPackaged;/);
    expect(main).toMatch(/devTools: development,/);
  });

  it('one place registers IPC handlers, and it checks the sender first', () => {
    expect(where(/ipcMain\.(handle|on|once|handleOnce)\(/)).toEqual([
      join('src-main', 'desktop', 'electron', 'ipc.ts'),
    ]);
    const ipc = readFileSync('src-main/desktop/electron/ipc.ts', 'utf8');
    expect(ipc.indexOf('senderAllowed(')).toBeLessThan(ipc.indexOf('router.handle('));
  });

  it('the preload exposes one object, window.api, and never ipcRenderer itself', () => {
    const preload = readFileSync('src-main/desktop/preload.ts', 'utf8');
    expect([...preload.matchAll(/exposeInMainWorld\(/g)]).toHaveLength(1);
    expect(preload).toMatch(/exposeInMainWorld\('api', api\)/);
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
    expect(preload).not.toMatch(/listener\(\s*_?event/);
    expect(where(/exposeInMainWorld\(/)).toEqual([join('src-main', 'desktop', 'preload.ts')]);
  });

  it('no remote module, no nodeIntegration or contextIsolation switched anywhere else', () => {
    expect(where(/@electron\/remote|enableRemoteModule/)).toEqual([]);
    expect(
      where(/nodeIntegration:\s*true|contextIsolation:\s*false|sandbox:\s*false|webSecurity:\s*false/),
    ).toEqual([]);
  });
});
