import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsNewView as viewSchema } from '../../../src-main/app/views/whats-new-schema';
import { notesView, whatsNewView } from '../../../src-main/app/views/whats-new-view';
import { releaseNotesBetween, whatsNew } from '../../../src-main/app/whats-new';
import { ConnectFailed, InvalidInput } from '../../../src-main/core/errors';
import type { ExecResult, RemoteExec } from '../../../src-main/core/ssh/types';
import { deployAt, testProfile } from '../core/runbook/test-profile';

/** The deploy host as a local /bin/sh (the real awk); the server's version endpoints as canned answers. */
const shell: RemoteExec = {
  exec: (_host, command) =>
    new Promise<ExecResult>((resolve) =>
      execFile('/bin/sh', ['-c', command], (error, stdout, stderr) =>
        resolve({
          exitCode: error ? Number((error as { code?: number }).code ?? 1) : 0,
          signal: null,
          stdout,
          stderr,
          durationMs: 0,
        }),
      ),
    ),
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whats-new-'));
  await mkdir(join(dir, 'roles/custom/matrix-tuwunel/defaults'), { recursive: true });
  await mkdir(join(dir, 'inventory/host_vars/matrix.lab.test'), { recursive: true });
  await writeFile(
    join(dir, 'roles/custom/matrix-tuwunel/defaults/main.yml'),
    'matrix_tuwunel_version: v1.9.0\n',
  );
  await writeFile(
    join(dir, 'inventory/host_vars/matrix.lab.test/vars.yml'),
    'matrix_tuwunel_version: v1.8.2\n',
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const answering = (version: string | null) => async (url: string) =>
  version && url.endsWith('/_tuwunel/server_version')
    ? { status: 200, body: JSON.stringify({ name: 'Tuwunel', version }) }
    : { error: 'connect ECONNREFUSED' };

describe('whatsNew: the versions and the notes between', () => {
  it('from the running release to what the pulled playbook offers', async () => {
    const view = await whatsNew({
      profile: testProfile({ deploy: deployAt(dir) }),
      remote: shell,
      get: answering('1.8.1'),
    });
    expect(viewSchema.parse(view)).toEqual(view);
    expect(view).toMatchObject({
      running: { version: '1.8.1', source: 'https://matrix.lab.test/_tuwunel/server_version', problem: null },
      pinned: { version: '1.8.2', problem: null },
      offered: { version: '1.9.0', problem: null },
      from: '1.8.1',
      to: '1.9.0',
      summary: '3 releases from 1.8.1 to 1.9.0.',
    });
    expect(view.releases.map((r) => r.version)).toEqual(['1.8.2', '1.8.3', '1.9.0']);
    expect(view.releases[2]?.notes[0]).toMatchObject({ kind: 'migration', refs: [], source: null });
  });

  it('with the server down, from the pin; with the deploy host down too, it says what it could not tell', async () => {
    const view = await whatsNew({
      profile: testProfile({ deploy: deployAt(dir) }),
      remote: shell,
      get: answering(null),
    });
    expect(view.running).toMatchObject({
      version: null,
      problem: expect.stringContaining('connect ECONNREFUSED'),
    });
    expect(view.from).toBe('1.8.2');
    const unreachable: RemoteExec = {
      exec: () =>
        Promise.reject(new ConnectFailed('deploy', '127.0.0.2:22', 'connect ECONNREFUSED 127.0.0.2:22')),
    };
    const blind = await whatsNew({
      profile: testProfile({ deploy: deployAt(dir) }),
      remote: unreachable,
      get: answering(null),
    });
    expect(blind.pinned?.problem).toMatch(/deploy/);
    expect(blind.releases).toEqual([]);
    expect(blind.summary).toBe(
      'The app could not tell which version runs (or is pinned) nor which version the playbook offers; see the problems above, or give --from and --to.',
    );
  });

  it('a pin in vars.yml newer than the running release counts: its first start is still to come', () => {
    const view = whatsNewView({
      running: { version: '1.7.0', source: 's', problem: null },
      pinned: { version: '1.9.0', source: 'v', problem: null },
      offered: { version: '1.8.3', source: 'r', problem: null },
    });
    expect([view.from, view.to]).toEqual(['1.7.0', '1.9.0']);
    expect(
      whatsNewView({
        running: { version: '1.9.0', source: 's', problem: null },
        pinned: { version: '1.9.0', source: 'v', problem: null },
        offered: { version: '1.9.0', source: 'r', problem: null },
      }).summary,
    ).toBe('Nothing new: Tuwunel 1.9.0 is as new as anything pinned or offered by the playbook.');
  });

  it('a range by hand: checked first, and said when it goes past the table', () => {
    expect(() => releaseNotesBetween('1.7.0', 'next')).toThrow(InvalidInput);
    expect(releaseNotesBetween('v1.8.3', 'v1.9.1')).toMatchObject({
      from: '1.8.3',
      to: '1.9.1',
      beyondTable: '1.9.1',
      summary:
        '1 release from 1.8.3 to 1.9.1, and 1.9.1, which this app has no notes for (read its RELEASE.md upstream).',
    });
    expect(notesView('1.9.0', '1.8.0').summary).toBe('Nothing newer: 1.8.0 is not after 1.9.0.');
  });
});
