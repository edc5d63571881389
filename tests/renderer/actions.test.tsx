import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParamValues } from '../../src-main/ipc/contract';
import { ConfirmDialog } from '../../src-renderer/src/components/confirm-dialog';
import { ActionsPanel } from '../../src-renderer/src/panels/actions';
import { type Handlers, refuse } from './fake-api';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

/** The core's plan for make-admin in CLI mode: the confirm sentence names the bound user. */
function makeAdminPlan(params: ParamValues) {
  const user = String(params.user).startsWith('@') ? String(params.user) : `@${params.user}:rampancy.cloud`;
  return fx.plan({
    actionId: 'user.make-admin',
    params: { user },
    danger: 'disruptive',
    downtime: 'about 30 s: Matrix is unavailable while Tuwunel is stopped',
    confirm: `Stops matrix-tuwunel for about 30 s to make ${user} an admin, then starts it again.`,
    route: 'cli',
  });
}

async function open(overrides: Handlers = {}) {
  h = harness({
    'runs.get': () => ({ ...fx.run(), output: [] }),
    'actions.plan': (r) =>
      r.actionId === 'user.make-admin'
        ? makeAdminPlan(r.params)
        : fx.plan({ actionId: r.actionId, danger: r.actionId === 'tuwunel.restart' ? 'outage' : 'safe' }),
    ...overrides,
  });
  await h.store.getState().boot();
  renderWith(
    h,
    <>
      <ActionsPanel />
      <ConfirmDialog />
    </>,
  );
}

function card(title: string) {
  return screen.getByRole('article', { name: title });
}

async function run(title: string) {
  await act(async () => fireEvent.click(within(card(title)).getByRole('button', { name: `Run: ${title}` })));
}

