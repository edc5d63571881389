/**
 * Errors a user can meet. Each carries a sentence that says what happened and what to do next;
 * the UI and the CLI show `message` as is, never a stack trace.
 */
import type { SecretKind } from './vocab';

export abstract class AppError extends Error {
  abstract readonly code: string;
  /** What the user can do about it, one sentence. */
  abstract readonly nextStep: string;

  toJSON(): { code: string; message: string; nextStep: string } {
    return { code: this.code, message: this.message, nextStep: this.nextStep };
  }
}

export class InvalidInput extends AppError {
  readonly code = 'InvalidInput';
  readonly nextStep: string;
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.nextStep = `Correct ${field} and try again.`;
  }
}

export class ProfileInvalid extends AppError {
  readonly code = 'ProfileInvalid';
  readonly nextStep = 'Fix the named fields in the profile file (or in Settings) and load it again.';
  constructor(
    readonly source: string,
    readonly issues: { field: string; message: string }[],
  ) {
    super(
      `The profile ${source} is not valid: ${issues
        .slice(0, 5)
        .map((i) => `${i.field}: ${i.message}`)
        .join('; ')}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ''}.`,
    );
  }
}

export class HostKeyUnknown extends AppError {
  readonly code = 'HostKeyUnknown';
  readonly nextStep: string;
  constructor(
    readonly host: string,
    readonly address: string,
    readonly keyType: string,
    readonly fingerprint: string,
  ) {
    super(`The ${host} host (${address}) presented a ${keyType} key ${fingerprint} that is not yet trusted.`);
    this.nextStep = `Compare the fingerprint with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on that machine, then trust it.`;
  }
}

export class HostKeyChanged extends AppError {
  readonly code = 'HostKeyChanged';
  readonly nextStep: string;
  constructor(
    readonly host: string,
    readonly address: string,
    readonly keyType: string,
    readonly expected: string[],
    readonly received: string,
  ) {
    super(
      `The ${host} host (${address}) presented ${keyType} key ${received}, but ${expected.join(', ')} is trusted for it. This can mean someone is intercepting the connection; nothing was sent.`,
    );
    this.nextStep = `If the machine was reinstalled, verify the new fingerprint on its console, then remove the old entry explicitly before trusting the new one.`;
  }
}

/** The host presented another key than the one expected by fingerprint (the profile's pin, or `hostkey trust --fingerprint`). */
export class HostKeyMismatch extends AppError {
  readonly code = 'HostKeyMismatch';
  readonly nextStep: string;
  constructor(
    readonly host: string,
    readonly address: string,
    readonly keyType: string,
    readonly received: string,
    readonly expected: string,
    /** Where the expected fingerprint comes from, e.g. "--fingerprint". */
    readonly source: string,
  ) {
    super(
      `The ${host} host (${address}) presented ${keyType} key ${received}, not ${expected} (${source}). This can mean someone is intercepting the connection; nothing was sent and nothing was trusted.`,
    );
    this.nextStep = `Compare with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on the machine's console; if it really has a new key, correct the expected fingerprint (${source}).`;
  }
}

export class HostKeyRevoked extends AppError {
  readonly code = 'HostKeyRevoked';
  readonly nextStep = 'Ask whoever revoked this key why, and give the machine a new host key.';
  constructor(
    readonly host: string,
    readonly fingerprint: string,
  ) {
    super(
      `The ${host} host presented key ${fingerprint}, which known_hosts marks @revoked; the connection was refused.`,
    );
  }
}

export class Unsupported extends AppError {
  readonly code = 'Unsupported';
  constructor(
    message: string,
    readonly nextStep: string,
  ) {
    super(message);
  }
}

export class AuthFailed extends AppError {
  readonly code = 'AuthFailed';
  readonly nextStep: string;
  constructor(
    readonly host: string,
    readonly user: string,
    methods: string,
  ) {
    super(`Logging in to the ${host} host as ${user} failed (${methods}).`);
    this.nextStep =
      'Check the user, the key or password stored in Settings, and that the key is in authorized_keys.';
  }
}

