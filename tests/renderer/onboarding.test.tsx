import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { profileIssues } from '../../src-main/core/profile/store';
import type { HostKeyInfo, ProfileDraft, ProfilesList } from '../../src-main/ipc/contract';
import { App } from '../../src-renderer/src/app';
import { type Handlers, refuse } from './fake-api';
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

/**
 * A first run whose profile checks are the real profile schema (the Matrix grammar for the server name and
 * the host addresses), as the main process answers profiles.validate and profiles.save.
 */
async function firstRun(overrides: Handlers = {}) {
  let profiles: ProfilesList = { profiles: [], selectedId: null };
  h = harness({
    'app.info': () => ({ ...fx.appInfo, firstRun: true }),
    'profiles.list': () => profiles,
    'profiles.validate': (r) => ({ issues: profileIssues(r.draft) }),
    'profiles.save': (r) => {
      const issues = profileIssues(r.draft);
      if (issues.length)
        return refuse('ProfileInvalid', 'The profile has problems.', 'Fix them.', { issues });
      profiles = fx.profiles;
      return { id: 'rampancy' };
    },
    ...overrides,
  });
  await h.store.getState().boot();
  renderWith(h, <App />);
  await screen.findByRole('heading', { level: 1, name: 'Set up Homeserver Tray' });
}

function type(label: string | RegExp, value: string, scope: HTMLElement = document.body): HTMLInputElement {
  const input = within(scope).getByLabelText(label) as HTMLInputElement;
  fireEvent.change(input, { target: { value } });
  return input;
}

function errorOf(input: HTMLElement): string {
  const ids = (input.getAttribute('aria-describedby') ?? '').split(' ');
  return ids
    .map((id) => document.getElementById(id))
    .filter((el) => el?.className === 'field-error')
    .map((el) => el?.textContent ?? '')
    .join(' ');
}

const currentStep = () => screen.getByRole('list', { name: 'Steps' }).querySelector('[aria-current="step"]');
const group = (name: string) => screen.getByRole('group', { name });

