import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'electron';
import { InvalidInput } from '../../core/errors';
import { PRODUCT_NAME } from '../../core/paths';
import { AUTOSTART_FILE, autostartEntry, autostartExecutable, loginItemSettings } from '../model/login-item';

/**
 * Makes the OS start the app at login, or not, as the setting says. Only a packaged app registers itself:
 * an unpackaged one would register the bare Electron binary, which opens Electron's default app.
 */
export async function applyLaunchAtLogin(app: App, launchAtLogin: boolean): Promise<void> {
  if (!app.isPackaged) return;
  if (process.platform === 'linux') return writeAutostart(launchAtLogin);
  app.setLoginItemSettings(loginItemSettings(launchAtLogin));
}

async function writeAutostart(enabled: boolean): Promise<void> {
  const dir = join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'autostart');
  const file = join(dir, AUTOSTART_FILE);
  if (!enabled) {
    await rm(file, { force: true });
    return;
  }
  const entry = autostartEntry({
    name: PRODUCT_NAME,
    comment: 'Health of your Matrix homeserver in the tray',
    executable: autostartExecutable(process.env, process.execPath),
  });
  if (entry === null) throw new InvalidInput('executable', 'cannot hold line breaks or NUL characters');
  const current = await readFile(file, 'utf8').catch(() => null);
  if (current === entry) return;
  await mkdir(dir, { recursive: true });
  // Whole or not at all: a session starting meanwhile must not find an empty entry. The temporary name does
  // not end in .desktop, so nothing reads it as one.
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, entry, { mode: 0o644 });
  await rename(temp, file);
}
