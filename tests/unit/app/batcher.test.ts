import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher, LineSplitter, MAX_LINE_CHARS } from '../../../src-main/app/batcher';
import { sweep } from '../../support/sweep';

describe('Batcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands on one batch per interval, in order', () => {
    const out: number[][] = [];
    const b = new Batcher<number>(50, (items) => out.push(items));
    b.push(1, 2);
    b.push(3);
    expect(out).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(out).toEqual([[1, 2, 3]]);
    b.push();
    vi.advanceTimersByTime(100);
    expect(out).toHaveLength(1);
  });

  it('flushes at once on demand and can drop what it holds', () => {
    const out: string[][] = [];
    const b = new Batcher<string>(50, (items) => out.push(items));
    b.push('a');
    b.flush();
    b.flush();
    expect(out).toEqual([['a']]);
    b.push('b');
    b.discard();
    vi.advanceTimersByTime(100);
    expect(out).toEqual([['a']]);
  });
});

describe('LineSplitter', () => {
  it('returns whole lines only and keeps the unfinished tail, CRLF or LF', () => {
    const s = new LineSplitter();
    expect(s.push('Nov 26 10:00 one\nNov 26 10:00 tw')).toEqual(['Nov 26 10:00 one']);
    expect(s.push('o\r\nthree\n')).toEqual(['Nov 26 10:00 two', 'three']);
    expect(s.push('')).toEqual([]);
    expect(s.push('tail')).toEqual([]);
    expect(s.end()).toEqual(['tail']);
    expect(s.end()).toEqual([]);
  });
});

/** Samples per property. */
const numRuns = sweep(300);

/** What a line becomes: CRLF ends it like LF; past `cap` characters (never half a surrogate pair) it is cut, saying how many bytes went. */
function expectedLine(raw: string, cap: number): string {
  if (raw.length <= cap) return raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const cut = /[\uD800-\uDBFF]/.test(raw[cap - 1] ?? '') ? cap - 1 : cap;
  const dropped = Buffer.byteLength(raw.slice(cut)) - (raw.endsWith('\r') ? 1 : 0);
  return dropped > 0
    ? `${raw.slice(0, cut)} … [${dropped} ${dropped === 1 ? 'byte' : 'bytes'} dropped]`
    : raw.slice(0, cut);
}

describe('LineSplitter bounds what a host prints', () => {
  it('cuts a line without newlines at the cap and says how many bytes it dropped', () => {
    const s = new LineSplitter();
    const chunk = 'x'.repeat(8192);
    for (let i = 0; i < 1024; i++) expect(s.push(chunk)).toEqual([]);
    const [line, ...rest] = s.push('\nnext\n');
    expect(rest).toEqual(['next']);
    expect(line).toBe(`${'x'.repeat(MAX_LINE_CHARS)} … [${8 * 1024 * 1024 - MAX_LINE_CHARS} bytes dropped]`);
  });

  it('counts dropped bytes as UTF-8 and says so for an unfinished line at the end too', () => {
    const s = new LineSplitter(4);
    expect(s.push('abcdé😀')).toEqual([]);
    expect(s.end()).toEqual(['abcd … [6 bytes dropped]']);
  });

  it('splits any stream like splitting the whole text, whatever the chunks and the cap', () => {
    const unit = fc.constantFrom('a', 'é', '😀', '\r', '\n', '\uD83D', '\uDE00', ' ');
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit, maxLength: 30 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 12 }),
        (chunks, cap) => {
          const s = new LineSplitter(cap);
          const lines = [...chunks.flatMap((c) => s.push(c)), ...s.end()];
          const whole = chunks.join('').split('\n');
          const last = whole.pop() as string;
          const expected = [...whole, ...(last === '' ? [] : [last])].map((l) => expectedLine(l, cap));
          expect(lines).toEqual(expected);
        },
      ),
      { numRuns },
    );
  });
});
