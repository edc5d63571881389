import { describe, expect, it } from 'vitest';
import { diskForecast } from '../../../../src-main/core/forecast/disk';
import { dueThreshold } from '../../../../src-main/core/forecast/expiry';
import { parseBootstrap, rdapBaseFor, SHIPPED_BOOTSTRAP } from '../../../../src-main/core/forecast/rdap';
import { DAY_MS, HOUR_MS } from '../../../../src-main/core/history/history-store';

const NOW = Date.UTC(2026, 11, 1);

describe('notify-before thresholds', () => {
  it('tells the lowest threshold crossed, once, and never a higher one after it', () => {
    const told = new Set<number>();
    const claim = (d: number) => {
      if (told.has(d)) return false;
      told.add(d);
      return true;
    };
    const expires = NOW + 30 * DAY_MS;
    expect(dueThreshold(expires, NOW, [21, 14, 7], claim)).toBeNull();
    // First seen at 10 days left: 14 is told (21 is claimed with it), then nothing until 7.
    expect(dueThreshold(expires, expires - 10 * DAY_MS, [21, 14, 7], claim)).toBe(14);
    expect(dueThreshold(expires, expires - 9 * DAY_MS, [21, 14, 7], claim)).toBeNull();
    expect(dueThreshold(expires, expires - 7 * DAY_MS, [21, 14, 7], claim)).toBe(7);
    expect(dueThreshold(expires, expires - 2 * DAY_MS, [21, 14, 7], claim)).toBeNull();
    expect([...told].sort((a, b) => a - b)).toEqual([7, 14, 21]);
  });
});

describe('disk days-to-full', () => {
  const series = (perDay: number, days: number) =>
    Array.from({ length: days * 24 }, (_, h) => ({
      at: NOW - days * DAY_MS + h * HOUR_MS,
      value: 50e9 + (perDay * h) / 24,
    }));

  it('divides the free space by the growth seen', () => {
    const f = diskForecast(series(1e9, 10), 20e9, NOW);
    expect(f?.daysToFull).toBeCloseTo(20, 5);
    expect(f?.growthBytesPerDay).toBeCloseTo(1e9, 0);
  });

  it('forecasts nothing for a disk that does not grow, or too little history', () => {
    expect(diskForecast(series(-1e9, 10), 20e9, NOW)?.daysToFull).toBeNull();
    expect(diskForecast(series(1e9, 10).slice(-12), 20e9, NOW)).toBeNull();
  });
});

describe('RDAP bootstrap', () => {
  it("ships IANA's file with its publication date and finds the registry of a name", () => {
    expect(SHIPPED_BOOTSTRAP.publication).toBe('2024-04-24T18:00:02Z');
    expect(rdapBaseFor(SHIPPED_BOOTSTRAP, 'matrix.rampancy.cloud')).toEqual({
      suffix: 'cloud',
      base: 'https://rdap.registry.cloud/rdap/',
    });
    expect(rdapBaseFor(SHIPPED_BOOTSTRAP, 'example.COM.')?.base).toBe('https://rdap.verisign.com/com/v1/');
    expect(rdapBaseFor(SHIPPED_BOOTSTRAP, 'host.invalid-tld-xyz')).toBeNull();
  });

  it('prefers the longest suffix and an https URL, and never uses http', () => {
    const b = parseBootstrap({
      publication: '2026-01-01T00:00:00Z',
      services: [
        [['uk'], ['http://plain.example/', 'https://uk.example/rdap']],
        [['co.uk'], ['https://co-uk.example/']],
        [['tv'], ['http://only-http.example/']],
      ],
    });
    if (!b) throw new Error('parse');
    expect(rdapBaseFor(b, 'a.example.co.uk')).toEqual({ suffix: 'co.uk', base: 'https://co-uk.example/' });
    expect(rdapBaseFor(b, 'example.uk')).toEqual({ suffix: 'uk', base: 'https://uk.example/rdap/' });
    expect(rdapBaseFor(b, 'x.tv')).toBeNull();
    expect(parseBootstrap({ publication: 'yesterday', services: [] })).toBeNull();
  });
});
