import { act, cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HostKeyInfo } from '../../src-main/ipc/contract';
import { App } from '../../src-renderer/src/app';
import { refuse } from './fake-api';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

const hostKey: HostKeyInfo = {
  host: 'homeserver',
  address: '192.168.1.243',
  port: 22,
  keyType: 'ssh-ed25519',
  fingerprint: 'SHA256:n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg',
};

/** A promise the test releases (Node 20 has no Promise.withResolvers). */
function gate() {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

describe('the store', () => {
  it('boots an existing setup: app info, profiles, settings, status, catalog, recent runs', async () => {
    h = harness();
    await h.store.getState().boot();
    const s = h.store.getState();
    expect(s.onboarding).toBe(false);
    expect(s.status?.overall).toBe('ok');
    expect(s.catalog?.map((a) => a.id)).toContain('user.make-admin');
    expect(s.settings?.clipboardClearSeconds).toBe(30);
    expect(h.fake.calls.map((c) => c.channel).sort()).toEqual(
      [
        'actions.list',
        'app.info',
        'profiles.list',
        'runs.list',
        'settings.get',
        'status.all',
        'status.get',
      ].sort(),
    );
  });

  it('boots with every request at once: none waits for another’s answer', async () => {
    const answers = gate();
    const held = <T,>(value: T) => answers.promise.then(() => value);
    h = harness({
      'app.info': () => held(fx.appInfo),
      'profiles.list': () => held(fx.profiles),
      'settings.get': () => held(fx.settings),
      'status.get': () => held(fx.greenStatus),
      'status.all': () => held({ servers: [fx.greenStatus] }),
      'actions.list': () => held({ actions: fx.catalog }),
      'runs.list': () => held({ runs: [] }),
    });
    const booted = h.store.getState().boot();
    await Promise.resolve();
    expect(h.fake.calls.map((c) => c.channel).sort()).toEqual(
      [
        'actions.list',
        'app.info',
        'profiles.list',
        'runs.list',
        'settings.get',
        'status.all',
        'status.get',
      ].sort(),
    );
    answers.resolve();
    await booted;
    expect(h.store.getState().status?.overall).toBe('ok');
  });

  it('shows the status as soon as it and app.info are in, before the catalog and the runs', async () => {
    const late = gate();
    h = harness({
      'actions.list': () => late.promise.then(() => ({ actions: fx.catalog })),
      'runs.list': () => late.promise.then(() => ({ runs: [] })),
    });
    const booted = h.store.getState().boot();
    await vi.waitFor(() => expect(h.store.getState().status?.overall).toBe('ok'));
    expect(h.store.getState().catalog).toBeNull();
    late.resolve();
    await booted;
    expect(h.store.getState().catalog).not.toBeNull();
  });

  it('renders the dashboard from an ok status before app.info answers (only a set-up profile has one)', async () => {
    const info = gate();
    h = harness({ 'app.info': () => info.promise.then(() => fx.appInfo) });
    renderWith(h, <App />);
    const booted = h.store.getState().boot();
    expect(await screen.findByTestId('overall-sentence')).toBeTruthy();
    expect(h.store.getState().info).toBeNull();
    info.resolve();
    await act(() => booted);
    expect(screen.getByTestId('overall-sentence')).toBeTruthy();
  });

  it('on a first run shows no dashboard at any moment: loading, then onboarding', async () => {
    const info = gate();
    h = harness({
      'app.info': () => info.promise.then(() => ({ ...fx.appInfo, firstRun: true })),
      'profiles.list': () => ({ profiles: [], selectedId: null }),
      'status.get': () => refuse('NoProfile', 'No server is set up yet.', 'Create a profile.'),
      'actions.list': () => refuse('NoProfile', 'No server is set up yet.', 'Create a profile.'),
      'runs.list': () => refuse('NoProfile', 'No server is set up yet.', 'Create a profile.'),
    });
    renderWith(h, <App />);
    const booted = h.store.getState().boot();
    await vi.waitFor(() => expect(h.fake.callsTo('status.get')).toHaveLength(1));
    await act(async () => {
      await new Promise((r) => setTimeout(r, 20));
    });
    expect(screen.getByRole('status').textContent).toBe('Loading…');
    expect(screen.queryByRole('navigation', { name: 'Sections' })).toBeNull();
    info.resolve();
    await act(() => booted);
    expect(await screen.findByRole('heading', { level: 1, name: 'Set up Homeserver Tray' })).toBeTruthy();
    expect(screen.queryByText('No server is set up yet.')).toBeNull();
  });

  it('boots into onboarding on first run and keeps what a profile-less core answered out of sight', async () => {
    h = harness({
      'app.info': () => ({ ...fx.appInfo, firstRun: true }),
      'profiles.list': () => ({ profiles: [], selectedId: null }),
      'status.get': () => refuse('NoProfile', 'No server is set up yet.', 'Create a profile.'),
      'actions.list': () => refuse('NoProfile', 'No server is set up yet.', 'Create a profile.'),
      'runs.list': () => refuse('NoProfile', 'No server is set up yet.', 'Create a profile.'),
    });
    await h.store.getState().boot();
    const s = h.store.getState();
    expect(s.onboarding).toBe(true);
    expect([s.status, s.statusError, s.catalog, s.catalogError]).toEqual([null, null, null, null]);
    expect(s.notices).toEqual([]);
  });

  it('keeps a status.changed event that arrives before the boot’s own status answer', async () => {
    const answer = gate();
    h = harness({ 'status.get': () => answer.promise.then(() => fx.greenStatus) });
    const booted = h.store.getState().boot();
    await vi.waitFor(() => expect(h.store.getState().info).not.toBeNull());
    h.fake.emit('status.changed', fx.maintenanceStatus);
    answer.resolve();
    await booted;
    expect(h.store.getState().status?.maintenance.on).toBe(true);
  });

  it('keeps a boot failure as a sentence instead of crashing', async () => {
    h = harness({ 'app.info': () => refuse('Internal', 'Something unexpected went wrong.', 'Try again.') });
    await h.store.getState().boot();
    expect(h.store.getState().bootError?.message).toBe('Something unexpected went wrong.');
  });

  it('follows status.changed events', async () => {
    h = harness();
    h.fake.emit('status.changed', fx.maintenanceStatus);
    expect(h.store.getState().status?.maintenance.on).toBe(true);
  });

  it('plans a request first and starts it at once when the plan is safe', async () => {
    h = harness({
      'actions.plan': (r) => fx.plan({ actionId: r.actionId }),
      'actions.run': () => ({ runId: 'run-1' }),
      'runs.get': () => ({ ...fx.run({ actionId: 'stack.start' }), output: [] }),
    });
    await h.store.getState().loadCatalog();
    await h.store.getState().requestRun('stack.start', {});
    expect(h.fake.callsTo('actions.plan')).toEqual([{ actionId: 'stack.start', params: {} }]);
    expect(h.fake.callsTo('actions.run')).toEqual([
      { actionId: 'stack.start', params: {}, confirmation: null },
    ]);
    expect(h.store.getState().activeRunId).toBe('run-1');
    expect(h.store.getState().pendingConfirm).toBeNull();
  });

  it('starts read-only actions without a plan', async () => {
    h = harness({
      'actions.run': () => ({ runId: 'run-1' }),
      'runs.get': () => ({ ...fx.run({ actionId: 'logs.follow' }), output: [] }),
    });
    await h.store.getState().loadCatalog();
    await h.store.getState().requestRun('logs.follow', { unit: 'matrix-tuwunel' });
    expect(h.fake.callsTo('actions.plan')).toHaveLength(0);
    expect(h.fake.callsTo('actions.run')).toHaveLength(1);
  });

  it('holds a disruptive plan for confirmation, then runs the plan’s bound parameters with its confirmation', async () => {
    h = harness({
      'actions.plan': () =>
        fx.plan({
          actionId: 'user.make-admin',
          params: { user: '@bob:rampancy.cloud' },
          danger: 'disruptive',
          confirm: 'Stops matrix-tuwunel for about 30 s to make @bob:rampancy.cloud an admin.',
          route: 'cli',
        }),
      'actions.run': () => ({ runId: 'run-1' }),
      'runs.get': () => ({ ...fx.run(), output: [] }),
    });
    await h.store.getState().loadCatalog();
    await h.store.getState().requestRun('user.make-admin', { user: 'bob' });
    expect(h.fake.callsTo('actions.run')).toHaveLength(0);
    expect(h.store.getState().pendingConfirm?.plan.confirm).toContain('@bob:rampancy.cloud an admin');
    await h.store.getState().confirmRun();
    expect(h.fake.callsTo('actions.run')).toEqual([
      {
        actionId: 'user.make-admin',
        params: { user: '@bob:rampancy.cloud' },
        confirmation: fx.CONFIRMATION,
      },
    ]);
  });

  it('asks after all when the run says a confirmation is required', async () => {
    h = harness({
      'actions.plan': (r) => fx.plan({ actionId: r.actionId, danger: 'safe' }),
      'actions.run': (r) =>
        r.confirmation
          ? { runId: 'run-1' }
          : refuse('ConfirmationRequired', 'Confirm first.', 'Confirm the effect.'),
    });
    await h.store.getState().loadCatalog();
    await h.store.getState().requestRun('stack.start', {});
    expect(h.store.getState().pendingConfirm?.action.id).toBe('stack.start');
    expect(h.store.getState().notices).toHaveLength(0);
  });

  it('keeps a refusal that names a field for the form, and notices others', async () => {
    h = harness({
      'actions.plan': (r) =>
        r.actionId === 'stack.start'
          ? fx.plan({ actionId: r.actionId })
          : refuse('InvalidInput', 'user: is on matrix.org', 'Correct user and try again.', {
              field: 'user',
            }),
      'actions.run': () =>
        refuse('HostBusy', 'The homeserver host is busy with "Restart Tuwunel".', 'Wait for it to finish.'),
    });
    await h.store.getState().loadCatalog();
    await h.store.getState().requestRun('stack.start', {});
    expect(h.store.getState().notices.at(-1)?.message).toContain('busy');
    await h.store.getState().requestRun('user.make-admin', { user: '@x:matrix.org' });
    expect(h.store.getState().runError?.error.field).toBe('user');
    expect(h.store.getState().pendingConfirm).toBeNull();
  });

  it('merges run output from events and runs.get without duplicates, in order', async () => {
    h = harness({
      'runs.get': () => ({
        ...fx.run(),
        output: [
          { seq: 0, stepId: 'stop', stream: 'stdout', text: 'a\n' },
          { seq: 1, stepId: 'stop', stream: 'stdout', text: 'b\n' },
        ],
      }),
    });
    h.fake.emit('run.output', {
      runId: 'run-1',
      chunks: [{ seq: 1, stepId: 'stop', stream: 'stdout', text: 'b\n' }],
    });
    h.fake.emit('run.output', {
      runId: 'run-1',
      chunks: [{ seq: 2, stepId: 'exec', stream: 'stderr', text: 'c\n' }],
    });
    await h.store.getState().openRun('run-1');
    h.fake.emit('run.output', {
      runId: 'run-1',
      chunks: [{ seq: 2, stepId: 'exec', stream: 'stderr', text: 'c\n' }],
    });
    expect(h.store.getState().outputs['run-1']?.map((c) => c.seq)).toEqual([0, 1, 2]);
    h.fake.emit('run.finished', fx.run({ state: 'ok', sentence: 'Done.' }));
    expect(h.store.getState().runs['run-1']?.state).toBe('ok');
    expect(h.store.getState().recentRuns[0]?.sentence).toBe('Done.');
  });

  it('keeps the last MB of a chatty run’s output, saying how many bytes went before it', async () => {
    h = harness({});
    const line = `${'x'.repeat(1023)}\n`;
    for (let batch = 0; batch < 30; batch++)
      h.fake.emit('run.output', {
        runId: 'run-1',
        chunks: Array.from({ length: 100 }, (_, i) => ({
          seq: batch * 100 + i,
          stepId: 'apply',
          stream: 'stdout' as const,
          text: line,
        })),
      });
    const kept = h.store.getState().outputs['run-1'] ?? [];
    expect(kept[0]).toEqual({
      seq: 1975,
      stepId: null,
      stream: 'info',
      text: `… ${1976 * 1024} bytes dropped: the output kept here is its last 1024 KB …\n`,
    });
    expect(kept.slice(1).map((c) => c.seq)).toEqual(Array.from({ length: 1024 }, (_, i) => 1976 + i));
  });

  it('shows the host-key dialog for an unknown key met while testing, and retests after trusting', async () => {
    let trusted = false;
    h = harness({
      'onboarding.testHost': () =>
        trusted
          ? {
              host: 'homeserver',
              target: 'admin@192.168.1.243',
              sentence: 'Logged in.',
              sudo: 'passwordless',
              durationMs: 40,
            }
          : refuse(
              'HostKeyUnknown',
              'The homeserver host presented a key that is not yet trusted.',
              'Compare it.',
              { hostKey },
            ),
      'hostkey.trust': () => {
        trusted = true;
        return { trusted: true };
      },
    });
    await h.store.getState().testHost('homeserver');
    expect(h.store.getState().hostKeyPrompt?.key).toEqual(hostKey);
    expect(h.store.getState().hostTests.homeserver.state).toBe('failed');
    await h.store.getState().trustHostKey(true);
    expect(h.fake.callsTo('hostkey.trust')).toEqual([
      { host: 'homeserver', fingerprint: hostKey.fingerprint, permanent: true },
    ]);
    expect(h.store.getState().hostKeyPrompt).toBeNull();
    expect(h.store.getState().hostTests.homeserver.state).toBe('ok');
  });

  it('asks about a key met by the background poll once, and refreshes after trusting it', async () => {
    h = harness({ 'hostkey.trust': () => ({ trusted: true }) });
    h.fake.emit('hostkey.prompt', hostKey);
    h.fake.emit('hostkey.prompt', hostKey);
    expect(h.store.getState().hostKeyPrompt?.origin).toBe('status');
    await h.store.getState().trustHostKey(false);
    expect(h.fake.callsTo('status.refresh')).toHaveLength(1);
  });

  it('asks about the second host’s key after the first, and retests the row the poll’s question answered', async () => {
    const deployKey: HostKeyInfo = {
      ...hostKey,
      host: 'deploy',
      address: '192.168.1.10',
      fingerprint: 'SHA256:0Xq2p1mZk7bq3Yt0cF1uTn7cB6yP0Zx5wQ8rLhJk2sE',
    };
    const trusted = new Set<string>();
    h = harness({
      'onboarding.testHost': ({ host }) =>
        trusted.has(host)
          ? { host, target: `admin@${host}`, sentence: 'Logged in.', sudo: 'passwordless', durationMs: 40 }
          : refuse(
              'HostKeyUnknown',
              `The ${host} host presented a key that is not yet trusted.`,
              'Compare it.',
              {
                hostKey: host === 'deploy' ? deployKey : hostKey,
              },
            ),
      'hostkey.trust': ({ host }) => {
        trusted.add(host);
        return { trusted: true };
      },
    });
    // The poll asks about the homeserver's key; meanwhile the deploy host's Test meets its own key.
    h.fake.emit('hostkey.prompt', hostKey);
    await h.store.getState().testHost('deploy');
    expect(h.store.getState().hostKeyPrompt?.key).toEqual(hostKey);
    expect(h.store.getState().hostKeyQueue.map((p) => p.key)).toEqual([deployKey]);
    // The homeserver's row had also met its key: trusting the poll's question tests that row again.
    await h.store.getState().testHost('homeserver');
    expect(h.store.getState().hostKeyQueue).toHaveLength(1);
    await h.store.getState().trustHostKey(true);
    expect(h.store.getState().hostTests.homeserver.state).toBe('ok');
    expect(h.fake.callsTo('status.refresh')).toHaveLength(1);
    // Then the deploy host's question, and its row connects once trusted.
    expect(h.store.getState().hostKeyPrompt).toEqual({ key: deployKey, origin: 'onboarding' });
    await h.store.getState().trustHostKey(true);
    expect(h.store.getState().hostKeyPrompt).toBeNull();
    expect(h.store.getState().hostTests.deploy.state).toBe('ok');
  });

  it('a dismissed question gives way to the next one waiting', () => {
    h = harness({});
    h.store.getState().promptHostKey(hostKey, 'status');
    h.store.getState().promptHostKey({ ...hostKey, host: 'deploy' }, 'status');
    h.store.getState().dismissHostKey();
    expect(h.store.getState().hostKeyPrompt?.key.host).toBe('deploy');
    h.store.getState().dismissHostKey();
    expect(h.store.getState().hostKeyPrompt).toBeNull();
  });

  it('follows a unit: lines for the current stream only, including lines that raced ahead of the answer', async () => {
    let answer: (v: { streamId: string }) => void = () => {};
    h = harness({
      'logs.follow': () => new Promise((resolve) => (answer = resolve)),
      'logs.stop': () => ({ stopped: true }),
    });
    const following = h.store.getState().followLogs('matrix-tuwunel');
    h.fake.emit('logs.lines', { streamId: 's1', lines: ['early'] });
    answer({ streamId: 's1' });
    await following;
    h.fake.emit('logs.lines', { streamId: 's1', lines: ['later'] });
    h.fake.emit('logs.lines', { streamId: 'other', lines: ['not ours'] });
    const s = h.store.getState();
    expect(s.logBuffer.size).toBe(2);
    expect(s.logBuffer.at(s.logBuffer.end - 1)).toBe('later');
    expect(s.logVersion).toBeGreaterThan(0);
    h.fake.emit('logs.ended', { streamId: 's1', error: null });
    expect(h.store.getState().logState).toBe('ended');
  });

  it('stops a stream whose answer arrives after the user moved on', async () => {
    let answer: (v: { streamId: string }) => void = () => {};
    h = harness({
      'logs.follow': (r) =>
        r.unit === 'slow' ? new Promise((resolve) => (answer = resolve)) : { streamId: 'fast' },
      'logs.stop': () => ({ stopped: true }),
    });
    const slow = h.store.getState().followLogs('slow');
    await h.store.getState().followLogs('matrix-traefik');
    answer({ streamId: 'late' });
    await slow;
    expect(h.store.getState().logStreamId).toBe('fast');
    expect(h.fake.callsTo('logs.stop')).toContainEqual({ streamId: 'late' });
  });

  it('tracks the clipboard countdown but never holds a token', async () => {
    h = harness({
      'token.copy': () => ({ clearsAt: fx.at(30_000), notLive: null }),
      'invite.create': () => ({
        invite: {
          id: 'i1',
          hint: 'ab12…',
          usesAllowed: 1,
          pending: 0,
          completed: 0,
          expiresAt: null,
          state: 'pending' as const,
          joined: [],
          inviteTo: null,
          inviteProblem: null,
          issuedAt: null,
          endedAt: null,
        },
        clearsAt: fx.at(30_000),
      }),
    });
    await h.store.getState().copyToken();
    expect(h.store.getState().clipboard).toEqual({ what: 'registration-token', clearsAt: fx.at(30_000) });
    h.fake.emit('clipboard.cleared', { what: 'registration-token', cleared: true });
    expect(h.store.getState().clipboard).toBeNull();
    await h.store.getState().createInvite(1, 7);
    expect(h.fake.callsTo('invite.create')).toEqual([{ uses: 1, expiresInDays: 7 }]);
    expect(h.store.getState().lastInvite?.hint).toBe('ab12…');
  });

  it('saves settings and keeps the answer the main process gives', async () => {
    h = harness({ 'settings.set': (r) => ({ ...fx.settings, ...r.patch }) });
    expect(await h.store.getState().saveSettings({ clipboardClearSeconds: null })).toBeNull();
    expect(h.store.getState().settings?.clipboardClearSeconds).toBeNull();
    h.fake.emit('settings.changed', { ...fx.settings, notifications: false });
    expect(h.store.getState().settings?.notifications).toBe(false);
  });

  it('navigates on app.navigate and opens the run it names', async () => {
    h = harness({ 'runs.get': () => ({ ...fx.run(), output: [] }) });
    h.fake.emit('app.navigate', { panel: 'actions', runId: 'run-1' });
    expect(h.store.getState().panel).toBe('actions');
    expect(h.store.getState().activeRunId).toBe('run-1');
  });

  it('turns a transport failure into a sentence', async () => {
    h = harness({
      'status.refresh': () => {
        throw new Error('ipc broke');
      },
    });
    await h.store.getState().refreshStatus();
    expect(h.store.getState().statusError?.message).toBe('The app’s main process did not answer.');
    expect(h.store.getState().refreshing).toBe(false);
  });
});
