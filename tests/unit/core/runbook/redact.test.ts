import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MASK, Redactor } from '../../../../src-main/core/runbook/redact';
import { sweep } from '../../../support/sweep';

describe('Redactor', () => {
  it('masks every occurrence, longest secret first', () => {
    const r = new Redactor(['hunter2', 'hunter2-long', '']);
    expect(r.redact('a hunter2 b hunter2-long c')).toBe(`a ${MASK} b ${MASK} c`);
    expect(r.redact('nothing here')).toBe('nothing here');
  });

  it('masks strings inside values (audit records)', () => {
    const r = new Redactor(['s3cret']);
    expect(r.redactValue({ a: 'x s3cret', b: ['s3cret'], c: 3, d: null })).toEqual({
      a: `x ${MASK}`,
      b: [MASK],
      c: 3,
      d: null,
    });
  });

  it('masks a secret split across chunks of a stream', () => {
    const r = new Redactor(['correct-horse-battery']);
    const s = r.stream();
    const out = s.push('token: correct-ho') + s.push('rse-batt') + s.push('ery done\n') + s.end();
    expect(out).toBe(`token: ${MASK} done\n`);
  });

  it('never lets a secret through, however the stream is chunked', () => {
    const secrets = ['abcabd', 'tok3n!', 'x'.repeat(20), 'abc'];
    const r = new Redactor(secrets);
    const piece = fc.constantFrom(
      'abcabd',
      'tok3n!',
      'x'.repeat(20),
      'abc',
      'ab',
      'c',
      'tok',
      '3n!',
      'xxxx',
      ' ',
      '\n',
      'é',
      'zz',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }),
        fc.array(fc.nat(40), { maxLength: 10 }),
        (pieces, cuts) => {
          const text = pieces.join('');
          const s = r.stream();
          let out = '';
          let at = 0;
          for (const c of cuts) {
            const end = Math.min(text.length, at + c);
            out += s.push(text.slice(at, end));
            at = end;
          }
          out += s.push(text.slice(at)) + s.end();
          expect(out).toBe(r.redact(text));
          for (const secret of secrets) expect(out.includes(secret)).toBe(false);
        },
      ),
      { numRuns: sweep(2000) },
    );
  });

  it('masks the tokens of Tuwunel token replies, known or not, and the known ones anywhere', () => {
    const vault = 'VaultTokenFromTheConfigFile';
    const r = new Redactor([vault]);
    const reply = [
      'Found 2 registration tokens:',
      `- \`${vault}\` --- Token defined in config file`,
      '- `SomeoneElsesInvite1` --- Token used 0 times. Never expires.',
    ].join('\n');
    expect(r.redact(reply)).toBe(
      `Found 2 registration tokens:\n- \`${MASK}\` --- Token defined in config file\n- \`${MASK}\` --- Token used 0 times. Never expires.`,
    );
    expect(
      new Redactor([]).redact('New registration token issued: `Abc123Def456` - Token used 0 times.'),
    ).toBe(`New registration token issued: \`${MASK}\` - Token used 0 times.`);
    expect(r.redactValue({ sentence: `apply saw ${vault}` })).toEqual({ sentence: `apply saw ${MASK}` });
  });

  it('passes text through untouched when there is nothing to mask', () => {
    const s = new Redactor([]).stream();
    expect(s.push('abc')).toBe('abc');
    expect(s.end()).toBe('');
  });
});
