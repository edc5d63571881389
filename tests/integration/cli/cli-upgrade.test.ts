import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliLab, startCliLab } from './cli-harness';

/**
 * `run tuwunel.upgrade --param version=v1.9.0 --yes` against a 1.7.0 lab (issue 17, "Done when"): real
 * sshd, sudo, git and ansible-playbook; the stand-ins play the one-time migrations of 1.8.0 and 1.9.0 at the
 * first start, the backup commands with their texts, --restore-backup, Docker's health check and the fault
 * switch that makes the new release fail once started (cli-upgrade-rollback.test.ts); here it succeeds.
 */

const vars = (t: CliLab) =>
  readFile(join(t.lab.repos.playbook, t.lab.profile.deploy?.varsFile ?? ''), 'utf8');
const profileText = (t: CliLab) => readFile(t.lab.profilePath, 'utf8');
const running = async (t: CliLab) => {
  const r = await t.lab.client.request('GET', '/_tuwunel/server_version');
  return r.status === 200 ? String(r.json.version) : `HTTP ${r.status}`;
};

async function adminLogin(t: CliLab): Promise<void> {
  const r = await t.cli(['admin', 'login'], {
    input: `${t.lab.secrets.adminUserId}\n${t.lab.secrets.adminPassword}\n`,
  });
  if (r.code !== 0) throw new Error(`admin login failed: ${r.stderr}`);
}

const LAB = {
  tuwunelVersion: '1.7.0',
  migrationSeconds: { '1.8.0': 1, '1.9.0': 1.5 },
  databaseBackupPath: '/var/lib/tuwunel/backups',
  healthCheckSeconds: 1,
  playbookSeconds: 0,
} as const;

describe('upgrade 1.7.0 → 1.9.0 from the command line', () => {
  let t: CliLab;
  beforeAll(async () => {
    t = await startCliLab(LAB);
    await adminLogin(t);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('the dry run shows pre-flight, backup, notice, apply, wait, verify and every rollback step, and sends nothing', async () => {
    const before = t.lab.hosts.homeserver.execLog().length;
    const r = await t.cli(['run', 'tuwunel.upgrade', '--param', 'version=v1.9.0', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    for (const text of [
      'Check the plan: pin, migration version, backup path, config lint',
      'docker pull ghcr.io/matrix-construct/tuwunel:v1.9.0',
      '!admin server backup-database',
      "Check the backup's files",
      'Tell everyone (server notice)',
      'No server notice: Tuwunel v1.7.0 cannot send one (1.8.2 can).',
      'ansible-playbook -i inventory/hosts setup.yml --tags=install-all,start',
      'Wait for the first start (one-time migrations)',
      'Rollback: restore',
      '--restore-backup=',
      'database_migrations=false',
      'Rollback: pin the previous version again',
      'All clear (server notice)',
    ])
      expect(r.stdout).toContain(text);
    expect(t.lab.hosts.homeserver.execLog().length).toBe(before);
  });

  it('refuses a version that is not newer, and a malformed one, before anything is sent', async () => {
    const same = await t.cli(['run', 'tuwunel.upgrade', '--param', 'version=v1.7.0', '--yes']);
    expect(same.code).toBe(1);
    expect(same.stderr).toContain('The profile pins v1.7.0 already');
    const bad = await t.cli(['run', 'tuwunel.upgrade', '--param', 'version=latest;reboot', '--yes']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('is not a release like v1.9.0');
  });

  it('upgrades: 1.9.0 runs, is pinned in vars.yml and the profile, answers, the backup is checked, people are told', async () => {
    const r = await t.cli(['run', 'tuwunel.upgrade', '--param', 'version=v1.9.0', '--yes']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(
      /Tuwunel v1\.9\.0 runs, is pinned in vars\.yml and the profile, and answers as 1\.9\.0; backup #1 \(.*\) was taken before and verified\./,
    );
    expect(r.stdout).toContain('Scanning ShortID columns for duplicate values');
    expect(await running(t)).toBe('1.9.0');
    expect(await vars(t)).toMatch(/^matrix_tuwunel_version: v1\.9\.0$/m);
    expect(await profileText(t)).toMatch(/version: "?v1\.9\.0"?$/m);
    expect(await t.lab.state.migrations()).toEqual(
      expect.arrayContaining(['fix_short_injectivity', 'rebuild_roomid_tscount_pducount']),
    );
    // 1.7.0 could not announce; 1.9.0 says all clear to every local user.
    const notices = t.lab.serverNotices();
    expect(notices.length).toBeGreaterThan(0);
    expect(String(notices[0]?.content.body)).toContain('is back: Tuwunel 1.9.0 is running');
    expect(t.leakedSecrets()).toEqual([]);
  });
});
