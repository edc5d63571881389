import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistorySummary, StatusSnapshot } from '../../src-main/ipc/contract';
import { percent, sparkGeometry } from '../../src-renderer/src/lib/history-model';
import { Dashboard } from '../../src-renderer/src/panels/dashboard';
// The lazy chart chunk, transformed with the file rather than inside the first test's wait for it.
import '../../src-renderer/src/panels/history';
import { refuse } from './fake-api';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

async function show(overrides: Parameters<typeof harness>[0] = {}) {
  h = harness(overrides);
  await h.store.getState().boot();
  renderWith(h, <Dashboard />);
  // The chart section is its own chunk and loads its history after the checks render.
  return screen.findByTestId('history-server');
}

const bars = () => [...document.querySelectorAll<SVGRectElement>('.uptime-bars rect')];

describe('Dashboard history: the server’s uptime strip', () => {
  it('draws one bar per half hour, coloured by what it was, and nobody-looked stretches as gaps, not downtime', async () => {
    await show();
    const all = bars();
    expect(all).toHaveLength(48);
    expect(all.map((b) => b.dataset.state)).toEqual(fx.historySummary.bars.bars.map((b) => b.state));
    const gap = all[0] as SVGRectElement;
    const up = all[20] as SVGRectElement;
    const down = all[30] as SVGRectElement;
    expect(gap.getAttribute('class')).toBe('bar bar-none');
    // A gap is a short tick on the floor; every bar with data is full height.
    expect(Number(gap.getAttribute('height'))).toBeLessThan(Number(up.getAttribute('height')) / 4);
    expect(down.getAttribute('class')).toBe('bar bar-down');
    expect(gap.querySelector('title')?.textContent).toMatch(
      /no data \(the computer slept or the app was closed\)$/,
    );
    expect(down.querySelector('title')?.textContent).toMatch(
      /down most of the time \(16\.7 % available, down 25 min\)$/,
    );
    const strip = screen.getByRole('img', { name: /^Uptime of rampancy\.cloud\./ });
    expect(strip.getAttribute('aria-label')).toBe(
      'Uptime of rampancy.cloud. Uptime over the last 24 hours: 48 half hours, 33 up, 2 with downtime, 1 in maintenance, 12 without data.',
    );
  });

  it('gives the availability over the range, and how much of it was watched', async () => {
    const section = await show();
    expect(within(section).getByTestId('history-availability').textContent).toBe('99.31 %');
    expect(section.textContent).toContain('available over the last 24 hours');
    expect(section.textContent).toContain('watched 75.0 % of it; the rest is shown as gaps');
  });

  it('shows the response times of the checks the server still has, with their last value and availability', async () => {
    await show();
    const rows = screen.getAllByTestId(/^history-row-/).map((r) => r.dataset.testid);
    expect(rows).toEqual(['history-row-http:client-versions', 'history-row-ssh:homeserver']);
    const client = screen.getByTestId('history-row-http:client-versions');
    expect(within(client).getByRole('rowheader').textContent).toBe('Client API');
    expect(within(client).getByRole('img').getAttribute('aria-label')).toBe(
      'Response time of Client API: last 52 ms, between 40 ms and 64 ms',
    );
    // A half hour without a measurement breaks the line: two runs, not one line drawn across the outage.
    const path = client.querySelector('path')?.getAttribute('d') ?? '';
    expect(path.match(/M/g)).toHaveLength(2);
    expect(client.textContent).toContain('52 ms');
    expect(client.textContent).toContain('99.31 %');
  });

  it('switches the range: the charts and the incidents of 7 days are asked for', async () => {
    const seven: HistorySummary = {
      ...fx.historySummary,
      range: '7d',
      bars: { ...fx.historySummary.bars, range: '7d' },
    };
    await show({ 'history.summary': (r) => (r.range === '7d' ? seven : fx.historySummary) });
    const button = screen.getByRole('button', { name: '7 d' });
    expect(button.getAttribute('aria-pressed')).toBe('false');
    await act(async () => fireEvent.click(button));
    // Asked for the server the window shows (with several, another one's history is not this one's).
    expect(h.fake.callsTo('history.summary').at(-1)).toEqual({ range: '7d', profileId: 'rampancy' });
    expect(h.fake.callsTo('history.incidents').at(-1)).toEqual({ days: 7, profileId: 'rampancy' });
    expect(screen.getByRole('button', { name: '7 d' }).getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByTestId('history-server').textContent).toContain('over the last 7 days');
  });

  it('reads the history again after each poll, not on every other status change', async () => {
    await show();
    const before = h.fake.callsTo('history.summary').length;
    await act(async () => h.fake.emit('status.changed', { ...fx.greenStatus, refreshing: true }));
    expect(h.fake.callsTo('history.summary')).toHaveLength(before);
    await act(async () =>
      h.fake.emit('status.changed', { ...fx.greenStatus, lastRefresh: fx.at(90_000) } as StatusSnapshot),
    );
    expect(h.fake.callsTo('history.summary')).toHaveLength(before + 1);
  });

  it('says in a sentence why there are no charts, and the checks are there all the same', async () => {
    h = harness({
      'history.summary': () =>
        refuse(
          'HistoryUnavailable',
          'The uptime history is not available: the SQLite module could not load.',
          'The status keeps working without history. Move history.sqlite out of the data folder to start a new one, or restart the app.',
        ),
    });
    await h.store.getState().boot();
    renderWith(h, <Dashboard />);
    const section = await screen.findByTestId('history');
    await waitFor(() => expect(within(section).getByRole('alert').textContent).toContain('SQLite module'));
    expect(screen.getByTestId('check-group-services')).toBeTruthy();
  });

  it('reads "no data", not 0 % or NaN, for a server polled once (its first poll stands for no time)', async () => {
    // What the main process answers after the first poll: nothing covered yet, one response time measured.
    const none = { '24h': null, '7d': null, '30d': null };
    const fresh: HistorySummary = {
      ...fx.historySummary,
      server: fx.historySummary.server && { ...fx.historySummary.server, availability: none, observed: none },
      bars: {
        ...fx.historySummary.bars,
        bars: fx.historySummary.bars.bars.map((b) => ({
          ...b,
          state: 'none',
          availability: null,
          downMs: 0,
        })),
      },
      checks: fx.historySummary.checks.map((c) => ({ ...c, availability: none, observed: none })),
      sparklines: [
        {
          check: 'http:client-versions',
          range: '24h',
          points: fx.historySummary.bars.bars.map((b, i) => ({
            at: b.start,
            avgMs: i === 47 ? 52 : null,
            maxMs: i === 47 ? 52 : null,
          })),
        },
      ],
    };
    const section = await show({ 'history.summary': () => fresh });
    expect(within(section).getByTestId('history-availability').textContent).toBe('no data');
    expect(section.textContent).not.toContain('watched');
    expect(bars().every((b) => b.dataset.state === 'none')).toBe(true);
    const client = screen.getByTestId('history-row-http:client-versions');
    expect(client.textContent).toContain('52 ms');
    expect(client.textContent).toContain('no data');
    expect(screen.getByTestId('history').textContent).not.toMatch(/NaN|0\.0 %/);
    expect(screen.queryByTestId('availability-http:client-versions')).toBeNull();
  });

  it('shows a check’s availability when its row is opened', async () => {
    await show();
    const row = screen.getByTestId('check-http:client-versions');
    expect(within(row).getByTestId('availability-http:client-versions').textContent).toBe(
      'Available 99.31 % over 24 h, 99.61 % over 7 days, 99.93 % over 30 days.',
    );
  });
});

