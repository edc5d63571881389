import { describe, expect, it } from 'vitest';
import { compareVersions, parseVersion, sameVersion } from '../../../../src-main/core/lib/version';
import {
  applyMaintenance,
  applyStaleness,
  mergeResults,
  overallLevel,
} from '../../../../src-main/core/status/aggregate';
import type { FreshResult } from '../../../../src-main/core/status/service';
import { type CheckResult, LEVELS, worstLevel } from '../../../../src-main/core/status/types';

const T0 = '2026-05-22T12:00:00.000Z';
const T1 = '2026-05-22T12:00:30.000Z';

function result(id: string, over: Partial<CheckResult> = {}): CheckResult {
  return {
    id,
    host: 'homeserver',
    group: 'g',
    title: id,
    level: 'ok',
    detail: 'd.',
    since: T0,
    checkedAt: T0,
    units: [],
    ...over,
  };
}

describe('levels', () => {
  it('orders ok < maintenance < warn < unknown < fail', () => {
    expect(LEVELS).toEqual(['ok', 'maintenance', 'warn', 'unknown', 'fail']);
    expect(worstLevel([])).toBe('ok');
    expect(worstLevel(['ok', 'maintenance'])).toBe('maintenance');
    expect(worstLevel(['maintenance', 'warn', 'ok'])).toBe('warn');
    expect(worstLevel(['warn', 'unknown'])).toBe('unknown');
    expect(worstLevel(['unknown', 'fail', 'ok'])).toBe('fail');
    expect(overallLevel([result('a'), result('b', { level: 'warn' })])).toBe('warn');
  });
});

describe('mergeResults', () => {
  it('replaces polled hosts whole, keeps the others, and carries since while the level holds', () => {
    const prev = [
      result('unit:a'),
      result('unit:gone'),
      result('config:x', { host: 'deploy' }),
      result('unit:b', { level: 'fail' }),
    ];
    const freshOf = (id: string, over: Partial<CheckResult> = {}): FreshResult => {
      const { since: _measuredNot, ...r } = result(id, { checkedAt: T1, ...over });
      return r;
    };
    const fresh: FreshResult[] = [
      freshOf('unit:a'),
      freshOf('unit:b'),
      { ...freshOf('unit:c', { level: 'fail' }), since: '2026-05-01T00:00:00.000Z' },
    ];
    const merged = mergeResults(prev, fresh, new Set(['homeserver']));
    const by = Object.fromEntries(merged.map((r) => [r.id, r]));
    expect(Object.keys(by).sort()).toEqual(['config:x', 'unit:a', 'unit:b', 'unit:c']);
    expect(by['unit:a']).toMatchObject({ since: T0, checkedAt: T1 });
    expect(by['unit:b']).toMatchObject({ level: 'ok', since: T1 });
    expect(by['unit:c']!.since).toBe('2026-05-01T00:00:00.000Z');
    expect(by['config:x']!.checkedAt).toBe(T0);
  });
});

describe('applyMaintenance', () => {
  const results = [
    result('unit:matrix-tuwunel', { units: ['matrix-tuwunel'], level: 'fail' }),
    result('http:client-versions', {
      units: ['matrix-tuwunel', 'matrix-traefik'],
      level: 'fail',
      host: 'public',
    }),
    result('unit:matrix-postgres', { units: ['matrix-postgres'] }),
    result('disk:tuwunel-data', { units: [] }),
  ];

  it('turns checks of the affected units into maintenance, keeping the measured level', () => {
    const out = applyMaintenance(results, [
      { key: 'r', units: ['matrix-traefik'], reason: 'Restart Traefik' },
    ]);
    expect(out.map((r) => r.level)).toEqual(['fail', 'maintenance', 'ok', 'ok']);
    expect(out[1]).toMatchObject({ underlying: 'fail' });
    expect(out[1]!.detail).toBe('Under maintenance (Restart Traefik); measured fail: d.');
  });

  it('covers every unit-bound check in maintenance mode, never the unit-less ones', () => {
    const out = applyMaintenance(results, [{ key: 'mode', units: 'all', reason: 'Maintenance stop' }]);
    expect(out.map((r) => r.level)).toEqual(['maintenance', 'maintenance', 'maintenance', 'ok']);
    expect(applyMaintenance(results, [])).toBe(results);
  });
});

describe('applyStaleness', () => {
  it('makes results older than two intervals unknown', () => {
    const now = Date.parse(T0);
    const r = [
      result('a', { checkedAt: new Date(now - 60_000).toISOString() }),
      result('b', { checkedAt: new Date(now - 61_000).toISOString(), level: 'fail' }),
    ];
    const out = applyStaleness(r, now, 30_000);
    expect(out[0]!.level).toBe('ok');
    expect(out[1]).toMatchObject({ level: 'unknown', underlying: 'fail' });
  });
});

describe('versions', () => {
  it('parses tags and API versions and orders pre-releases before releases', () => {
    expect(parseVersion('v1.7.0')?.core).toBe('1.7.0');
    expect(parseVersion('1.9.0 (abc123)')?.core).toBe('1.9.0');
    expect(parseVersion('1.8.0-rc.1+build')?.core).toBe('1.8.0-rc.1');
    expect(parseVersion('latest')).toBeNull();
    const v = (s: string) => parseVersion(s)!;
    expect(compareVersions(v('1.7.0'), v('1.8.0'))).toBeLessThan(0);
    expect(compareVersions(v('1.8.0-rc.1'), v('1.8.0'))).toBeLessThan(0);
    expect(compareVersions(v('1.10.0'), v('1.9.9'))).toBeGreaterThan(0);
    expect(sameVersion('v1.7.0', '1.7.0')).toBe(true);
    expect(sameVersion('v1.7.0', '1.7.1')).toBe(false);
    expect(sameVersion('main', 'main')).toBe(true);
  });
});
