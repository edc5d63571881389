import {
  describeError,
  HostKeyChanged,
  HostKeyUnknown,
  InvalidInput,
  ProfileInvalid,
} from '../../core/errors';
import { type ErrorInfo, type HostKeyInfo, hostRole } from './common-schema';

/** `HostKeyUnknown.address` is `addr port N` for a non-default port, else the bare address (displayTarget). */
function splitAddress(address: string): { address: string; port?: number } {
  const m = /^(.+) port (\d+)$/.exec(address);
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
 * The one way an error reaches a front (over IPC, or in a tray notification): describeError's sentence and next step, plus what a form or a dialog
 * acts on (the field, every profile issue, the host key). Never a stack, never more than the first line
 * of an untyped error's message.
 */
export function errorInfo(e: unknown): ErrorInfo {
  // The window names its own places in nextStep; the next-step code is for the other fronts.
  const { code, message, nextStep } = describeError(e);
  const info: ErrorInfo = { code, message, nextStep };
  if (e instanceof InvalidInput) info.field = e.field;
  if (e instanceof ProfileInvalid)
    info.issues = e.issues.map((i) => ({ field: i.field, message: i.message }));
  const hostKey = hostKeyOf(e);
  if (hostKey) info.hostKey = hostKey;
  return info;
}
