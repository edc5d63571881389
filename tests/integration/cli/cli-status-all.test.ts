import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppService } from '../../../src-main/app/app-service';
import { type AppHost, openApp, profileStateDir } from '../../../src-main/app/session';
import { ProfileStore } from '../../../src-main/core/profile/store';
import { StickyAlerts } from '../../../src-main/core/runbook/sticky-alerts';
import { type CliLab, startCliLab } from './cli-harness';

/**
 * `status --all` and the window on one data folder: two profiles of the lab in the store, a sticky alert
 * another process raised for one of them. The command line and the app's status.all say the same of each
 * server, because both read the state kept per profile uid in the data folder.
 */
let c: CliLab;
let app: AppHost | null = null;

beforeAll(async () => {
  c = await startCliLab();
  const copy = join(c.dataDir, '..', 'lab-copy.yaml');
  const yaml = await readFile(c.lab.profilePath, 'utf8');
  await writeFile(copy, yaml.replace(/^name: .*$/m, 'name: "Lab copy"'));
  for (const [file, name] of [
    [c.lab.profilePath, null],
    [copy, 'Lab copy'],
  ] as const) {
    const added = await c.cli(['profile', 'add', file], { profile: false });
    expect(added.code, added.stderr).toBe(0);
    if (name) expect((await c.cli(['profile', 'use', name], { profile: false })).code).toBe(0);
    const stored = await c.cli(['secret', 'set', 'sudo-password', '--host', 'homeserver'], {
      profile: false,
      input: `${c.lab.secrets.sudoPassword}\n`,
    });
    expect(stored.code, stored.stderr).toBe(0);
  }
}, 240_000);

afterAll(async () => {
  await app?.close();
  await c?.stop();
});

describe('status --all', () => {
  it('says of each profile what the window says, from the state kept per profile in the data folder', async () => {
    const store = new ProfileStore(c.dataDir);
    const { profiles } = await store.list();
    const copyId = profiles.find((p) => p.name === 'Lab copy')?.id as string;
    const uid = (await store.load(copyId)).uid;
    // Another process (a CLI run, say) raised an alert for the copy only.
    new StickyAlerts(join(profileStateDir(c.dataDir, uid), 'alerts.json')).raise({
      id: 'tuwunel-stopped',
      title: 'matrix-tuwunel is stopped',
      message: 'matrix-tuwunel could not be confirmed running; start the stack.',
      fixActionId: 'stack.start',
      profile: 'lab.test',
      runId: 'run-elsewhere',
      raisedAt: new Date().toISOString(),
    });

    const r = await c.cli(['status', '--all', '--json'], { profile: false });
    const out = JSON.parse(r.stdout) as {
      exitCode: number;
      servers: { id: string; overall: string; exitCode: number; results: { id: string }[] }[];
    };
    expect(r.code).toBe(1);
    expect(out.exitCode).toBe(1);
    expect(out.servers.map((s) => s.id)).toEqual(profiles.map((p) => p.id));
    const cliCopy = out.servers.find((s) => s.id === copyId);
    const cliLab = out.servers.find((s) => s.id !== copyId);
    expect(cliCopy).toMatchObject({ overall: 'warn', exitCode: 1 });
    expect(cliCopy?.results.map((x) => x.id)).toContain('alert:tuwunel-stopped');
    expect(cliLab).toMatchObject({ overall: 'ok', exitCode: 0 });

    // The window's side on the same data folder: the app host and its status.all.
    app = await openApp({ dataDir: c.dataDir, core: { pool: { agentSocket: undefined } } });
    const service = createAppService(app, {
      version: 'test',
      platform: process.platform,
      clipboard: null,
      openExternal: async () => false,
      chooseProfileFile: async () => null,
    });
    await app.start();
    await Promise.all(app.servers().map(({ core }) => core.scheduler.refreshNow()));
    const window = service.status.all().servers;
    expect(window.map((s) => s.profileId)).toEqual(out.servers.map((s) => s.id));
    for (const s of window) expect(s.overall).toBe(out.servers.find((x) => x.id === s.profileId)?.overall);
    expect(window.find((s) => s.profileId === copyId)?.stickyAlerts.map((a) => a.id)).toEqual([
      'tuwunel-stopped',
    ]);
    service.dispose();

    // As a table: a line per server naming it and its level.
    const table = await c.cli(['status', '--all'], { profile: false });
    expect(table.stdout).toMatch(/^== Lab copy \(lab\.test\): WARN ==$/m);
    expect(table.stdout).toMatch(/^== Lab \(lab\.test\): OK ==$/m);
    expect(c.leakedSecrets()).toEqual([]);
  });

  it('refuses --profile with --all: --all is every profile of the data folder', async () => {
    const r = await c.cli(['status', '--all']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--all');
  });
});
