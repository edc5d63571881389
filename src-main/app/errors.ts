import { AppError } from '../core/errors';

/** The clipboard is not wired in (a front end without one): the token cannot be copied. */
export class ClipboardUnavailable extends AppError {
  readonly code = 'ClipboardUnavailable';
  readonly nextStep = 'Copy it with the command line (`token copy`) on this machine.';
  constructor() {
    super('This window has no clipboard to put the token on.');
  }
}
