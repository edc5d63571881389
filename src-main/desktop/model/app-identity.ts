/**
 * The app's identity as the operating system sees it. electron-builder.yml must say the same (a test reads
 * it): Windows groups notifications and the taskbar by the AppUserModelID, and a mismatch between the
 * installer's id and the running app's id silently drops notifications from the Action Center.
 */
export const APP_ID = 'cloud.homeserver-tray.app';

/** The argument a login item starts the app with: start in the tray, without opening the window. */
export const HIDDEN_FLAG = '--hidden';
