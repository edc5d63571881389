import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretMissing } from '../../src-main/core/errors';
import { TokensPanel } from '../../src-renderer/src/panels/tokens';
import { refuse } from './fake-api';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

const later = (ms: number): string => new Date(Date.now() + ms).toISOString();

const TOKEN = 'c4n4ry5ecr3t0f7h3r3g15tr4710n70k3nbe1ng0n1yrev3a1edf0r7ens3c0nd5';

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

const invite = {
  id: 'i1',
  hint: 'ab12…',
  usesAllowed: 1,
  pending: 0,
  completed: 0,
  expiresAt: fx.at(7 * 86_400_000),
  state: 'pending' as const,
  joined: [],
  inviteTo: null,
  inviteProblem: null,
  issuedAt: fx.at(0),
  endedAt: null,
};

async function open(overrides = {}) {
  h = harness({
    'token.copy': () => ({ clearsAt: later(30_000), notLive: null }),
    'token.reveal': () => ({ token: TOKEN, hideAt: later(10_000) }),
    'invite.list': () => ({ invites: [invite] }),
    'invite.create': () => ({
      invite: { ...invite, id: 'i2', hint: 'cd34…' },
      clearsAt: later(30_000),
    }),
    'invite.copyToken': () => ({ clearsAt: later(30_000) }),
    'invite.copyInstructions': () => ({ copied: true }),
    'invite.revoke': () => ({ revoked: true }),
    'token.rotate': () => ({ runId: 'rot-1' }),
    'actions.plan': (r) => fx.plan({ actionId: r.actionId, params: r.params, danger: 'disruptive' }),
    'runs.get': () => ({
      ...fx.run({ runId: 'rot-1', actionId: 'token.rotate', title: 'Rotate registration token' }),
      output: [],
    }),
    ...overrides,
  });
  await h.store.getState().boot();
  renderWith(h, <TokensPanel />);
  await act(async () => {});
}

function section(name: string) {
  return screen.getByRole('region', { name });
}

