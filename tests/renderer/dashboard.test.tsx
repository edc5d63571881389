import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src-renderer/src/app';
import { Dashboard } from '../../src-renderer/src/panels/dashboard';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

describe('Dashboard', () => {
  it('shows the overall state, a card per host and the public side, and checks grouped by service', async () => {
    h = harness();
    await h.store.getState().boot();
    renderWith(h, <Dashboard />);
    expect(screen.getByRole('heading', { level: 1, name: 'rampancy.cloud' })).toBeTruthy();
    expect(screen.getByTestId('overall-sentence').textContent).toBe('1 with a warning of 6 checks.');
    for (const title of ['Homeserver', 'Deploy host', 'Public side']) {
      expect(screen.getByRole('article', { name: title })).toBeTruthy();
    }
    const homeserver = screen.getByRole('article', { name: 'Homeserver' });
    expect(within(homeserver).getByText('admin@192.168.1.243')).toBeTruthy();
    const disk = within(homeserver).getByRole('region', { name: 'Homeserver: Disk' });
    // The level reads as words, not only as a colour.
    expect(within(disk).getByText('Warning')).toBeTruthy();
    expect(within(disk).getByText('/matrix/tuwunel/data is 86 % full (warn at 85 %).')).toBeTruthy();
    expect(within(disk).getByText(/^since \d\d:\d\d:\d\d/)).toBeTruthy();
    expect(within(homeserver).getByRole('region', { name: 'Homeserver: Tuwunel' })).toBeTruthy();
  });

  it('says which host could not be reached, and why, as a sentence with the next step', async () => {
    h = harness({
      'status.get': () => ({
        ...fx.greenStatus,
        hosts: fx.greenStatus.hosts.map((s) =>
          s.host === 'deploy'
            ? {
                ...s,
                reachable: false,
                error: {
                  code: 'ConnectFailed',
                  message: 'Could not reach the deploy host at 192.168.1.245: connection refused.',
                  nextStep: 'Check that the machine is up and the address and port in the profile are right.',
                },
              }
            : s,
        ),
      }),
    });
    await h.store.getState().boot();
    renderWith(h, <Dashboard />);
    const deploy = screen.getByRole('article', { name: 'Deploy host' });
    expect(within(deploy).getByText('Failing')).toBeTruthy();
    expect(within(deploy).getByText(/connection refused/)).toBeTruthy();
    expect(within(deploy).getByText(/Check that the machine is up/)).toBeTruthy();
  });

  it('marks checks that are failing but not yet alerted', async () => {
    h = harness();
    await h.store.getState().boot();
    act(() =>
      h.fake.emit('status.changed', {
        ...fx.greenStatus,
        overall: 'fail',
        checks: fx.greenStatus.checks.map((c) =>
          c.id === 'unit:matrix-tuwunel'
            ? { ...c, level: 'fail', alert: 'pending', detail: 'inactive (dead).' }
            : c,
        ),
      }),
    );
    renderWith(h, <Dashboard />);
    const row = screen.getByTestId('check-unit:matrix-tuwunel');
    expect(within(row).getByText('Failing')).toBeTruthy();
    expect(within(row).getByText('retrying before alert')).toBeTruthy();
  });

  it('shows the maintenance banner whose "Start stack" starts the stack', async () => {
    h = harness({
      'status.get': () => fx.maintenanceStatus,
      'actions.plan': () => fx.plan({ actionId: 'stack.start' }),
      'actions.run': () => ({ runId: 'run-9' }),
      'runs.get': () => ({
        ...fx.run({ runId: 'run-9', actionId: 'stack.start', title: 'Start stack' }),
        output: [],
      }),
    });
    await h.store.getState().boot();
    renderWith(h, <Dashboard />);
    const banner = screen.getByRole('status', { name: 'Maintenance' });
    expect(banner.textContent).toContain('Maintenance mode.');
    expect(banner.textContent).toContain('Alerts for the stopped units are held back.');
    await act(async () => fireEvent.click(within(banner).getByRole('button', { name: 'Start stack' })));
    expect(h.fake.callsTo('actions.run')).toEqual([
      { actionId: 'stack.start', params: {}, confirmed: false },
    ]);
  });
});

