import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { standIn } from '../support/electron/control';
import { session } from '../support/electron/session';
import { REPO_ROOT } from './lab-app';

/**
 * The safety net of main.ts: a start that breaks (here Electron's session fails, injected into the
 * stand-in) ends in an error box with a sentence and the next step, never a stack trace, and the app exits
 * with 1 instead of lingering without a window or a tray.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'hst-start-failure-'));
afterAll(() => {
  delete process.env.HOMESERVER_TRAY_DATA_DIR;
  rmSync(dataDir, { recursive: true, force: true });
});

it('shows an error box with the reason and the next step, and exits with 1', async () => {
  process.env.HOMESERVER_TRAY_DATA_DIR = dataDir;
  standIn.configure({ isPackaged: true, appPath: REPO_ROOT });
  vi.spyOn(session, 'defaultSession', 'get').mockImplementation(() => {
    throw new Error('the session could not be created\n    at Session.fromPartition (node:electron/js2c)');
  });
  await import('../../src-main/desktop/main');
  standIn.ready();
  expect(await standIn.ended()).toEqual({ how: 'exit', code: 1 });
  expect(standIn.dialogs.errorBoxes).toEqual([
    {
      title: 'Homeserver Tray could not start',
      content:
        'Something unexpected went wrong: the session could not be created.\n\nTry again; if it keeps happening, report it with the audit log.',
    },
  ]);
  expect(standIn.windows()).toEqual([]);
  expect(standIn.trays()).toEqual([]);
});
