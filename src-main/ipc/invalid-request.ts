import type { z } from 'zod';
import { InvalidInput } from '../core/errors';

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
