import { isAppError } from '../core/errors';

/**
 * Exit codes of the command line, the same for every command; `--help` lists each one (run-cli.ts HELP,
 * checked by a test). Scripts can tell "the server is unhealthy" (1, 2) from "the key must be looked at" (3),
 * from a typo (64) and from Ctrl-C (130).
 */
export const EXIT = {
  ok: 0,
  /** The action failed or was not confirmed (nothing was done); any other error. `status`: a check warns or is under maintenance. */
  failed: 1,
  /** `status`: a check fails or cannot tell, or status could not look at all. */
  fail: 2,
  /** A host key is not trusted (unknown), changed, revoked or not the expected one: nothing was sent. */
  hostKey: 3,
  /** Wrong command line: unknown command, option or argument, bad parameter. */
  usage: 64,
  /** No keychain or clipboard on this machine. */
  unavailable: 69,
  /** No profile is selected, or the profile file is not valid. */
  config: 78,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM: a running action was cancelled and its finally steps ran. */
  interrupted: 130,
} as const;

const HOST_KEY_CODES = new Set(['HostKeyUnknown', 'HostKeyChanged', 'HostKeyRevoked', 'HostKeyMismatch']);
const USAGE_CODES = new Set(['InvalidInput', 'UsageError', 'UnknownAction']);
const CONFIG_CODES = new Set(['ProfileInvalid', 'NoProfile']);
const UNAVAILABLE_CODES = new Set(['SecretStoreUnavailable', 'NoClipboardTool']);
const INTERRUPTED_CODES = new Set(['Cancelled']);

/** The exit code for an error a command stopped with. */
export function exitCodeForError(error: unknown): number {
  if (!isAppError(error)) return EXIT.failed;
  if (HOST_KEY_CODES.has(error.code)) return EXIT.hostKey;
  if (USAGE_CODES.has(error.code)) return EXIT.usage;
  if (UNAVAILABLE_CODES.has(error.code)) return EXIT.unavailable;
  if (CONFIG_CODES.has(error.code)) return EXIT.config;
  if (INTERRUPTED_CODES.has(error.code)) return EXIT.interrupted;
  return EXIT.failed;
}

export function isHostKeyProblem(code: string): boolean {
  return HOST_KEY_CODES.has(code);
}
