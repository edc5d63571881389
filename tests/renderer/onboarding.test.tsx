import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostKeyInfo, ProfilesList } from '../../src-main/ipc/contract';
import { App } from '../../src-renderer/src/app';
import { refuse } from './fake-api';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

const key: HostKeyInfo = {
  host: 'homeserver',
  address: '127.0.0.2',
  port: 2222,
  keyType: 'ssh-ed25519',
  fingerprint: 'SHA256:Kx1p0N1m1mPZyq3b0yHc0w1Vq3C7yJcJqJXo1E2c8yQ',
};

describe('First run', () => {
  it('goes from a profile to trusted hosts to the dashboard', async () => {
    let profiles: ProfilesList = { profiles: [], selectedId: null };
    const trusted = new Set<string>();
    h = harness({
      'app.info': () => ({ ...fx.appInfo, firstRun: true }),
      'profiles.list': () => profiles,
      'profiles.example': () => ({ draft: { name: 'rampancy.cloud', serverName: 'rampancy.cloud' } }),
      'profiles.validate': () => ({ issues: [] }),
      'profiles.save': () => {
        profiles = fx.profiles;
        return { id: 'rampancy' };
      },
      'onboarding.testHost': (r) =>
        r.host === 'homeserver' && !trusted.has(key.fingerprint)
          ? refuse(
              'HostKeyUnknown',
              'The homeserver host (127.0.0.2) presented a key that is not yet trusted.',
              'Compare it.',
              {
                hostKey: key,
              },
            )
          : {
              host: r.host,
              target: `admin@${r.host}`,
              sentence: 'Logged in; sudo works without a password.',
              sudo: 'passwordless',
              durationMs: 35,
            },
      'hostkey.trust': (r) => {
        trusted.add(r.fingerprint);
        return { trusted: true };
      },
    });
    await h.store.getState().boot();
    renderWith(h, <App />);

    expect(await screen.findByRole('heading', { level: 1, name: 'Set up Homeserver Tray' })).toBeTruthy();
    // Said before anything is imported: an imported profile starts without secrets.
    expect(screen.getByTestId('import-secrets-note').textContent).toContain(
      'brings no secrets, and never uses those stored for another profile, even one with the same name or hosts',
    );
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Use the example' })));
    expect((screen.getByLabelText('Server name') as HTMLInputElement).value).toBe('rampancy.cloud');
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save and continue' })));
    expect(h.fake.callsTo('profiles.save')).toHaveLength(1);

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Test the homeserver' })));
    const dialog = screen.getByRole('alertdialog', { name: 'Unknown host key for the homeserver' });
    expect(within(dialog).getByText('ssh-ed25519')).toBeTruthy();
    expect(within(dialog).getByTestId('hostkey-fingerprint').textContent).toBe(key.fingerprint);
    expect(dialog.textContent).toContain('127.0.0.2:2222');
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    await act(async () => fireEvent.click(within(dialog).getByRole('button', { name: 'Trust always' })));
    expect(h.fake.callsTo('hostkey.trust')).toEqual([
      { host: 'homeserver', fingerprint: key.fingerprint, permanent: true },
    ]);
    expect(screen.getByTestId('host-test-homeserver').textContent).toContain('✓ Connected');

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Test the deploy host' })));
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Open the dashboard' })));
    expect(await screen.findByRole('heading', { level: 1, name: 'rampancy.cloud' })).toBeTruthy();
    expect(h.fake.callsTo('status.refresh')).toHaveLength(1);
  });

  it('cancelling the host-key dialog trusts nothing', async () => {
    h = harness({
      'app.info': () => ({ ...fx.appInfo, firstRun: true }),
      'onboarding.testHost': () =>
        refuse('HostKeyUnknown', 'Not yet trusted.', 'Compare it.', { hostKey: key }),
    });
    await h.store.getState().boot();
    await h.store.getState().testHost('homeserver');
    renderWith(h, <App />);
    const dialog = await screen.findByRole('alertdialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(h.fake.callsTo('hostkey.trust')).toHaveLength(0);
  });

  it('imports pasted YAML into the editor with the schema’s complaints at their fields', async () => {
    h = harness({
      'app.info': () => ({ ...fx.appInfo, firstRun: true }),
      'profiles.importYaml': () => ({
        draft: { name: 'x', serverName: 'bad name' },
        issues: [{ field: 'serverName', message: 'server name is not a hostname' }],
      }),
      'profiles.validate': () => ({
        issues: [{ field: 'serverName', message: 'server name is not a hostname' }],
      }),
    });
    await h.store.getState().boot();
    renderWith(h, <App />);
    fireEvent.change(await screen.findByLabelText('Profile YAML'), {
      target: { value: 'name: x\nserverName: bad name\n' },
    });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Use this YAML' })));
    expect(h.fake.callsTo('profiles.importYaml')).toEqual([{ yaml: 'name: x\nserverName: bad name\n' }]);
    const field = screen.getByLabelText('Server name');
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('server name is not a hostname')).toBeTruthy();
  });
});
