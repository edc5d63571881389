import { AppError } from '../errors';

/** The runbook will not do this, for a reason the runbook itself gives (a lesson, a guard). */
export class ActionRefused extends AppError {
  readonly code = 'ActionRefused';
  constructor(
    message: string,
    readonly nextStep: string,
  ) {
    super(message);
  }
}

/** A disruptive or outage action was started without the user confirming its effect. */
export class ConfirmationRequired extends AppError {
  readonly code = 'ConfirmationRequired';
  readonly nextStep: string;
  constructor(
    readonly actionId: string,
    readonly confirm: string,
  ) {
    super(`"${actionId}" needs confirmation: ${confirm}`);
    this.nextStep = 'Confirm the effect (in the window, or with --yes on the command line) to run it.';
  }
}

export class UnknownAction extends AppError {
  readonly code = 'UnknownAction';
  readonly nextStep =
    'Use one of the actions the app lists (the Actions panel, or `actions` on the command line).';
  override readonly fix = { do: 'list-actions' } as const;
  constructor(readonly actionId: string) {
    super(`There is no action "${actionId}".`);
  }
}

/** The file on the host changed between reading it and writing the edit back; nothing was written. */
export class RemoteFileChanged extends AppError {
  readonly code = 'RemoteFileChanged';
  readonly nextStep = 'Run the action again: it reads the current version of the file and edits that.';
  constructor(readonly path: string) {
    super(`${path} changed on the host after it was read, so the edit was not written.`);
  }
}
