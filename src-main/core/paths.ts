import { homedir } from 'node:os';
import { join } from 'node:path';

export const PRODUCT_NAME = 'Homeserver Tray';

/**
 * The folder the app and the CLI share (profiles, the app's known_hosts, settings, audit trail):
 * the same path Electron's app.getPath('userData') gives for the product name.
 * HOMESERVER_TRAY_DATA_DIR overrides it (tests, portable installs).
 */
export function dataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.HOMESERVER_TRAY_DATA_DIR) return env.HOMESERVER_TRAY_DATA_DIR;
  const home = env.HOME ?? homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', PRODUCT_NAME);
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), PRODUCT_NAME);
}
