import type { Shell } from 'electron';
import { externalUrlAllowed } from '../model/external-links';

/**
 * The only way a URL leaves the app: https to an allowlisted host (external-links.ts), handed to the
 * user's browser. Anything else is refused without a word to the OS.
 */
export function createOpenExternal(
  shell: Pick<Shell, 'openExternal'>,
  publicUrl: () => string | null,
): (url: string) => Promise<boolean> {
  return async (url) => {
    if (!externalUrlAllowed(url, publicUrl())) return false;
    // The URL has just passed the allowlist: https to a listed host only.
    await shell.openExternal(url, { activate: true }); // eng-disable OPEN_EXTERNAL_JS_CHECK
    return true;
  };
}
