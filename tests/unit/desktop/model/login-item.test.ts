import { describe, expect, it } from 'vitest';
import { HIDDEN_FLAG } from '../../../../src-main/desktop/model/app-identity';
import {
  autostartEntry,
  autostartExecutable,
  execArgument,
  launchedHidden,
  loginItemSettings,
} from '../../../../src-main/desktop/model/login-item';

/** The Exec key read back as the Desktop Entry Specification says: string escapes first, then quoting. */
function readExec(value: string): string[] {
  const unescaped = value.replace(/\\(.)/g, (_, c: string) => (c === '\\' ? '\\' : `\\${c}`));
  const args: string[] = [];
  let current = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < unescaped.length; i++) {
    const c = unescaped[i] as string;
    if (quoted && c === '\\') {
      current += unescaped[++i];
    } else if (c === '"') {
      quoted = !quoted;
      started = true;
    } else if (!quoted && c === ' ') {
      if (started || current) args.push(current);
      current = '';
      started = false;
    } else current += c;
  }
  if (started || current) args.push(current);
  return args.map((a) => a.replaceAll('%%', '%'));
}

describe('launch at login', () => {
  it('macOS and Windows: the login item starts the app hidden; turning it off names the same entry', () => {
    expect(loginItemSettings(true)).toEqual({ openAtLogin: true, args: [HIDDEN_FLAG] });
    expect(loginItemSettings(false)).toEqual({ openAtLogin: false, args: [HIDDEN_FLAG] });
  });

  it('a login start stays in the tray; a start by the user shows the window', () => {
    expect(launchedHidden(['/opt/app', HIDDEN_FLAG], false)).toBe(true);
    expect(launchedHidden(['/Applications/Homeserver Tray.app/Contents/MacOS/x'], true)).toBe(true);
    expect(launchedHidden(['/opt/app'], false)).toBe(false);
  });

  it('Linux: the autostart entry runs the AppImage file, not its temporary mount', () => {
    expect(
      autostartExecutable({ APPIMAGE: '/home/me/Apps/Homeserver Tray.AppImage' }, '/tmp/.mount_x/app'),
    ).toBe('/home/me/Apps/Homeserver Tray.AppImage');
    expect(autostartExecutable({}, '/opt/Homeserver Tray/homeserver-tray')).toBe(
      '/opt/Homeserver Tray/homeserver-tray',
    );
  });

  it('Linux: a valid XDG autostart entry', () => {
    expect(
      autostartEntry({
        name: 'Homeserver Tray',
        comment: 'Health in the tray',
        executable: '/opt/hst/homeserver-tray',
      }),
    ).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Name=Homeserver Tray',
        'Comment=Health in the tray',
        'Exec=/opt/hst/homeserver-tray --hidden',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    );
  });

  it('quotes program paths with reserved characters so they read back unchanged', () => {
    for (const path of [
      '/opt/Homeserver Tray/homeserver-tray',
      '/home/me/Apps/My "odd" $HOME `x` 100% \\ dir/app.AppImage',
      "/home/o'brien/app",
      '/plain/path',
    ]) {
      const line = (autostartEntry({ name: 'n', comment: 'c', executable: path }) ?? '')
        .split('\n')
        .find((l) => l.startsWith('Exec='));
      expect(readExec((line as string).slice('Exec='.length)), path).toEqual([path, HIDDEN_FLAG]);
    }
    expect(execArgument('/opt/Homeserver Tray/x')).toBe('"/opt/Homeserver Tray/x"');
    expect(execArgument('/a/100%')).toBe('/a/100%%');
  });

  it('refuses a path with a line break or NUL (it would add keys to the entry): no entry at all', () => {
    expect(execArgument('/opt/x\nExec=/bin/evil')).toBeNull();
    expect(execArgument('/opt/x\0')).toBeNull();
    expect(autostartEntry({ name: 'n', comment: 'c', executable: '/opt/x\rExec=/bin/evil' })).toBeNull();
  });
});