export class ConnectFailed extends AppError {
  readonly code = 'ConnectFailed';
  readonly nextStep: string;
  constructor(
    readonly host: string,
    readonly address: string,
    reason: string,
  ) {
    super(`Could not reach the ${host} host at ${address}: ${reason}.`);
    this.nextStep = 'Check that the machine is up and the address and port in the profile are right.';
  }
}

export class ConnectionLost extends AppError {
  readonly code = 'ConnectionLost';
  readonly nextStep = 'The next attempt reconnects; check the network if it keeps happening.';
  constructor(
    readonly host: string,
    during: string,
  ) {
    super(`The connection to the ${host} host dropped during ${during}.`);
  }
}

export class Timeout extends AppError {
  readonly code = 'Timeout';
  readonly nextStep: string;
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not finish within ${Math.round(ms / 1000)} s and was stopped.`);
    this.nextStep = 'Look at the output and the logs of the host, then try again.';
  }
}

export class Cancelled extends AppError {
  readonly code = 'Cancelled';
  readonly nextStep = 'Nothing more to do; start it again when you want.';
  constructor(readonly what: string) {
    super(`${what} was cancelled.`);
  }
}

export class RemoteFailed extends AppError {
  readonly code = 'RemoteFailed';
  readonly nextStep: string;
  constructor(
    readonly what: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(
      `${what} failed${exitCode === null ? '' : ` with exit code ${exitCode}`}${stderrTail ? `: ${stderrTail.trim().split('\n').slice(-3).join(' / ')}` : ''}.`,
    );
    this.nextStep = 'Read the output above for the cause, fix it, and run it again.';
  }
}

export class SudoFailed extends AppError {
  readonly code = 'SudoFailed';
  readonly nextStep: string;
  constructor(
    readonly host: string,
    reason: string,
  ) {
    super(`sudo on the ${host} host refused: ${reason}.`);
    this.nextStep =
      'Store the right sudo password in Settings → Secrets, or allow the user passwordless sudo.';
  }
}

export class HostBusy extends AppError {
  readonly code = 'HostBusy';
  readonly nextStep = 'Wait for it to finish (or cancel it), then try again.';
  constructor(
    readonly host: string,
    readonly running: string,
  ) {
    super(`The ${host} host is busy with "${running}".`);
  }
}

export class SecretStoreUnavailable extends AppError {
  readonly code = 'SecretStoreUnavailable';
  readonly nextStep =
    'Install and start a Secret Service (gnome-keyring on GNOME, KWallet on KDE), or use the macOS/Windows keychain; the app never stores secrets in plain files.';
  constructor(reason: string) {
    super(`No keychain answers: ${reason}.`);
  }
}

/** The secret kinds (vocab.ts) as the window's Settings → Secrets names them. */
const SECRET_NAMES: Record<string, string> = {
  'ssh-password': 'SSH password',
  'ssh-key-passphrase': 'SSH key passphrase',
  'sudo-password': 'sudo password',
  'vault-password': 'Ansible Vault password',
  'matrix-admin-token': 'Matrix admin access token',
} satisfies Record<SecretKind, string>;

export class SecretMissing extends AppError {
  readonly code = 'SecretMissing';
  readonly nextStep: string;
  constructor(readonly kind: string) {
    super(`The ${SECRET_NAMES[kind] ?? kind} is not stored in the keychain.`);
    const cli = `\`homeserver-tray secret set ${kind}\``;
    // The admin token is not typed in: it comes from signing in once with the admin's password.
    this.nextStep =
      kind === 'matrix-admin-token'
        ? `Sign in as the Matrix admin under Settings → Secrets (only the access token is kept), or store a token with ${cli}.`
        : `Set it in Settings → Secrets, or with ${cli}.`;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** The one way any error becomes user-facing text: typed errors keep their sentence, others get a generic one. */
export function describeError(e: unknown): { code: string; message: string; nextStep: string } {
  if (isAppError(e)) return e.toJSON();
  return {
    code: 'Internal',
    message: `Something unexpected went wrong${e instanceof Error && e.message ? `: ${e.message.split('\n')[0]}` : ''}.`,
    nextStep: 'Try again; if it keeps happening, report it with the audit log.',
  };
}
