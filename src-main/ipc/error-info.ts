import type { z } from 'zod';
import {
  AppError,
  describeError,
  HostKeyChanged,
  HostKeyUnknown,
  InvalidInput,
  ProfileInvalid,
} from '../core/errors';
import { type ErrorInfo, type HostKeyInfo, hostRole } from './contract';

/** The clipboard is not wired in (a front end without one): the token cannot be copied. */
export class ClipboardUnavailable extends AppError {
  readonly code = 'ClipboardUnavailable';
  readonly nextStep = 'Use the command line (`homeserver-tray token copy`) on this machine.';
  constructor() {
    super('This window has no clipboard to put the token on.');
  }
}

/** `HostKeyUnknown.address` is `[addr]:port` for a non-default port, else the bare address. */
function splitAddress(address: string): { address: string; port?: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(address);
  return m ? { address: m[1] as string, port: Number(m[2]) } : { address };
}

function hostKeyOf(e: unknown): HostKeyInfo | undefined {
  if (!(e instanceof HostKeyUnknown) && !(e instanceof HostKeyChanged)) return undefined;
  const host = hostRole.safeParse(e.host);
  if (!host.success) return undefined;
  const where = splitAddress(e.address);
  if (e instanceof HostKeyUnknown)
    return { host: host.data, ...where, keyType: e.keyType, fingerprint: e.fingerprint };
  return { host: host.data, ...where, keyType: e.keyType, fingerprint: e.received, expected: e.expected };
}

/**
 * The one way an error crosses IPC: describeError's sentence and next step, plus what a form or a dialog
 * acts on (the field, every profile issue, the host key). Never a stack, never more than the first line
 * of an untyped error's message.
 */
export function errorInfo(e: unknown): ErrorInfo {
  const info: ErrorInfo = describeError(e);
  if (e instanceof InvalidInput) info.field = e.field;
  if (e instanceof ProfileInvalid)
    info.issues = e.issues.map((i) => ({ field: i.field, message: i.message }));
  const hostKey = hostKeyOf(e);
  if (hostKey) info.hostKey = hostKey;
  return info;
}

/** A request that failed its channel's schema, as the InvalidInput the form shows at that field. */
export function invalidRequest(error: z.ZodError, fallbackField: string): InvalidInput {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : fallbackField;
  const message =
    issue?.code === 'unrecognized_keys'
      ? `has unknown field(s): ${issue.keys.join(', ')}`
      : issue?.code === 'invalid_type' && issue.input === undefined
        ? 'is required'
        : (issue?.message ?? 'is invalid');
  return new InvalidInput(field, message);
}
