import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { FieldIssue, ProfileDraft } from '../../src-main/ipc/contract';
import { SettingsPanel } from '../../src-renderer/src/panels/settings';
import { refuse } from './fake-api';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

const draft: ProfileDraft = {
  name: 'rampancy.cloud',
  serverName: 'rampancy.cloud',
  publicUrl: 'https://matrix.rampancy.cloud',
  hosts: {
    homeserver: { address: '192.168.1.243', port: 22, user: 'admin', sudo: true },
    deploy: { address: '192.168.1.245', port: 22, user: 'root' },
  },
  deploy: { varsFile: 'inventory/host_vars/matrix.rampancy.cloud/vars.yml' },
};

/** Stands in for the core's profile schema: enough rules to see messages arrive at their fields. */
function validate(d: ProfileDraft): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const address = (d.hosts?.homeserver?.address ?? '') as string;
  if (!/^[A-Za-z0-9.-]+$/.test(address))
    issues.push({
      field: 'hosts.homeserver.address',
      message: 'address is not a hostname, IPv4 address or [IPv6] literal',
    });
  if (typeof d.hosts?.deploy?.port !== 'number')
    issues.push({ field: 'hosts.deploy.port', message: 'Invalid input: expected number, received string' });
  if ('vault' in d)
    issues.push({ field: 'vault.repo', message: 'Invalid input: expected string, received undefined' });
  return issues;
}

async function open(overrides = {}) {
  h = harness({
    'profiles.get': () => ({ id: 'rampancy', file: 'x.yaml', draft }),
    'profiles.example': () => ({ draft }),
    'profiles.validate': (r) => ({ issues: validate(r.draft as ProfileDraft) }),
    'profiles.save': (r) => {
      const issues = validate(r.draft as ProfileDraft);
      return issues.length
        ? refuse('ProfileInvalid', 'The profile is not valid.', 'Fix the named fields.', { issues })
        : { id: r.id ?? 'new' };
    },
    'secrets.set': () => ({ stored: true }),
    'secrets.delete': () => ({ deleted: true }),
    'settings.set': (r) => ({ ...fx.settings, ...r.patch }),
    ...overrides,
  });
  await h.store.getState().boot();
  renderWith(h, <SettingsPanel />);
  await act(async () => {});
}

