import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliClipboard } from '../../../src-main/cli/cli-clipboard';
import { EXIT } from '../../../src-main/cli/exit-codes';
import { type InviteCliDeps, inviteCommand } from '../../../src-main/cli/invite-command';
import type { CliIo } from '../../../src-main/cli/io';
import type { HttpRequest, HttpResponse } from '../../../src-main/core/matrix/http';
import { InviteClient } from '../../../src-main/core/matrix/invites';
import { MemorySecrets, testProfile } from '../core/runbook/test-profile';
import { RecordingClipboard } from '../core/token/recording-clipboard';

/**
 * `invite --uses N --expires D`: what the option text means is decided here, before anything is
 * issued. Behind the real InviteClient, a stand-in for Tuwunel's admin API (1.8.1) records what the
 * server would have been asked.
 */

const NOW = Date.parse('2026-11-26T12:00:00Z');

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'invite-options-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function invite(args: string[]) {
  const profile = testProfile();
  const secrets = new MemorySecrets();
  await secrets.set({ profile: profile.name, kind: 'matrix-admin-token' }, 'admin-token');
  const asked: { method: string; url: string; json: unknown }[] = [];
  const http = async (req: HttpRequest): Promise<HttpResponse> => {
    asked.push({ method: req.method, url: req.url, json: req.json ?? null });
    if (req.url.endsWith('/_synapse/admin/v1/server_version'))
      return { status: 200, body: JSON.stringify({ server_version: '1.8.1' }) };
    const body = req.json as { uses_allowed: number; expiry_time?: number };
    return {
      status: 200,
      body: JSON.stringify({
        token: 'AbCdEfGh12345678',
        uses_allowed: body.uses_allowed,
        pending: 0,
        completed: 0,
        expiry_time: body.expiry_time ?? null,
      }),
    };
  };
  const clipboard = Object.assign(new RecordingClipboard(false), { tool: 'xclip' as const });
  const deps: InviteCliDeps = {
    profile,
    secrets,
    dataDir,
    invites: new InviteClient({ profile, secrets, http, now: () => NOW }),
    clipboard: async () => clipboard as unknown as CliClipboard,
    scheduleClear: () => {},
    clearDelaySeconds: 30,
    now: () => NOW,
  };
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    stdin: new PassThrough(),
  };
  const code = await inviteCommand(args, deps, io);
  const issued = asked.filter((a) => a.method === 'POST').map((a) => a.json);
  return { code, out: out.join(''), err: err.join(''), issued, copied: clipboard.writes.length };
}

describe('invite --uses', () => {
  it.each([
    ['1', 1],
    ['16', 16],
    ['010', 10],
    ['1000', 1000],
  ])('reads %j as %i registrations', async (text, uses) => {
    const r = await invite(['--uses', text]);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(r.issued).toEqual([{ uses_allowed: uses }]);
  });

  it.each(['0x10', '1e2', '', ' 5', '5 ', '+5', '-1', '1.0', '0', '1001', '99999', 'Infinity', '١٢'])(
    'refuses %j with exit 64, naming --uses, before anything is issued or copied',
    async (text) => {
      const r = await invite([`--uses=${text}`]);
      expect(r.code).toBe(EXIT.usage);
      expect(r.err).toMatch(/^--uses: must be a whole number from 1 to 1000\n/);
      expect(r.issued).toEqual([]);
      expect(r.copied).toBe(0);
    },
  );
});

describe('invite --expires', () => {
  it('sends the expiry of a duration', async () => {
    const r = await invite(['--expires', '1h30m']);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(r.issued).toEqual([{ uses_allowed: 1, expiry_time: NOW + 90 * 60_000 }]);
    expect(r.out).toContain('valid until 2026-11-26 13:30 UTC');
  });

  it('leaves the expiry out only when the option is left out', async () => {
    expect((await invite([])).issued).toEqual([{ uses_allowed: 1 }]);
  });

  it.each(['', '   '])(
    'refuses an empty --expires %j (it does not mean "never") before anything is issued',
    async (text) => {
      const r = await invite(['--expires', text]);
      expect(r.code).toBe(EXIT.usage);
      expect(r.err).toContain(
        '--expires: needs a duration like 7d, 12h, 30m or 1h30m (leave the option out for an invite that never expires)',
      );
      expect(r.issued).toEqual([]);
      expect(r.copied).toBe(0);
    },
  );

  it.each(['7', '7 days', '30s', '400d'])('refuses %j before anything is issued', async (text) => {
    const r = await invite(['--expires', text]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/^expires: must be/);
    expect(r.issued).toEqual([]);
    expect(r.copied).toBe(0);
  });
});
