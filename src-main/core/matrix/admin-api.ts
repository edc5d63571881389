import { z } from 'zod';
import { MatrixRequestFailed } from './admin-room';
import { type HttpRequest, type HttpResponse, request } from './http';

/**
 * Tuwunel's Synapse-compatible admin API (from 1.8.1, under /_synapse/admin): one authenticated request and
 * its JSON answer. Nothing of it goes to a room, so nothing of it stays in a room's history.
 */

export type AdminApiMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface AdminApiRequest {
  baseUrl: string;
  accessToken: string;
  method: AdminApiMethod;
  /** Below /_synapse/admin, e.g. `/v2/users/%40bob%3Aexample.org`. */
  path: string;
  json?: unknown;
  ca?: Buffer | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** For errors, e.g. "Making @bob:example.org an admin". */
  label: string;
  http?: (req: HttpRequest) => Promise<HttpResponse>;
}

export interface AdminApiAnswer {
  status: number;
  /** The body as JSON; undefined when it is not JSON. */
  json: unknown;
}

export const ADMIN_API_PREFIX = '/_synapse/admin';

const matrixErrorSchema = z.object({
  errcode: z.string().max(200).optional().catch(undefined),
  error: z.string().max(500).optional().catch(undefined),
});

export function matrixError(json: unknown): { errcode: string | null; error: string } {
  const parsed = matrixErrorSchema.safeParse(json);
  return parsed.success
    ? { errcode: parsed.data.errcode ?? null, error: parsed.data.error ?? '' }
    : { errcode: null, error: '' };
}

/** One request to the admin API; any status is an answer (the caller reads it), only no answer throws. */
export async function adminApiRequest(req: AdminApiRequest): Promise<AdminApiAnswer> {
  const res = await (req.http ?? request)({
    method: req.method,
    url: `${req.baseUrl.replace(/\/+$/, '')}${ADMIN_API_PREFIX}${req.path}`,
    headers: { authorization: `Bearer ${req.accessToken}` },
    ...(req.json === undefined ? {} : { json: req.json }),
    ...(req.ca ? { ca: req.ca } : {}),
    timeoutMs: req.timeoutMs,
    ...(req.signal ? { signal: req.signal } : {}),
    label: req.label,
  });
  let json: unknown;
  try {
    json = JSON.parse(res.body) as unknown;
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

/** An answer that is not a success, as the typed error the fronts describe. */
export function adminApiFailure(label: string, answer: AdminApiAnswer): MatrixRequestFailed {
  const { errcode, error } = matrixError(answer.json);
  return new MatrixRequestFailed(label, answer.status, errcode, error);
}

/** `@bob:example.org` as one path segment. */
export function userPath(userId: string): string {
  return encodeURIComponent(userId);
}
