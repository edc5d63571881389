import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WhatsNewView } from '../../../src-main/app/views/whats-new-schema';
import { type CliLab, startCliLab } from './cli-harness';

/**
 * `whatsnew` against the lab: the versions read from the deploy checkout (real git, a newer playbook
 * upstream) and from the homeserver's own version endpoint (HTTPS behind the lab CA), the notes from the
 * app's table. Nothing on the homeserver host is run.
 */

let t: CliLab;
beforeAll(async () => {
  t = await startCliLab({ tuwunelVersion: '1.8.2', playbookUpstreamTuwunelVersion: '1.9.0' });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

describe('whatsnew', () => {
  it('before deploy.update: nothing new, and the three versions with where each was read', async () => {
    const homeserverBefore = t.lab.hosts.homeserver.execLog().length;
    const deployBefore = t.lab.hosts.deploy.execLog().length;
    const r = await t.cli(['whatsnew']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`  running  1.8.2  (${t.lab.http.publicUrl}/_tuwunel/server_version)\n`);
    expect(r.stdout).toMatch(
      /\n {2}pinned {3}1\.8\.2 {2}\(.*\/inventory\/host_vars\/matrix\.lab\.test\/vars\.yml\)\n/,
    );
    expect(r.stdout).toMatch(
      /\n {2}offered {2}1\.8\.2 {2}\(.*\/roles\/custom\/matrix-tuwunel\/defaults\/main\.yml\)\n/,
    );
    expect(r.stdout).toContain(
      'Nothing new: Tuwunel 1.8.2 is as new as anything pinned or offered by the playbook.\n',
    );
    expect(t.lab.hosts.homeserver.execLog().length).toBe(homeserverBefore);
    const sent = t.lab.hosts.deploy.execLog().slice(deployBefore);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain('awk ');
  });

  it('after the pull: 1.9.0 offered, the notes of 1.8.3 and 1.9.0 only, in JSON too', async () => {
    expect((await t.lab.hosts.deploy.sh(`cd ${t.lab.repos.playbook} && git pull -q`)).exitCode).toBe(0);
    const r = await t.cli(['whatsnew']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 releases from 1.8.2 to 1.9.0.\n');
    expect(r.stdout).toContain(
      '\n1.8.3 (2026-08-05)  https://github.com/matrix-construct/tuwunel/blob/v1.8.3/RELEASE.md\n',
    );
    expect(r.stdout).toMatch(/\n {2}migration {2}The first 1\.9\.0 start runs a one-time repair/);
    expect(r.stdout).not.toContain('\n1.8.2 (');
    const json = await t.cli(['whatsnew', '--json']);
    const view = JSON.parse(json.stdout) as WhatsNewView;
    expect(view).toMatchObject({
      from: '1.8.2',
      to: '1.9.0',
      running: { version: '1.8.2', problem: null },
      pinned: { version: '1.8.2' },
      offered: { version: '1.9.0' },
      beyondTable: null,
    });
    expect(view.releases.map((x) => x.version)).toEqual(['1.8.3', '1.9.0']);
  });

  it('--from/--to shows a range without asking the server; bad ranges are refused before anything runs', async () => {
    const deployBefore = t.lab.hosts.deploy.execLog().length;
    const r = await t.cli(['whatsnew', '--from', 'v1.7.0', '--to', '1.9.0', '--json']);
    expect(r.code).toBe(0);
    const view = JSON.parse(r.stdout) as WhatsNewView;
    expect(view.releases.map((x) => x.version)).toEqual([
      '1.7.1',
      '1.8.0',
      '1.8.1',
      '1.8.2',
      '1.8.3',
      '1.9.0',
    ]);
    expect(view.running).toBeNull();
    const bad = await t.cli(['whatsnew', '--from', 'latest', '--to', '1.9.0']);
    expect(bad).toMatchObject({ code: 64, stdout: '' });
    expect(bad.stderr).toBe('--from: "latest" is not a version like 1.8.2\nCorrect --from and try again.\n');
    expect((await t.cli(['whatsnew', '--to', '1.9.0'])).code).toBe(64);
    expect(t.lab.hosts.deploy.execLog().length).toBe(deployBefore);
    expect(t.leakedSecrets()).toEqual([]);
  });
});
