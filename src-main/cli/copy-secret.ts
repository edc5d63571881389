import {
  ClipboardGuard,
  type ClipboardWhat,
  clearDelayMs,
  DEFAULT_CLEAR_DELAY_SECONDS,
} from '../core/token/clipboard';
import { type ClearJob, clearJob, spawnClearLater } from './clear-later';
import type { CliClipboard } from './cli-clipboard';

/** How the command line copies a secret: its clipboard tool, the settings' delay, the detached clearer. */
export interface ClipboardDeps {
  /** The desktop's clipboard tool; default: found on PATH (createCliClipboard). */
  clipboard?: () => Promise<CliClipboard>;
  /** Settings' clipboard delay in seconds, null = never. Default 30. */
  clearDelaySeconds?: number | null;
  /** Starts the detached clear-if-unchanged; default: this CLI again with `__clipboard-clear`. Awaited. */
  scheduleClear?: (job: ClearJob) => unknown;
  now?: () => number;
}

function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/**
 * Copies a secret with the CLI's clipboard and leaves a detached process to clear it if unchanged. Returns
 * the sentence that says where it is and until when.
 */
export async function copySecret(
  deps: ClipboardDeps,
  clipboard: CliClipboard,
  secret: string,
  what: ClipboardWhat,
): Promise<string> {
  const guard = new ClipboardGuard(clipboard);
  const { concealed } = await guard.copy(secret, what, null);
  const delay = clearDelayMs(
    deps.clearDelaySeconds === undefined ? DEFAULT_CLEAR_DELAY_SECONDS : deps.clearDelaySeconds,
  );
  const outstanding = guard.outstanding;
  const concealNote = concealed ? ' (marked as secret for clipboard managers)' : '';
  if (delay === null || !outstanding)
    return `It is on the clipboard (${clipboard.name})${concealNote} and stays there: clearing is set to never.`;
  const schedule =
    deps.scheduleClear ?? ((job: ClearJob) => spawnClearLater(job, { entry: process.argv[1] ?? '' }));
  // One time: the one said here is the one the clearer keeps, however long it takes to start.
  const at = (deps.now ?? Date.now)() + delay;
  await schedule(clearJob(clipboard.tool, what, outstanding.print, at));
  return `It is on the clipboard (${clipboard.name})${concealNote}; it will be cleared at ${clockTime(at)} if the clipboard still holds it.`;
}
