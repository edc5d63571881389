import { describe, expect, it } from 'vitest';
import { unwatchedView } from '../../../../src-main/app/views/status-view';
import { findAction } from '../../../../src-main/core/runbook/catalog';
import {
  localClock,
  MAX_CHECK_LINES,
  MAX_CHECK_LINES_PER_SERVER,
  type TrayMenuItem,
  trayMenu,
} from '../../../../src-main/desktop/model/tray-menu';
import { ACTIONS, aCheck, aStatus, at, utcClock } from './fixtures';

type Item = Extract<TrayMenuItem, { type: 'item' }>;

function menu(status = aStatus(), actions = ACTIONS): TrayMenuItem[] {
  return trayMenu({ servers: [status], actions, formatTime: utcClock });
}
const labels = (items: TrayMenuItem[]) => items.filter((i) => i.type !== 'separator').map((i) => i.label);
const item = (items: TrayMenuItem[], id: string): Item => {
  const found = items.find((i): i is Item => i.type === 'item' && i.id === id);
  if (!found) throw new Error(`no item ${id} in ${labels(items).join(' | ')}`);
  return found;
};
const header = (items: TrayMenuItem[]) =>
  items
    .filter((i) => i.type === 'label' && i.id.startsWith('header:'))
    .map((i) => (i as { label: string }).label);

