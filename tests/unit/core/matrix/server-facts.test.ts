import { describe, expect, it } from 'vitest';
import { Timeout } from '../../../../src-main/core/errors';
import type { HttpRequest, HttpResponse } from '../../../../src-main/core/matrix/http';
import {
  adminApiUnusable,
  atLeast,
  describeRelease,
  pinnedFacts,
  probeServer,
  releaseOf,
} from '../../../../src-main/core/matrix/server-facts';

const profile = { publicUrl: 'https://matrix.lab.test/', homeserver: { version: 'v1.7.0' } } as const;
const json = (status: number, body: unknown): HttpResponse => ({ status, body: JSON.stringify(body) });
const traefik404: HttpResponse = { status: 404, body: '404 page not found\n' };

/** Answers by path, as Tuwunel behind Traefik would; records what was asked. */
function server(answers: Record<string, HttpResponse | Error>) {
  const asked: HttpRequest[] = [];
  const http = async (req: HttpRequest): Promise<HttpResponse> => {
    asked.push(req);
    const answer = answers[new URL(req.url).pathname];
    if (answer instanceof Error) throw answer;
    return answer ?? json(404, { errcode: 'M_UNRECOGNIZED', error: 'Not Found' });
  };
  return { http, asked };
}

describe('what the homeserver says about itself', () => {
  it('1.9.0 with the admin API routed: served, from /_tuwunel/server_version', async () => {
    const { http, asked } = server({
      '/_tuwunel/server_version': json(200, { name: 'Tuwunel', version: '1.9.0' }),
      '/_matrix/federation/v1/version': json(200, { server: { name: 'Tuwunel', version: '1.9.0' } }),
      '/_synapse/admin/v1/server_version': json(200, { server_version: '1.9.0' }),
    });
    const facts = await probeServer({ profile, http });
    expect(facts).toEqual({
      running: '1.9.0',
      source: '/_tuwunel/server_version',
      pinned: '1.7.0',
      adminApi: 'served',
      unreachable: null,
    });
    expect(asked.every((r) => r.method === 'GET' && !r.headers?.authorization)).toBe(true);
    expect(adminApiUnusable(facts)).toBeNull();
    expect(releaseOf(facts)).toBe('1.9.0');
    expect(describeRelease(facts)).toBe('Tuwunel 1.9.0 (as the server says)');
  });

  it('1.7.0: the federation version when /_tuwunel is not routed, and an admin API Tuwunel does not know', async () => {
    const { http } = server({
      '/_tuwunel/server_version': traefik404,
      '/_matrix/federation/v1/version': json(200, { server: { name: 'Tuwunel', version: '1.7.0 (abc123)' } }),
    });
    const facts = await probeServer({ profile, http });
    expect(facts).toMatchObject({
      running: '1.7.0',
      source: '/_matrix/federation/v1/version',
      adminApi: 'not-served',
    });
    expect(adminApiUnusable(facts)).toBe(
      'Tuwunel 1.7.0 (as the server says) has no admin API (it came with Tuwunel 1.8.1)',
    );
    expect(atLeast(facts, '1.8.0')).toBe(false);
  });

  it('1.9.0 behind a proxy without the route: not routed, and says which variable routes it', async () => {
    const { http } = server({
      '/_tuwunel/server_version': json(200, { name: 'Tuwunel', version: '1.9.0' }),
      '/_synapse/admin/v1/server_version': traefik404,
    });
    const facts = await probeServer({ profile, http });
    expect(facts.adminApi).toBe('not-routed');
    expect(adminApiUnusable(facts)).toMatch(
      /^the proxy does not route \/_synapse\/admin to Tuwunel \(set matrix_tuwunel_container_labels_public_client_synapse_admin_api_enabled: true/,
    );
  });

  it('a server that does not answer: the pin decides, and why is kept', async () => {
    const { http } = server({
      '/_tuwunel/server_version': { status: 502, body: '' },
      '/_matrix/federation/v1/version': new Timeout('Asking the homeserver', 5000),
      '/_synapse/admin/v1/server_version': { status: 502, body: '' },
    });
    const facts = await probeServer({ profile, http, timeoutMs: 10 });
    expect(facts.running).toBeNull();
    expect(facts.unreachable).toMatch(/did not finish within 5 s/);
    expect(facts.adminApi).toBe('unknown');
    expect(releaseOf(facts)).toBe('1.7.0');
    expect(describeRelease(facts)).toBe("Tuwunel 1.7.0 (the profile's pin: the server did not answer)");
    expect(adminApiUnusable(facts)).toMatch(/has no admin API/);
    expect(adminApiUnusable({ ...facts, pinned: '1.9.0' })).toMatch(/^the homeserver did not answer/);
  });

  it('answers of the wrong shape are not believed', async () => {
    const { http } = server({
      '/_tuwunel/server_version': json(200, { version: 42 }),
      '/_matrix/federation/v1/version': { status: 200, body: 'not json' },
      '/_synapse/admin/v1/server_version': json(200, { nope: true }),
    });
    const facts = await probeServer({ profile, http });
    expect(facts).toMatchObject({ running: null, adminApi: 'unknown' });
    expect(facts.unreachable).toMatch(/answered HTTP 200/);
  });

  it('the pin alone, for plans that do not ask', () => {
    expect(pinnedFacts(profile)).toEqual({
      running: null,
      source: null,
      pinned: '1.7.0',
      adminApi: 'unknown',
      unreachable: null,
    });
    expect(describeRelease(pinnedFacts(profile))).toBe("Tuwunel 1.7.0 (the profile's pin)");
  });
});
