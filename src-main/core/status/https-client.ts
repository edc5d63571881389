import { Agent, request } from 'node:https';
import { createSecureContext, rootCertificates, type TLSSocket } from 'node:tls';
import { clip } from './text';

export interface PeerCertificateInfo {
  subject: string;
  issuer: string;
  /** ISO 8601 end of validity. */
  validTo: string;
}

/** A GET as the checks see it: a response (any status) or a transport failure with Node's error code. */
export type HttpOutcome =
  | {
      ok: true;
      url: string;
      status: number;
      headers: Record<string, string>;
      body: string;
      cert?: PeerCertificateInfo;
      durationMs: number;
    }
  | { ok: false; url: string; code: string; message: string; durationMs: number };

export interface HttpGetter {
  get(url: string, options?: { signal?: AbortSignal }): Promise<HttpOutcome>;
  /** Closes the kept-alive connections. */
  close(): void;
}

export interface HttpsGetterOptions {
  /** Extra trusted CA (PEM), added to Node's roots: a private CA must not make public certificates fail. */
  ca?: string;
  /** Whole request, connect to last body byte. Short: a status poll must not wait on one slow endpoint. */
  timeoutMs?: number;
  maxBodyBytes?: number;
  maxRedirects?: number;
}

/** An absolute https URL, or why not (a sentence part): the getter fetches nothing else. */
function httpsUrl(text: string, base?: URL): URL | string {
  const u = URL.parse(text, base?.href);
  if (!u) return 'not a URL';
  if (u.protocol !== 'https:') return `${u.protocol.replace(/:$/, '')} is not https`;
  return u;
}

/** A kept-alive socket's peer never changes, and reading its certificate builds a large object: once per socket. */
const certBySocket = new WeakMap<TLSSocket, PeerCertificateInfo | undefined>();

function certInfo(socket: TLSSocket | undefined): PeerCertificateInfo | undefined {
  if (!socket) return undefined;
  if (certBySocket.has(socket)) return certBySocket.get(socket);
  const info = readCert(socket);
  certBySocket.set(socket, info);
  return info;
}

function readCert(socket: TLSSocket): PeerCertificateInfo | undefined {
  const cert = socket.getPeerCertificate?.();
  if (!cert?.valid_to) return undefined;
  const validTo = new Date(cert.valid_to);
  if (Number.isNaN(validTo.getTime())) return undefined;
  const cn = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : (v ?? ''));
  return { subject: cn(cert.subject?.CN), issuer: cn(cert.issuer?.CN), validTo: validTo.toISOString() };
}

/**
 * HTTPS GETs over one keep-alive agent, so a warm poll costs no TCP or TLS handshakes. The peer
 * certificate is read from the response's socket, which is the same on reused connections.
 */
export function createHttpsGetter(options: HttpsGetterOptions = {}): HttpGetter {
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBody = options.maxBodyBytes ?? 256 * 1024;
  const maxRedirects = options.maxRedirects ?? 3;
  const agent = new Agent({
    keepAlive: true,
    keepAliveMsecs: 15_000,
    // Idle sockets outlive one poll interval but not many; a renewed certificate shows up soon after.
    timeout: 120_000,
    // A resumed TLS 1.3 session carries no peer certificate, and the certificate check needs it on every
    // new socket: resume nothing (keep-alive still spares the handshake on reused sockets).
    maxCachedSessions: 0,
    // One secure context, built once, instead of a `ca` list: Node keys its agents' socket pools by the
    // request options, `ca` included, so a `ca` of all the system roots is joined into a string of some
    // 200 kB on every request, and parsed again for every new connection.
    ...(options.ca ? { secureContext: createSecureContext({ ca: [...rootCertificates, options.ca] }) } : {}),
  });

  function once(url: URL, signal: AbortSignal | undefined, deadline: number) {
    return new Promise<
      | {
          kind: 'response';
          status: number;
          headers: Record<string, string>;
          body: string;
          cert?: PeerCertificateInfo;
        }
      | { kind: 'error'; code: string; message: string; reused: boolean }
    >((resolve) => {
      let settled = false;
      const finish = (v: Parameters<typeof resolve>[0]) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(v);
      };
      const req = request(url, {
        method: 'GET',
        agent,
        headers: { accept: 'application/json' },
        ...(signal ? { signal } : {}),
      });
      const timer = setTimeout(
        () => {
          const e = Object.assign(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`), {
            code: 'ETIMEDOUT',
          });
          req.destroy(e);
        },
        Math.max(1, deadline - Date.now()),
      );
      req.on('error', (e: NodeJS.ErrnoException) =>
        finish({
          kind: 'error',
          code: signal?.aborted ? 'ABORT_ERR' : (e.code ?? 'EUNKNOWN'),
          message: e.message,
          reused: req.reusedSocket,
        }),
      );
      req.on('response', (res) => {
        const cert = certInfo(res.socket as TLSSocket);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBody) {
            finish({
              kind: 'error',
              code: 'EBODYTOOLARGE',
              message: `answer larger than ${maxBody} bytes`,
              reused: false,
            });
            res.destroy();
            return;
          }
          chunks.push(c);
        });
        res.on('error', (e: NodeJS.ErrnoException) =>
          finish({ kind: 'error', code: e.code ?? 'EUNKNOWN', message: e.message, reused: false }),
        );
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = String(v);
          finish({
            kind: 'response',
            status: res.statusCode ?? 0,
            headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(cert ? { cert } : {}),
          });
        });
      });
      req.end();
    });
  }

  async function get(url: string, signal: AbortSignal | undefined): Promise<HttpOutcome> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    const failed = (at: string, code: string, message: string): HttpOutcome => ({
      ok: false,
      url: at,
      code,
      message,
      durationMs: Date.now() - started,
    });
    let current = httpsUrl(url);
    if (typeof current === 'string') return failed(url, 'EBADURL', current);
    for (let hop = 0; ; hop++) {
      let r = await once(current, signal, deadline);
      // A kept-alive socket the server closed between polls fails once with a reset; that is not an outage.
      if (r.kind === 'error' && r.reused && (r.code === 'ECONNRESET' || r.code === 'EPIPE')) {
        r = await once(current, signal, deadline);
      }
      if (r.kind === 'error') return failed(current.href, r.code, r.message);
      const location = r.headers.location;
      if (r.status >= 300 && r.status < 400 && location && hop < maxRedirects) {
        const next = httpsUrl(location, current);
        if (typeof next === 'string') {
          const code = URL.canParse(location, current.href) ? 'EINSECUREREDIRECT' : 'EBADREDIRECT';
          return failed(current.href, code, `redirected to ${clip(location)}: ${next}`);
        }
        current = next;
        continue;
      }
      return {
        ok: true,
        url: current.href,
        status: r.status,
        headers: r.headers,
        body: r.body,
        ...(r.cert ? { cert: r.cert } : {}),
        durationMs: Date.now() - started,
      };
    }
  }

  return {
    // Never rejects: whatever a server hands back (a focus URL that is no URL, a Location header to
    // nowhere) or whatever Node throws becomes a failed outcome, which fails that one check.
    async get(url, opts = {}) {
      try {
        return await get(url, opts.signal);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        return {
          ok: false,
          url,
          code: opts.signal?.aborted ? 'ABORT_ERR' : (err?.code ?? 'EUNKNOWN'),
          message: clip(err instanceof Error ? err.message : String(e)),
          durationMs: 0,
        };
      }
    },
    close() {
      agent.destroy();
    },
  };
}
