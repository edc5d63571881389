import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProfilesList, RunState, StatusSnapshot } from '../../src-main/ipc/contract';
import { TopBar } from '../../src-renderer/src/panels/top-bar';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

/**
 * Several homeservers in one window: the main process polls every profile, one core each; the window shows
 * the selected one and switches between them without losing what each server's core kept.
 */

const family: StatusSnapshot = {
  ...fx.greenStatus,
  profileId: 'family',
  serverName: 'family.example',
  overall: 'fail',
  checks: fx.greenStatus.checks.map((c) =>
    c.id === 'unit:matrix-tuwunel' ? { ...c, level: 'fail', detail: 'matrix-tuwunel is failed.' } : c,
  ),
};

const twoProfiles = (selectedId: string): ProfilesList => ({
  selectedId,
  profiles: [
    ...fx.profiles.profiles,
    {
      id: 'family',
      name: 'Family',
      serverName: 'family.example',
      file: '/home/me/.config/Homeserver Tray/profiles/family.yaml',
      units: ['matrix-tuwunel'],
    },
  ],
});

function aRun(runId: string, title: string): RunState {
  return {
    runId,
    actionId: 'tuwunel.restart',
    title,
    state: 'ok',
    danger: 'disruptive',
    params: {},
    startedAt: fx.greenStatus.checks[0]?.since as string,
    endedAt: fx.greenStatus.checks[0]?.checkedAt as string,
    steps: [],
    sentence: `${title} done.`,
    nextStep: null,
    followUps: [],
  } as unknown as RunState;
}

/** The main process as the window sees it: one answer per server, by the selection it holds. */
function twoServers() {
  const main = {
    selected: 'rampancy',
    statuses: { rampancy: fx.greenStatus, family } as Record<string, StatusSnapshot>,
  };
  const runs: Record<string, RunState[]> = {
    rampancy: [aRun('run-r', 'Restart Tuwunel on rampancy')],
    family: [aRun('run-f', 'Restart Tuwunel on family')],
  };
  const h = harness({
    'profiles.list': () => twoProfiles(main.selected),
    'profiles.select': ({ id }) => {
      main.selected = id;
      return twoProfiles(id);
    },
    'status.get': () => main.statuses[main.selected] as StatusSnapshot,
    'status.all': () => ({ servers: [main.statuses.rampancy, main.statuses.family] as StatusSnapshot[] }),
    'runs.list': () => ({
      runs: (runs[main.selected] ?? []).map(
        ({ runId, actionId, title, state, startedAt, endedAt, sentence }) => ({
          runId,
          actionId,
          title,
          state,
          startedAt,
          endedAt,
          sentence,
        }),
      ),
    }),
    'runs.get': ({ runId }) => ({
      ...(runs[main.selected]?.find((r) => r.runId === runId) as RunState),
      output: [],
    }),
  });
  return { h, main };
}

const tab = (name: string) =>
  within(screen.getByRole('navigation', { name: 'Servers' })).getByRole('button', { name: new RegExp(name) });

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

describe('the server switcher', () => {
  it('lists every server with its own level; the selected one is pressed', async () => {
    ({ h } = twoServers());
    await act(() => h.store.getState().boot());
    renderWith(h, <TopBar />);
    expect(tab('rampancy').getAttribute('aria-pressed')).toBe('true');
    expect(tab('Family').getAttribute('aria-pressed')).toBe('false');
    expect(tab('rampancy').querySelector('[data-level]')?.getAttribute('data-level')).toBe('ok');
    expect(tab('Family').querySelector('[data-level]')?.getAttribute('data-level')).toBe('fail');
    expect(tab('Family').getAttribute('title')).toMatch(/^Family \(family\.example\): /);
  });

  it("a click shows the other server's status and runs; another server's poll does not replace what is shown", async () => {
    let main: ReturnType<typeof twoServers>['main'];
    ({ h, main } = twoServers());
    await act(() => h.store.getState().boot());
    renderWith(h, <TopBar />);
    await act(async () => fireEvent.click(tab('Family')));
    await vi.waitFor(() => expect(h.store.getState().recentRuns.map((r) => r.runId)).toEqual(['run-f']));
    expect(h.fake.callsTo('profiles.select')).toEqual([{ id: 'family' }]);
    expect(h.store.getState().status?.serverName).toBe('family.example');
    expect(tab('Family').getAttribute('aria-pressed')).toBe('true');

    // rampancy keeps polling in its own core: its warning reaches the switcher, not the page shown.
    const warned = { ...fx.greenStatus, overall: 'warn' as const };
    main.statuses.rampancy = warned;
    act(() => h.fake.emit('status.changed', warned));
    expect(h.store.getState().status?.profileId).toBe('family');
    expect(tab('rampancy').querySelector('[data-level]')?.getAttribute('data-level')).toBe('warn');
    // …and the shown server's own poll is shown.
    act(() => h.fake.emit('status.changed', { ...family, overall: 'ok' }));
    expect(h.store.getState().status?.overall).toBe('ok');
  });

  it('switching back brings back the run panel that server had open', async () => {
    ({ h } = twoServers());
    await act(() => h.store.getState().boot());
    await act(() => h.store.getState().openRun('run-r'));
    await act(() => h.store.getState().selectProfile('family'));
    expect(h.store.getState().activeRunId).toBeNull();
    await act(() => h.store.getState().openRun('run-f'));
    await act(() => h.store.getState().selectProfile('rampancy'));
    await vi.waitFor(() => expect(h.store.getState().activeRunId).toBe('run-r'));
    expect(h.store.getState().runs['run-r']?.title).toBe('Restart Tuwunel on rampancy');
    await act(() => h.store.getState().selectProfile('family'));
    await vi.waitFor(() => expect(h.store.getState().activeRunId).toBe('run-f'));
  });

  it('follows a switch made elsewhere (a tray section, a notification): profiles.changed names the server', async () => {
    let main: ReturnType<typeof twoServers>['main'];
    ({ h, main } = twoServers());
    await act(() => h.store.getState().boot());
    main.selected = 'family';
    act(() => h.fake.emit('profiles.changed', twoProfiles('family')));
    await vi.waitFor(() => expect(h.store.getState().status?.profileId).toBe('family'));
    await vi.waitFor(() => expect(h.store.getState().recentRuns.map((r) => r.runId)).toEqual(['run-f']));
    // A second notice of the same selection (the select answer after the event) loads nothing again.
    const gets = h.fake.callsTo('status.get').length;
    act(() => h.store.getState().setProfiles(twoProfiles('family')));
    expect(h.fake.callsTo('status.get')).toHaveLength(gets);
  });

  it('one server: its name, no switcher', async () => {
    h = harness();
    await act(() => h.store.getState().boot());
    renderWith(h, <TopBar />);
    expect(screen.queryByRole('navigation', { name: 'Servers' })).toBeNull();
    expect(screen.getByText('rampancy.cloud')).toBeTruthy();
  });
});
