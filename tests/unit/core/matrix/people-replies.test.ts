import { describe, expect, it } from 'vitest';
import {
  deviceId,
  generatePassword,
  localUser,
  noticeText,
  typedPassword,
} from '../../../../src-main/core/matrix/people';
import {
  deviceRemovedLine,
  parseLastActive,
  parseListUsers,
  parseRegistrationNotice,
} from '../../../../src-main/core/matrix/people-replies';

// Tuwunel's texts at v1.7.0–v1.9.0: src/admin/user/{list_users,last_active,delete_device}.rs (commands.rs before
// 1.8.1) and announce_new_user in src/api/client/register*.rs.

describe('people replies of the admin room', () => {
  it('reads list-users', () => {
    expect(
      parseListUsers('Found 2 local user account(s):\n```\n@alice:lab.test\n@bob:lab.test\n```'),
    ).toEqual(['@alice:lab.test', '@bob:lab.test']);
    expect(parseListUsers('Found 0 local user account(s):\n```\n\n```')).toEqual([]);
    expect(parseListUsers('Command failed with error:\n```\nnope\n```')).toBeNull();
    expect(parseListUsers('Found 1 local user account(s):\n```\nnot an id\n```')).toBeNull();
  });

  it('reads last-active rows as Tuwunel formats them ({ago:?} {ip:<40} {localpart})', () => {
    const ip = '10.0.0.1'.padEnd(40);
    expect(
      parseLastActive(
        `MilliSecondsSinceUnixEpoch(1733000000000) ${ip} alice\nMilliSecondsSinceUnixEpoch(1732000000000) ${''.padEnd(40)} bob\n`,
      ),
    ).toEqual([
      { at: 1733000000000, ip: '10.0.0.1', localpart: 'alice' },
      { at: 1732000000000, ip: '', localpart: 'bob' },
    ]);
    expect(parseLastActive('')).toEqual([]);
  });

  it('knows the delete-device line and the registration notice', () => {
    expect(deviceRemovedLine('@a:s', 'DEV')).toBe("User @a:s's device DEV removed.");
    expect(
      parseRegistrationNotice(
        'New user "@dana:lab.test" registered on this server from IP 127.0.0.1 with device name Element X',
      ),
    ).toEqual({ userId: '@dana:lab.test' });
    expect(parseRegistrationNotice('Guest user "@x:s" registered on this server from IP 1.2.3.4')).toBeNull();
  });
});

describe('people input at the edge', () => {
  it('takes local users by the Matrix grammar and refuses others', () => {
    expect(localUser('Alice'.toLowerCase(), 'lab.test')).toBe('@alice:lab.test');
    expect(localUser('@bob:lab.test', 'lab.test')).toBe('@bob:lab.test');
    expect(() => localUser('@bob:other.test', 'lab.test')).toThrow(/only users of lab\.test/);
    expect(() => localUser('bob; rm -rf ~', 'lab.test')).toThrow(/localpart/);
    expect(() => localUser('', 'lab.test')).toThrow(/empty/);
  });

  it('takes a device ID as one word that is no option', () => {
    expect(deviceId(' ABCDEFGHIJ ')).toBe('ABCDEFGHIJ');
    expect(() => deviceId('--help')).toThrow(/not a device ID/);
    expect(() => deviceId('A B')).toThrow(/not a device ID/);
    expect(() => deviceId('$(id)')).toThrow(/not a device ID/);
  });

  it('checks notices and typed passwords', () => {
    expect(noticeText('  Restart at 21:00\r\n')).toBe('Restart at 21:00');
    expect(() => noticeText('   ')).toThrow(/empty/);
    expect(() => noticeText('x'.repeat(4001))).toThrow(/longer than 4000/);
    expect(() => typedPassword('short')).toThrow(/at least 10/);
    expect(() => typedPassword('long enough\nsecond line')).toThrow(/one line/);
  });

  it('generates strong passwords without look-alike characters', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generatePassword();
      expect(p).toMatch(/^([a-km-zA-HJ-NP-Z2-9]{5}-){3}[a-km-zA-HJ-NP-Z2-9]{5}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(200);
  });
});
