import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionInfo, Check, StatusSnapshot } from '../../src-main/ipc/contract';
import { App } from '../../src-renderer/src/app';
import { Dashboard } from '../../src-renderer/src/panels/dashboard';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

/** The green server with some checks changed (and the overall level the core would compute). */
function withChecks(patches: Record<string, Partial<Check>>, base: StatusSnapshot = fx.greenStatus) {
  const checks = base.checks.map((c) => (patches[c.id] ? { ...c, ...patches[c.id] } : c));
  const levels = checks.map((c) => c.level);
  const overall = levels.includes('fail') ? 'fail' : levels.includes('warn') ? 'warn' : base.overall;
  return { ...base, overall, checks } as StatusSnapshot;
}

const tuwunelDown = withChecks({
  'unit:matrix-tuwunel': {
    level: 'fail',
    alert: 'down',
    detail:
      'matrix-tuwunel has failed since 2026-05-21 16:40 UTC; read `journalctl -u matrix-tuwunel` for the cause, then start it again.',
  },
  'container:matrix-tuwunel': {
    level: 'fail',
    alert: 'down',
    detail: 'matrix-tuwunel exited with code 1 a minute ago; read `docker logs matrix-tuwunel`.',
  },
  'http:federation-version': {
    level: 'fail',
    alert: 'down',
    detail: 'Tuwunel is not answering behind the proxy: HTTP 502 from https://matrix.rampancy.cloud/…',
  },
  'config:allowlist-own-server': {
    level: 'warn',
    detail:
      "The federation allowlist does not admit rampancy.cloud; add '^rampancy\\.cloud$' so a downgrade cannot drop local users' events (tuwunel#489).",
  },
});

async function show(status: StatusSnapshot, extra: Parameters<typeof harness>[0] = {}) {
  h = harness({ 'status.get': () => status, ...extra });
  await h.store.getState().boot();
  renderWith(h, <Dashboard />);
}

const fold = (key: string) => screen.getByTestId(`check-group-${key}`) as HTMLDetailsElement;
const foldLine = (key: string) => fold(key).querySelector('summary')?.textContent ?? '';

describe('Dashboard: a healthy server at a glance', () => {
  it('says so in one sentence and folds every group to one line, closed', async () => {
    await show(fx.greenStatus);
    expect(screen.getByRole('heading', { level: 1, name: 'rampancy.cloud' })).toBeTruthy();
    expect(screen.getByTestId('overall-sentence').textContent).toBe(
      'Everything is running. All 16 checks are OK.',
    );
    expect(screen.queryByRole('region', { name: 'Needs your attention' })).toBeNull();
    expect(foldLine('services')).toContain('3 units running');
    expect(foldLine('endpoints')).toContain('HTTPS endpoints OK');
    expect(foldLine('data')).toContain('Image version and disk space OK');
    expect(foldLine('config')).toContain('Playbook configuration OK');
    expect(foldLine('tls')).toContain('TLS certificate valid');
    expect(foldLine('connections')).toContain('Both hosts answer over SSH');
    for (const key of ['services', 'endpoints', 'data', 'config', 'tls', 'connections'])
      expect(fold(key).open, key).toBe(false);
    // The level of every group reads as words, not only as a colour.
    expect(within(fold('services')).getAllByText('OK').length).toBeGreaterThan(0);
  });

  it('shows one row per unit, with its unit and its container badge side by side', async () => {
    await show(fx.greenStatus);
    const rows = fold('services').querySelectorAll('li.unit-row');
    expect([...rows].map((r) => r.querySelector('.mono')?.textContent)).toEqual([
      'matrix-tuwunel',
      'matrix-traefik',
      'matrix-postgres',
    ]);
    for (const row of rows) {
      const unit = row.querySelector('.mono')?.textContent;
      const summary = row.querySelector('summary') as HTMLElement;
      expect(within(summary).getByTestId(`check-unit:${unit}`).textContent).toContain('OK');
      expect(within(summary).getByTestId(`check-container:${unit}`).textContent).toContain('OK');
    }
    // The plain name says what the unit is for.
    expect(rows[0]?.textContent).toContain('the Matrix server');
  });

  it('keeps each check’s sentence for when it is opened, and lets a long value wrap at its separators', async () => {
    await show(fx.greenStatus);
    const row = screen.getByTestId('check-config:vars-file');
    const line = row.querySelector('.row-line') as HTMLElement;
    // One line in the row, cut to fit: the whole sentence is its tooltip.
    expect(line.getAttribute('title')).toBe(
      '/root/matrix-deploy/inventory/host_vars/matrix.rampancy.cloud/vars.yml parses as YAML.',
    );
    const detail = row.querySelector('.check-detail') as HTMLElement;
    expect(detail.textContent).toBe(
      '/root/matrix-deploy/inventory/host_vars/matrix.rampancy.cloud/vars.yml parses as YAML.',
    );
    expect(detail.querySelectorAll('wbr').length).toBeGreaterThan(4);
  });

  it('names where it looked: the SSH targets and the public URL, whole', async () => {
    await show(fx.greenStatus);
    expect(within(fold('connections')).getByText('Homeserver')).toBeTruthy();
    expect(fold('connections').textContent).toContain('admin@192.168.1.243');
    expect(fold('endpoints').textContent).toContain('https://matrix.rampancy.cloud');
  });
});

