import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../../src-main/core/errors';
import type { HttpRequest, HttpResponse } from '../../../../src-main/core/matrix/http';
import { InviteClient, type InviteToken } from '../../../../src-main/core/matrix/invites';
import { sweep } from '../../../support/sweep';
import { MemorySecrets, testProfile } from '../runbook/test-profile';

/**
 * The admin API's answers (Tuwunel ≥ 1.8.1) as any server might send them: the invite client either
 * reads well-typed tokens or fails with a typed error and a sentence, never a TypeError.
 */

/** Samples per property. */
const numRuns = sweep(300);

const { value: jsonValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          'server_version',
          'server',
          'version',
          'registration_tokens',
          'token',
          'uses_allowed',
          'pending',
          'completed',
          'expiry_time',
          'errcode',
          'error',
          'toString',
        ),
        fc.string({ maxLength: 5 }),
      ),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
}));

const token = fc.record(
  {
    token: fc.oneof(fc.constant('AbCdEfGh12345678'), jsonValue),
    uses_allowed: fc.oneof(fc.nat(), fc.constant(null), jsonValue),
    pending: fc.oneof(fc.nat(), jsonValue),
    completed: fc.oneof(fc.nat(), jsonValue),
    expiry_time: fc.oneof(fc.nat(), fc.constant(null), jsonValue),
  },
  { requiredKeys: [] },
);

const answer = fc.record({
  status: fc.constantFrom(200, 200, 200, 403, 404, 500),
  body: fc.oneof(
    fc
      .record({ registration_tokens: fc.oneof(fc.array(token, { maxLength: 4 }), jsonValue) })
      .map((v) => JSON.stringify(v)),
    token.map((v) => JSON.stringify(v)),
    jsonValue.map((v) => JSON.stringify(v) ?? ''),
    fc.string(),
  ),
});

function wellTyped(t: InviteToken): void {
  expect(typeof t.token).toBe('string');
  expect(t.token.length).toBeGreaterThan(0);
  for (const n of [t.pending, t.completed]) expect(Number.isInteger(n)).toBe(true);
  for (const n of [t.usesAllowed, t.expiresAt]) expect(n === null || Number.isInteger(n)).toBe(true);
}

async function client(respond: (req: HttpRequest) => HttpResponse): Promise<InviteClient> {
  const profile = testProfile();
  const secrets = new MemorySecrets();
  await secrets.set({ profile: profile.name, kind: 'matrix-admin-token' }, 'admin-token');
  return new InviteClient({ profile, secrets, http: async (req) => respond(req), now: () => 0 });
}

async function typedOrTyped<T>(work: Promise<T>, check: (value: T) => void): Promise<void> {
  try {
    check(await work);
  } catch (e) {
    expect(isAppError(e), `not a typed error: ${String(e)}`).toBe(true);
  }
}

describe('the invite client over any admin API answer', () => {
  it('lists and issues well-typed tokens or fails with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(answer, async (a) => {
        const invites = await client((req) =>
          req.url.endsWith('/server_version') ? { status: 200, body: '{"server_version":"1.9.0"}' } : a,
        );
        await typedOrTyped(invites.list(), (tokens) => tokens.forEach(wellTyped));
        await typedOrTyped(invites.create({ uses: 1 }), wellTyped);
      }),
      { numRuns },
    );
  });

  it('chooses its route from any version answer or fails with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(answer, answer, async (synapse, federation) => {
        const invites = await client((req) => (req.url.endsWith('/server_version') ? synapse : federation));
        await typedOrTyped(invites.route(), (r) => {
          expect(['admin-api', 'admin-room']).toContain(r.route);
          expect(r.version === null || typeof r.version === 'string').toBe(true);
        });
      }),
      { numRuns },
    );
  });
});
