import { isAppError } from '../core/errors';

/**
 * Exit codes of the command line, the same for every command (`status` adds its levels). Scripts can
 * tell "the server is unhealthy" (1, 2) from "the key must be looked at" (3) and from a typo (64).
 */
export const EXIT = {
  ok: 0,
  /** The action failed or was refused; any other error. `status`: a check warns. */
  failed: 1,
  /** `status`: a check fails or cannot tell. */
  fail: 2,
  /** `token rotate` was not confirmed (no --yes, no terminal to ask): nothing was changed. */
  notConfirmed: 2,
  /** A host key is not trusted (unknown), changed, revoked or not the expected one: nothing was sent. */
  hostKey: 3,
  /** Wrong command line: unknown command or option, bad parameter. */
  usage: 64,
  /** No keychain or clipboard on this machine. */
  unavailable: 69,
  /** No profile is selected, or the profile file is not valid. */
  config: 78,
} as const;

const HOST_KEY_CODES = new Set(['HostKeyUnknown', 'HostKeyChanged', 'HostKeyRevoked', 'HostKeyMismatch']);
const USAGE_CODES = new Set(['InvalidInput', 'UnknownAction']);
const CONFIG_CODES = new Set(['ProfileInvalid', 'NoProfile']);
const UNAVAILABLE_CODES = new Set(['SecretStoreUnavailable', 'NoClipboardTool']);

/** The exit code for an error a command stopped with. */
export function exitCodeForError(error: unknown): number {
  if (!isAppError(error)) return EXIT.failed;
  if (HOST_KEY_CODES.has(error.code)) return EXIT.hostKey;
  if (USAGE_CODES.has(error.code)) return EXIT.usage;
  if (UNAVAILABLE_CODES.has(error.code)) return EXIT.unavailable;
  if (CONFIG_CODES.has(error.code)) return EXIT.config;
  return EXIT.failed;
}

export function isHostKeyProblem(code: string): boolean {
  return HOST_KEY_CODES.has(code);
}