describe('Dashboard: problems first', () => {
  it('puts each problem above the folded groups, worst first, in plain words with its next step', async () => {
    await show(tuwunelDown, {
      'actions.plan': () =>
        fx.plan({ actionId: 'tuwunel.restart', danger: 'disruptive', confirm: 'Restart.' }),
    });
    const region = screen.getByRole('region', { name: 'Needs your attention' });
    const cards = within(region).getAllByRole('article');
    expect(cards.map((c) => c.querySelector('h3')?.textContent)).toEqual([
      'Tuwunel is not running',
      'Your own server is not in the federation allowlist',
    ]);
    // Before the folds in the document, so before them on the screen.
    const folds = screen.getByRole('region', { name: 'Everything else' });
    expect(region.compareDocumentPosition(folds) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(screen.getByTestId('overall-sentence').textContent).toBe(
      '1 problem and 1 warning to look at. 12 of 16 checks OK.',
    );

    const tuwunel = cards[0] as HTMLElement;
    // Three failing checks about one unit are one problem, not three.
    expect(tuwunel.textContent).toContain(
      'read journalctl -u matrix-tuwunel for the cause, then start it again.',
    );
    expect(within(tuwunel).getByText('journalctl -u matrix-tuwunel').tagName).toBe('CODE');
    expect(within(tuwunel).getByText('Details: 2 more checks about this')).toBeTruthy();
    expect(within(tuwunel).getByText('alert sent')).toBeTruthy();
    await act(async () => fireEvent.click(within(tuwunel).getByRole('button', { name: 'Restart Tuwunel' })));
    expect(h.fake.callsTo('actions.plan')).toEqual([{ actionId: 'tuwunel.restart', params: {} }]);
    expect(h.store.getState().pendingConfirm?.action.id).toBe('tuwunel.restart');
  });

  it('offers the one action that fixes a problem, with the parameters it needs', async () => {
    await show(tuwunelDown, {
      'actions.plan': (r) => fx.plan({ actionId: r.actionId, params: r.params, danger: 'disruptive' }),
    });
    const card = screen.getByRole('article', { name: 'Your own server is not in the federation allowlist' });
    await act(async () =>
      fireEvent.click(within(card).getByRole('button', { name: 'Allow rampancy.cloud again' })),
    );
    expect(h.fake.callsTo('actions.plan')).toEqual([
      { actionId: 'federation.allow', params: { server: 'rampancy.cloud' } },
    ]);
  });

  it('offers "Back up now" when Tuwunel has no backup yet', async () => {
    const backup: Check = {
      ...(fx.greenStatus.checks.find((c) => c.id === 'disk:tuwunel-data') as Check),
      id: 'backup:tuwunel',
      group: 'backup',
      title: 'Tuwunel backups',
      level: 'warn',
      detail: 'There is no Tuwunel backup in /matrix/tuwunel/data/backups yet; run "Back up now".',
    };
    const status = {
      ...fx.greenStatus,
      overall: 'warn',
      checks: [...fx.greenStatus.checks, backup],
    } as StatusSnapshot;
    const restart = fx.catalog.find((a) => a.id === 'tuwunel.restart');
    const backUp = {
      ...restart,
      id: 'tuwunel.backup',
      title: 'Back up now',
      danger: 'disruptive',
    } as ActionInfo;
    await show(status, {
      'actions.list': () => ({ actions: [...fx.catalog, backUp] }),
      'actions.plan': (r) => fx.plan({ actionId: r.actionId, params: r.params, danger: 'disruptive' }),
    });
    const card = screen.getByRole('article', { name: 'Backups need a look' });
    await act(async () => fireEvent.click(within(card).getByRole('button', { name: 'Back up now' })));
    expect(h.fake.callsTo('actions.plan')).toEqual([{ actionId: 'tuwunel.backup', params: {} }]);
  });

  it('opens the log of the unit a problem is about', async () => {
    h = harness({ 'status.get': () => tuwunelDown });
    await h.store.getState().boot();
    renderWith(h, <Dashboard />);
    const card = screen.getByRole('article', { name: 'Tuwunel is not running' });
    fireEvent.click(within(card).getByRole('button', { name: 'Open its log' }));
    expect(h.store.getState().focus).toEqual({ panel: 'logs', unit: 'matrix-tuwunel' });
  });

  it('says a check is being confirmed before anyone is alerted', async () => {
    await show(
      withChecks({ 'unit:matrix-traefik': { level: 'fail', alert: 'pending', detail: 'inactive (dead).' } }),
    );
    const card = screen.getByRole('article', { name: 'Traefik is not running' });
    expect(within(card).getByText('checking again before alerting')).toBeTruthy();
    // Not Tuwunel: the stack start brings back whatever unit is stopped.
    expect(within(card).getByRole('button', { name: 'Start stack' })).toBeTruthy();
    expect(foldLine('services')).toContain('2 of 3 units running, 1 with a problem');
  });

  it('says which host could not be reached and why, once, instead of one problem per unknown check', async () => {
    const unreachable = {
      ...withChecks(
        Object.fromEntries(
          fx.greenStatus.checks
            .filter((c) => c.host === 'deploy')
            .map((c) => [
              c.id,
              { level: c.id === 'ssh:deploy' ? 'fail' : 'unknown', detail: 'Not checked.' },
            ]),
        ) as Record<string, Partial<Check>>,
      ),
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
    } as StatusSnapshot;
    await show(unreachable);
    const region = screen.getByRole('region', { name: 'Needs your attention' });
    expect(within(region).getAllByRole('article')).toHaveLength(1);
    const card = within(region).getByRole('article', { name: 'Can’t reach the deploy host' });
    expect(card.textContent).toContain('connection refused.');
    expect(card.textContent).toContain('Check that the machine is up');
    expect(card.textContent).toContain('2 checks on it wait until it answers again.');
    await act(async () => fireEvent.click(within(card).getByRole('button', { name: 'Check again' })));
    expect(h.fake.callsTo('status.refresh')).toHaveLength(1);
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
    await show(
      {
        ...fx.greenStatus,
        hosts: fx.greenStatus.hosts.map((x) =>
          x.host === 'homeserver' ? { ...x, reachable: false, error: changed } : x,
        ),
      },
      {
        'hostkey.forget': () => ({
          removed: 0,
          stillPinnedBy: [
            { keyType: 'ssh-ed25519', fingerprint: 'SHA256:OLD', file: '~/.ssh/known_hosts', line: 12 },
          ],
        }),
      },
    );
    const card = screen.getByRole('article', { name: 'Can’t reach the homeserver' });
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

  it('keeps a sticky alert on top with the one click that fixes it', async () => {
    await show(
      {
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
      },
      {
        'actions.plan': () => fx.plan({ actionId: 'stack.start' }),
        'actions.run': () => ({ runId: 'run-2' }),
        'runs.get': () => ({ ...fx.run({ runId: 'run-2', actionId: 'stack.start' }), output: [] }),
      },
    );
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('matrix-tuwunel is stopped.');
    await act(async () => fireEvent.click(within(alert).getByRole('button', { name: 'Start stack' })));
    expect(h.fake.callsTo('actions.run')).toEqual([
      { actionId: 'stack.start', params: {}, confirmation: null },
    ]);
  });
});

describe('Dashboard: maintenance', () => {
  it('says it once, in a banner whose button starts the stack; the groups only count what is held', async () => {
    await show(fx.maintenanceStatus, {
      'actions.plan': () => fx.plan({ actionId: 'stack.start' }),
      'actions.run': () => ({ runId: 'run-9' }),
      'runs.get': () => ({
        ...fx.run({ runId: 'run-9', actionId: 'stack.start', title: 'Start stack' }),
        output: [],
      }),
    });
    expect(screen.getAllByRole('status', { name: 'Maintenance' })).toHaveLength(1);
    const banner = screen.getByRole('status', { name: 'Maintenance' });
    expect(banner.textContent).toContain('Stopped for maintenance since');
    expect(banner.textContent).toContain('Matrix is down for everyone until you start it again');
    // Held checks are not problems, and no line on screen repeats the banner's sentence.
    expect(screen.queryByRole('region', { name: 'Needs your attention' })).toBeNull();
    const lines = [...document.querySelectorAll('summary')].map((s) => s.textContent ?? '');
    expect(lines.filter((l) => l.includes('Under maintenance'))).toEqual([]);
    expect(foldLine('services')).toContain('3 units stopped for maintenance');
    expect(foldLine('endpoints')).toContain('HTTPS endpoints: 1 OK, 2 held for maintenance');
    // What was measured underneath stays one tag away.
    const row = screen.getByTestId('check-http:client-versions');
    expect(within(row.querySelector('summary') as HTMLElement).getByText('measured: Failing')).toBeTruthy();

    await act(async () =>
      fireEvent.click(within(banner).getByRole('button', { name: 'Start all services' })),
    );
    expect(h.fake.callsTo('actions.run')).toEqual([
      { actionId: 'stack.start', params: {}, confirmation: null },
    ]);
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
    // The Settings panel is a lazy chunk: its first import is transformed now, which on a loaded machine takes
    // seconds (tests/renderer/setup.ts gives findBy 10 s).
    expect(await screen.findByRole('heading', { level: 1, name: 'Settings' })).toBeTruthy();
  });

  it('opens the group and the row a notification points at', async () => {
    h = harness();
    await h.store.getState().boot();
    renderWith(h, <App />);
    expect(fold('services').open).toBe(false);
    act(() => h.fake.emit('app.navigate', { panel: 'dashboard', checkId: 'container:matrix-traefik' }));
    expect(fold('services').open).toBe(true);
    expect(document.getElementById('unit-matrix-traefik')?.className).toContain('check-focused');
  });

  it('points at the problem card when the check it names is part of one', async () => {
    h = harness({ 'status.get': () => tuwunelDown });
    await h.store.getState().boot();
    renderWith(h, <App />);
    act(() => h.fake.emit('app.navigate', { panel: 'dashboard', checkId: 'http:federation-version' }));
    expect(screen.getByRole('article', { name: 'Tuwunel is not running' }).className).toContain(
      'problem-focused',
    );
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
