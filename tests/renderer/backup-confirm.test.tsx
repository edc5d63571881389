import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProfileDraft } from '../../src-main/ipc/contract';
import { App } from '../../src-renderer/src/app';
import { backupRunToConfirm, revealHidden } from '../../src-renderer/src/lib/backup-check';
import { SettingsPanel } from '../../src-renderer/src/panels/settings';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

const COMMAND = 'stat -c %Y "$(ls -1t /backup/*.tar.zst | head -n1)"';

function profile(command: string | null, sudo = true): ProfileDraft {
  return {
    name: 'rampancy.cloud',
    serverName: 'rampancy.cloud',
    publicUrl: 'https://matrix.rampancy.cloud',
    hosts: {
      homeserver: { address: '192.168.1.243', port: 22, user: 'admin', sudo },
      deploy: { address: '192.168.1.245', port: 22, user: 'root' },
    },
    deploy: { varsFile: 'inventory/host_vars/matrix.rampancy.cloud/vars.yml' },
    ...(command === null ? {} : { checks: { backup: { command, maxAgeHours: 26 } } }),
  };
}

const dialog = () =>
  screen.getByRole('alertdialog', { name: 'Run this command on the homeserver at every check?' });

describe('backupRunToConfirm', () => {
  it('asks for a new command, a changed one, another host or root where it ran as the user; not for the same', () => {
    expect(backupRunToConfirm(null, profile(null))).toBeNull();
    expect(backupRunToConfirm(null, profile(COMMAND))).toMatchObject({
      change: 'new',
      command: COMMAND,
      host: 'homeserver',
      target: 'admin@192.168.1.243',
      asRoot: true,
    });
    expect(backupRunToConfirm(profile(null), profile(COMMAND))?.change).toBe('new');
    expect(backupRunToConfirm(profile(COMMAND), profile(COMMAND))).toBeNull();
    expect(backupRunToConfirm(profile(COMMAND), profile(`${COMMAND} `))?.change).toBe('changed');
    expect(backupRunToConfirm(profile(COMMAND, false), profile(COMMAND, true))?.change).toBe('changed');
    const moved = profile(COMMAND);
    moved.checks = { backup: { command: COMMAND, host: 'deploy' } };
    expect(backupRunToConfirm(profile(COMMAND), moved)).toMatchObject({
      change: 'changed',
      host: 'deploy',
      target: 'root@192.168.1.245',
      asRoot: false,
    });
    // Removing the check runs nothing new.
    expect(backupRunToConfirm(profile(COMMAND), profile(null))).toBeNull();
  });

  it('shows characters that print as nothing by their code point, and keeps newlines and tabs', () => {
    expect(revealHidden('echo ok\u202E;rm -rf ~\u200B\n\tdone\r')).toEqual([
      { text: 'echo ok' },
      { hidden: 'U+202E' },
      { text: ';rm -rf ~' },
      { hidden: 'U+200B' },
      { text: '\n\tdone' },
      { hidden: 'U+000D' },
    ]);
  });
});

describe('Saving a profile with a backup command', () => {
  it('an imported profile shows the command verbatim, where it runs, how often and as root, before it is saved', async () => {
    h = harness({
      'app.info': () => ({ ...fx.appInfo, firstRun: true }),
      'profiles.list': () => ({ profiles: [], selectedId: null }),
      'profiles.importYaml': () => ({ draft: profile(COMMAND), issues: [] }),
      'profiles.validate': () => ({ issues: [] }),
      'profiles.save': () => ({ id: 'rampancy' }),
    });
    await h.store.getState().boot();
    renderWith(h, <App />);
    fireEvent.change(await screen.findByLabelText('Or paste it here'), { target: { value: 'name: x\n' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Use this YAML' })));
    // The form shows the command too, before anything is saved.
    expect((screen.getByLabelText(/^Command/) as HTMLTextAreaElement).value).toBe(COMMAND);

    const save = () => screen.getByRole('button', { name: 'Save and test the connection' });
    await act(async () => fireEvent.click(save()));
    expect(within(dialog()).getByTestId('backup-command').textContent).toBe(COMMAND);
    expect(within(dialog()).getByTestId('backup-effect').textContent).toBe(
      'This profile brings a backup check: Homeserver Tray will run the shell code below on the homeserver ' +
        '(admin@192.168.1.243) at every status poll (every 30 s), as root, through sudo.',
    );
    // Cancel is where the focus starts; cancelling saves nothing.
    expect(document.activeElement).toBe(within(dialog()).getByRole('button', { name: 'Cancel' }));
    fireEvent.click(within(dialog()).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(h.fake.callsTo('profiles.save')).toHaveLength(0);

    await act(async () => fireEvent.click(save()));
    await act(async () =>
      fireEvent.click(within(dialog()).getByRole('button', { name: 'Save and run it at every check' })),
    );
    expect(h.fake.callsTo('profiles.save')).toEqual([{ id: null, draft: profile(COMMAND) }]);
  });

  it('editing a saved profile asks only when the command changes, and says "changes" and as whom', async () => {
    let saved = profile(COMMAND, false);
    h = harness({
      'profiles.get': () => ({ id: 'rampancy', file: 'x.yaml', draft: saved }),
      'profiles.validate': () => ({ issues: [] }),
      'profiles.save': (r) => {
        saved = r.draft as ProfileDraft;
        return { id: 'rampancy' };
      },
      'secrets.list': () => ({ secrets: fx.secrets, migration: null }),
    });
    await h.store.getState().boot();
    renderWith(h, <SettingsPanel />);
    const edit = async () => {
      const button = await screen.findByRole('button', { name: 'Edit rampancy.cloud' });
      await act(async () => fireEvent.click(button));
    };
    await edit();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(h.fake.callsTo('profiles.save')).toHaveLength(1);

    await edit();
    fireEvent.change(screen.getByLabelText(/^Command/), { target: { value: 'date +%s' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })));
    expect(within(dialog()).getByTestId('backup-command').textContent).toBe('date +%s');
    expect(within(dialog()).getByTestId('backup-effect').textContent).toMatch(
      /^This profile changes the backup check: .* on the homeserver \(admin@192\.168\.1\.243\) .*, as admin\.$/,
    );
    await act(async () =>
      fireEvent.click(within(dialog()).getByRole('button', { name: 'Save and run it at every check' })),
    );
    expect(h.fake.callsTo('profiles.save')).toHaveLength(2);
    expect(saved.checks).toEqual({ backup: { command: 'date +%s', maxAgeHours: 26 } });
  });

  it('marks characters that would print as nothing', async () => {
    h = harness({
      'profiles.example': () => ({ draft: profile('echo 1700000000\u202E # harmless') }),
      'profiles.validate': () => ({ issues: [] }),
      'secrets.list': () => ({ secrets: fx.secrets, migration: null }),
    });
    await h.store.getState().boot();
    renderWith(h, <SettingsPanel />);
    const add = await screen.findByRole('button', { name: 'Add a server' });
    await act(async () => fireEvent.click(add));
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })));
    expect(within(dialog()).getByTestId('backup-command').textContent).toBe(
      'echo 1700000000⟨U+202E⟩ # harmless',
    );
    expect(within(dialog()).getByTestId('backup-hidden').textContent).toContain(
      'a character that would print as nothing',
    );
    expect(h.fake.callsTo('profiles.save')).toHaveLength(0);
  });
});
