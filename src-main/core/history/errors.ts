import { AppError } from '../errors';

/** The history database cannot be used; the app goes on without charts rather than without status. */
export class HistoryUnavailable extends AppError {
  readonly code = 'HistoryUnavailable';
  readonly nextStep =
    'The status keeps working without history. Move history.sqlite out of the data folder to start a new one, or restart the app.';
  constructor(reason: string) {
    super(`The uptime history is not available: ${reason}.`);
  }
}
