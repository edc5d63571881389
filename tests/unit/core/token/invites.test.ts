import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../../src-main/core/errors';
import {
  type InviteClient,
  InviteNotFound,
  InviteService,
  type InviteToken,
  parseDuration,
  parseIssueReply,
  parseTokenInfo,
} from '../../../../src-main/core/matrix/invites';
import { joiningInstructions } from '../../../../src-main/core/matrix/joining-instructions';
import { ClipboardGuard } from '../../../../src-main/core/token/clipboard';
import { RecordingClipboard } from './recording-clipboard';

describe("Tuwunel's token replies", () => {
  it('reads every expiry form', () => {
    expect(parseTokenInfo('Token used 0 times. Never expires.')).toEqual({
      usesAllowed: null,
      pending: 0,
      completed: 0,
      expiresAt: null,
      source: 'database',
    });
    expect(parseTokenInfo('Token used 0 times. Expires after 1 uses.')).toMatchObject({
      usesAllowed: 1,
      expiresAt: null,
    });
    expect(parseTokenInfo('Token used 2 times. Expires in 6.99 days (2026-12-03 10:00:00).')).toMatchObject({
      completed: 2,
      usesAllowed: null,
      expiresAt: Date.parse('2026-12-03T10:00:00Z'),
    });
    expect(
      parseTokenInfo('Token used 1 times. Expires after 5 uses or in 23.59 hours (2026-11-27 09:30:15).'),
    ).toMatchObject({ completed: 1, usesAllowed: 5, expiresAt: Date.parse('2026-11-27T09:30:15Z') });
    expect(parseTokenInfo('Token used 0 times. Expired at 2026-11-01 00:00:00')).toMatchObject({
      expiresAt: Date.parse('2026-11-01T00:00:00Z'),
    });
    expect(parseTokenInfo('Token defined in config file')).toMatchObject({ source: 'config' });
    expect(parseTokenInfo('Token defined in config.')).toMatchObject({ source: 'config' });
    expect(parseTokenInfo('Something else entirely')).toBeNull();
    expect(parseTokenInfo('Token used 0 times. Expires sometime.')).toBeNull();
  });

  it('reads the issue reply', () => {
    expect(
      parseIssueReply(
        'New registration token issued: `AbCdEfGh12345678` - Token used 0 times. Expires after 1 uses.',
      ),
    ).toEqual({
      token: 'AbCdEfGh12345678',
      usesAllowed: 1,
      pending: 0,
      completed: 0,
      expiresAt: null,
      source: 'database',
    });
    expect(parseIssueReply('Command failed with error:\n```\nboom\n```')).toBeNull();
  });

  it('parses durations like --max-age takes them, within a minute and a year', () => {
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    for (const bad of ['', '7', '7 days', '-1d', '7d; rm -rf /', '30s', '400d', '1y'])
      expect(() => parseDuration(bad), bad).toThrow(InvalidInput);
  });
});

describe('InviteService', () => {
  const tokens: InviteToken[] = [
    {
      token: 'AAAAbbbbCCCCdddd',
      usesAllowed: 1,
      pending: 0,
      completed: 0,
      expiresAt: null,
      source: 'database',
    },
    { token: 'AAAAzzzzCCCCdddd', usesAllowed: 2, pending: 0, completed: 1, expiresAt: 5, source: 'database' },
    {
      token: 'QQQQbbbbCCCCdddd',
      usesAllowed: null,
      pending: 0,
      completed: 0,
      expiresAt: null,
      source: 'config',
    },
  ];
  const revoked: string[] = [];
  const client = {
    create: async () => ({ ...tokens[0] }) as InviteToken,
    list: async () => tokens,
    revoke: async (t: string) => {
      revoked.push(t);
    },
    // The app's record of what it issued (the history's own tests are in invite-history.test.ts).
    follow: async () => [],
    history: async () => [],
  } as unknown as InviteClient;
  const clipboard = new RecordingClipboard();
  const service = new InviteService({
    client,
    guard: new ClipboardGuard(clipboard),
    profile: () => ({ serverName: 'lab.test', publicUrl: 'https://matrix.lab.test' }),
    clearDelaySeconds: () => null,
  });

  it('hands out handles and hints, never tokens, and copies by handle', async () => {
    const list = await service.list();
    expect(list.map((i) => i.hint)).toEqual(['AAAA…', 'AAAA…', 'QQQQ…']);
    expect(JSON.stringify(list)).not.toMatch(/bbbbCCCC|zzzzCCCC/);
    expect(new Set(list.map((i) => i.id)).size).toBe(3);
    expect((await service.list()).map((i) => i.id)).toEqual(list.map((i) => i.id));
    await service.copyToken(list[1]?.id ?? '');
    expect(clipboard.writes.at(-1)).toEqual({ text: 'AAAAzzzzCCCCdddd', concealed: true });
    const created = await service.create({ uses: 1 });
    expect(created.invite.hint).toBe('AAAA…');
    expect(created.clearsAt).toBeNull();
    expect(clipboard.content).toBe('AAAAbbbbCCCCdddd');
  });

  it('finds an invite by an unambiguous prefix and revokes it by handle', async () => {
    await service.list();
    expect(() => service.findByPrefix('AAAA')).toThrow(/2 invites start with that/);
    expect(() => service.findByPrefix('AA')).toThrow(InvalidInput);
    expect(() => service.findByPrefix('XXXX')).toThrow(InviteNotFound);
    await service.revoke(service.findByPrefix('AAAAz'));
    expect(revoked).toEqual(['AAAAzzzzCCCCdddd']);
    await expect(service.copyToken('unknown-handle')).rejects.toThrow(/not in the current list/);
  });

  it('copies the joining instructions with the server filled in and no token', async () => {
    await service.copyInstructions();
    const text = clipboard.writes.at(-1);
    expect(text?.concealed).toBe(false);
    expect(text?.text).toBe(
      joiningInstructions({ serverName: 'lab.test', publicUrl: 'https://matrix.lab.test' }),
    );
    expect(text?.text).toContain('When asked for the homeserver, enter: lab.test');
    expect(text?.text).toContain('https://matrix.lab.test');
    expect(text?.text).toContain('@<your-chosen-username>:lab.test');
    expect(text?.text).not.toMatch(/AAAA|QQQQ/);
  });
});
