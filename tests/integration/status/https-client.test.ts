import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpsGetter, type HttpGetter } from '../../../src-main/core/status/https-client';
import { makeLabTls } from '../../lab/tls';

/** The status HTTPS getter against a real Node HTTPS server with a certificate from the lab CA. */

let server: Server;
let base: string;
let ca: string;
let scratch: string;
let connections = 0;
const requestsOnSocket = new WeakMap<Socket, number>();
const getters: HttpGetter[] = [];

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'https-client-'));
  const tls = await makeLabTls({
    dir: scratch,
    cacheDir: join(process.cwd(), 'node_modules/.cache/homeserver-tray-lab'),
    address: '127.0.0.1',
    serverName: 'lab.test',
  });
  ca = readFileSync(tls.caCertPath, 'utf8');
  server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const n = (requestsOnSocket.get(req.socket) ?? 0) + 1;
    requestsOnSocket.set(req.socket, n);
    switch (req.url) {
      case '/json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"versions":["v1.11"]}');
        return;
      case '/redirect':
        res.writeHead(302, { location: '/json' });
        res.end();
        return;
      case '/insecure':
        res.writeHead(301, { location: 'http://127.0.0.1/json' });
        res.end();
        return;
      case '/bad-redirect':
        res.writeHead(302, { location: 'https://[::1' });
        res.end();
        return;
      case '/big':
        res.writeHead(200);
        res.end('x'.repeat(5000));
        return;
      case '/hang':
        return;
      case '/drop-reused':
        // A kept-alive socket the server gave up on: the second request on it dies without an answer.
        if (n >= 2) {
          req.socket.destroy();
          return;
        }
        res.writeHead(200);
        res.end('first');
        return;
      default:
        res.writeHead(404);
        res.end();
    }
  });
  server.on('secureConnection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const g of getters) g.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

function getter(options: Parameters<typeof createHttpsGetter>[0] = {}): HttpGetter {
  const g = createHttpsGetter({ ca, ...options });
  getters.push(g);
  return g;
}

describe('createHttpsGetter', () => {
  it('reuses one TLS connection for a poll’s requests and reads the certificate on each', async () => {
    const g = getter();
    const before = connections;
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await g.get(`${base}/json`));
    expect(connections - before).toBe(1);
    for (const o of outcomes) {
      expect(o).toMatchObject({ ok: true, status: 200, body: '{"versions":["v1.11"]}' });
      if (!o.ok) throw new Error('unreachable');
      expect(o.cert?.subject).toBe('lab.test');
      const days = (Date.parse(o.cert!.validTo) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(700);
    }
  });

  it('trusts the CA only when given it', async () => {
    const g = createHttpsGetter({});
    getters.push(g);
    const o = await g.get(`${base}/json`);
    expect(o.ok).toBe(false);
    expect(!o.ok && o.code).toMatch(
      /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/,
    );
  });

  it('follows https redirects and refuses a downgrade to http', async () => {
    const g = getter();
    expect(await g.get(`${base}/redirect`)).toMatchObject({ ok: true, status: 200, url: `${base}/json` });
    expect(await g.get(`${base}/insecure`)).toMatchObject({ ok: false, code: 'EINSECUREREDIRECT' });
  });

  it('bounds the body and the time', async () => {
    const g = getter({ maxBodyBytes: 1000, timeoutMs: 300 });
    expect(await g.get(`${base}/big`)).toMatchObject({ ok: false, code: 'EBODYTOOLARGE' });
    const started = Date.now();
    expect(await g.get(`${base}/hang`)).toMatchObject({ ok: false, code: 'ETIMEDOUT' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('retries once on a kept-alive socket the server dropped', async () => {
    const g = getter();
    const before = connections;
    expect(await g.get(`${base}/drop-reused`)).toMatchObject({ ok: true, body: 'first' });
    expect(await g.get(`${base}/drop-reused`)).toMatchObject({ ok: true, body: 'first' });
    expect(connections - before).toBe(2);
  });

  it('stops when aborted', async () => {
    const g = getter();
    const ctl = new AbortController();
    const pending = g.get(`${base}/hang`, { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 50);
    expect(await pending).toMatchObject({ ok: false, code: 'ABORT_ERR' });
  });

  it('never rejects: a URL that is no https URL, or a redirect to nowhere, is a failed outcome with a reason', async () => {
    const g = getter();
    expect(await g.get('livekit-jwt.lab.test/healthz')).toMatchObject({
      ok: false,
      url: 'livekit-jwt.lab.test/healthz',
      code: 'EBADURL',
      message: 'not a URL',
    });
    expect(await g.get('http://127.0.0.1:1/healthz')).toMatchObject({
      ok: false,
      code: 'EBADURL',
      message: 'http is not https',
    });
    expect(await g.get(`${base}/bad-redirect`)).toMatchObject({
      ok: false,
      url: `${base}/bad-redirect`,
      code: 'EBADREDIRECT',
      message: 'redirected to https://[::1: not a URL',
    });
  });

  it('reports a refused connection with its code', async () => {
    const g = getter({ timeoutMs: 2000 });
    expect(await g.get('https://127.0.0.1:1/json')).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
  });
});
