import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, RequestFailed } from '../../../../src-main/core/lib/http-request';

/**
 * The one HTTP client of the alert channels and the RDAP lookups, against a real loopback server: the reply as
 * it came (a redirect not followed, the body cut at its bound), and each way a request ends without one.
 */
describe('httpRequest', () => {
  let server: Server;
  let base: string;
  /** Replies the server holds back (the timeout and cancel cases), ended when the file is done. */
  const held: { end(): void }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') {
        held.push(res);
        return;
      }
      if (req.url === '/moved') {
        res.writeHead(302, { Location: 'http://127.0.0.1:1/elsewhere' }).end();
        return;
      }
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        res
          .writeHead(200, { 'X-Echo': req.headers['x-secret'] ?? '' })
          .end(`${req.method} ${body}`.repeat(100));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const res of held) res.end();
    await new Promise((resolve) => server.close(resolve));
  });

  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('the request did not fail');
      },
      (e: unknown) => e as RequestFailed,
    );

  it('sends the body and headers and returns the reply, cut at its bound', async () => {
    const reply = await httpRequest({
      method: 'POST',
      url: `${base}/echo`,
      headers: { 'X-Secret': 's' },
      body: 'hi',
      timeoutMs: 5_000,
      maxBodyBytes: 10,
    });
    expect(reply).toMatchObject({ status: 200, body: 'POST hiPOS' });
    expect(reply.headers['x-echo']).toBe('s');
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    const reply = await httpRequest({ method: 'GET', url: `${base}/moved`, timeoutMs: 5_000 });
    expect(reply.status).toBe(302);
    expect(reply.headers.location).toBe('http://127.0.0.1:1/elsewhere');
  });

  it('refuses a URL that is not http(s), and sends nothing', async () => {
    const e = await failure(httpRequest({ method: 'GET', url: 'file:///etc/passwd', timeoutMs: 5_000 }));
    expect(e).toBeInstanceOf(RequestFailed);
    expect(e.code).toBe('EINVALIDURL');
  });

  it('ends with ETIMEDOUT when no answer comes in time', async () => {
    const e = await failure(httpRequest({ method: 'GET', url: `${base}/hang`, timeoutMs: 200 }));
    expect(e.code).toBe('ETIMEDOUT');
    expect(e.message).toBe('no answer within 200 ms');
  });

  it('ends with ABORT_ERR when cancelled, before or during the request', async () => {
    const during = new AbortController();
    const pending = failure(
      httpRequest({ method: 'GET', url: `${base}/hang`, timeoutMs: 5_000, signal: during.signal }),
    );
    setTimeout(() => during.abort(), 50);
    expect((await pending).code).toBe('ABORT_ERR');
    const e = await failure(
      httpRequest({ method: 'GET', url: `${base}/hang`, timeoutMs: 5_000, signal: AbortSignal.abort() }),
    );
    expect(e.code).toBe('ABORT_ERR');
  });

  it("names the transport's error code when nothing listens", async () => {
    const e = await failure(httpRequest({ method: 'GET', url: 'http://127.0.0.1:1/', timeoutMs: 5_000 }));
    expect(e.code).toBe('ECONNREFUSED');
  });
});
