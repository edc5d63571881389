/**
 * Errors a user can meet. Each carries a sentence that says what happened and what to do next;
 * the UI and the CLI show `message` as is, never a stack trace.
 */
import { HOST_ROLES, type HostRole, type SecretKind } from './vocab';

/**
 * A next step that happens in a place of the front: storing a secret, signing in, trusting a key. `nextStep`
 * names the window's place (Settings → Secrets); each other front phrases the code in its own places (the
 * command line: the command that does it, cli/next-step.ts). It travels with the error through run records
 * and status snapshots, so a step that failed on a host is phrased as well as an error thrown at once.
 */
export type NextStepCode =
  /** Store (or correct) a secret; the Matrix admin token is not typed in but comes from `admin-login`. */
  | { do: 'store-secret'; kind: SecretKind; host?: HostRole }
  /** Sign in once as the Matrix admin (only the access token is kept). */
  | { do: 'admin-login' }
  /** The SSH login was refused: the user, the key, the stored password or key passphrase of this host. */
  | { do: 'check-ssh-login'; host: HostRole }
  /** Compare the fingerprint on the machine's console, then trust the key. */
  | { do: 'trust-host-key'; host: string }
  /** Verify the new key on the console, forget the old one, then trust the new one. */
  | { do: 'replace-host-key'; host: string }
  /** Correct the named fields of the profile. */
  | { do: 'fix-profile' }
  /** There is no profile yet: create or add one. */
  | { do: 'add-profile' }
  /** Look at the server's status (is matrix-tuwunel running?), then try again. */
  | { do: 'check-status' }
  /** List the actions and use one of their ids. */
  | { do: 'list-actions' }
  /** Do it again: it reconnects. */
  | { do: 'retry' };

/** What every front gets of an error: the sentence, the next step in the window's words, and its code. */
export interface ErrorInfo {
  code: string;
  message: string;
  nextStep: string;
  fix?: NextStepCode;
}

export abstract class AppError extends Error {
  abstract readonly code: string;
  /** What the user can do about it, one sentence (in the window's places). */
  abstract readonly nextStep: string;
  /** The same next step as a code, when it happens in a place of the front (see NextStepCode). */
  readonly fix?: NextStepCode;

  toJSON(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      nextStep: this.nextStep,
      ...(this.fix ? { fix: this.fix } : {}),
    };
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
  override readonly fix = { do: 'fix-profile' } as const;
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
  override readonly fix: NextStepCode;
  constructor(
    readonly host: string,
    readonly address: string,
    readonly keyType: string,
    readonly fingerprint: string,
  ) {
    super(`The ${host} host (${address}) presented ${keyType} key ${fingerprint}, which is not trusted yet.`);
    this.nextStep = `Compare the fingerprint with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on that machine, then trust it.`;
    this.fix = { do: 'trust-host-key', host };
  }
}

export class HostKeyChanged extends AppError {
  readonly code = 'HostKeyChanged';
  readonly nextStep: string;
  override readonly fix: NextStepCode;
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
    this.fix = { do: 'replace-host-key', host };
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
  override readonly fix: NextStepCode | undefined;
  constructor(
    readonly host: string,
    readonly user: string,
    methods: string,
  ) {
    super(`Logging in to the ${host} host as ${user} failed (${methods}).`);
    this.nextStep =
      'Check the user, the key or password stored in Settings, and that the key is in authorized_keys.';
    this.fix = isHostRole(host) ? { do: 'check-ssh-login', host } : undefined;
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
  override readonly fix: NextStepCode | undefined;
  constructor(
    readonly host: string,
    reason: string,
  ) {
    super(`sudo on the ${host} host refused: ${reason}.`);
    this.nextStep =
      'Store the right sudo password in Settings → Secrets, or allow the user passwordless sudo.';
    this.fix = isHostRole(host) ? { do: 'store-secret', kind: 'sudo-password', host } : undefined;
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
export const SECRET_NAMES: Record<SecretKind, string> = {
  'ssh-password': 'SSH password',
  'ssh-key-passphrase': 'SSH key passphrase',
  'sudo-password': 'sudo password',
  'vault-password': 'Ansible Vault password',
  'matrix-admin-token': 'Matrix admin access token',
};

export class SecretMissing extends AppError {
  readonly code = 'SecretMissing';
  readonly nextStep: string;
  override readonly fix: NextStepCode;
  constructor(
    readonly kind: SecretKind,
    readonly host?: HostRole,
  ) {
    super(`The ${SECRET_NAMES[kind]}${host ? ` for the ${host} host` : ''} is not stored in the keychain.`);
    // The admin token is not typed in: it comes from signing in once with the admin's password.
    this.nextStep =
      kind === 'matrix-admin-token'
        ? 'Sign in as the Matrix admin under Settings → Secrets (only the access token is kept).'
        : 'Set it in Settings → Secrets.';
    this.fix =
      kind === 'matrix-admin-token'
        ? { do: 'admin-login' }
        : { do: 'store-secret', kind, ...(host ? { host } : {}) };
  }
}

function isHostRole(host: string): host is HostRole {
  return (HOST_ROLES as readonly string[]).includes(host);
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** The one way any error becomes user-facing text: typed errors keep their sentence, others get a generic one. */
export function describeError(e: unknown): ErrorInfo {
  if (isAppError(e)) return e.toJSON();
  return {
    code: 'Internal',
    message: `Something unexpected went wrong${e instanceof Error && e.message ? `: ${e.message.split('\n')[0]}` : ''}.`,
    nextStep: 'Try again; if it keeps happening, report it with the audit log.',
  };
}