describe('Tokens', () => {
  it('copies through the main process and counts down to the clipboard clear', async () => {
    await open();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Copy token' })));
    expect(h.fake.callsTo('token.copy')).toHaveLength(1);
    expect(screen.getByTestId('clipboard-registration-token').textContent).toContain(
      'The clipboard clears in 30 s',
    );
    await act(async () => vi.advanceTimersByTime(12_000));
    expect(screen.getByTestId('clipboard-registration-token').textContent).toContain(
      'The clipboard clears in 18 s',
    );
    act(() => h.fake.emit('clipboard.cleared', { what: 'registration-token', cleared: true }));
    expect(screen.queryByTestId('clipboard-registration-token')).toBeNull();
  });

  it('says so when the copied token is a rotation the server does not accept yet', async () => {
    const notLive =
      'this is the new token of rotation 1a2b3c4d, pushed but not applied yet: Tuwunel still accepts only the old one, so sign-ups with this one fail until "Apply the rotated registration token" succeeds.';
    await open({ 'token.copy': () => ({ clearsAt: later(30_000), notLive }) });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Copy token' })));
    expect(h.store.getState().notices.map((n) => n.message)).toEqual([notLive]);
  });

  it('reveals the token for 10 s, then forgets it; it never reaches the store or the title', async () => {
    await open();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Reveal for 10 s' })));
    expect(screen.getByTestId('token-value').textContent).toBe(TOKEN);
    expect(
      JSON.stringify(h.store.getState(), (_k, v) => (typeof v === 'function' ? undefined : v)),
    ).not.toContain(TOKEN);
    expect(document.title).not.toContain(TOKEN);
    await act(async () => vi.advanceTimersByTime(9_000));
    expect(screen.getByTestId('token-value')).toBeTruthy();
    await act(async () => vi.advanceTimersByTime(1_100));
    expect(screen.queryByTestId('token-value')).toBeNull();
    expect(document.body.innerHTML).not.toContain(TOKEN);
  });

  it('hides the token when the main process says the time is up, whatever the window’s timer says', async () => {
    await open({ 'token.reveal': () => ({ token: TOKEN, hideAt: later(60_000) }) });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Reveal for 10 s' })));
    expect(screen.getByText(/Hides in 10 s/)).toBeTruthy();
    act(() => h.fake.emit('token.revealExpired', {}));
    expect(document.body.innerHTML).not.toContain(TOKEN);
  });

  it('an empty list says no invite is open (not that the server holds no token)', async () => {
    await open({ 'invite.list': () => ({ invites: [] }) });
    expect(within(section('Invites')).getByText('No open invites.')).toBeTruthy();
  });

  it('without the admin token, invites say so in words and lead to Settings to sign in', async () => {
    const missing = new SecretMissing('matrix-admin-token').toJSON();
    await open({ 'invite.list': () => refuse(missing.code, missing.message, missing.nextStep) });
    const invites = section('Invites');
    const alert = within(invites).getByRole('alert');
    expect(alert.textContent).toContain('The Matrix admin access token is not stored in the keychain.');
    expect(alert.textContent).toContain('Sign in as the Matrix admin under Settings → Secrets');
    expect(alert.textContent).not.toContain('matrix-admin-token is');
    fireEvent.click(within(invites).getByRole('button', { name: 'Open Settings' }));
    expect(h.store.getState().panel).toBe('settings');
  });

  it('creates an invite with two separate copy buttons: the token, and the instructions without it', async () => {
    await open();
    const invites = section('Invites');
    fireEvent.change(within(invites).getByLabelText('Uses'), { target: { value: '2' } });
    fireEvent.change(within(invites).getByLabelText('Expires after'), { target: { value: '30' } });
    await act(async () => fireEvent.click(within(invites).getByRole('button', { name: 'Create invite' })));
    expect(h.fake.callsTo('invite.create')).toEqual([{ uses: 2, expiresInDays: 30 }]);
    const made = screen.getByTestId('new-invite');
    expect(made.textContent).toContain('cd34…');
    await act(async () =>
      fireEvent.click(within(made).getByRole('button', { name: 'Copy joining instructions' })),
    );
    await act(async () => fireEvent.click(within(made).getByRole('button', { name: 'Copy invite token' })));
    expect(h.fake.callsTo('invite.copyInstructions')).toEqual([{}]);
    expect(h.fake.callsTo('invite.copyToken')).toEqual([{ id: 'i2' }]);
  });

  it('refuses a bad number of uses as it is typed', async () => {
    await open();
    const invites = section('Invites');
    fireEvent.change(within(invites).getByLabelText('Uses'), { target: { value: '0' } });
    expect(within(invites).getByText('Uses must be a number from 1 to 100.')).toBeTruthy();
    expect(
      (within(invites).getByRole('button', { name: 'Create invite' }) as HTMLButtonElement).disabled,
    ).toBe(true);
  });

  it('lists invites and revokes one after confirming', async () => {
    await open();
    const row = screen.getByRole('row', { name: /ab12…/ });
    expect(row.textContent).toContain('0 used of 1');
    fireEvent.click(within(row).getByRole('button', { name: 'Revoke invite ab12…' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Revoke this invite?' });
    await act(async () => fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke' })));
    expect(h.fake.callsTo('invite.revoke')).toEqual([{ id: 'i1' }]);
    expect(screen.queryByRole('row', { name: /ab12…/ })).toBeNull();
  });

  it('rotates after a confirm that names the effect, and follows the run', async () => {
    await open();
    const rotate = section('Rotate');
    fireEvent.click(within(rotate).getByRole('button', { name: 'Rotate token…' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Rotate the registration token?' });
    expect(dialog.textContent).toContain('install-all,start');
    await act(async () => fireEvent.click(within(dialog).getByRole('button', { name: 'Rotate token' })));
    // The plan of exactly this rotation carries the confirmation the main process requires.
    expect(h.fake.callsTo('actions.plan')).toEqual([{ actionId: 'token.rotate', params: { apply: true } }]);
    expect(h.fake.callsTo('token.rotate')).toEqual([{ apply: true, confirmation: fx.CONFIRMATION }]);
    expect(h.store.getState().activeRunId).toBe('rot-1');
  });
});