describe('Dashboard alerts and host keys', () => {
  it('shows what was measured under maintenance', async () => {
    h = harness({ 'status.get': () => fx.maintenanceStatus });
    await h.store.getState().boot();
    renderWith(h, <Dashboard />);
    const row = screen.getByTestId('check-unit:matrix-tuwunel');
    expect(within(row).getByText('Maintenance')).toBeTruthy();
    expect(within(row).getByText('measured: Failing')).toBeTruthy();
  });

  it('keeps a sticky alert on top with the one click that fixes it', async () => {
    h = harness({
      'status.get': () => ({
        ...fx.greenStatus,
        stickyAlerts: [
          {
            id: 'tuwunel-stopped',
            title: 'matrix-tuwunel is stopped',
            message:
              'After the admin command, matrix-tuwunel could not be confirmed running on the homeserver host (192.168.1.243): Matrix is down until it is started.',
            fixActionId: 'stack.start',
            runId: 'run-1',
            raisedAt: fx.at(),
          },
        ],
      }),
      'actions.plan': () => fx.plan({ actionId: 'stack.start' }),
      'actions.run': () => ({ runId: 'run-2' }),
      'runs.get': () => ({ ...fx.run({ runId: 'run-2', actionId: 'stack.start' }), output: [] }),
    });
    await h.store.getState().boot();
    renderWith(h, <Dashboard />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('matrix-tuwunel is stopped.');
    await act(async () => fireEvent.click(within(alert).getByRole('button', { name: 'Start stack' })));
    expect(h.fake.callsTo('actions.run')).toEqual([
      { actionId: 'stack.start', params: {}, confirmed: false },
    ]);
  });

  it('refuses a changed host key and only forgets the old pin after an explicit confirm', async () => {
    const changed = {
      code: 'HostKeyChanged',
      message:
        'The homeserver host (192.168.1.243) presented ssh-ed25519 key SHA256:NEW, but ssh-ed25519 SHA256:OLD (~/.ssh/known_hosts:12) is trusted for it. This can mean someone is intercepting the connection; nothing was sent.',
      nextStep:
        'If the machine was reinstalled, verify the new fingerprint on its console, then remove the old entry explicitly before trusting the new one.',
      hostKey: {
        host: 'homeserver' as const,
        address: '192.168.1.243',
        keyType: 'ssh-ed25519',
        fingerprint: 'SHA256:NEW',
        expected: ['ssh-ed25519 SHA256:OLD (~/.ssh/known_hosts:12)'],
      },
    };
    h = harness({
      'status.get': () => ({
        ...fx.greenStatus,
        hosts: fx.greenStatus.hosts.map((x) =>
          x.host === 'homeserver' ? { ...x, reachable: false, error: changed } : x,
        ),
      }),
      'hostkey.forget': () => ({
        removed: 0,
        stillPinnedBy: [
          { keyType: 'ssh-ed25519', fingerprint: 'SHA256:OLD', file: '~/.ssh/known_hosts', line: 12 },
        ],
      }),
    });
    await h.store.getState().boot();
    renderWith(h, <Dashboard />);
    const card = screen.getByRole('article', { name: 'Homeserver' });
    expect(within(card).getByText('ssh-ed25519 SHA256:OLD (~/.ssh/known_hosts:12)')).toBeTruthy();
    fireEvent.click(within(card).getByRole('button', { name: 'Forget the old key…' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Forget the old host key of the homeserver?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(h.fake.callsTo('hostkey.forget')).toHaveLength(0);
    fireEvent.click(within(card).getByRole('button', { name: 'Forget the old key…' }));
    await act(async () =>
      fireEvent.click(
        within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Forget the old key' }),
      ),
    );
    expect(h.fake.callsTo('hostkey.forget')).toEqual([{ host: 'homeserver' }]);
    expect(within(card).getByText('~/.ssh/known_hosts:12')).toBeTruthy();
  });
});

describe('the window', () => {
  it('has labelled navigation, a refresh button and the last refresh time', async () => {
    h = harness();
    await h.store.getState().boot();
    renderWith(h, <App />);
    const nav = screen.getByRole('navigation', { name: 'Sections' });
    expect(within(nav).getByRole('button', { name: 'Dashboard' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByTestId('last-refresh').textContent).toMatch(/^Checked /);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Refresh' })));
    expect(h.fake.callsTo('status.refresh')).toHaveLength(1);
    await act(async () => fireEvent.click(within(nav).getByRole('button', { name: 'Settings' })));
    expect(await screen.findByRole('heading', { level: 1, name: 'Settings' })).toBeTruthy();
  });

  it('opens the item a notification points at', async () => {
    h = harness();
    await h.store.getState().boot();
    renderWith(h, <App />);
    act(() => h.fake.emit('app.navigate', { panel: 'dashboard', checkId: 'disk:data' }));
    expect(screen.getByTestId('check-disk:data').className).toContain('check-focused');
  });

  it('says so in a sentence when the main process cannot be reached', async () => {
    h = harness({
      'app.info': () => {
        throw new Error('gone');
      },
    });
    await h.store.getState().boot();
    renderWith(h, <App />);
    expect(screen.getByRole('alert').textContent).toContain('did not answer');
  });
});
