import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../../src-main/core/ssh/quote';
import { sweep } from '../../support/sweep';

/** Asks a real bash what words it sees in a command line. */
function wordsSeenByBash(line: string): string[] {
  const out = execFileSync(
    'bash',
    ['--noprofile', '--norc', '-c', `for w in ${line}; do printf '%s\\0' "$w"; done`],
    {
      encoding: 'utf8',
    },
  );
  return out.split('\0').slice(0, -1);
}

describe('shellQuote', () => {
  it('leaves plain words alone and quotes everything else', () => {
    expect(shellQuote('matrix-tuwunel')).toBe('matrix-tuwunel');
    expect(shellQuote('matrix-*')).toBe("'matrix-*'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe("''");
  });

  it('refuses NUL, which no shell can carry', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('makes every string exactly one literal word for bash', () => {
    const printable = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.array(printable, { minLength: 1, maxLength: 3 }), (words) => {
        expect(wordsSeenByBash(shellCommand(...words))).toEqual(words);
      }),
      { numRuns: sweep(200) },
    );
  });
});