describe('tray menu', () => {
  it('mutes the server for 1 h or 8 h; until it recovers only while something fails', () => {
    expect(item(menu(), 'mute:server:1h').command).toEqual({
      kind: 'mute',
      target: { kind: 'server' },
      duration: '1h',
      title: 'Mute alerts for 1 hour',
    });
    expect(labels(menu())).not.toContain('Mute alerts until it recovers');
    const failing = aStatus({
      overall: 'fail',
      checks: [aCheck({ id: 'unit:matrix-tuwunel', level: 'fail', alert: 'down' })],
    });
    expect(item(menu(failing), 'mute:server:recovered').command).toMatchObject({ duration: 'recovered' });
  });

  it('shows each mute in force with its end and an Unmute; a muted server is not offered again', () => {
    const status = aStatus({
      mutes: [
        {
          key: 'unit:matrix-tuwunel',
          target: { kind: 'unit', unit: 'matrix-tuwunel' },
          label: 'unit matrix-tuwunel',
          since: at(),
          until: at(3_600_000),
        },
        { key: 'server', target: { kind: 'server' }, label: 'the whole server', since: at(), until: null },
      ],
    });
    const items = menu(status);
    expect(labels(items)).toEqual(
      expect.arrayContaining([
        'Muted: unit matrix-tuwunel until 15:03',
        'Unmute unit matrix-tuwunel',
        'Muted: the whole server until it recovers',
        'Unmute the whole server',
      ]),
    );
    expect(item(items, 'unmute:server').command).toEqual({
      kind: 'unmute',
      key: 'server',
      title: 'Unmute the whole server',
    });
    expect(labels(items).filter((l) => l.startsWith('Mute alerts'))).toEqual([]);
  });

  it('starts with the server, its worst state and the last check time', () => {
    expect(header(menu())).toEqual(['rampancy.cloud: all OK', 'Last check 14:03']);
    const failing = aStatus({
      overall: 'fail',
      refreshing: true,
      checks: [aCheck({ id: 'unit:matrix-tuwunel', title: 'matrix-tuwunel unit', level: 'fail' })],
    });
    expect(header(menu(failing))).toEqual(['rampancy.cloud: failing', 'Last check 14:03 (checking…)']);
    expect(header(menu(aStatus({ lastRefresh: null, refreshing: true }))).at(1)).toBe('Checking…');
    expect(header(menu(aStatus({ lastRefresh: null }))).at(1)).toBe('Not checked yet');
  });

  it('lists every failing, unknown and warning check, worst first, each opening the window on it', () => {
    const status = aStatus({
      overall: 'fail',
      checks: [
        aCheck({ id: 'disk:tuwunel-data', title: 'RocksDB disk space', level: 'warn' }),
        aCheck({ id: 'unit:matrix-traefik', title: 'matrix-traefik unit', level: 'ok' }),
        aCheck({ id: 'backup:age', title: 'Newest backup', level: 'unknown' }),
        aCheck({ id: 'unit:matrix-tuwunel', title: 'matrix-tuwunel unit', level: 'fail' }),
      ],
    });
    const lines = menu(status).filter((i): i is Item => i.type === 'item' && i.id.startsWith('check:'));
    expect(lines.map((l) => l.label)).toEqual([
      'Failing: matrix-tuwunel unit',
      'Unknown: Newest backup',
      'Warning: RocksDB disk space',
    ]);
    expect(lines[0]?.command).toEqual({
      kind: 'navigate',
      target: { panel: 'dashboard', checkId: 'unit:matrix-tuwunel' },
    });
  });

  it('says an unreachable host once instead of one "unknown" per check behind it', () => {
    const status = aStatus({
      overall: 'fail',
      checks: [
        aCheck({ id: 'ssh:homeserver', group: 'ssh', title: 'SSH to the homeserver', level: 'fail' }),
        aCheck({ id: 'unit:matrix-tuwunel', title: 'matrix-tuwunel unit', level: 'unknown' }),
        aCheck({ id: 'disk:tuwunel-data', title: 'RocksDB disk space', level: 'unknown' }),
        aCheck({
          id: 'config:vars-file',
          host: 'deploy',
          group: 'config',
          title: 'vars.yml',
          level: 'unknown',
        }),
      ],
    });
    const checkLines = labels(menu(status)).filter((l) => /^(Failing|Unknown|Warning):/.test(l));
    expect(checkLines).toEqual(['Failing: SSH to the homeserver', 'Unknown: vars.yml']);
  });

  it('collapses more than a few problems into one line that opens the dashboard', () => {
    const checks = Array.from({ length: MAX_CHECK_LINES + 3 }, (_, i) =>
      aCheck({ id: `unit:u${i}`, title: `u${String(i).padStart(2, '0')}`, level: 'fail' }),
    );
    const items = menu(aStatus({ overall: 'fail', checks }));
    expect(items.filter((i) => i.type === 'item' && i.id.startsWith('check:unit:'))).toHaveLength(
      MAX_CHECK_LINES,
    );
    expect(item(items, 'check:more')).toMatchObject({
      label: '…and 3 more',
      command: { kind: 'navigate', target: { panel: 'dashboard' } },
    });
  });

  it('offers the quick actions in order, outage and disruptive ones marked to confirm', () => {
    const items = menu();
    expect(labels(items).slice(2)).toEqual([
      'Mute alerts for 1 hour',
      'Mute alerts for 8 hours',
      'Restart Tuwunel…',
      'Restart all services…',
      'Maintenance stop…',
      'Apply configuration…',
      'Copy registration token',
      'Invite someone…',
      'Reset a password…',
      'Open dashboard',
      'Open logs',
      'Quit Homeserver Tray',
    ]);
    expect(item(items, 'action:stack.stop')).toMatchObject({
      enabled: true,
      confirm: true,
      command: { kind: 'run', actionId: 'stack.stop', title: 'Stop the stack (maintenance)' },
    });
    expect(item(items, 'invite')).toMatchObject({
      confirm: false,
      command: { kind: 'navigate', target: { panel: 'people', focus: 'invite' } },
    });
    expect(item(items, 'reset-password')).toMatchObject({
      confirm: false,
      command: { kind: 'navigate', target: { panel: 'people', focus: 'reset-password' } },
    });
    expect(item(items, 'copy-token').command).toEqual({ kind: 'copy-token' });
    expect(item(items, 'quit').command).toEqual({ kind: 'quit' });
    expect(item(items, 'open-logs').command).toEqual({
      kind: 'navigate',
      target: { panel: 'logs', unit: 'matrix-tuwunel' },
    });
  });

  it('every quick action it offers exists in the runbook catalog', () => {
    const ids = menu()
      .filter((i): i is Item => i.type === 'item' && i.command.kind === 'run')
      .map((i) => (i.command as { actionId: string }).actionId);
    ids.push('stack.start');
    for (const id of ids) expect(findAction(id), id).toBeDefined();
  });

  it('offers "Start the stack" instead of "Maintenance stop" in maintenance, without a confirm (it is safe)', () => {
    const status = aStatus({
      overall: 'maintenance',
      maintenance: { on: true, since: at(-3_600_000), reason: 'all services stopped' },
    });
    const items = menu(status);
    expect(items.some((i) => i.type === 'item' && i.id === 'action:stack.stop')).toBe(false);
    expect(item(items, 'action:stack.start')).toMatchObject({
      label: 'Start the stack (end maintenance)',
      confirm: false,
      enabled: true,
    });
    expect(header(items)).toContain('Maintenance mode since 13:03');
    expect(header(items)).toContain('All services stopped');
  });

  it('disables every action while a mutating run is busy, and says which run', () => {
    const items = menu(aStatus({ busy: { runId: 'run-1', title: 'Restart all services' } }));
    expect(header(items)).toContain('Running: Restart all services');
    const runs = items.filter((i): i is Item => i.type === 'item' && i.command.kind === 'run');
    expect(runs.length).toBe(4);
    for (const r of runs) expect(r.enabled, r.label).toBe(false);
    expect(item(items, 'copy-token').enabled).toBe(true);
    expect(item(items, 'open-dashboard').enabled).toBe(true);
  });

  it('turns a sticky alert into a line that runs its fix', () => {
    const status = aStatus({
      stickyAlerts: [
        {
          id: 'tuwunel-stopped',
          title: 'matrix-tuwunel is stopped',
          message: 'Make-admin could not start Tuwunel again.',
          fixActionId: 'stack.start',
          runId: 'run-9',
          raisedAt: at(),
        },
      ],
    });
    expect(item(menu(status), 'alert:tuwunel-stopped')).toMatchObject({
      label: 'matrix-tuwunel is stopped: Start the stack',
      confirm: false,
      enabled: true,
      command: { kind: 'run', actionId: 'stack.start' },
    });
  });

  it('without a profile: says so, keeps the dashboard and Quit, disables the rest', () => {
    for (const servers of [[], [aStatus({ profileId: null, serverName: '' })]]) {
      const items = trayMenu({ servers, actions: [], formatTime: utcClock });
      expect(header(items)).toEqual([
        'Homeserver Tray: state unknown',
        'Open the dashboard to set up a server',
      ]);
      const enabled = items.filter((i): i is Item => i.type === 'item' && i.enabled).map((i) => i.id);
      expect(enabled).toEqual(['open-dashboard', 'quit']);
    }
  });

  it('disables an action the catalog does not offer, and confirms one whose danger depends on the request', () => {
    const items = menu(
      aStatus(),
      ACTIONS.filter((a) => a.id !== 'config.apply').map((a) =>
        a.id === 'tuwunel.restart' ? { ...a, danger: null } : a,
      ),
    );
    expect(item(items, 'action:config.apply').enabled).toBe(false);
    expect(item(items, 'action:tuwunel.restart').confirm).toBe(true);
  });

  it('shows times as hours and minutes of the local clock by default', () => {
    const label = header(trayMenu({ servers: [aStatus()], actions: ACTIONS }))[1];
    expect(label).toBe(`Last check ${localClock(at())}`);
    expect(localClock(at())).toMatch(/^\D*\d{1,2}\D\d{2}\D*$/);
  });

  it('cuts long labels so the menu stays narrow', () => {
    const long = 'x'.repeat(200);
    const items = menu(
      aStatus({ overall: 'fail', checks: [aCheck({ id: 'c', title: long, level: 'fail' })] }),
    );
    expect(item(items, 'check:c').label.length).toBeLessThanOrEqual(80);
    expect(item(items, 'check:c').label.endsWith('…')).toBe(true);
  });
});