describe('First run: a guided form', () => {
  it('asks for the server first; importing a YAML profile is the other way in, folded away', async () => {
    await firstRun();
    expect(currentStep()?.textContent).toContain('Your server');
    expect(screen.getByLabelText('Server name')).toBeTruthy();
    const paste = screen.getByLabelText('Or paste it here');
    expect((paste.closest('details') as HTMLDetailsElement).open).toBe(false);
    // Said before anything is imported: an imported profile starts without secrets.
    expect(screen.getByTestId('import-secrets-note').textContent).toContain(
      'brings no secrets, and never uses those stored for another profile, even one with the same name or hosts',
    );
  });

  it('checks the server name by the Matrix grammar as it is typed, at the field, and fills in what follows', async () => {
    await firstRun();
    const server = type('Server name', 'my server');
    await waitFor(() => expect(errorOf(server)).toMatch(/^server name is not a hostname/));
    expect(server.getAttribute('aria-invalid')).toBe('true');
    // Fields the user has not touched do not shout, though they follow the bad name for now.
    const url = screen.getByLabelText('Public URL') as HTMLInputElement;
    expect(url.value).toBe('https://matrix.my server');
    expect(errorOf(url)).toBe('');

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Continue' })));
    expect(currentStep()?.textContent).toContain('Your server');
    expect(document.activeElement).toBe(server);

    type('Server name', 'example.org');
    // The message was about the old value: it goes at once, not when the next check answers.
    expect(errorOf(server)).toBe('');
    await waitFor(() => expect(server.getAttribute('aria-invalid')).toBe('false'));
    expect(url.value).toBe('https://matrix.example.org');
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('example.org');
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Continue' })));
    expect(currentStep()?.textContent).toContain('Its machines');
  });

  it('checks the machines, saves the profile, then tests each host and trusts its key by fingerprint', async () => {
    const trusted = new Set<string>();
    await firstRun({
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
    type('Server name', 'rampancy.cloud');
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Continue' })));

    const address = type('Address', 'nas .local', group('Homeserver host'));
    await waitFor(() => expect(errorOf(address)).toMatch(/^address is not a hostname/));
    // Leaving the step with empty required fields names each of them.
    await act(async () =>
      fireEvent.click(screen.getByRole('button', { name: 'Save and test the connection' })),
    );
    expect(h.fake.callsTo('profiles.save')).toHaveLength(0);
    expect(errorOf(within(group('Homeserver host')).getByLabelText('User'))).toBe('Fill this in.');
    expect(errorOf(within(group('Deploy host')).getByLabelText('Address'))).toBe('Fill this in.');

    type('Address', '192.168.1.243', group('Homeserver host'));
    type('User', 'admin', group('Homeserver host'));
    type('Address', '192.168.1.245', group('Deploy host'));
    type('User', 'root', group('Deploy host'));
    // vars.yml followed the server name the playbook's way.
    expect((within(group('Deploy host')).getByLabelText('vars.yml') as HTMLInputElement).value).toBe(
      'inventory/host_vars/matrix.rampancy.cloud/vars.yml',
    );
    await act(async () =>
      fireEvent.click(screen.getByRole('button', { name: 'Save and test the connection' })),
    );
    const saved = h.fake.callsTo('profiles.save')[0]?.draft as ProfileDraft;
    expect(saved).toEqual({
      name: 'rampancy.cloud',
      serverName: 'rampancy.cloud',
      publicUrl: 'https://matrix.rampancy.cloud',
      hosts: {
        homeserver: { address: '192.168.1.243', user: 'admin', sudo: true },
        deploy: { address: '192.168.1.245', user: 'root' },
      },
      deploy: { varsFile: 'inventory/host_vars/matrix.rampancy.cloud/vars.yml' },
    });
    expect(currentStep()?.textContent).toContain('Connect');

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Test the homeserver' })));
    const dialog = screen.getByRole('alertdialog', { name: 'Unknown host key for the homeserver' });
    // A key to check is a question, not a failed connection.
    const row = screen.getByTestId('host-test-homeserver');
    expect(row.textContent).toContain('Its host key waits for you to check it');
    expect(row.textContent).not.toContain('Could not connect');
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

  it('keeps the pasted YAML’s complaints when a check of the empty form was still on its way', async () => {
    // The typing delay's check of the first, empty form answers only once the import has replaced the draft.
    let answerFirst: () => void = () => {};
    const first = new Promise<void>((resolve) => {
      answerFirst = resolve;
    });
    await firstRun({
      'profiles.validate': async (r) => {
        if (h.fake.callsTo('profiles.validate').length === 1) await first;
        return { issues: profileIssues(r.draft) };
      },
      'profiles.importYaml': () => {
        // After the import's answer has reached the form (a later task than its promise chain).
        setTimeout(answerFirst, 0);
        return {
          draft: { name: 'x', serverName: 'bad name' },
          issues: profileIssues({ name: 'x', serverName: 'bad name' }),
        };
      },
    });
    await waitFor(() => expect(h.fake.callsTo('profiles.validate')).toHaveLength(1));
    fireEvent.change(screen.getByLabelText('Or paste it here'), {
      target: { value: 'name: x\nserverName: bad name\n' },
    });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Use this YAML' }));
      await first;
      // The late answer's own promise chain, then React draws.
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    const field = screen.getByLabelText('Server name') as HTMLInputElement;
    expect(field.value).toBe('bad name');
    expect(errorOf(field)).toMatch(/^server name is not a hostname/);
  });

  it('fills the same form from pasted YAML, with the schema’s complaints at their fields', async () => {
    await firstRun({
      'profiles.importYaml': () => ({
        draft: { name: 'x', serverName: 'bad name' },
        issues: profileIssues({ name: 'x', serverName: 'bad name' }),
      }),
    });
    fireEvent.change(screen.getByLabelText('Or paste it here'), {
      target: { value: 'name: x\nserverName: bad name\n' },
    });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Use this YAML' })));
    expect(h.fake.callsTo('profiles.importYaml')).toEqual([{ yaml: 'name: x\nserverName: bad name\n' }]);
    // The server name is wrong, so the form stays on the server step and says so there.
    expect(currentStep()?.textContent).toContain('Your server');
    const field = screen.getByLabelText('Server name') as HTMLInputElement;
    expect(field.value).toBe('bad name');
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(errorOf(field)).toMatch(/^server name is not a hostname/);
    // What the file set is kept: the server name does not overwrite the imported name.
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('x');
  });
});
