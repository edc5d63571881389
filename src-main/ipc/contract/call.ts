import { z } from 'zod';
import { type ErrorInfo, errorInfo } from '../../app/views/common-schema';

/** Every answer: the value, or the error as a sentence and a next step (never a thrown exception). */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export function resultSchema<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: errorInfo }),
  ]);
}

/** An invoke channel: what the router accepts, and what it answers. */
export function call<Req extends z.ZodType, Res extends z.ZodType>(request: Req, result: Res) {
  return { request, result };
}

/** The request of a channel that takes nothing. */
export const empty = z.object({}).strict();
