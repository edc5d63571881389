import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The lab's off-host endpoints, on one loopback HTTP server, recording every request it gets:
 * - `/ntfy`: an ntfy server's JSON publishing (POST to the root, server/server.go): the topic grammar, access
 *   tokens (401/403 with ntfy's error JSON from server/errors.go), the message JSON it answers;
 * - `/hook/<any>`: a generic webhook receiver, optionally insisting on a header secret;
 * - `/matrix`: the client-server endpoint a Matrix room channel uses (PUT …/rooms/{roomId}/send/m.room.message/
 *   {txnId}) with the spec's errors (M_UNKNOWN_TOKEN, M_FORBIDDEN) and txnId idempotency;
 * - `/rdap`: an RDAP registry (`GET /rdap/domain/<name>`, RFC 9083 objects and errors) and `/rdap/dns.json`, a
 *   bootstrap file naming it.
 * Faults: a status to answer (once or always), or a delay, per endpoint.
 */

export type Endpoint = 'ntfy' | 'hook' | 'matrix' | 'rdap';

export interface Recorded {
  endpoint: Endpoint;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  json: unknown;
}

export interface Fault {
  /** Answer this status (with the endpoint's error shape) instead of handling the request. */
  status?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** How many requests it applies to; undefined: until cleared. */
  times?: number;
}

export interface ReceiverOptions {
  /** ntfy: topics that need `Authorization: Bearer <token>` and the token; others are open. */
  ntfyTokens?: Record<string, string>;
  /** webhook: header name → the secret it must carry; none: anything goes. */
  hookSecret?: { header: string; value: string };
  /** Matrix: the access token the alert account has, and the rooms it has joined. */
  matrix?: { token: string; joinedRooms: string[]; userId: string };
  /** RDAP: domain name → its expiration date (ISO); others 404. */
  rdapDomains?: Record<string, string>;
  /** The publication date the bootstrap file at /rdap/dns.json carries. */
  rdapPublication?: string;
}

export interface Receiver {
  /** http://127.0.0.1:<port> */
  url: string;
  requests(endpoint?: Endpoint): Recorded[];
  setFault(endpoint: Endpoint, fault: Fault | null): void;
  close(): Promise<void>;
}

const NTFY_TOPIC = /^[-_A-Za-z0-9]{1,64}$/;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

const NTFY_ERRORS: Record<number, { code: number; error: string }> = {
  400: { code: 40017, error: 'invalid request: request body must be message JSON' },
  401: { code: 40101, error: 'unauthorized' },
  403: { code: 40301, error: 'forbidden' },
  429: { code: 42901, error: 'limit reached: too many requests, please be nice' },
  500: { code: 50001, error: 'internal server error' },
};

function ntfyError(res: ServerResponse, status: number): void {
  const e = NTFY_ERRORS[status] ?? { code: status * 100 + 1, error: 'error' };
  send(res, status, {
    code: e.code,
    http: status,
    error: e.error,
    ...(status === 401 || status === 403 ? { link: 'https://ntfy.sh/docs/publish/#authentication' } : {}),
  });
}

function matrixError(res: ServerResponse, status: number, errcode: string, error: string): void {
  send(res, status, { errcode, error, ...(errcode === 'M_UNKNOWN_TOKEN' ? { soft_logout: false } : {}) });
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const recorded: Recorded[] = [];
  const faults = new Map<Endpoint, Fault>();
  const txns = new Map<string, string>();

  function takeFault(endpoint: Endpoint): Fault | undefined {
    const f = faults.get(endpoint);
    if (!f) return undefined;
    if (f.times !== undefined) {
      if (f.times <= 1) faults.delete(endpoint);
      else faults.set(endpoint, { ...f, times: f.times - 1 });
    }
    return f;
  }

  function ntfy(req: IncomingMessage, res: ServerResponse, json: unknown) {
    if (req.method !== 'POST' && req.method !== 'PUT') return ntfyError(res, 400);
    const msg = json as {
      topic?: unknown;
      message?: unknown;
      title?: unknown;
      priority?: unknown;
      tags?: unknown;
    };
    if (!msg || typeof msg !== 'object' || typeof msg.topic !== 'string') return ntfyError(res, 400);
    if (!NTFY_TOPIC.test(msg.topic))
      return send(res, 400, { code: 40009, http: 400, error: 'invalid request: topic invalid' });
    const needed = options.ntfyTokens?.[msg.topic];
    if (needed) {
      const auth = req.headers.authorization;
      if (!auth) return ntfyError(res, 401);
      if (auth !== `Bearer ${needed}`) return ntfyError(res, 403);
    }
    send(res, 200, {
      id: randomBytes(6).toString('base64url'),
      time: Math.floor(Date.now() / 1000),
      expires: Math.floor(Date.now() / 1000) + 43_200,
      event: 'message',
      topic: msg.topic,
      ...(typeof msg.title === 'string' ? { title: msg.title } : {}),
      message: typeof msg.message === 'string' && msg.message !== '' ? msg.message : 'triggered',
      ...(typeof msg.priority === 'number' ? { priority: msg.priority } : {}),
      ...(Array.isArray(msg.tags) ? { tags: msg.tags } : {}),
    });
  }

  function hook(req: IncomingMessage, res: ServerResponse): void {
    const secret = options.hookSecret;
    if (secret && req.headers[secret.header.toLowerCase()] !== secret.value) {
      res.writeHead(401, { 'Content-Type': 'text/plain' });
      res.end('bad secret');
      return;
    }
    res.writeHead(204);
    res.end();
  }

  function matrix(req: IncomingMessage, res: ServerResponse, path: string, json: unknown) {
    const m = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/send\/m\.room\.message\/([^/]+)$/.exec(path);
    if (!m || req.method !== 'PUT') return matrixError(res, 404, 'M_UNRECOGNIZED', 'Unrecognized request');
    const cfg = options.matrix;
    const auth = req.headers.authorization;
    if (!auth) return matrixError(res, 401, 'M_MISSING_TOKEN', 'Missing access token.');
    if (!cfg || auth !== `Bearer ${cfg.token}`)
      return matrixError(res, 401, 'M_UNKNOWN_TOKEN', 'Unknown access token.');
    const roomId = decodeURIComponent(m[1] ?? '');
    if (!cfg.joinedRooms.includes(roomId))
      return matrixError(res, 403, 'M_FORBIDDEN', `User ${cfg.userId} not in room ${roomId}`);
    const content = json as { msgtype?: unknown; body?: unknown };
    if (!content || typeof content.body !== 'string' || typeof content.msgtype !== 'string')
      return matrixError(res, 400, 'M_BAD_JSON', 'Content must have msgtype and body');
    const key = `${roomId}\n${decodeURIComponent(m[2] ?? '')}`;
    let eventId = txns.get(key);
    if (!eventId) {
      eventId = `$${randomBytes(16).toString('base64url')}`;
      txns.set(key, eventId);
    }
    send(res, 200, { event_id: eventId });
  }

  function rdap(req: IncomingMessage, res: ServerResponse, path: string, base: string) {
    if (path === '/dns.json') {
      return send(res, 200, {
        description: 'RDAP bootstrap file for Domain Name System registrations',
        publication: options.rdapPublication ?? '2026-11-30T18:00:01Z',
        services: [
          [Object.keys(options.rdapDomains ?? {}).map((d) => d.split('.').pop()), [`${base}/rdap/`]],
        ],
        version: '1.0',
      });
    }
    const m = /^\/domain\/([^/]+)$/.exec(path);
    const name = m ? decodeURIComponent(m[1] ?? '').toLowerCase() : '';
    const expires = options.rdapDomains?.[name];
    if (req.method !== 'GET' || !expires) {
      res.writeHead(404, { 'Content-Type': 'application/rdap+json' });
      res.end(
        JSON.stringify({
          errorCode: 404,
          title: 'Not Found',
          description: [`${name} is not registered here`],
        }),
      );
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/rdap+json' });
    res.end(
      JSON.stringify({
        objectClassName: 'domain',
        ldhName: name.toUpperCase(),
        rdapConformance: ['rdap_level_0'],
        status: ['client transfer prohibited'],
        events: [
          { eventAction: 'registration', eventDate: '2019-03-02T10:00:00Z' },
          { eventAction: 'expiration', eventDate: expires },
          { eventAction: 'last update of RDAP database', eventDate: new Date().toISOString() },
        ],
      }),
    );
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const full = new URL(req.url ?? '/', 'http://receiver').pathname;
      const endpoint = (['ntfy', 'hook', 'matrix', 'rdap'] as const).find(
        (e) => full === `/${e}` || full.startsWith(`/${e}/`),
      );
      if (!endpoint) {
        res.writeHead(404);
        res.end();
        return;
      }
      const path = full.slice(endpoint.length + 1) || '/';
      const json = parse(body);
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      );
      recorded.push({ endpoint, method: req.method ?? '', path, headers, body, json });
      const fault = takeFault(endpoint);
      const answer = () => {
        if (fault?.status) {
          if (endpoint === 'ntfy') return ntfyError(res, fault.status);
          if (endpoint === 'matrix')
            return matrixError(res, fault.status, 'M_UNKNOWN', 'Internal server error');
          res.writeHead(fault.status, { 'Content-Type': 'text/plain' });
          res.end(`fault ${fault.status}`);
          return;
        }
        if (endpoint === 'ntfy') return ntfy(req, res, json);
        if (endpoint === 'hook') return hook(req, res);
        if (endpoint === 'matrix') return matrix(req, res, path, json);
        return rdap(req, res, path, url);
      };
      if (fault?.delayMs) setTimeout(answer, fault.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests: (endpoint) => recorded.filter((r) => !endpoint || r.endpoint === endpoint),
    setFault: (endpoint, fault) => {
      if (fault) faults.set(endpoint, fault);
      else faults.delete(endpoint);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
