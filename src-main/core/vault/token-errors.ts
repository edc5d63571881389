import { AppError } from '../errors';

/** Errors of reading and rotating the registration token. None of them ever carries a secret. */

export class VaultNotConfigured extends AppError {
  readonly code = 'VaultNotConfigured';
  readonly nextStep =
    'Add a vault section to the profile (repo, file, key, deployCheckout), as in the example profile.';
  constructor() {
    super('The profile names no vault repository, so there is no registration token to work with.');
  }
}

export class VaultKeyMissing extends AppError {
  readonly code = 'VaultKeyMissing';
  readonly nextStep: string;
  constructor(
    readonly source: string,
    readonly key: string,
  ) {
    super(`The vault ${source} has no value for ${key}.`);
    this.nextStep = `Rotate the registration token to create it, or set vault.key in the profile to the variable that holds it.`;
  }
}

export class VaultNotEditable extends AppError {
  readonly code = 'VaultNotEditable';
  readonly nextStep =
    'Open the vault with `ansible-vault edit` and fix what is named, then try again; nothing was written.';
  constructor(
    readonly source: string,
    problem: string,
  ) {
    super(`The vault ${source} cannot be edited safely: ${problem}.`);
  }
}

/** Another rotation (this app, a second instance, or the CLI) holds the vault repository's lock. */
export class RotationInProgress extends AppError {
  readonly code = 'RotationInProgress';
  readonly nextStep =
    'Wait for the other rotation to finish (or close the other Homeserver Tray window or command), then try again.';
  constructor(
    readonly repo: string,
    readonly holder: { pid: number; startedAt: string; runId: string | null },
  ) {
    super(
      `Another token rotation is running on ${repo} (process ${holder.pid}, started ${holder.startedAt}); a second one was refused.`,
    );
  }
}

export class GitFailed extends AppError {
  readonly code = 'GitFailed';
  readonly nextStep: string;
  constructor(
    readonly command: string,
    readonly repo: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
    nextStep?: string,
  ) {
    super(
      `\`${command}\` in ${repo} failed${exitCode === null ? '' : ` with exit code ${exitCode}`}${stderrTail ? `: ${stderrTail}` : ''}.`,
    );
    this.nextStep = nextStep ?? 'Fix what git says in the vault repository, then run the rotation again.';
  }
}

export class VaultRepoNotReady extends AppError {
  readonly code = 'VaultRepoNotReady';
  readonly nextStep: string;
  constructor(
    readonly repo: string,
    problem: string,
    nextStep: string,
  ) {
    super(`The vault repository ${repo} is not ready for a rotation: ${problem}.`);
    this.nextStep = nextStep;
  }
}

export class NothingToRollBack extends AppError {
  readonly code = 'NothingToRollBack';
  readonly nextStep = 'Nothing to do: the vault is as the last rotation left it.';
  constructor(
    readonly repo: string,
    reason: string,
  ) {
    super(`There is no token rotation to roll back in ${repo}: ${reason}.`);
  }
}

export class RollbackRefused extends AppError {
  readonly code = 'RollbackRefused';
  readonly nextStep: string;
  constructor(
    readonly repo: string,
    reason: string,
    nextStep: string,
  ) {
    super(`The token rotation in ${repo} cannot be rolled back: ${reason}.`);
    this.nextStep = nextStep;
  }
}

export class VaultFileMissing extends AppError {
  readonly code = 'VaultFileMissing';
  readonly nextStep =
    'Check vault.repo and vault.file in the profile, and that the vault repository is checked out on this computer.';
  constructor(readonly path: string) {
    super(`The vault file ${path} does not exist.`);
  }
}
