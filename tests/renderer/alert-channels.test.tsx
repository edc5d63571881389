import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertChannel, ChannelView, Settings } from '../../src-main/ipc/contract';
import { SettingsPanel } from '../../src-renderer/src/panels/settings';
import { refuse } from './fake-api';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

/** A main process that keeps the channels in its settings and answers the views from them. */
async function open(overrides: Parameters<typeof harness>[0] = {}) {
  let settings: Settings = { ...fx.settings, alertChannels: fx.channels.map((v) => v.channel) };
  const stored = new Set(fx.channels.filter((v) => v.secretStored).map((v) => v.channel.id));
  const view = (channel: AlertChannel): ChannelView =>
    fx.channels.find(
      (v) => v.channel.id === channel.id && JSON.stringify(v.channel) === JSON.stringify(channel),
    ) ?? {
      channel,
      secretKind: channel.type === 'webhook' && channel.secretHeader ? 'webhook-secret' : null,
      secretStored: channel.type === 'webhook' && channel.secretHeader ? stored.has(channel.id) : null,
      warning: null,
    };
  h = harness({
    'settings.get': () => settings,
    'settings.set': (r) => {
      settings = { ...settings, ...(r.patch as Partial<Settings>) };
      return settings;
    },
    'alerts.channels': () => ({
      channels: settings.alertChannels.map((c) => {
        const v = view(c);
        return v.secretKind ? { ...v, secretStored: stored.has(c.id) } : v;
      }),
    }),
    'alerts.setSecret': (r) => {
      stored.add(r.channelId);
      return { stored: true };
    },
    'alerts.deleteSecret': (r) => ({ deleted: stored.delete(r.channelId) }),
    'alerts.test': (r) => ({ channelId: r.channelId, ok: true }),
    ...overrides,
  });
  await h.store.getState().boot();
  renderWith(h, <SettingsPanel />);
  await act(async () => {});
  return {
    section: () => screen.getByRole('region', { name: 'Alerts off this computer' }),
    saved: () => settings.alertChannels,
  };
}

