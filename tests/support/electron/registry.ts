/**
 * What several stand-in modules share without importing each other in a cycle: the open windows (app.quit
 * closes them) and whether the app is ready (most APIs refuse to work before).
 */

export interface OpenWindow {
  /** The BrowserWindow itself. */
  window: object;
  /** Asks to close, as the user or app.quit does: 'close' may be prevented. Returns whether it closed. */
  requestClose(): boolean;
  /** Closes without asking, as app.exit does. */
  destroy(): void;
}

export const openWindows = new Set<OpenWindow>();

export const readiness = { ready: false };

/** Called when the last window is gone, by whichever module closed it (set by app.ts). */
export const lastWindowClosed = { notify: () => {} };