describe('tray menu of several servers', () => {
  type Submenu = Extract<TrayMenuItem, { type: 'submenu' }>;
  const server = (name: string, partial: Parameters<typeof aStatus>[0] = {}) =>
    aStatus({ profileId: name, profileName: name, serverName: `${name}.example`, ...partial });
  const several = (...servers: ReturnType<typeof aStatus>[]) =>
    trayMenu({ servers, actions: ACTIONS, formatTime: utcClock });
  const submenu = (items: TrayMenuItem[], id: string): Submenu => {
    const found = items.find((i): i is Submenu => i.type === 'submenu' && i.id === id);
    if (!found) throw new Error(`no submenu ${id}`);
    return found;
  };
  const failing = server('family', {
    overall: 'fail',
    checks: [aCheck({ id: 'unit:matrix-tuwunel', title: 'matrix-tuwunel unit', level: 'fail' })],
  });

  it('starts with the worst of them, then one section per server in the store order', () => {
    const items = several(server('home'), failing, server('club', { overall: 'warn' }));
    expect(items[0]).toEqual({ type: 'label', id: 'header:all', label: '3 servers: failing' });
    const headers = items.filter((i) => i.type === 'label' && i.id.endsWith('/header:server'));
    expect(headers.map((h) => (h as { label: string }).label)).toEqual([
      'home: all OK',
      'family: failing',
      'club: warnings',
    ]);
    expect(labels(items).at(-2)).toBe('Open dashboard');
    expect(labels(items).at(-1)).toBe('Quit Homeserver Tray');
  });

  it("a server's problems sit under its own header and open the window on that server", () => {
    const items = several(server('home'), failing);
    const at = (id: string) => items.findIndex((i) => i.type !== 'separator' && i.id === id);
    const line = item(items, 'family/check:unit:matrix-tuwunel');
    expect(line.label).toBe('Failing: matrix-tuwunel unit');
    expect(line.command).toEqual({
      kind: 'navigate',
      target: { panel: 'dashboard', checkId: 'unit:matrix-tuwunel' },
      profileId: 'family',
    });
    expect(at('family/header:server')).toBeLessThan(at('family/check:unit:matrix-tuwunel'));
    expect(at('home/header:server')).toBeLessThan(at('family/header:server'));
  });

  it("each server's quick actions are in its submenu and act on that server", () => {
    const items = several(
      server('home'),
      server('family', { maintenance: { on: true, since: at(), reason: null } }),
    );
    const home = submenu(items, 'home/actions');
    expect(home.label).toBe('Actions for home');
    expect(item(home.items, 'home/action:stack.stop').command).toEqual({
      kind: 'run',
      actionId: 'stack.stop',
      title: 'Stop the stack (maintenance)',
      profileId: 'home',
    });
    expect(item(home.items, 'home/copy-token').command).toEqual({ kind: 'copy-token', profileId: 'home' });
    expect(item(home.items, 'home/invite').command).toEqual({
      kind: 'navigate',
      target: { panel: 'people', focus: 'invite' },
      profileId: 'home',
    });
    expect(item(home.items, 'home/reset-password').command).toEqual({
      kind: 'navigate',
      target: { panel: 'people', focus: 'reset-password' },
      profileId: 'home',
    });
    // Maintenance is per server: only the one in maintenance offers to end it.
    const family = submenu(items, 'family/actions');
    expect(item(family.items, 'family/action:stack.start').command).toMatchObject({ profileId: 'family' });
    expect(family.items.some((i) => i.type === 'item' && i.id === 'family/action:stack.stop')).toBe(false);
  });

  it("each server's mutes: its section says what is muted, its submenu mutes and unmutes that server only", () => {
    const items = several(
      server('home'),
      server('family', {
        overall: 'fail',
        checks: [aCheck({ id: 'unit:matrix-tuwunel', level: 'fail', alert: 'down' })],
        mutes: [
          {
            key: 'unit:matrix-tuwunel',
            target: { kind: 'unit', unit: 'matrix-tuwunel' },
            label: 'unit matrix-tuwunel',
            since: at(),
            until: at(3_600_000),
          },
        ],
      }),
    );
    const sectionLabels = (name: string) =>
      items
        .filter((i) => i.type === 'label' && i.id.startsWith(`${name}/`))
        .map((i) => (i as { label: string }).label);
    expect(sectionLabels('family')).toContain('Muted: unit matrix-tuwunel until 15:03');
    expect(sectionLabels('home').some((l) => l.startsWith('Muted:'))).toBe(false);
    const family = submenu(items, 'family/actions');
    expect(item(family.items, 'family/unmute:unit:matrix-tuwunel').command).toEqual({
      kind: 'unmute',
      key: 'unit:matrix-tuwunel',
      title: 'Unmute unit matrix-tuwunel',
      profileId: 'family',
    });
    expect(item(family.items, 'family/mute:server:recovered').command).toEqual({
      kind: 'mute',
      target: { kind: 'server' },
      duration: 'recovered',
      title: 'Mute alerts until it recovers',
      profileId: 'family',
    });
    // home fails nowhere: 1 h and 8 h only, and they mute home.
    const home = submenu(items, 'home/actions');
    expect(item(home.items, 'home/mute:server:1h').command).toMatchObject({
      kind: 'mute',
      profileId: 'home',
    });
    expect(home.items.some((i) => i.type === 'item' && i.id === 'home/mute:server:recovered')).toBe(false);
    expect(home.items.some((i) => i.type === 'item' && i.id.includes('unmute:'))).toBe(false);
  });

  it('a busy server disables only its own actions', () => {
    const items = several(
      server('home', { busy: { runId: 'r', title: 'Restart Tuwunel' } }),
      server('family'),
    );
    expect(item(submenu(items, 'home/actions').items, 'home/action:stack.restart').enabled).toBe(false);
    expect(item(submenu(items, 'family/actions').items, 'family/action:stack.restart').enabled).toBe(true);
    expect(labels(items)).toContain('Running: Restart Tuwunel');
  });

  it('sticky alerts run their fix on their own server', () => {
    const alert = {
      id: 'stack-stopped',
      title: 'matrix-tuwunel is stopped',
      message: 'Start it.',
      fixActionId: 'stack.start',
      runId: 'r1',
      raisedAt: at(),
    };
    const items = several(server('home'), server('family', { stickyAlerts: [alert] }));
    expect(item(items, 'family/alert:stack-stopped').command).toMatchObject({
      kind: 'run',
      actionId: 'stack.start',
      profileId: 'family',
    });
  });

  it('keeps each section short: a few problems per server, the rest in one line', () => {
    const checks = Array.from({ length: 6 }, (_, i) =>
      aCheck({ id: `c${i}`, title: `check ${i}`, level: 'fail' }),
    );
    const items = several(server('home'), server('family', { overall: 'fail', checks }));
    const lines = items.filter((i) => i.type === 'item' && i.id.startsWith('family/check:'));
    expect(lines).toHaveLength(MAX_CHECK_LINES_PER_SERVER + 1);
    expect(item(items, 'family/check:more')).toMatchObject({
      label: `…and ${6 - MAX_CHECK_LINES_PER_SERVER} more`,
      command: { kind: 'navigate', target: { panel: 'dashboard' }, profileId: 'family' },
    });
  });

  it('ten servers: every id is unique, so Electron finds each item', () => {
    const items = several(...Array.from({ length: 10 }, (_, i) => server(`s${i}`, { overall: 'warn' })));
    const ids = items.flatMap((i) =>
      i.type === 'separator'
        ? []
        : i.type === 'submenu'
          ? [i.id, ...i.items.flatMap((s) => (s.type === 'separator' ? [] : [s.id]))]
          : [i.id],
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(items.filter((i) => i.type === 'submenu')).toHaveLength(10);
  });

  it('a profile that cannot be watched keeps its section, unknown, saying why', () => {
    const broken = unwatchedView(
      {
        id: 'broken',
        name: 'Broken',
        serverName: '',
        error: { code: 'ProfileInvalid', message: 'broken.yaml is not valid.', nextStep: 'Fix it.' },
      },
      30,
    );
    const items = several(server('home'), broken);
    expect(items[0]).toMatchObject({ label: '2 servers: state unknown' });
    const section = items.filter((i) => i.type === 'label' && i.id.startsWith('broken/'));
    expect(section.map((i) => (i as { label: string }).label)).toEqual([
      'Broken: state unknown',
      'Not checked yet',
      'Status check broke: broken.yaml is not valid.',
    ]);
  });
});
