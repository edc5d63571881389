import { describe, expect, it } from 'vitest';
import { isServerName, localpartProblem, parseLocalUserId } from '../../../../src-main/core/lib/grammar';

describe('server names (spec: hostname / IPv4 / [IPv6], optional port)', () => {
  it.each([
    'rampancy.cloud',
    'matrix.org',
    'localhost',
    'chat.dacool.zone:8448',
    '1.2.3.4',
    '1.2.3.4:443',
    '[::1]',
    '[1234:5678::abcd]:8448',
    '[2001:db8:0:0:0:0:0:1]',
  ])('accepts %s', (s) => expect(isServerName(s)).toBe(true));

  it.each([
    '',
    'a b',
    'evil;reboot',
    '$(id)',
    'host:0',
    'host:65536',
    'host:12ab',
    '-leading.dash',
    '[::1',
    '[zz::1]',
    '[1::2::3]',
    'x'.repeat(256),
    'a..b',
  ])('refuses %j', (s) => expect(isServerName(s)).toBe(false));
});

describe('user IDs on the own server', () => {
  it('accepts full IDs and bare localparts', () => {
    expect(parseLocalUserId('@alice:rampancy.cloud', 'rampancy.cloud')).toEqual({
      userId: '@alice:rampancy.cloud',
    });
    expect(parseLocalUserId(' bob.smith_1 ', 'rampancy.cloud')).toEqual({
      userId: '@bob.smith_1:rampancy.cloud',
    });
  });

  it('refuses other servers, bad characters and missing parts with a reason', () => {
    expect(parseLocalUserId('@alice:matrix.org', 'rampancy.cloud')).toEqual({
      problem: 'is on matrix.org; only users of rampancy.cloud can be managed here',
    });
    expect(parseLocalUserId('@Alice:rampancy.cloud', 'rampancy.cloud')).toHaveProperty('problem');
    expect(parseLocalUserId('@alice', 'rampancy.cloud')).toHaveProperty('problem');
    expect(parseLocalUserId("alice'; reboot", 'rampancy.cloud')).toHaveProperty('problem');
    expect(localpartProblem('')).toBe('is empty');
  });
});
