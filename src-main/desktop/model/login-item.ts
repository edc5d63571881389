import { HIDDEN_FLAG } from './app-identity';

/**
 * Launch at login. macOS and Windows: app.setLoginItemSettings (Windows passes HIDDEN_FLAG; macOS reports
 * wasOpenedAtLogin instead). Windows finds the entry to remove by path AND args, so turning it off passes
 * the same args. Linux has no such API in Electron: an XDG autostart entry (~/.config/autostart/…) does it,
 * written by the shell from `autostartEntry`.
 */
export function loginItemSettings(openAtLogin: boolean): { openAtLogin: boolean; args: string[] } {
  return { openAtLogin, args: [HIDDEN_FLAG] };
}

/** Started by the login item: stay in the tray instead of opening the window over the user's desktop. */
export function launchedHidden(argv: readonly string[], wasOpenedAtLogin: boolean): boolean {
  return wasOpenedAtLogin || argv.includes(HIDDEN_FLAG);
}

export const AUTOSTART_FILE = 'homeserver-tray.desktop';

/**
 * The program to autostart on Linux. An AppImage runs from a temporary mount that changes each start, so
 * the entry must name the AppImage file itself ($APPIMAGE), not process.execPath.
 */
export function autostartExecutable(env: NodeJS.ProcessEnv, execPath: string): string {
  return env.APPIMAGE || execPath;
}

/**
 * The XDG autostart .desktop entry that starts the app hidden at login; null when the executable's path
 * cannot be written into an Exec key (a line break or NUL in it).
 */
export function autostartEntry(options: {
  name: string;
  executable: string;
  comment: string;
}): string | null {
  const exec = execArgument(options.executable);
  if (exec === null) return null;
  return [
    '[Desktop Entry]',
    'Type=Application',
    `Name=${desktopValue(options.name)}`,
    `Comment=${desktopValue(options.comment)}`,
    `Exec=${exec} ${HIDDEN_FLAG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/**
 * One argument of an Exec key (Desktop Entry Specification, "The Exec key"): quoted when it holds a
 * reserved character, with `"`, `` ` ``, `$` and `\` escaped inside the quotes, and `%` doubled (field
 * codes). The escaping of the string value type applies on top: each `\` is written twice. Null for an
 * argument no Exec key can hold (a line break or NUL).
 */
export function execArgument(arg: string): string | null {
  if (/[\r\n\0]/.test(arg)) return null;
  const percent = arg.replaceAll('%', '%%');
  const reserved = /[\s"'\\><~|&;$*?#()`]/.test(percent);
  const quoted = reserved ? `"${percent.replace(/["`$\\]/g, (c) => `\\${c}`)}"` : percent;
  return quoted.replaceAll('\\', '\\\\');
}

function desktopValue(value: string): string {
  return value.replace(/[\r\n]/g, ' ');
}
