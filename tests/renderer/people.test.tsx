import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeoplePanel } from '../../src-renderer/src/panels/people';
import { refuse } from './fake-api';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  vi.setSystemTime(fx.T0);
});
afterEach(() => {
  cleanup();
  h?.disconnect();
  vi.useRealTimers();
});

const user = (n: number) => ({
  userId: `@member${String(n).padStart(4, '0')}:lab.test`,
  displayName: `Member ${n}`,
  admin: false,
  deactivated: false,
  lastActiveAt: fx.at(0),
  deviceCount: null,
});

const mum = {
  userId: '@mum:lab.test',
  displayName: 'Mum',
  admin: false,
  deactivated: false,
  lastActiveAt: fx.at(0),
  deviceCount: 2,
};

async function open(overrides = {}) {
  h = harness({
    'people.list': (req: { from: number; search: string; devices: boolean }) => {
      const all = req.search ? [mum] : [mum, ...Array.from({ length: 1004 }, (_, i) => user(i + 1))];
      const users = all.slice(req.from, req.from + (req.devices ? 50 : 1000));
      const next = req.from + users.length;
      return {
        users,
        total: all.length,
        nextFrom: req.devices || next >= all.length ? null : next,
        route: 'admin-api' as const,
        note: null,
      };
    },
    'people.show': () => ({
      ...mum,
      erased: false,
      route: 'admin-api' as const,
      devices: [
        { deviceId: 'PHONE00001', displayName: 'Lost phone', lastSeenAt: fx.at(0), lastSeenIp: '10.0.0.9' },
      ],
    }),
    'people.signOut': () => ({ removed: ['PHONE00001'] }),
    'people.resetPassword': () => ({ clearsAt: fx.at(30_000), generated: true }),
    'invite.list': () => ({ invites: [] }),
    'invite.autoJoinRooms': () => ({ rooms: ['#family:lab.test'], problem: null }),
    ...overrides,
  });
  await h.store.getState().boot();
  renderWith(h, <PeoplePanel />);
  await act(async () => {});
  await act(async () => vi.advanceTimersByTime(10));
}

describe('People', () => {
  it('lists every page, then counts the devices of the first users', async () => {
    await open();
    expect(screen.getByTestId('people-count').textContent).toBe('1005 users · via the admin API');
    const lists = h.fake.callsTo('people.list') as { from: number; devices: boolean }[];
    expect(lists.map((r) => [r.from, r.devices])).toEqual([
      [0, false],
      [1000, false],
      [0, true],
    ]);
    expect(
      screen.getByText('New people join #family:lab.test (matrix_tuwunel_config_auto_join_rooms).'),
    ).toBeTruthy();
  });

  it('signs out one device after a confirm and resets a password without ever holding it', async () => {
    await open();
    await act(async () =>
      fireEvent.click(screen.getAllByRole('button', { name: /@mum:lab\.test/ })[0] as HTMLElement),
    );
    const row = screen.getByRole('row', { name: /Lost phone/ });
    await act(async () => fireEvent.click(within(row).getByRole('button', { name: 'Sign out…' })));
    await act(async () =>
      fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Sign out' })),
    );
    expect(h.fake.callsTo('people.signOut')).toEqual([{ user: '@mum:lab.test', deviceId: 'PHONE00001' }]);

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Reset password…' })));
    await act(async () =>
      fireEvent.click(
        within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Reset password' }),
      ),
    );
    expect(h.fake.callsTo('people.resetPassword')).toEqual([
      { user: '@mum:lab.test', signOut: true, password: null },
    ]);
    expect(screen.getByTestId('clipboard-password').textContent).toContain('The clipboard clears in 30 s');
  });

  it('issues an invite that brings the new member into a family room, and says so when they joined', async () => {
    await open({
      'invite.create': () => ({
        invite: {
          id: 'inv-1',
          hint: 'AbCd…',
          usesAllowed: 1,
          pending: 0,
          completed: 0,
          expiresAt: fx.at(7 * 86_400_000),
          state: 'pending' as const,
          joined: [],
          inviteTo: '#photos:lab.test',
          inviteProblem: null,
          issuedAt: fx.at(0),
          endedAt: null,
        },
        clearsAt: fx.at(30_000),
      }),
    });
    const field = screen.getByLabelText('Then invite them to (optional)');
    fireEvent.change(field, { target: { value: '#family:lab.test' } });
    // The fixture's auto_join_rooms already hold it: said before anything is issued.
    expect(screen.getByText(/New people join #family:lab\.test by themselves/)).toBeTruthy();
    fireEvent.change(field, { target: { value: ' #photos:lab.test ' } });
    expect(
      screen.queryByText(/by themselves \(matrix_tuwunel_config_auto_join_rooms\): inviting/),
    ).toBeNull();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Create invite and copy it' })));
    expect(h.fake.callsTo('invite.create')).toEqual([
      { uses: 1, expiresInDays: 7, inviteTo: '#photos:lab.test' },
    ]);
    expect(screen.getByText(/then into #photos:lab\.test/)).toBeTruthy();
    act(() =>
      h.fake.emit('invite.ended', {
        hint: 'AbCd…',
        state: 'used',
        joined: ['@nana:lab.test'],
        invitedTo: '#photos:lab.test',
        inviteProblem: null,
      }),
    );
    expect(
      screen.getByText('@nana:lab.test joined with the invite AbCd…. They were invited to #photos:lab.test.'),
    ).toBeTruthy();
  });

  it('shows where each invite brought whoever joined, or why it could not', async () => {
    const invite = (hint: string, inviteProblem: string | null) => ({
      id: `ended-${hint}`,
      hint,
      usesAllowed: 1,
      pending: 0,
      completed: 1,
      expiresAt: null,
      state: 'used' as const,
      joined: [`@${hint.slice(0, 4).toLowerCase()}:lab.test`],
      inviteTo: '#photos:lab.test',
      inviteProblem,
      issuedAt: fx.at(0),
      endedAt: fx.at(1000),
    });
    await open({
      'invite.list': () => ({
        invites: [
          invite('Nana…', null),
          invite('Eric…', 'Resolving #photos:lab.test failed: 404 M_NOT_FOUND.'),
        ],
      }),
    });
    expect(screen.getByRole('row', { name: /Nana…/ }).textContent).toContain('invited to #photos:lab.test');
    const failed = screen.getByText(/not invited to #photos:lab\.test: invite them from your Matrix client/);
    expect(failed.getAttribute('title')).toBe('Resolving #photos:lab.test failed: 404 M_NOT_FOUND.');
  });

  it('says why in words when the server refuses', async () => {
    await open({
      'people.list': () =>
        refuse('PeopleRefused', 'Listing devices needs the admin API.', 'Upgrade Tuwunel to 1.8.1 or later.'),
    });
    expect(screen.getByRole('alert').textContent).toContain('Listing devices needs the admin API.');
  });
});
