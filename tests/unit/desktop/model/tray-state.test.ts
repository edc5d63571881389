import { describe, expect, it } from 'vitest';
import {
  TOOLTIP_MAX,
  TRAY_STATES,
  trayState,
  trayTooltip,
} from '../../../../src-main/desktop/model/tray-state';
import { aCheck, aStatus, at } from './fixtures';

describe('tray icon state', () => {
  it('follows the worst level', () => {
    expect(trayState(aStatus())).toBe('ok');
    expect(trayState(aStatus({ overall: 'warn' }))).toBe('warn');
    expect(trayState(aStatus({ overall: 'fail' }))).toBe('fail');
    expect(trayState(aStatus({ overall: 'unknown' }))).toBe('unknown');
    expect(trayState(aStatus({ overall: 'maintenance' }))).toBe('maintenance');
  });

  it('is unknown without a profile or before the first check', () => {
    expect(trayState(null)).toBe('unknown');
    expect(trayState(aStatus({ profileId: null }))).toBe('unknown');
    expect(trayState(aStatus({ lastRefresh: null }))).toBe('unknown');
  });

  it('shows busy while a mutating run is in progress, whatever the checks say meanwhile', () => {
    expect(trayState(aStatus({ overall: 'fail', busy: { runId: 'r', title: 'Restart Tuwunel' } }))).toBe(
      'busy',
    );
  });

  it('shows maintenance in maintenance mode, but a real failure still wins', () => {
    const maintenance = { on: true, since: at(), reason: 'Maintenance stop' };
    expect(trayState(aStatus({ overall: 'ok', maintenance }))).toBe('maintenance');
    expect(trayState(aStatus({ overall: 'fail', maintenance }))).toBe('fail');
  });

  it('has an icon for each of the six states', () => {
    expect([...TRAY_STATES].sort()).toEqual(['busy', 'fail', 'maintenance', 'ok', 'unknown', 'warn']);
  });
});

describe('tray tooltip', () => {
  it('names the server and sums the state up in one line', () => {
    expect(trayTooltip(aStatus())).toBe('rampancy.cloud: all 2 checks OK');
    expect(trayTooltip(null)).toBe('Homeserver Tray: no server set up yet');
    expect(trayTooltip(aStatus({ busy: { runId: 'r', title: 'Restart Tuwunel' } }))).toBe(
      'rampancy.cloud: running “Restart Tuwunel”',
    );
    expect(trayTooltip(aStatus({ lastRefresh: null, refreshing: true }))).toBe('rampancy.cloud: checking…');
    const status = aStatus({
      overall: 'fail',
      maintenance: { on: true, since: at(), reason: null },
      checks: [
        aCheck({ id: 'a', title: 'matrix-tuwunel unit', level: 'fail' }),
        aCheck({ id: 'b', title: 'Client API', level: 'fail' }),
        aCheck({ id: 'c', title: 'Federation API', level: 'fail' }),
        aCheck({ id: 'd', title: 'Backup', level: 'warn' }),
        aCheck({ id: 'e', title: 'TLS', level: 'unknown' }),
      ],
    });
    expect(trayTooltip(status)).toBe(
      'rampancy.cloud: maintenance, 3 failing (matrix-tuwunel unit, Client API, …), 1 unknown, 1 warning',
    );
    expect(trayTooltip(aStatus({ error: { code: 'Internal', message: 'x', nextStep: 'y' } }))).toBe(
      'rampancy.cloud: the status check itself failed',
    );
  });

  it('stays within the 127 characters Windows shows', () => {
    const tip = trayTooltip(aStatus({ serverName: 'a'.repeat(300) }));
    expect(Array.from(tip).length).toBe(TOOLTIP_MAX);
    expect(tip.endsWith('…')).toBe(true);
  });
});
