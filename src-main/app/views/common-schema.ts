import { z } from 'zod';
import { CHECK_HOSTS, HOST_ROLES, LEVELS } from '../../core/vocab';

/**
 * The building blocks of every view the fronts get from the app (and the window over IPC): JSON-safe
 * (times as ISO 8601 strings, no Date, no Map), so the same values cross Electron's structured clone and
 * Playwright's exposeBinding. These files import only zod and the vocabulary: the renderer typechecks them.
 */

/** ISO 8601, as the core writes times (`new Date().toISOString()`). */
export const time = z.iso.datetime({ offset: true });
export const id = z.string().min(1).max(200);

export const hostRole = z.enum(HOST_ROLES);
export type HostRole = z.infer<typeof hostRole>;

/** Where a check looks: one of the SSH hosts, or the public side reached over HTTPS from this workstation. */
export const checkHost = z.enum(CHECK_HOSTS);
export type CheckHost = z.infer<typeof checkHost>;

export const level = z.enum(LEVELS);
export type Level = z.infer<typeof level>;

/** The key a host presented, as the trust dialog shows it. */
export const hostKeyInfo = z.object({
  host: hostRole,
  address: z.string(),
  port: z.number().int().min(1).max(65535).optional(),
  keyType: z.string(),
  /** `SHA256:…` as `ssh-keygen -lf` prints it: the key presented now. */
  fingerprint: z.string(),
  /** HostKeyChanged only: the pins it contradicts, e.g. `ssh-ed25519 SHA256:… (~/.ssh/known_hosts:12)`. */
  expected: z.array(z.string()).optional(),
});
export type HostKeyInfo = z.infer<typeof hostKeyInfo>;

export const fieldIssue = z.object({
  /** Dotted path, e.g. `hosts.homeserver.address`, or a parameter name. */
  field: z.string(),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof fieldIssue>;

/** Error as the user sees it: a sentence and the next step, plus structured detail where the UI acts on it. */
export const errorInfo = z.object({
  code: z.string(),
  message: z.string(),
  nextStep: z.string(),
  /** InvalidInput: which parameter or field. */
  field: z.string().optional(),
  /** ProfileInvalid: every field that is wrong. */
  issues: z.array(fieldIssue).optional(),
  /** HostKeyUnknown (and HostKeyChanged, with the received key): what to show in the trust dialog. */
  hostKey: hostKeyInfo.optional(),
});
export type ErrorInfo = z.infer<typeof errorInfo>;