describe('Dashboard history of several servers', () => {
  it("asks for the history of the server shown, and never shows one server's charts under another's name", async () => {
    const family: StatusSnapshot = { ...fx.greenStatus, profileId: 'family', serverName: 'family.example' };
    const familyServer = fx.historySummary.server;
    if (!familyServer) throw new Error('fixture');
    const familySummary: HistorySummary = {
      ...fx.historySummary,
      server: { ...familyServer, availability: { ...familyServer.availability, '24h': 0.5 } },
    };
    let selected = 'rampancy';
    let answerFamily: () => void = () => {};
    const familyAnswered = new Promise<void>((r) => {
      answerFamily = r;
    });
    const list = () => ({
      selectedId: selected,
      profiles: [
        ...fx.profiles.profiles,
        { id: 'family', name: 'Family', serverName: 'family.example', file: '/f.yaml', units: [] },
      ],
    });
    await show({
      'profiles.list': list,
      'profiles.select': ({ id }) => {
        selected = id;
        return list();
      },
      'status.get': () => (selected === 'family' ? family : fx.greenStatus),
      'status.all': () => ({ servers: [fx.greenStatus, family] }),
      // The family server's history answers late: meanwhile the window has no charts to show for it.
      'history.summary': async ({ profileId }) =>
        profileId === 'family' ? familyAnswered.then(() => familySummary) : fx.historySummary,
    });
    expect(screen.getByTestId('history-availability').textContent).toBe('99.31 %');
    expect(h.fake.callsTo('history.summary').every((r) => r.profileId === 'rampancy')).toBe(true);

    await act(() => h.store.getState().selectProfile('family'));
    await waitFor(() => expect(h.fake.callsTo('history.summary').at(-1)?.profileId).toBe('family'));
    expect(h.fake.callsTo('history.incidents').at(-1)?.profileId).toBe('family');
    expect(screen.queryByTestId('history-server')).toBeNull();
    await act(async () => answerFamily());
    await waitFor(() => expect(screen.getByTestId('history-availability').textContent).toBe('50.0 %'));
  });
});

