import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { LogBuffer } from '../../src-renderer/src/lib/log-buffer';
import { sweep } from '../support/sweep';

const line = (message: string): string => message;

function visible(buffer: LogBuffer, filter: string): string[] {
  const view = buffer.matching(filter);
  const out: string[] = [];
  for (let i = 0; i < view.length; i++) out.push(buffer.at(view.at(i) ?? -1) ?? '<gap>');
  return out;
}

describe('LogBuffer', () => {
  it('keeps the newest lines up to its cap, addressed by absolute index', () => {
    const b = new LogBuffer(100);
    for (let i = 0; i < 130; i++) b.append([line(`l${i}`)]);
    expect(b.size).toBeLessThanOrEqual(125);
    expect(b.end).toBe(130);
    expect(b.at(129)).toBe('l129');
    expect(b.at(0)).toBeUndefined();
    expect(visible(b, '').at(-1)).toBe('l129');
  });

  it('filters case-insensitively and extends the filtered view as lines arrive, matching a full rescan', () => {
    const batches = fc.array(
      fc.array(fc.constantFrom('Error x', 'ok', 'warn ERROR', 'fine', 'error'), { maxLength: 30 }),
      {
        maxLength: 20,
      },
    );
    fc.assert(
      fc.property(batches, fc.constantFrom('error', 'ERR', 'o', ''), (bs, filter) => {
        const b = new LogBuffer(50);
        const all: string[] = [];
        for (const batch of bs) {
          b.append(batch.map((m) => line(m)));
          all.push(...batch);
          const kept = all.slice(all.length - b.size);
          expect(visible(b, filter)).toEqual(
            kept.filter((m) => m.toLowerCase().includes(filter.toLowerCase())),
          );
        }
      }),
      { numRuns: sweep(300) },
    );
  });

  it('filters 100 000 lines incrementally: appending does not rescan', () => {
    const b = new LogBuffer();
    const lines = Array.from({ length: 100_000 }, (_, i) =>
      line(i % 10 === 0 ? `tuwunel error ${i}` : `request ${i}`),
    );
    b.append(lines);
    // Lines looked at, counted where the filter reads each one (not timed: a busy machine makes any time
    // bound flaky). The first filter reads all 100 000, which also shows the count sees the scan.
    const read = vi.spyOn(String.prototype, 'toLowerCase');
    try {
      expect(b.matching('error').length).toBe(10_000);
      expect(read.mock.calls.length).toBeGreaterThanOrEqual(100_000);
      read.mockClear();
      for (let i = 0; i < 100; i++) {
        b.append([line(`late error ${i}`)]);
        b.matching('error');
      }
      // Each round reads the filter and the one new line (200 in all); a rescan would read 100 000 a round.
      expect(read.mock.calls.length).toBeLessThan(1_000);
    } finally {
      read.mockRestore();
    }
    expect(b.matching('error').length).toBe(10_100);
  });
});