describe('Actions', () => {
  it('groups the catalog by what it acts on, and says in words what the people on the server notice', async () => {
    await open();
    expect(screen.getByRole('heading', { level: 2, name: 'All services' })).toBeTruthy();
    expect(screen.getByRole('heading', { level: 2, name: 'People and sign-ups' })).toBeTruthy();
    expect(screen.getByRole('heading', { level: 2, name: 'Other servers' })).toBeTruthy();
    const restart = card('Restart Tuwunel');
    expect(within(restart).getByText('Matrix goes down')).toBeTruthy();
    expect(within(restart).getByText('Downtime: about 10 s of Tuwunel')).toBeTruthy();
    expect(within(card('Start stack')).getByText('No interruption')).toBeTruthy();
    expect(within(card('Start stack')).getByText('No downtime')).toBeTruthy();
    expect(within(card('Make admin')).getByText('Brief interruption')).toBeTruthy();
    // Following a journal lives in the Logs panel.
    expect(screen.queryByRole('article', { name: 'Follow logs' })).toBeNull();
  });

  it('keeps how an action works (the catalog’s playbook words and the dry run) inside its Details', async () => {
    await open();
    const start = card('Start stack');
    const details = within(start).getByText('Details').closest('details') as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(within(details).getByText('Start every matrix-* unit of the profile.')).toBeTruthy();
    expect(within(details).getByRole('button', { name: 'Dry run: Start stack' })).toBeTruthy();
    // Outside the disclosure: the title, what people notice, and the one button.
    const outside = [...start.children].filter((c) => c.tagName !== 'FORM').map((c) => c.textContent);
    expect(outside.join(' ')).not.toContain('matrix-*');
  });

  it('shows a yes/no parameter as a box ticked by its default, without "(default true)" in its help', async () => {
    const deactivate = {
      ...(fx.catalog.find((a) => a.id === 'user.make-admin') as (typeof fx.catalog)[number]),
      id: 'user.deactivate',
      title: 'Deactivate a user',
      params: [
        {
          name: 'leaveRooms',
          label: 'Leave rooms',
          help: 'Remove the user from all rooms (default true)',
          kind: 'boolean' as const,
          required: false,
          default: true,
        },
      ],
    };
    await open({ 'actions.list': () => ({ actions: [...fx.catalog, deactivate] }) });
    const box = within(card('Deactivate a user')).getByLabelText('Leave rooms') as HTMLInputElement;
    expect(box.checked).toBe(true);
    expect(document.getElementById(box.getAttribute('aria-describedby') ?? '')?.textContent).toBe(
      'Remove the user from all rooms',
    );
  });

  it('validates the user ID as it is typed, with the message at the field', async () => {
    await open();
    const input = within(card('Make admin')).getByLabelText('User ID') as HTMLInputElement;
    fireEvent.change(input, { target: { value: '@bob' } });
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const described = document.getElementById(input.getAttribute('aria-describedby') ?? '');
    expect(described?.textContent).toBe('User ID needs the form @localpart:server');
    fireEvent.change(input, { target: { value: '@bob:matrix.org' } });
    expect(within(card('Make admin')).getByText('User ID must be a user of rampancy.cloud')).toBeTruthy();
    fireEvent.change(input, { target: { value: '@bob:rampancy.cloud' } });
    expect(input.getAttribute('aria-invalid')).toBe('false');
    expect(within(card('Make admin')).queryByText(/User ID (needs|must|may)/)).toBeNull();
  });

  it('does not send an invalid form', async () => {
    await open();
    await run('Make admin');
    expect(within(card('Make admin')).getByText('User ID is required')).toBeTruthy();
    expect(h.fake.callsTo('actions.plan')).toHaveLength(0);
    expect(h.fake.callsTo('actions.run')).toHaveLength(0);
  });

  it('confirms a disruptive request in a dialog naming the exact effect, then runs it', async () => {
    await open({ 'actions.run': () => ({ runId: 'run-1' }) });
    fireEvent.change(within(card('Make admin')).getByLabelText('User ID'), { target: { value: 'bob' } });
    await run('Make admin');
    const dialog = screen.getByRole('alertdialog', { name: 'Make admin?' });
    expect(
      within(dialog).getByText(
        'Stops matrix-tuwunel for about 30 s to make @bob:rampancy.cloud an admin, then starts it again.',
      ),
    ).toBeTruthy();
    expect(within(dialog).getByText('Brief interruption')).toBeTruthy();
    expect(dialog.textContent).toContain(
      'Downtime: about 30 s: Matrix is unavailable while Tuwunel is stopped',
    );
    expect(
      within(dialog).getByText('Tuwunel is stopped for the command and started again right after.'),
    ).toBeTruthy();
    // The exact steps are there for whoever opens them, closed by default.
    const steps = within(dialog)
      .getByText('Details: the exact steps')
      .closest('details') as HTMLDetailsElement;
    expect(steps.open).toBe(false);
    // The safe choice has the focus.
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    await act(async () => fireEvent.click(within(dialog).getByRole('button', { name: 'Make admin' })));
    expect(h.fake.callsTo('actions.run')).toEqual([
      {
        actionId: 'user.make-admin',
        params: { user: '@bob:rampancy.cloud' },
        confirmation: fx.CONFIRMATION,
      },
    ]);
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('runs without a dialog when the plan is safe (the admin room route)', async () => {
    await open({
      'actions.plan': () => ({
        ...makeAdminPlan({ user: '@bob:rampancy.cloud' }),
        danger: 'safe',
        route: 'admin-room',
        confirmation: null,
      }),
      'actions.run': () => ({ runId: 'run-1' }),
    });
    fireEvent.change(within(card('Make admin')).getByLabelText('User ID'), {
      target: { value: '@bob:rampancy.cloud' },
    });
    await run('Make admin');
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(h.fake.callsTo('actions.run')).toEqual([
      { actionId: 'user.make-admin', params: { user: '@bob:rampancy.cloud' }, confirmation: null },
    ]);
  });

  it('offers a server notice with a ready text before maintenance stop and config apply, and only there', async () => {
    const base = fx.catalog.find((a) => a.id === 'tuwunel.restart') as (typeof fx.catalog)[number];
    const stop = { ...base, id: 'stack.stop', title: 'Maintenance stop' };
    const apply = { ...base, id: 'config.apply', title: 'Apply configuration' };
    await open({
      'actions.list': () => ({ actions: [...fx.catalog, stop, apply] }),
      'actions.plan': (r) => fx.plan({ actionId: r.actionId, danger: 'outage' }),
    });
    await run('Restart Tuwunel');
    expect(within(screen.getByRole('alertdialog')).queryByText(/Tell everyone first\?/)).toBeNull();
    fireEvent.keyDown(screen.getByRole('alertdialog'), { key: 'Escape' });
    await run('Apply configuration');
    expect(within(screen.getByRole('alertdialog')).getByText(/Tell everyone first\?/)).toBeTruthy();
    fireEvent.keyDown(screen.getByRole('alertdialog'), { key: 'Escape' });
    await run('Maintenance stop');
    const dialog = screen.getByRole('alertdialog');
    expect(dialog.textContent).toContain(
      'a ready text: “The server restarts at 21:00 for about five minutes.”; Tuwunel 1.8.2 on',
    );
    await act(async () =>
      fireEvent.click(within(dialog).getByRole('button', { name: 'Send a server notice…' })),
    );
    // Nothing ran: the dialog is gone, and the window is on the People panel's notice.
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(h.fake.callsTo('actions.run')).toHaveLength(0);
    expect(h.store.getState().panel).toBe('people');
    expect(h.store.getState().focus).toEqual({ panel: 'people', focus: 'notice' });
  });

  it('cancels the confirm dialog with Escape without running anything', async () => {
    await open();
    await run('Restart Tuwunel');
    const dialog = screen.getByRole('alertdialog', { name: 'Restart Tuwunel?' });
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(h.fake.callsTo('actions.run')).toHaveLength(0);
  });

  it('shows the core’s refusal at the field it names, until the field is edited', async () => {
    await open({
      'actions.plan': () =>
        refuse('InvalidInput', 'user: is deactivated', 'Correct user and try again.', { field: 'user' }),
    });
    const input = within(card('Make admin')).getByLabelText('User ID');
    fireEvent.change(input, { target: { value: '@gone:rampancy.cloud' } });
    await run('Make admin');
    expect(within(card('Make admin')).getByText('user: is deactivated')).toBeTruthy();
    fireEvent.change(input, { target: { value: '@other:rampancy.cloud' } });
    expect(within(card('Make admin')).queryByText('user: is deactivated')).toBeNull();
  });

  it('shows a refusal without a field as a sentence in the card', async () => {
    await open({
      'actions.run': () =>
        refuse(
          'HostBusy',
          'The homeserver host is busy with "Restart Tuwunel".',
          'Wait for it to finish (or cancel it), then try again.',
        ),
    });
    await run('Start stack');
    expect(within(card('Start stack')).getByRole('alert').textContent).toContain(
      'busy with "Restart Tuwunel"',
    );
  });

  it('shows the exact steps of a dry run, secrets masked, nothing sent', async () => {
    await open({
      'actions.plan': () =>
        fx.plan({
          actionId: 'tuwunel.restart',
          danger: 'outage',
          confirm: 'Restarts matrix-tuwunel: Matrix is unavailable for about 10 s.',
          steps: [
            {
              id: 'restart',
              title: 'Restart matrix-tuwunel',
              phase: 'main',
              kind: 'remote',
              host: 'homeserver',
              sudo: true,
              command: 'systemctl restart matrix-tuwunel',
              stdin: null,
              timeoutMs: 180_000,
            },
            {
              id: 'wait-federation',
              title: 'Wait for federation',
              phase: 'main',
              kind: 'http-wait',
              host: null,
              sudo: false,
              command: 'GET https://matrix.rampancy.cloud/_matrix/federation/v1/version',
              stdin: null,
              timeoutMs: 120_000,
            },
          ],
        }),
    });
    await act(async () =>
      fireEvent.click(
        within(card('Restart Tuwunel')).getByRole('button', { name: 'Dry run: Restart Tuwunel' }),
      ),
    );
    const dialog = screen.getByRole('dialog', { name: 'Dry run: Restart Tuwunel' });
    expect(within(dialog).getByText('systemctl restart matrix-tuwunel')).toBeTruthy();
    expect(within(dialog).getByText(/on the homeserver, with sudo, stopped after 180 s/)).toBeTruthy();
    expect(within(dialog).getByText(/from this computer, stopped after 120 s/)).toBeTruthy();
    expect(h.fake.callsTo('actions.run')).toHaveLength(0);
  });
});
