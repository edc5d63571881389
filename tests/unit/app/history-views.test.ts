import { describe, expect, it } from 'vitest';
import { barState } from '../../../src-main/app/history-views';

const d = (p: Partial<Record<'ok' | 'maintenance' | 'warn' | 'unknown' | 'fail', number>>) => ({
  ok: 0,
  maintenance: 0,
  warn: 0,
  unknown: 0,
  fail: 0,
  ...p,
});

describe('uptime bar states', () => {
  it('shows nobody looking as a gap, never as up or down', () => {
    expect(barState(d({}))).toBe('none');
  });

  it('shows any downtime: partial while up most of the time, down from half of it', () => {
    expect(barState(d({ ok: 90, fail: 10 }))).toBe('partial');
    expect(barState(d({ ok: 50, fail: 50 }))).toBe('down');
    expect(barState(d({ fail: 1, maintenance: 99 }))).toBe('down');
  });

  it('keeps maintenance and "could not tell" apart from up, and warnings as degraded', () => {
    expect(barState(d({ maintenance: 60, unknown: 10 }))).toBe('maintenance');
    expect(barState(d({ unknown: 60, maintenance: 10 }))).toBe('unknown');
    expect(barState(d({ ok: 50, warn: 1 }))).toBe('degraded');
    expect(barState(d({ ok: 50, maintenance: 50 }))).toBe('up');
  });
});
