import { describe, expect, it } from 'vitest';
import { InviteRecord } from '../../../../src-main/core/matrix/invite-record';
import { MemorySecrets } from '../runbook/test-profile';

const invite = (token: string, expiresAt: number | null = null) => ({
  token,
  usesAllowed: 1,
  expiresAt,
  issuedAt: 1_000,
});

describe('the record of the invites the app issued (in the keychain)', () => {
  it('adds, lists, drops expired ones, removes, keeps only what the server still lists', async () => {
    const secrets = new MemorySecrets();
    let now = 10_000;
    const record = new InviteRecord(secrets, 'lab.test', () => now);
    expect(await record.list()).toEqual([]);
    await record.add(invite('AAAAbbbbCCCCdddd'));
    await record.add(invite('EEEEffffGGGGhhhh', 20_000));
    await record.add(invite('AAAAbbbbCCCCdddd'));
    expect((await record.list()).map((i) => i.token)).toEqual(['EEEEffffGGGGhhhh', 'AAAAbbbbCCCCdddd']);
    // In the keychain under the app's own kind, nowhere else.
    expect([...secrets.values.keys()]).toEqual(['lab.test/issued-invites']);
    now = 30_000;
    expect((await record.list()).map((i) => i.token)).toEqual(['AAAAbbbbCCCCdddd']);
    expect(await record.remove(['nope'])).toBe(false);
    await record.add(invite('IIIIjjjjKKKKllll'));
    await record.keepOnly(['IIIIjjjjKKKKllll', 'other']);
    expect(await record.tokens()).toEqual(['IIIIjjjjKKKKllll']);
    expect(await record.remove(['IIIIjjjjKKKKllll'])).toBe(true);
    // Nothing left: no entry left behind either.
    expect(secrets.values.size).toBe(0);
  });

  it('reads a record it cannot understand as empty, and masks nothing without a keychain', async () => {
    const secrets = new MemorySecrets();
    await secrets.set({ profile: 'lab.test', kind: 'issued-invites' }, '{"invites": "garbage"');
    expect(await new InviteRecord(secrets, 'lab.test').list()).toEqual([]);
    const broken = {
      get: () => Promise.reject(new Error('no keychain')),
    } as unknown as MemorySecrets;
    expect(await new InviteRecord(broken, 'lab.test').tokens()).toEqual([]);
  });
});
