import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher, LineSplitter } from '../../../src-main/app/batcher';

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