describe('Settings → Alerts off this computer', () => {
  it('lists each channel with where it sends, what it sends, its secret as stored or not, and a warning', async () => {
    await open();
    const phone = await screen.findByTestId('channel-phone');
    expect(phone.textContent).toContain('Phone (ntfy)');
    expect(phone.textContent).toContain('https://ntfy.sh/hstray-rampancy');
    expect(phone.textContent).toContain('Sends: down, still down, recovered');
    expect(phone.textContent).toContain('not stored');
    const family = screen.getByTestId('channel-family');
    expect(family.textContent).toContain('stored');
    expect(within(family).getByRole('note').textContent).toContain('a server it watches');
  });

  it('sends a test per channel and says whether it arrived, or why not with the next step', async () => {
    await open({
      'alerts.test': (r) =>
        r.channelId === 'phone'
          ? { channelId: 'phone', ok: true }
          : {
              channelId: r.channelId,
              ok: false,
              error: {
                code: 'AlertChannelFailed',
                message:
                  'The alert channel "Family room" could not deliver: the access token was refused (M_UNKNOWN_TOKEN).',
                nextStep: 'Store the alert account’s current access token under Settings → Alerts.',
              },
            },
    });
    const phone = await screen.findByTestId('channel-phone');
    await act(async () =>
      fireEvent.click(within(phone).getByRole('button', { name: 'Send a test to Phone (ntfy)' })),
    );
    expect(h.fake.callsTo('alerts.test')).toEqual([{ channelId: 'phone' }]);
    expect(within(phone).getByRole('status').textContent).toBe('✓ Test message delivered.');
    const family = screen.getByTestId('channel-family');
    await act(async () =>
      fireEvent.click(within(family).getByRole('button', { name: 'Send a test to Family room' })),
    );
    const alert = within(family).getByRole('alert');
    expect(alert.textContent).toContain('M_UNKNOWN_TOKEN');
    expect(alert.textContent).toContain('Store the alert account’s current access token');
  });

  it('stores a channel’s secret write-only: the value is sent once and never shown again', async () => {
    await open();
    const phone = await screen.findByTestId('channel-phone');
    const input = within(phone).getByLabelText('Access token') as HTMLInputElement;
    expect(input.type).toBe('password');
    fireEvent.change(input, { target: { value: 'tk_phone_secret' } });
    await act(async () =>
      fireEvent.click(within(phone).getByRole('button', { name: 'Store Access token for Phone (ntfy)' })),
    );
    expect(h.fake.callsTo('alerts.setSecret')).toEqual([{ channelId: 'phone', value: 'tk_phone_secret' }]);
    expect(input.value).toBe('');
    expect(document.body.innerHTML).not.toContain('tk_phone_secret');
    expect(screen.getByTestId('channel-phone').textContent).toContain('● stored');
  });

  it('adds a webhook: the settings get the whole list with the new channel under an id of its own', async () => {
    const { saved } = await open();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Add a channel' })));
    const form = screen.getByRole('form', { name: 'New alert channel' });
    fireEvent.change(within(form).getByLabelText('Kind'), { target: { value: 'webhook' } });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Ops webhook' } });
    fireEvent.change(within(form).getByLabelText('URL'), {
      target: { value: 'https://hooks.example.net/hst' },
    });
    fireEvent.change(within(form).getByLabelText('Header carrying a secret (optional)'), {
      target: { value: 'X-Alert-Secret' },
    });
    fireEvent.click(within(form).getByLabelText('Still down'));
    await act(async () => fireEvent.click(within(form).getByRole('button', { name: 'Add the channel' })));
    expect(saved().map((c) => c.id)).toEqual(['phone', 'family', 'ops-webhook']);
    expect(saved()[2]).toEqual({
      id: 'ops-webhook',
      name: 'Ops webhook',
      type: 'webhook',
      enabled: true,
      events: ['down', 'recovered'],
      url: 'https://hooks.example.net/hst',
      secretHeader: 'X-Alert-Secret',
    });
    const hook = await screen.findByTestId('channel-ops-webhook');
    expect(hook.textContent).toContain('https://hooks.example.net/hst (secret in X-Alert-Secret)');
    expect(within(hook).getByLabelText('Header secret')).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'New alert channel' })).toBeNull();
  });

  it('keeps the form open with the main process’s sentence when a field is refused, and saves nothing', async () => {
    const { saved } = await open({
      'settings.set': () =>
        refuse(
          'InvalidInput',
          'alertChannels.2.serverUrl: must start with https:// (plain http only to this computer)',
          'Correct alertChannels.2.serverUrl and try again.',
          { field: 'alertChannels.2.serverUrl' },
        ),
    });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Add a channel' })));
    const form = screen.getByRole('form', { name: 'New alert channel' });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Phone 2' } });
    fireEvent.change(within(form).getByLabelText('ntfy server'), {
      target: { value: 'http://ntfy.example.net' },
    });
    fireEvent.change(within(form).getByLabelText('Topic'), { target: { value: 'x' } });
    await act(async () => fireEvent.click(within(form).getByRole('button', { name: 'Add the channel' })));
    expect(within(form).getByRole('alert').textContent).toContain('must start with https://');
    expect(saved()).toHaveLength(2);
  });

  it('removes a channel after a confirm, deleting its secret from the keychain first', async () => {
    const { saved } = await open();
    const family = await screen.findByTestId('channel-family');
    await act(async () =>
      fireEvent.click(within(family).getByRole('button', { name: 'Remove Family room' })),
    );
    const dialog = screen.getByRole('alertdialog', { name: 'Remove Family room?' });
    await act(async () => fireEvent.click(within(dialog).getByRole('button', { name: 'Remove' })));
    expect(h.fake.callsTo('alerts.deleteSecret')).toEqual([{ channelId: 'family' }]);
    expect(saved().map((c) => c.id)).toEqual(['phone']);
    expect(screen.queryByTestId('channel-family')).toBeNull();
  });

  it('turns a channel off and on without editing it', async () => {
    const { saved } = await open();
    const phone = await screen.findByTestId('channel-phone');
    await act(async () => fireEvent.click(within(phone).getByLabelText('On')));
    expect(saved().find((c) => c.id === 'phone')?.enabled).toBe(false);
    expect(screen.getByTestId('channel-phone').textContent).toContain('off');
  });
});
