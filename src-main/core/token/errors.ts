import { AppError } from '../errors';

/** The command line found no clipboard tool: it refuses rather than print the token. */
export class NoClipboardTool extends AppError {
  readonly code = 'NoClipboardTool';
  readonly nextStep: string;
  constructor(platform: NodeJS.Platform, tried: string[]) {
    super(
      `No clipboard is reachable from this terminal (looked for ${tried.join(', ')}), and the token is never printed.`,
    );
    this.nextStep =
      platform === 'darwin'
        ? 'Run it in a macOS session that has pbcopy, or use the app.'
        : platform === 'win32'
          ? 'Run it where clip.exe is on PATH, or use the app.'
          : 'Install wl-clipboard (Wayland) or xclip (X11) and run it inside the desktop session (WAYLAND_DISPLAY or DISPLAY set), or use the app.';
  }
}

export class ClipboardFailed extends AppError {
  readonly code = 'ClipboardFailed';
  readonly nextStep = 'Check that the desktop session is still running, then copy again.';
  constructor(
    readonly tool: string,
    reason: string,
  ) {
    super(`Copying with ${tool} failed: ${reason}.`);
  }
}
