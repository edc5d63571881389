import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../../src-main/core/errors';
import type { HttpRequest, HttpResponse } from '../../../../src-main/core/matrix/http';
import { PeopleClient, PeopleRefused } from '../../../../src-main/core/matrix/people';
import { PeopleService } from '../../../../src-main/core/matrix/people-service';
import { ClipboardGuard } from '../../../../src-main/core/token/clipboard';
import { MemorySecrets, testProfile } from '../runbook/test-profile';
import { RecordingClipboard } from '../token/recording-clipboard';

/**
 * The admin API's user answers as any server might send them (the people client reads well-typed users or fails
 * with a typed error), and a password reset that reaches the clipboard only after the server took it.
 */

const profile = testProfile();

/** A server at `version` whose admin API answers `users` for the user list and records every request. */
function server(version: string, answers: Record<string, unknown>, status = 200) {
  const requests: HttpRequest[] = [];
  const http = async (req: HttpRequest): Promise<HttpResponse> => {
    requests.push(req);
    const path = new URL(req.url).pathname;
    if (path === '/_tuwunel/server_version') return { status: 200, body: JSON.stringify({ version }) };
    if (path === '/_matrix/federation/v1/version')
      return { status: 200, body: JSON.stringify({ server: { version } }) };
    if (path === '/_synapse/admin/v1/server_version')
      return version >= '1.8.1'
        ? { status: 200, body: JSON.stringify({ server_version: version }) }
        : { status: 404, body: JSON.stringify({ errcode: 'M_UNRECOGNIZED' }) };
    const key = `${req.method} ${path}`;
    return key in answers
      ? { status, body: JSON.stringify(answers[key]) }
      : { status: 404, body: JSON.stringify({ errcode: 'M_NOT_FOUND', error: 'nope' }) };
  };
  return { http, requests };
}

async function client(version: string, answers: Record<string, unknown>, status = 200) {
  const secrets = new MemorySecrets();
  await secrets.set({ profile: profile.name, kind: 'matrix-admin-token' }, 'admin-token');
  const s = server(version, answers, status);
  return { people: new PeopleClient({ profile, secrets, http: s.http }), requests: s.requests };
}

describe('the people client on the admin API', () => {
  it('reads any user list as users or a typed error, never a TypeError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (body) => {
        const { people } = await client('1.9.0', { 'GET /_synapse/admin/v2/users': body });
        try {
          const page = await people.listUsers({ devices: false });
          for (const u of page.users) expect(typeof u.userId).toBe('string');
        } catch (e) {
          expect(isAppError(e)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('says why a notice or an erase cannot go, before sending anything', async () => {
    const { people, requests } = await client('1.8.1', {});
    await expect(people.sendNotice('Restart at 21:00')).rejects.toThrow(
      /Tuwunel 1\.8\.1 \(as the server says\) has no send_server_notice \(it came with Tuwunel 1\.8\.2\)/,
    );
    expect(requests.some((r) => r.url.includes('send_server_notice'))).toBe(false);
    const old = await client('1.7.0', {});
    await expect(old.people.deactivate('mum', { leaveRooms: true, erase: true })).rejects.toBeInstanceOf(
      PeopleRefused,
    );
    await expect(old.people.setAdmin('mum', false)).rejects.toThrow(
      /Removing admin rights needs the admin API/,
    );
    await expect(old.people.devices('mum')).rejects.toThrow(/Listing devices needs the admin API/);
  });
});

describe('a password reset through the service', () => {
  it('sets the password on the server, then copies it; a refusal copies nothing', async () => {
    const { people, requests } = await client('1.9.0', {
      'POST /_synapse/admin/v1/reset_password/%40mum%3Alab.test': {},
    });
    const clipboard = new RecordingClipboard();
    const service = new PeopleService({
      client: people,
      guard: new ClipboardGuard(clipboard),
      clearDelaySeconds: () => 30,
    });
    const r = await service.resetPassword('mum', { password: null, signOut: true });
    expect(r).toMatchObject({ generated: true, clearsAt: expect.any(Number) });
    const sent = requests.find((q) => q.url.includes('reset_password'));
    expect(sent?.json).toEqual({ new_password: clipboard.content, logout_devices: true });
    expect(clipboard.content).toMatch(/^([a-zA-Z2-9]{5}-){3}[a-zA-Z2-9]{5}$/);

    const typed = await service.resetPassword('@mum:lab.test', { password: 'typed-by-me-1', signOut: false });
    expect(typed.generated).toBe(false);
    expect(clipboard.content).toBe('typed-by-me-1');

    const old = await client('1.7.0', {});
    const before = clipboard.writes.length;
    const refusing = new PeopleService({
      client: old.people,
      guard: new ClipboardGuard(clipboard),
      clearDelaySeconds: () => 30,
    });
    await expect(refusing.resetPassword('mum', { password: null, signOut: false })).rejects.toThrow(
      /answers "users reset-password" with the new password in its reply/,
    );
    expect(clipboard.writes.length).toBe(before);
    await expect(service.resetPassword('mum', { password: 'short', signOut: false })).rejects.toThrow(
      /at least 10/,
    );
  });
});
