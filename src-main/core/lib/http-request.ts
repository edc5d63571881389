import { request as httpRequestRaw } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';

/** One HTTP exchange as the alert channels and the RDAP lookups make them. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Whole exchange, connect to last body byte. */
  timeoutMs: number;
  /** The reply body is cut here (what is read is only ever a short answer). */
  maxBodyBytes?: number;
  signal?: AbortSignal;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What the transport failed with: Node's error code (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED…) or ETIMEDOUT. */
export class RequestFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type HttpRequester = (req: HttpRequest) => Promise<HttpReply>;

/**
 * An HTTP(S) request with a hard timeout and a bounded reply. Redirects are not followed: a channel's secret
 * header must reach the host it was configured for and no other, so a 3xx comes back as the answer it is.
 */
export const httpRequest: HttpRequester = (req) =>
  new Promise<HttpReply>((resolve, reject) => {
    const url = URL.parse(req.url);
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      reject(new RequestFailed('EINVALIDURL', `${req.url} is not an http(s) URL`));
      return;
    }
    const max = req.maxBodyBytes ?? 64 * 1024;
    const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
    const headers = { ...req.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) };
    const send = url.protocol === 'https:' ? httpsRequestRaw : httpRequestRaw;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const r = send(url, { method: req.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= max) return;
        chunks.push(chunk.subarray(0, max - size));
        size += chunk.length;
      });
      res.on('end', () =>
        finish(() =>
          resolve({
            status: res.statusCode ?? 0,
            headers: Object.fromEntries(
              Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
            ),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        ),
      );
      res.on('error', (e) => finish(() => reject(new RequestFailed(codeOf(e), e.message))));
    });
    const timer = setTimeout(() => {
      finish(() => reject(new RequestFailed('ETIMEDOUT', `no answer within ${req.timeoutMs} ms`)));
      r.destroy();
    }, req.timeoutMs);
    const onAbort = () => {
      finish(() => reject(new RequestFailed('ABORT_ERR', 'the request was cancelled')));
      r.destroy();
    };
    if (req.signal?.aborted) onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    r.on('error', (e) => finish(() => reject(new RequestFailed(codeOf(e), e.message))));
    r.end(body);
  });

function codeOf(e: unknown): string {
  return (e as NodeJS.ErrnoException | null)?.code ?? 'EUNKNOWN';
}