describe('Settings', () => {
  it('signs in as the Matrix admin in its own block: user ID and password side by side, then log out', async () => {
    let stored = false;
    await open({
      'secrets.list': () => ({
        secrets: fx.secrets.map((x) => (x.kind === 'matrix-admin-token' ? { ...x, stored } : x)),
        migration: null,
      }),
      'matrix.login': () => {
        stored = true;
        return { userId: '@admin:rampancy.cloud' };
      },
      'matrix.logout': () => {
        stored = false;
        return { revoked: true };
      },
    });
    const block = screen.getByRole('region', { name: 'Sign in as the Matrix admin' });
    const user = within(block).getByLabelText('Admin user ID') as HTMLInputElement;
    const password = within(block).getByLabelText('Password') as HTMLInputElement;
    expect(password.type).toBe('password');
    // One form row: both fields and the button are siblings in the same grid.
    const form = user.closest('form');
    expect(form?.className).toBe('admin-login-form');
    expect(form?.contains(password)).toBe(true);
    const button = within(block).getByRole('button', { name: 'Log in' }) as HTMLButtonElement;
    expect(button.parentElement).toBe(form);
    expect(button.disabled).toBe(true);

    fireEvent.change(user, { target: { value: ' @admin:rampancy.cloud ' } });
    fireEvent.change(password, { target: { value: 'hunter2' } });
    await act(async () => fireEvent.click(button));
    expect(h.fake.callsTo('matrix.login')).toEqual([
      { userId: '@admin:rampancy.cloud', password: 'hunter2' },
    ]);
    expect(screen.getByTestId('secret-matrix-admin-token-profile').textContent).toBe('● stored');
    await act(async () =>
      fireEvent.click(within(block).getByRole('button', { name: 'Log out and revoke the admin token' })),
    );
    expect(h.fake.callsTo('matrix.logout')).toEqual([{}]);
    expect(within(block).getByLabelText('Password')).toBeTruthy();
  });

  it('shows secrets only as stored / not stored, and sends a new value write-only', async () => {
    await open();
    expect(screen.getByTestId('secret-ssh-key-passphrase-homeserver').textContent).toBe('● stored');
    expect(screen.getByTestId('secret-sudo-password-homeserver').textContent).toBe('○ not stored');
    const input = screen.getByLabelText('sudo password for the homeserver') as HTMLInputElement;
    expect(input.type).toBe('password');
    expect(input.value).toBe('');
    fireEvent.change(input, { target: { value: 'hunter2' } });
    await act(async () =>
      fireEvent.click(screen.getByRole('button', { name: 'Store sudo password for the homeserver' })),
    );
    expect(h.fake.callsTo('secrets.set')).toEqual([
      { kind: 'sudo-password', host: 'homeserver', value: 'hunter2' },
    ]);
    expect(input.value).toBe('');
    expect(
      h.fake.calls.some((c) => JSON.stringify(c).includes('hunter2') && c.channel !== 'secrets.set'),
    ).toBe(false);
    await act(async () =>
      fireEvent.click(screen.getByRole('button', { name: 'Delete Ansible Vault password' })),
    );
    expect(h.fake.callsTo('secrets.delete')).toEqual([{ kind: 'vault-password', host: null }]);
  });

  it('says what became of the secrets an earlier version stored under the profile name', async () => {
    const left =
      'Left 2 secrets that an earlier version stored under the name "home" in the keychain: 2 profiles are named "home", so they could belong to any of them.';
    await open({ 'secrets.list': () => ({ secrets: fx.secrets, migration: left }) });
    expect(screen.getByTestId('secrets-migration').textContent).toBe(left);
  });

  it('shows a keychain problem as a sentence naming what to install', async () => {
    await open({
      'secrets.list': () =>
        refuse(
          'SecretStoreUnavailable',
          'No keychain answers: Cannot autolaunch D-Bus without X11 $DISPLAY.',
          'Install and start a Secret Service (gnome-keyring on GNOME, KWallet on KDE).',
        ),
    });
    expect(screen.getByText(/gnome-keyring on GNOME/)).toBeTruthy();
  });

  it('saves preferences as they change', async () => {
    await open();
    await act(async () =>
      fireEvent.change(screen.getByLabelText('Clear the clipboard after'), { target: { value: 'never' } }),
    );
    await act(async () => fireEvent.click(screen.getByLabelText('Start Homeserver Tray when I log in')));
    const poll = screen.getByLabelText('Check the server every (seconds)');
    fireEvent.change(poll, { target: { value: '2' } });
    expect(screen.getByText('Poll interval must be 5 to 3600 seconds.')).toBeTruthy();
    fireEvent.change(poll, { target: { value: '60' } });
    await act(async () => fireEvent.blur(poll));
    await act(async () =>
      fireEvent.change(screen.getByLabelText('Maintenance reminder after'), {
        target: { value: '120' },
      }),
    );
    await act(async () =>
      fireEvent.change(screen.getByLabelText('Retry starting Tuwunel for'), {
        target: { value: '5' },
      }),
    );
    expect(h.fake.callsTo('settings.set')).toEqual([
      { patch: { clipboardClearSeconds: null } },
      { patch: { launchAtLogin: true } },
      { patch: { pollIntervalSeconds: 60 } },
      { patch: { maintenanceReminderMinutes: 120 } },
      { patch: { startRetryMinutes: 5 } },
    ]);
  });

  it('edits a profile with validation messages at each field, from the real schema in the main process', async () => {
    await open();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Edit rampancy.cloud' })));
    const homeserver = screen.getByRole('group', { name: 'Homeserver host' });
    const address = within(homeserver).getByLabelText('Address');
    fireEvent.change(address, { target: { value: '192.168.1.243;rm -rf /' } });
    await waitFor(() =>
      expect(
        within(homeserver).getByText('address is not a hostname, IPv4 address or [IPv6] literal'),
      ).toBeTruthy(),
    );
    expect(address.getAttribute('aria-invalid')).toBe('true');
    const deployPort = within(screen.getByRole('group', { name: 'Deploy host' })).getByLabelText('Port');
    fireEvent.change(deployPort, { target: { value: 'twenty-two' } });
    await waitFor(() =>
      // zod's words for it ("expected number, received string"), said as a person would.
      expect(
        within(screen.getByRole('group', { name: 'Deploy host' })).getByText('Must be a number.'),
      ).toBeTruthy(),
    );
    fireEvent.change(address, { target: { value: '192.168.1.250' } });
    fireEvent.change(deployPort, { target: { value: '2222' } });
    await waitFor(() => expect(address.getAttribute('aria-invalid')).toBe('false'));
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })));
    const saved = h.fake.callsTo('profiles.save').at(-1);
    expect(saved?.id).toBe('rampancy');
    const sent = saved?.draft as ProfileDraft;
    expect(sent.hosts?.homeserver?.address).toBe('192.168.1.250');
    expect(sent.hosts?.deploy?.port).toBe(2222);
    expect(screen.getByRole('button', { name: 'Add a server' })).toBeTruthy();
  });

  it('leaves no half vault section behind when its optional fields are cleared', async () => {
    await open();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Edit rampancy.cloud' })));
    const vault = screen.getByRole('group', { name: 'Vault' });
    const repo = within(vault).getByLabelText(/Repository on this computer/);
    fireEvent.change(repo, { target: { value: '~/homelab-ansible' } });
    // The vault then needs its checkout on the deploy host, which is still empty.
    await waitFor(() => expect(within(vault).getByText('Fill this in.')).toBeTruthy());
    fireEvent.change(repo, { target: { value: '' } });
    await waitFor(() => expect(within(vault).queryByText('Fill this in.')).toBeNull());
  });
});
