import { AppError } from '../errors';

function subject(source: string | undefined): string {
  return source ? `The vault ${source}` : 'The vault';
}

/** The HMAC did not match: a wrong password, or bytes changed after encryption (the two look the same). */
export class WrongVaultPassword extends AppError {
  readonly code = 'WrongVaultPassword';
  readonly nextStep =
    "Store the vault password the deploy host's vault password file holds in Settings → Secrets, then try again; if it is right, restore the file from git.";
  override readonly fix = { do: 'store-secret', kind: 'vault-password' } as const;
  constructor(readonly source?: string) {
    super(
      `${subject(source)} does not open with the stored vault password (or it was changed after it was encrypted).`,
    );
  }
}

export class NotAVault extends AppError {
  readonly code = 'NotAVault';
  readonly nextStep =
    'Point the profile at the encrypted vault file (the one `ansible-vault view` opens), then try again.';
  constructor(readonly source?: string) {
    super(
      `${source ? `The file ${source}` : 'The data'} is not an Ansible Vault: it does not start with $ANSIBLE_VAULT.`,
    );
  }
}

export class CorruptVault extends AppError {
  readonly code = 'CorruptVault';
  readonly nextStep =
    'Restore the file from git (`git checkout -- <file>`) or from its vault.yml.bak.<epoch> backup, then try again.';
  constructor(
    readonly problem: string,
    readonly source?: string,
  ) {
    super(`${subject(source)} is damaged: ${problem}.`);
  }
}

/** A vault made by another (older or newer) ansible-vault format or cipher. */
export class UnsupportedVault extends AppError {
  readonly code = 'UnsupportedVault';
  readonly nextStep =
    'Re-encrypt it with an ansible-vault that reads it (`ansible-vault decrypt`, then `ansible-vault encrypt`), then try again.';
  constructor(
    readonly what: string,
    readonly source?: string,
  ) {
    super(`${subject(source)} uses ${what}; this app reads format 1.1 and 1.2 with AES256 only.`);
  }
}
