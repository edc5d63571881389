import { describe, expect, it } from 'vitest';
import { formatStatusTable, sinceText, statusExitCode } from '../../../../src-main/core/status/report';
import type { CheckResult, Level } from '../../../../src-main/core/status/types';

const NOW = Date.UTC(2026, 4, 22, 12);

function r(id: string, level: Level, over: Partial<CheckResult> = {}): CheckResult {
  return {
    id,
    host: 'homeserver',
    group: 'matrix-tuwunel',
    title: id,
    level,
    detail: `${id} detail.`,
    since: new Date(NOW - 3 * 3600_000).toISOString(),
    checkedAt: new Date(NOW).toISOString(),
    units: [],
    ...over,
  };
}

describe('statusExitCode', () => {
  it.each([
    [['ok', 'ok'], 0],
    [[], 2],
    [['ok', 'warn'], 1],
    [['ok', 'maintenance'], 1],
    [['warn', 'unknown'], 2],
    [['ok', 'fail'], 2],
  ] as [Level[], number][])('%j → %i', (levels, code) => {
    expect(statusExitCode(levels.map((l, i) => r(`c${i}`, l)))).toBe(code);
  });
});

describe('formatStatusTable', () => {
  it('prints host, check, level as a word, since and the detail, hosts in order', () => {
    const text = formatStatusTable(
      [
        r('TLS certificate', 'ok', { host: 'public', group: 'tls' }),
        r('matrix-tuwunel unit', 'fail'),
        r('vars.yml', 'warn', {
          host: 'deploy',
          group: 'config',
          since: new Date(NOW - 30_000).toISOString(),
        }),
      ],
      NOW,
    );
    expect(text).toBe(
      [
        'HOST        CHECK                LEVEL  SINCE  DETAIL',
        'homeserver  matrix-tuwunel unit  FAIL   3 h    matrix-tuwunel unit detail.',
        'deploy      vars.yml             WARN   30 s   vars.yml detail.',
        'public      TLS certificate      OK     3 h    TLS certificate detail.',
        '',
        'Overall: FAIL',
        '',
      ].join('\n'),
    );
  });

  it('says how long in human units', () => {
    const ago = (s: number) => sinceText(new Date(NOW - s * 1000).toISOString(), NOW);
    expect([ago(5), ago(600), ago(7200), ago(5 * 86400)]).toEqual(['5 s', '10 min', '2 h', '5 d']);
  });
});
