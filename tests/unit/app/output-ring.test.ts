import { describe, expect, it } from 'vitest';
import { OutputRing } from '../../../src-main/app/output-ring';
import type { OutputChunk } from '../../../src-main/app/views/run-schema';

const chunk = (seq: number, text: string): OutputChunk => ({ seq, stepId: 's', stream: 'stdout', text });

describe('the run output the window can ask for again', () => {
  it('keeps everything under its cap, in order, without a note', () => {
    const ring = new OutputRing(100);
    for (let i = 0; i < 9; i++) ring.push(chunk(i, `line ${i}\n`));
    expect(
      ring
        .chunks()
        .map((c) => c.text)
        .join(''),
    ).toBe(Array.from({ length: 9 }, (_, i) => `line ${i}\n`).join(''));
    expect(ring.dropped).toBe(0);
  });

  it('drops the oldest past its cap and says how many bytes went (UTF-8), numbered before the first kept', () => {
    const ring = new OutputRing(10);
    ring.push(chunk(0, 'ééé\n')); // 4 characters, 7 bytes
    ring.push(chunk(1, 'abcd\n'));
    ring.push(chunk(2, 'wxyz\n'));
    expect(ring.dropped).toBe(7);
    expect(ring.chunks()).toEqual([
      {
        seq: 0,
        stepId: null,
        stream: 'info',
        text: '… 7 bytes dropped: the output kept here is its last 0 KB …\n',
      },
      chunk(1, 'abcd\n'),
      chunk(2, 'wxyz\n'),
    ]);
  });

  it('keeps the newest chunk even when it alone is over the cap', () => {
    const ring = new OutputRing(4);
    ring.push(chunk(0, 'ab'));
    ring.push(chunk(1, 'much longer than four'));
    expect(ring.chunks().slice(1)).toEqual([chunk(1, 'much longer than four')]);
    expect(ring.dropped).toBe(2);
  });

  it('stays a ring through many turns: what it holds is always the newest, in order', () => {
    const ring = new OutputRing(1000);
    const text = (i: number) => `${String(i).padStart(9, '0')}\n`;
    for (let i = 0; i < 100_000; i++) ring.push(chunk(i, text(i)));
    const kept = ring.chunks().slice(1);
    expect(kept).toHaveLength(100);
    expect(kept.map((c) => c.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 99_900 + i));
    expect(ring.dropped).toBe(99_900 * 10);
  });
});
