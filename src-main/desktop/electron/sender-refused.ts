import { AppError } from '../../core/errors';
import type { ErrorInfo, Result } from '../../ipc/contract';

/** An IPC call from something other than the app's own page in its own window (see senderAllowed). */
export class SenderRefused extends AppError {
  readonly code = 'SenderRefused';
  readonly nextStep =
    'Restart the app; if this keeps happening, report it: something inside the window is not the app.';
  constructor(readonly channel: string) {
    super(`The request "${channel}" came from a frame that is not the app's window, so it was refused.`);
  }
}

/** What a refused sender gets back: a Result like every other answer, nothing of the core touched. */
export function refusedSender(channel: string): Result<never> {
  const error: ErrorInfo = new SenderRefused(channel).toJSON();
  return { ok: false, error };
}
