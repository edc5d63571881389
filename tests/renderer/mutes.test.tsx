import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { Check, MuteView, StatusSnapshot } from '../../src-main/ipc/contract';
import { Dashboard } from '../../src-renderer/src/panels/dashboard';
import { refuse } from './fake-api';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

const down: Partial<Check> = {
  level: 'fail',
  alert: 'down',
  detail: 'matrix-tuwunel has failed; start it again.',
};

function failing(muted = false): StatusSnapshot {
  const checks = fx.greenStatus.checks.map((c) =>
    c.id === 'unit:matrix-tuwunel' ? { ...c, ...down, ...(muted ? { muted: true } : {}) } : c,
  );
  return { ...fx.greenStatus, overall: 'fail', checks };
}

const unitMute: MuteView = {
  key: 'unit:matrix-tuwunel',
  target: { kind: 'unit', unit: 'matrix-tuwunel' },
  label: 'unit matrix-tuwunel',
  since: fx.at(),
  until: null,
};

async function show(status: StatusSnapshot, extra: Parameters<typeof harness>[0] = {}) {
  h = harness({ 'status.get': () => status, ...extra });
  await h.store.getState().boot();
  renderWith(h, <Dashboard />);
}

describe('Dashboard: mute', () => {
  it('the header mutes the whole server for 1 h or 8 h; "until it recovers" only while something fails', async () => {
    await show(fx.greenStatus, {
      'mutes.set': ({ target }) => ({
        mute: { ...unitMute, key: 'server', target, label: 'the whole server' },
      }),
    });
    const header = screen.getByRole('heading', { level: 1 }).closest('header') as HTMLElement;
    const menu = within(header).getByLabelText('Mute alerts about the whole server');
    fireEvent.click(menu);
    expect(within(header).queryByRole('button', { name: 'until it recovers' })).toBeNull();
    await act(async () => {
      fireEvent.click(within(header).getByRole('button', { name: 'for 8 hours' }));
    });
    expect(h.fake.callsTo('mutes.set')).toEqual([
      { target: { kind: 'server' }, duration: '8h', profileId: 'rampancy' },
    ]);
  });

  it('a failing unit’s card mutes that unit until it recovers', async () => {
    await show(failing(), { 'mutes.set': () => ({ mute: unitMute }) });
    const card = screen.getByTestId('problem-unit:matrix-tuwunel');
    await act(async () => {
      fireEvent.click(within(card).getByRole('button', { name: 'until it recovers' }));
    });
    expect(h.fake.callsTo('mutes.set')).toEqual([
      { target: { kind: 'unit', unit: 'matrix-tuwunel' }, duration: 'recovered', profileId: 'rampancy' },
    ]);
  });

  it('while muted: the check keeps its colour, a banner says what and until when, and Unmute ends it', async () => {
    const muted = { ...failing(true), mutes: [unitMute] };
    await show(muted, { 'mutes.clear': () => ({ cleared: true }) });
    const banner = screen.getByTestId('mute-unit:matrix-tuwunel');
    expect(banner.textContent).toContain('Alerts muted for unit matrix-tuwunel until it recovers');
    const card = screen.getByTestId('problem-unit:matrix-tuwunel');
    expect(card.className).toContain('problem-fail');
    expect(within(card).getByText('alerts muted')).toBeTruthy();
    expect(within(card).queryByText('Mute alerts')).toBeNull();
    await act(async () => {
      fireEvent.click(within(banner).getByRole('button', { name: 'Unmute' }));
    });
    expect(h.fake.callsTo('mutes.clear')).toEqual([{ key: 'unit:matrix-tuwunel', profileId: 'rampancy' }]);
    // Another process's unmute arrives as a status event: the banner goes.
    act(() => h.fake.emit('status.changed', failing()));
    expect(screen.queryByTestId('mute-unit:matrix-tuwunel')).toBeNull();
  });

  it('a refused mute says why and what to do', async () => {
    await show(failing(), {
      'mutes.set': () =>
        refuse(
          'InvalidInput',
          'duration: nothing it covers is failing now',
          'Correct duration and try again.',
        ),
    });
    const card = screen.getByTestId('problem-unit:matrix-tuwunel');
    await act(async () => {
      fireEvent.click(within(card).getByRole('button', { name: 'for 1 hour' }));
    });
    expect(screen.getByText(/nothing it covers is failing now/)).toBeTruthy();
  });
});
