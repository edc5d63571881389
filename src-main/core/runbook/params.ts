import { z } from 'zod';
import { InvalidInput } from '../errors';
import { parseLocalUserId, serverNameProblem, userInputProblem } from '../lib/grammar';
import { checkAdminCommand } from '../matrix/admin-grammar';
import type { Profile } from '../profile/schema';
import { ActionRefused } from './errors';

/**
 * Parameter schemas of the catalog. Syntax is checked here, by the Matrix spec's grammar; what needs
 * the profile (the own server, the profile's units) is checked by the bind functions below. A value
 * that passes both is one plain word or a Matrix ID — nothing a shell or Tuwunel's parser could
 * read as more than one argument.
 */

export const userParam = z
  .string()
  .max(300)
  .superRefine((s, ctx) => {
    const problem = userInputProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('e.g. @alice:example.org, or just alice');

/**
 * Accepts true/false and the strings the command line passes ("true", "false", "yes", "no"). The
 * default sits before the transform so the JSON Schema the CLI and forms read still shows it.
 */
export function flagParam(defaultValue: boolean) {
  return z
    .union([z.boolean(), z.enum(['true', 'false', 'yes', 'no'])])
    .default(defaultValue)
    .transform((v) => v === true || v === 'true' || v === 'yes');
}

export const serverNameParam = z
  .string()
  .max(255)
  .superRefine((s, ctx) => {
    const problem = serverNameProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: `server name ${problem}` });
  })
  .describe('e.g. chat.example.org');

export const unitParam = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9@_.:-]{0,250}$/, 'is not a systemd unit name')
  .describe('One of the profile’s units, e.g. matrix-tuwunel');

/** Control characters would let a "single" command smuggle a second line to the bot. */
export const adminCommandParam = z
  .string()
  .min(1)
  .max(2000)
  .regex(/^[^\p{Cc}]+$/u, 'must be one line without control characters')
  .describe('An admin command, e.g. "!admin server uptime" (the !admin prefix is optional)');

export function bindLocalUser(field: string, input: string, profile: Profile): string {
  const parsed = parseLocalUserId(input, profile.serverName);
  if ('problem' in parsed) throw new InvalidInput(field, parsed.problem);
  return parsed.userId;
}

export function bindProfileUnit(field: string, unit: string, profile: Profile): string {
  if (!profile.units.includes(unit)) {
    throw new InvalidInput(
      field,
      `"${unit}" is not one of the profile's units (${profile.units.join(', ')})`,
    );
  }
  return unit;
}

/**
 * Normalises to the command without `!admin`, as the server at `release` reads it, or refuses it: every
 * spelling of listing all rooms, and the commands whose text or reply carries a registration token.
 */
export function bindAdminCommand(input: string, release: string): { command: string; outage: string | null } {
  const check = checkAdminCommand(input, release);
  if (check.refused) throw new ActionRefused(check.refused.reason, check.refused.nextStep);
  if (check.carriesToken) throw new ActionRefused(check.carriesToken.reason, check.carriesToken.nextStep);
  if (check.text === '') throw new InvalidInput('command', 'is empty after the !admin prefix');
  return { command: check.text, outage: check.outage ?? null };
}

/** Turns a zod failure into the app's InvalidInput, naming the first bad field. */
export function parseParams<P>(schema: z.ZodType<P>, raw: unknown): P {
  const result = schema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || 'parameters';
  const message =
    issue?.code === 'unrecognized_keys'
      ? `unknown parameter(s): ${issue.keys.join(', ')}`
      : issue?.code === 'invalid_type' && issue.input === undefined
        ? 'is required'
        : (issue?.message ?? 'is invalid');
  throw new InvalidInput(field, message);
}
