import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { LogsPanel } from '../../src-renderer/src/panels/logs';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

/** Lines as `journalctl -fu matrix-tuwunel` prints them. */
const lines = (n: number, from = 0, text = (i: number) => `request ${i} handled`): string[] =>
  Array.from({ length: n }, (_, k) => `May 21 16:37:49 matrix matrix-tuwunel[812]: ${text(from + k)}`);

async function open() {
  let stream = 0;
  h = harness({
    'logs.follow': () => ({ streamId: `s${++stream}` }),
    'logs.stop': () => ({ stopped: true }),
  });
  await h.store.getState().boot();
  const view = renderWith(h, <LogsPanel />);
  await act(async () => {});
  return view;
}

function rows(): HTMLElement[] {
  return [...screen.getByRole('log').querySelectorAll<HTMLElement>('.log-row')];
}

describe('Logs', () => {
  it('follows the first unit when opened, and stops when closed', async () => {
    const view = await open();
    expect(h.fake.callsTo('logs.follow')).toEqual([{ unit: 'matrix-tuwunel' }]);
    const line =
      'May 21 16:37:49 matrix matrix-tuwunel[812]: 2026-05-21T16:37:49Z ERROR tuwunel: database lock held';
    act(() => h.fake.emit('logs.lines', { streamId: 's1', lines: [line] }));
    const row = rows()[0];
    expect(row?.textContent).toBe(line);
    // The severity is in the words; the class only repeats it.
    expect(row?.className).toContain('sev-err');
    view.unmount();
    await act(async () => {});
    expect(h.fake.callsTo('logs.stop')).toEqual([{ streamId: 's1' }]);
  });

  it('switches units from the picker', async () => {
    await open();
    await act(async () =>
      fireEvent.change(screen.getByLabelText('Unit'), { target: { value: 'matrix-traefik' } }),
    );
    expect(h.fake.callsTo('logs.stop')).toEqual([{ streamId: 's1' }]);
    expect(h.fake.callsTo('logs.follow').at(-1)).toEqual({ unit: 'matrix-traefik' });
    expect(h.store.getState().logStreamId).toBe('s2');
  });

  it('keeps 100 000 lines but puts only the rows in view into the page', async () => {
    await open();
    act(() => {
      for (let i = 0; i < 10; i++)
        h.fake.emit('logs.lines', { streamId: 's1', lines: lines(10_000, i * 10_000) });
    });
    expect(screen.getByTestId('log-count').textContent).toContain('100,000 lines');
    const shown = rows();
    expect(shown.length).toBeGreaterThan(10);
    expect(shown.length).toBeLessThan(120);
    // Following: the newest line is in view.
    expect(shown.at(-1)?.textContent).toContain('request 99999 handled');
  });

  it('filters, and pausing freezes the view while lines keep arriving', async () => {
    await open();
    act(() =>
      h.fake.emit('logs.lines', {
        streamId: 's1',
        lines: lines(50, 0, (i) => (i % 5 === 0 ? `federation error ${i}` : `ok ${i}`)),
      }),
    );
    fireEvent.change(screen.getByLabelText('Filter'), { target: { value: 'ERROR' } });
    expect(screen.getByTestId('log-count').textContent).toContain('10 matching lines');
    expect(rows().every((r) => r.textContent?.includes('federation error'))).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(screen.getByRole('button', { name: 'Resume' }).getAttribute('aria-pressed')).toBe('true');
    act(() =>
      h.fake.emit('logs.lines', { streamId: 's1', lines: lines(5, 50, (i) => `federation error ${i}`) }),
    );
    expect(screen.getByTestId('log-count').textContent).toContain('10 matching lines, 5 new while paused');
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    expect(screen.getByTestId('log-count').textContent).toContain('15 matching lines');
  });

  it('reuses the row elements as the journal grows: new text, no new elements', async () => {
    await open();
    act(() => h.fake.emit('logs.lines', { streamId: 's1', lines: lines(1_000) }));
    const before = rows();
    act(() => h.fake.emit('logs.lines', { streamId: 's1', lines: lines(500, 1_000) }));
    const after = rows();
    expect(after).toHaveLength(before.length);
    expect(after.every((r, i) => r === before[i])).toBe(true);
    expect(after.at(-1)?.textContent).toContain('request 1499 handled');
  });

  it('pausing with the button keeps the newest line of the moment in view', async () => {
    await open();
    act(() => h.fake.emit('logs.lines', { streamId: 's1', lines: lines(1_000) }));
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    act(() => h.fake.emit('logs.lines', { streamId: 's1', lines: lines(500, 1_000) }));
    expect(rows().at(-1)?.textContent).toContain('request 999 handled');
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    expect(rows().at(-1)?.textContent).toContain('request 1499 handled');
  });

  it('scrolling up while following pauses, and the view stays where it was scrolled to', async () => {
    await open();
    act(() => h.fake.emit('logs.lines', { streamId: 's1', lines: lines(10_000) }));
    const log = screen.getByRole('log');
    // Row 100 at the top (rows are 18 px).
    log.scrollTop = 1_800;
    fireEvent.scroll(log);
    expect(screen.getByRole('button', { name: 'Resume' }).getAttribute('aria-pressed')).toBe('true');
    expect(rows().some((r) => r.textContent?.endsWith('request 100 handled'))).toBe(true);
    act(() => h.fake.emit('logs.lines', { streamId: 's1', lines: lines(100, 10_000) }));
    expect(rows().some((r) => r.textContent?.endsWith('request 100 handled'))).toBe(true);
    expect(screen.getByTestId('log-count').textContent).toContain('10,000 lines, 100 new while paused');
  });

  it('says why the stream ended', async () => {
    await open();
    act(() =>
      h.fake.emit('logs.ended', {
        streamId: 's1',
        error: {
          code: 'ConnectionLost',
          message: 'The connection to the homeserver host dropped during journalctl.',
          nextStep: 'The next attempt reconnects.',
        },
      }),
    );
    expect(within(screen.getByRole('alert')).getByText(/dropped during journalctl/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Follow' })).toBeTruthy();
  });
});
