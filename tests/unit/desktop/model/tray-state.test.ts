import { describe, expect, it } from 'vitest';
import {
  serversTooltip,
  TOOLTIP_MAX,
  TRAY_STATE_ORDER,
  TRAY_STATES,
  trayState,
  trayTooltip,
  worstTrayState,
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

describe('several servers', () => {
  const server = (name: string, partial: Parameters<typeof aStatus>[0] = {}) =>
    aStatus({ profileId: name, profileName: name, serverName: `${name}.example`, ...partial });
  const busy = { runId: 'r', title: 'Restart Tuwunel' };
  const maintenance = { on: true, since: at(), reason: 'upgrade' };

  it('the icon is the worst server: a failure anywhere wins, all OK needs every server OK', () => {
    expect(worstTrayState([server('a'), server('b'), server('c')])).toBe('ok');
    expect(worstTrayState([server('a'), server('b', { overall: 'fail' }), server('c')])).toBe('fail');
    expect(worstTrayState([server('a', { overall: 'warn' }), server('b')])).toBe('warn');
    expect(worstTrayState([server('a', { overall: 'fail' }), server('b', { busy })])).toBe('fail');
  });

  it('a run or maintenance on one server does not hide a warning on another', () => {
    expect(worstTrayState([server('a', { busy }), server('b', { overall: 'warn' })])).toBe('warn');
    expect(worstTrayState([server('a', { maintenance }), server('b', { overall: 'warn' })])).toBe('warn');
    expect(worstTrayState([server('a', { maintenance }), server('b', { busy })])).toBe('busy');
    expect(worstTrayState([server('a', { maintenance }), server('b')])).toBe('maintenance');
  });

  it('a server not checked yet makes the whole picture unknown, and no server is unknown', () => {
    expect(worstTrayState([server('a'), server('b', { lastRefresh: null })])).toBe('unknown');
    expect(worstTrayState([])).toBe('unknown');
  });

  it('ranks every state exactly once', () => {
    expect([...TRAY_STATE_ORDER].sort()).toEqual([...TRAY_STATES].sort());
  });

  it('the tooltip counts the servers and names those not OK, worst first', () => {
    expect(serversTooltip([server('a'), server('b')])).toBe('2 servers: all OK');
    expect(
      serversTooltip([server('a', { overall: 'warn' }), server('b'), server('c', { overall: 'fail' })]),
    ).toBe('3 servers: c failing; a warning');
    // One server keeps the one-server tooltip; none says there is nothing set up.
    expect(serversTooltip([server('a')])).toBe('a.example: all 2 checks OK');
    expect(serversTooltip([])).toBe('Homeserver Tray: no server set up yet');
  });

  it('the tooltip of many failing servers stays within the 127 characters Windows shows', () => {
    const many = Array.from({ length: 10 }, (_, i) => server(`server-${i}`, { overall: 'fail' }));
    const tip = serversTooltip(many);
    expect(Array.from(tip).length).toBe(TOOLTIP_MAX);
    expect(tip.startsWith('10 servers: server-0 failing; ')).toBe(true);
  });
});
