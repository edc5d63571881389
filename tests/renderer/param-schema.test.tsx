import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLocalUserId, serverNameProblem } from '../../src-main/core/lib/grammar';
import { type ParamSpec, paramRules } from '../../src-main/ipc/contract';
import { initialValues, validateParams } from '../../src-renderer/src/lib/param-schema';
import { sweep } from '../support/sweep';

const user: ParamSpec = {
  name: 'user',
  label: 'User ID',
  kind: 'text',
  required: true,
  rules: paramRules.matrixUser('rampancy.cloud'),
};
const server: ParamSpec = {
  name: 'server',
  label: 'Server name',
  kind: 'text',
  required: true,
  rules: paramRules.serverName(),
};
const uses: ParamSpec = {
  name: 'uses',
  label: 'Uses',
  kind: 'integer',
  required: false,
  min: 1,
  max: 100,
  default: 1,
};
const leave: ParamSpec = {
  name: 'leaveRooms',
  label: 'Leave rooms',
  kind: 'boolean',
  required: false,
  default: true,
};

const userForm = [user];
const serverForm = [server];

function userError(v: string): string | undefined {
  const r = validateParams(userForm, { user: v });
  return r.ok ? undefined : r.errors.user;
}

describe('parameter forms built from the catalog description', () => {
  it('says what is wrong with a user ID, as a sentence starting with the label', () => {
    expect(userError('')).toBe('User ID is required');
    expect(userError('@bob')).toBe('User ID needs the form @localpart:server');
    expect(userError('@Bob:rampancy.cloud')).toBe(
      'User ID may only hold a-z, 0-9 and . _ = - / + before the ":"',
    );
    expect(userError('@bob:matrix.org')).toBe('User ID must be a user of rampancy.cloud');
    expect(userError('@bob:rampancy.cloud')).toBeUndefined();
    expect(userError('bob')).toBeUndefined();
  });

  it('hands over trimmed, typed values', () => {
    const r = validateParams([user, uses, leave], {
      user: '  @bob:rampancy.cloud ',
      uses: ' 3 ',
      leaveRooms: false,
    });
    expect(r).toEqual({ ok: true, params: { user: '@bob:rampancy.cloud', uses: 3, leaveRooms: false } });
    expect(validateParams([uses], { uses: '' })).toEqual({ ok: true, params: {} });
    expect(validateParams([uses], { uses: '0' })).toEqual({
      ok: false,
      errors: { uses: 'Uses must be at least 1' },
    });
    expect(validateParams([uses], { uses: 'x' })).toEqual({
      ok: false,
      errors: { uses: 'Uses must be a whole number' },
    });
    expect(initialValues([user, uses, leave])).toEqual({ user: '', uses: '1', leaveRooms: true });
  });

  it(`never accepts a user ID the Matrix grammar refuses (${sweep(10_000)} hostile strings)`, () => {
    const alphabet = fc.constantFrom(...'@:abzAZ09._=-/+ \t\n;$`\'"|&\\[]!é'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 40 }), (s) => {
        const grammar = parseLocalUserId(s, 'rampancy.cloud');
        if ('problem' in grammar) expect(userError(s)).toBeDefined();
      }),
      { numRuns: sweep(10_000) },
    );
  });

  it('accepts every user ID the grammar accepts', () => {
    const localpart = fc.string({
      unit: fc.constantFrom(...'abcxyz0189._=-/+'.split('')),
      minLength: 1,
      maxLength: 30,
    });
    fc.assert(
      fc.property(localpart, fc.boolean(), (lp, full) => {
        const s = full ? `@${lp}:rampancy.cloud` : lp;
        expect('userId' in parseLocalUserId(s, 'rampancy.cloud')).toBe(true);
        expect(userError(s)).toBeUndefined();
      }),
      { numRuns: sweep(2000) },
    );
  });

  it('never accepts a server name the grammar refuses, and agrees on the usual forms', () => {
    const serverError = (v: string) => {
      const r = validateParams(serverForm, { server: v });
      return r.ok ? undefined : r.errors.server;
    };
    const refusedByGrammarIsRefused = (s: string) => {
      if (s.trim() !== '' && serverNameProblem(s) !== null) expect(serverError(s)).toBeDefined();
    };
    const alphabet = fc.constantFrom(...'abz09.-:[]/ _@%$;'.split(''));
    fc.assert(fc.property(fc.string({ unit: alphabet, maxLength: 30 }), refusedByGrammarIsRefused), {
      numRuns: sweep(10_000),
    });
    const ipv6ish = fc
      .string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFg:.'.split('')), maxLength: 45 })
      .chain((inner) => fc.constantFrom(`[${inner}]`, `[${inner}]:8448`, `[${inner}`));
    fc.assert(fc.property(ipv6ish, refusedByGrammarIsRefused), { numRuns: sweep(10_000) });
    for (const ok of [
      'matrix.org',
      'chat.dacool.zone',
      'example.com:8448',
      '192.168.1.243',
      '[::1]:8448',
      '[2001:db8::7]',
    ]) {
      expect(serverNameProblem(ok)).toBeNull();
      expect(serverError(ok)).toBeUndefined();
    }
    expect(serverError('example.com:70000')).toBe('Server name has a port that is not 1–65535');
    expect(serverError('-bad-.org')).toBe(
      'Server name has an empty label or a label that starts or ends with "-"',
    );
  });
});
