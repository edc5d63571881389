/** Electron menu roles the app menu uses (Electron builds their items, labels and shortcuts). */
export type AppMenuRole = 'appMenu' | 'editMenu' | 'viewMenu' | 'windowMenu';

/**
 * The application menu. macOS needs one for Cmd+Q and for copy/paste in text fields (Edit menu roles);
 * Windows and Linux handle those keys without a menu, so the window has no menu bar there. The View menu
 * (reload, devtools) exists only in development.
 */
export function appMenuRoles(platform: NodeJS.Platform, development: boolean): AppMenuRole[] | null {
  if (platform === 'darwin')
    return development
      ? ['appMenu', 'editMenu', 'viewMenu', 'windowMenu']
      : ['appMenu', 'editMenu', 'windowMenu'];
  return development ? ['editMenu', 'viewMenu'] : null;
}