describe('Dashboard history: the incident timeline', () => {
  it('tells each incident from down to recovered, with the action run and the gap in between, in time order', async () => {
    await show({ 'history.incidents': () => fx.incidents });
    const incident = await screen.findByTestId('incident-unit:matrix-tuwunel');
    expect(incident.querySelector('.incident-head')?.textContent).toMatch(
      /^matrix-tuwunel unit Down 30 min, recovered \d{4}-\d\d-\d\d \d\d:\d\d$/,
    );
    const events = [...incident.querySelectorAll('.incident-event')].map((e) =>
      e.className.replace('incident-event ', ''),
    );
    expect(events).toEqual(['event-down', 'event-gap', 'event-action', 'event-end']);
    const text = incident.textContent ?? '';
    expect(text).toContain('Went down: matrix-tuwunel is failed (Result: exit-code); restart it.');
    expect(text).toContain('No data for 7 min: the computer slept or the app was closed.');
    // The audit trail names the action by id; the timeline by the catalog's title.
    expect(text).toContain('Restart Tuwunel: Tuwunel was restarted and answers again.');
    expect(text).toContain('Recovered');
    // The strip above: one lane per check, the outage in red, the action as a tick, the gaps greyed.
    const lane = screen.getByText('matrix-tuwunel unit', { selector: '.incident-lane-title' }).parentElement;
    expect(lane?.querySelectorAll('.lane-down')).toHaveLength(1);
    expect(lane?.querySelectorAll('.lane-action')).toHaveLength(1);
    expect(lane?.querySelectorAll('.lane-gap')).toHaveLength(2);
  });

  it('marks an incident still going on, and says when there was none', async () => {
    const [first] = fx.incidents.incidents;
    if (!first) throw new Error('fixture');
    await show({
      'history.incidents': () => ({
        gaps: [],
        incidents: [{ ...first, endedAt: null, endReason: null, actions: [], durationMs: 2 * 3_600_000 }],
      }),
    });
    const incident = await screen.findByTestId('incident-unit:matrix-tuwunel');
    expect(incident.className).toBe('incident incident-ongoing');
    expect(incident.textContent).toContain('Down for 2 h so far');
    expect(incident.querySelectorAll('.incident-event')).toHaveLength(1);
    cleanup();
    h.disconnect();
    await show();
    expect(screen.getByTestId('incidents').textContent).toContain('No check went down in this time.');
  });
});

describe('the charts’ arithmetic', () => {
  it('writes availability as people read it', () => {
    expect(percent(null)).toBe('no data');
    expect(percent(1)).toBe('100 %');
    expect(percent(0.99999)).toBe('100 %');
    expect(percent(0.9993)).toBe('99.93 %');
    expect(percent(0.873)).toBe('87.3 %');
    expect(percent(0.0002)).toBe('less than 0.1 %');
    expect(percent(0)).toBe('0.0 %');
  });

  it('draws a flat line in the middle, single points as dots, and nothing for nothing measured', () => {
    const p = (v: (number | null)[]) => v.map((avgMs, i) => ({ at: fx.at(i), avgMs, maxMs: avgMs }));
    const flat = sparkGeometry(p([50, 50, 50]), 100, 20);
    expect(flat.path).toBe('M2 10 L50 10 L98 10');
    const lonely = sparkGeometry(p([10, null, 30, null, 20]), 100, 20);
    expect(lonely.path).toBe('');
    expect(lonely.dots).toHaveLength(3);
    expect(lonely.lastMs).toBe(20);
    const none = sparkGeometry(p([null, null]), 100, 20);
    expect(none).toMatchObject({ path: '', dots: [], last: null, lastMs: null });
  });
});
