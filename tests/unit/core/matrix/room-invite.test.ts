import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../../src-main/core/errors';
import { roomRef } from '../../../../src-main/core/matrix/room-invite';
import { fragmentOf, SHELL_BITS, soupOf } from '../../../integration/reliability/hostile-strings';

describe('the room an invite brings a new member into', () => {
  it('takes an alias or a room ID, with or without a server part (room v12)', () => {
    expect(roomRef(' #family:example.org ')).toBe('#family:example.org');
    expect(roomRef('#family:matrix.example.org:8448')).toBe('#family:matrix.example.org:8448');
    expect(roomRef('!AbCdEf123:example.org')).toBe('!AbCdEf123:example.org');
    expect(roomRef('!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM')).toBe(
      '!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM',
    );
  });

  it('refuses what is not a room, naming why', () => {
    for (const bad of ['family', '#family', '#fam ily:example.org', '!abc def', '@alice:example.org', ''])
      expect(() => roomRef(bad), bad).toThrow(InvalidInput);
    expect(() => roomRef('#family:exa mple.org')).toThrow(/server name that is not a hostname/);
    expect(() => roomRef(`#${'a'.repeat(260)}:example.org`)).toThrow(/longer than 255/);
    expect(() => roomRef('#family:example.org;rm -rf /')).toThrow(InvalidInput);
  });

  it('a hostile string is refused, or is a room reference with no space, quote or shell character', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          soupOf(fragmentOf(SHELL_BITS), 6),
          soupOf(fragmentOf(SHELL_BITS), 3).map((s) => `#${s}:lab.test`),
          soupOf(fragmentOf(SHELL_BITS), 3).map((s) => `!${s}`),
        ),
        (input) => {
          let ref: string;
          try {
            ref = roomRef(input);
          } catch (e) {
            return e instanceof InvalidInput && e.field === 'room';
          }
          return /^[#!][^\s'"`$;|&<>\\]+$/.test(ref);
        },
      ),
      { numRuns: 2000, seed: 16 },
    );
  });
});
