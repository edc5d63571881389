import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src-main/cli/exit-codes';
import { inviteCommand } from '../../../src-main/cli/invite-command';
import type { HttpRequest, HttpResponse } from '../../../src-main/core/matrix/http';
import { InviteClient } from '../../../src-main/core/matrix/invites';
import { MemorySecrets, testProfile } from '../core/runbook/test-profile';
import { memoryIo } from './cli-io';

/**
 * `invite list` shows an id and a hint for each token, and `invite revoke` takes either, never the token
 * (finding 9: a live token on the command line stays in `ps` and the shell history). Behind the real
 * InviteClient, a stand-in for Tuwunel's admin API (1.8.1) keeps the server's tokens.
 */

const TOKENS = ['AbCdEfGh12345678', 'AbCdZZZZ99999999', 'QrStUvWx00000000'];

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'invite-revoke-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function server() {
  const profile = testProfile();
  const secrets = new MemorySecrets();
  await secrets.set({ profile: profile.name, kind: 'matrix-admin-token' }, 'admin-token');
  const tokens = new Set(TOKENS);
  const deleted: string[] = [];
  const http = async (req: HttpRequest): Promise<HttpResponse> => {
    const path = new URL(req.url).pathname;
    if (path === '/_synapse/admin/v1/server_version')
      return { status: 200, body: JSON.stringify({ server_version: '1.8.1' }) };
    if (req.method === 'GET' && path === '/_synapse/admin/v1/registration_tokens')
      return {
        status: 200,
        body: JSON.stringify({
          registration_tokens: [...tokens].map((token) => ({
            token,
            uses_allowed: 1,
            pending: 0,
            completed: 0,
            expiry_time: null,
          })),
        }),
      };
    const token = decodeURIComponent(path.split('/').pop() ?? '');
    if ((req.method as string) === 'DELETE' && tokens.delete(token)) {
      deleted.push(token);
      return { status: 200, body: '{}' };
    }
    return { status: 404, body: JSON.stringify({ errcode: 'M_NOT_FOUND', error: 'No such token' }) };
  };
  const deps = { profile, secrets, dataDir, invites: new InviteClient({ profile, secrets, http }) };
  const run = async (args: string[]) => {
    const { io, out } = memoryIo();
    const code = await inviteCommand(args, deps, io);
    return { code, ...out };
  };
  return { run, deleted };
}

/** The id `invite list` printed for a token, by its hint. */
function idOf(listing: string, hint: string): string {
  const line = listing.split('\n').find((l) => l.includes(` ${hint}…`));
  const id = line?.split(' ')[0];
  if (!id) throw new Error(`no ${hint}… in:\n${listing}`);
  return id;
}

describe('invite list and revoke', () => {
  it('lists each token by id and hint, never whole, with the same ids in every run', async () => {
    const s = await server();
    const first = await s.run(['list']);
    expect(first.code).toBe(EXIT.ok);
    for (const token of TOKENS) expect(first.stdout).not.toContain(token);
    expect(first.stdout).toMatch(/^[0-9a-f]{8} {2}AbCd… {2}0 of 1 used {2}never expires\n/);
    expect(first.stdout).toContain(
      `3 tokens. Revoke an invite by its id or its hint: homeserver-tray invite revoke ${idOf(first.stdout, 'AbCd')}\n`,
    );
    expect((await s.run(['list'])).stdout).toBe(first.stdout);
    expect((await stat(join(dataDir, 'invite-ids.key'))).mode & 0o777).toBe(0o600);
  });

  it('revokes by id, and by a hint that only one token has (with or without the …)', async () => {
    const s = await server();
    const listing = (await s.run(['list'])).stdout;
    const byId = await s.run(['revoke', idOf(listing, 'AbCd')]);
    expect(byId.code, byId.stderr).toBe(EXIT.ok);
    expect(s.deleted).toEqual(['AbCdEfGh12345678']);
    expect(byId.stdout).toMatch(
      /^Revoked the invite [0-9a-f]{8} \(AbCd…\); it can no longer be used to register\.\n$/,
    );
    expect((await s.run(['revoke', 'QrSt…'])).code).toBe(EXIT.ok);
    expect(s.deleted).toEqual(['AbCdEfGh12345678', 'QrStUvWx00000000']);
  });

  it('refuses a hint two tokens share, naming their ids; revokes nothing', async () => {
    const s = await server();
    const listing = (await s.run(['list'])).stdout;
    const r = await s.run(['revoke', 'AbCd']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain(`2 invites start with AbCd…; give the id instead (${idOf(listing, 'AbCd')}`);
    expect(s.deleted).toEqual([]);
  });

  it('refuses the token itself without revoking or repeating it', async () => {
    const s = await server();
    for (const given of ['AbCdEfGh12345678', 'AbCdEf', 'QrStUvWx0000000']) {
      const r = await s.run(['revoke', given]);
      expect(r.code, given).toBe(EXIT.usage);
      expect(r.stderr).toContain(
        'never the token itself: a command line stays in `ps` and in the shell history',
      );
      expect(r.stderr + r.stdout).not.toContain(given);
    }
    expect(s.deleted).toEqual([]);
  });

  it('says when an id or hint matches nothing, and when the argument is missing', async () => {
    const s = await server();
    const none = await s.run(['revoke', '00000000']);
    expect(none.code).toBe(EXIT.failed);
    expect(none.stderr).toContain('The homeserver does not know that registration token.');
    const missing = await s.run(['revoke']);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain(
      'invite revoke: takes one id or hint as `homeserver-tray invite list` shows them',
    );
    expect(s.deleted).toEqual([]);
  });
});
