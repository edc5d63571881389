import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AppError, Cancelled, Timeout } from '../errors';

/** The request never got an HTTP answer (refused, reset, TLS failure, name not found). */
export class HttpUnreachable extends AppError {
  readonly code = 'HttpUnreachable';
  readonly nextStep = 'Check that the homeserver is up and the URL (and CA file) in the profile are right.';
  constructor(
    readonly what: string,
    reason: string,
  ) {
    super(`${what} failed: ${reason}.`);
  }
}

export interface HttpRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Serialised as JSON. */
  json?: unknown;
  /** Extra CA certificate(s), PEM: the profile's caFile for a private CA. */
  ca?: string | Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Label for errors, e.g. "Resolving #admins:example.org". */
  label: string;
}

export interface HttpResponse {
  status: number;
  body: string;
}

/** Bodies larger than this are a misbehaving server, not an answer. */
const MAX_BODY = 8 * 1024 * 1024;

/** One HTTP(S) request with a hard timeout and cancellation; redirects are not followed. */
export function request(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) {
      reject(new Cancelled(req.label));
      return;
    }
    const url = new URL(req.url);
    const body = req.json === undefined ? undefined : Buffer.from(JSON.stringify(req.json));
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const r = send(url, { method: req.method, headers, ...(req.ca ? { ca: req.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          r.destroy();
          finish(() =>
            reject(new HttpUnreachable(req.label, `the response is larger than ${MAX_BODY} bytes`)),
          );
          return;
        }
        chunks.push(c);
      });
      res.on('end', () =>
        finish(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })),
      );
      res.on('error', (e) => finish(() => reject(new HttpUnreachable(req.label, e.message))));
    });
    const timer = setTimeout(() => {
      r.destroy();
      finish(() => reject(new Timeout(req.label, req.timeoutMs)));
    }, req.timeoutMs);
    const onAbort = () => {
      r.destroy();
      finish(() => reject(new Cancelled(req.label)));
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    r.on('error', (e) => finish(() => reject(new HttpUnreachable(req.label, e.message))));
    r.end(body);
  });
}
