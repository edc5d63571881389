import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from '../../lab/lab';
import type { Lab } from '../../lab/types';
import { admin } from './admin-room-helper';
import { eventually } from './ssh-helpers';

// A Tuwunel upgrade as the lab plays it (issue 17.5), with the real git and ansible-playbook on the deploy
// host and the stand-ins on the homeserver: the playbook upstream one release ahead (deploy.update), the
// one-time migrations of 1.8.0 and 1.9.0 taking their time at first start (src/service/migrations at the
// tags) while the unit is already active (the playbook's unit is Type=simple), the backup before, and a
// target release whose start fails, rolled back by restoring that backup (src/database/engine/backup.rs,
// src/main/args.rs: --restore-backup from 1.8.2).

const PLAYBOOK_LINE = (lab: Lab, tags: string) =>
  `cd ${lab.repos.playbook} && ansible-playbook -i inventory/hosts setup.yml --tags=${tags} --vault-password-file ${lab.profile.deploy?.vaultPasswordFile}`;

async function pin(lab: Lab, version: string): Promise<void> {
  const vars = join(lab.repos.playbook, lab.profile.deploy?.varsFile ?? '');
  const text = await readFile(vars, 'utf8');
  await writeFile(vars, text.replace(/^matrix_tuwunel_version: .*$/m, `matrix_tuwunel_version: ${version}`));
}

const serverVersion = async (lab: Lab) => {
  const r = await lab.client.request('GET', '/_tuwunel/server_version');
  return r.status === 200 ? String(r.json.version) : r.status;
};

const on = async (lab: Lab, command: string) => {
  const r = await lab.hosts.homeserver.sh(command);
  return r.stdout;
};

describe('an upgrade 1.7.0 → 1.9.0 through the playbook: migrations at first start', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({
      keyring: false,
      // Long enough that the playbook's return and the next ssh calls land mid-migration on a busy machine
      // (at load 27 a play took over 8 s from the start to its recap).
      migrationSeconds: { '1.8.0': 3, '1.9.0': 15 },
      databaseBackupPath: '/var/lib/tuwunel/backups',
      playbookUpstreamTuwunelVersion: '1.9.0',
      healthCheckSeconds: 1,
    });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('the playbook renders the backup path as the lab did, and deploy.update brings the newer default', async () => {
    const first = await lab.hosts.deploy.sh(PLAYBOOK_LINE(lab, 'install-all,start'));
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/Ensure Tuwunel configuration installed\] \*+\nok: /);
    const toml = await readFile(join(lab.hosts.homeserver.dir, 'state/tuwunel/config/tuwunel.toml'), 'utf8');
    expect(toml).toContain(
      'database_backup_path = "/var/lib/tuwunel/backups"\ndatabase_backups_to_keep = 1\n',
    );
    const defaults = join(lab.repos.playbook, 'roles/custom/matrix-tuwunel/defaults/main.yml');
    expect(await readFile(defaults, 'utf8')).toMatch(/^matrix_tuwunel_version: v1\.7\.0$/m);
    expect((await lab.hosts.deploy.sh(`cd ${lab.repos.playbook} && git pull -q`)).exitCode).toBe(0);
    expect(await readFile(defaults, 'utf8')).toMatch(/^matrix_tuwunel_version: v1\.9\.0$/m);
  });

  it('is active at once but answers only after 1.9.0’s repair scans and 1.8.0’s index rebuild', async () => {
    expect(await lab.state.migrations()).toEqual([]);
    expect((await admin(lab, 'server backup-database')).body).toBe('Done. Currently have 1 backups.');
    await pin(lab, 'v1.9.0');
    const play = await lab.hosts.deploy.sh(PLAYBOOK_LINE(lab, 'install-all,start'));
    expect(play.exitCode).toBe(0);
    const started = Date.now();
    // Type=simple: the service manager sees it active, while Tuwunel migrates and nothing listens.
    expect(await on(lab, 'systemctl is-active matrix-tuwunel')).toBe('active\n');
    expect(await serverVersion(lab)).toBe(502);
    // Not healthy while it migrates: "(health: starting)", or "(unhealthy)" once the probes of the lab's 1 s
    // interval have failed past the start period (4 s after the start, which a loaded machine's play reaches).
    expect(await on(lab, "docker ps --filter name=matrix-tuwunel --format '{{.Status}}'")).toMatch(
      /\((health: starting|unhealthy)\)\n$/,
    );
    const early = await on(lab, 'journalctl -u matrix-tuwunel -o cat --no-pager -n 8');
    expect(early).toContain(
      'WARN main:start: tuwunel_service::migrations::injectivity: Discarding cached auth chains; entries from earlier releases may be truncated.',
    );
    expect(early).toContain(
      'INFO main:start: tuwunel_service::migrations::injectivity::scan: Scanning ShortID columns for duplicate values...',
    );
    expect(early).not.toContain('Listening on');

    await eventually(async () => (await serverVersion(lab)) === '1.9.0', 'Tuwunel 1.9.0 answering', 60_000);
    expect(Date.now() - started).toBeGreaterThan(500);
    // 15 s of repair scans, then 3 s of index rebuild, as the journal's times show.
    const timed = await on(lab, 'journalctl -u matrix-tuwunel -o short-iso-precise --no-pager -n 8');
    const at = (text: string) =>
      Date.parse(/^(\S+) .*$/m.exec(timed.split('\n').find((l) => l.includes(text)) ?? '')?.[1] ?? '');
    expect(at('Listening on') - at('Scanning ShortID')).toBeGreaterThanOrEqual(18_000);
    expect(
      at('Rebuilt roomid_tscount_pducount') - at('Rebuilding roomid_tscount_pducount'),
    ).toBeGreaterThanOrEqual(3000);
    const journal = await on(lab, 'journalctl -u matrix-tuwunel -o cat --no-pager -n 8');
    const order = [
      'Short id mappings verified injective.',
      'Rebuilding roomid_tscount_pducount index for same-timestamp event ordering',
      'Rebuilt roomid_tscount_pducount index count=184467',
      'Services startup complete.',
      'Listening on [0.0.0.0:6167]',
    ].map((text) => journal.indexOf(text));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(await lab.state.migrations()).toEqual([
      'clear_auth_chain_cache',
      'fix_short_injectivity',
      'rebuild_roomid_tscount_pducount',
    ]);
    await eventually(
      async () =>
        (await on(lab, "docker ps --filter name=matrix-tuwunel --format '{{.Status}}'")).endsWith(
          '(healthy)\n',
        ),
      '(healthy)',
      5000,
    );
    // The second start has nothing left to migrate: it answers at once.
    await on(lab, 'systemctl restart matrix-tuwunel');
    expect(await serverVersion(lab)).toBe('1.9.0');
    // The backup of 1.7.0 lists on 1.9.0, one a line, and verifies (1.8.2).
    expect(String((await admin(lab, 'server list-backups')).body)).toMatch(/^#1 .+: \d+ bytes, \d+ files\n$/);
    expect((await admin(lab, 'server verify-backup 1')).body).toBe(
      'Verified backup #1: all files present with expected sizes.',
    );
  }, 120_000);
});

describe('a target whose start fails, rolled back by restoring the backup taken before', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ keyring: false, databaseBackupPath: '/var/lib/tuwunel/backups' });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('fails the play with the service manager’s message, the journal says why, the migrations are done', async () => {
    expect((await admin(lab, 'server backup-database')).body).toBe('Done. Currently have 1 backups.');
    // Someone joins after the backup: the restore will not have them.
    await lab.client.register({
      username: 'late',
      password: 'late-pw',
      token: lab.secrets.registrationToken,
    });
    lab.faults.tuwunelStartFails('1.9.0');
    await pin(lab, 'v1.9.0');
    const play = await lab.hosts.deploy.sh(PLAYBOOK_LINE(lab, 'install-all,start'));
    expect(play.exitCode).toBe(2);
    expect(play.stdout).toContain('matrix-tuwunel.service was not detected to be running.');
    expect(await on(lab, 'systemctl is-active matrix-tuwunel')).toBe('failed\n');
    expect(await serverVersion(lab)).toBe(502);
    const journal = await on(lab, 'journalctl -u matrix-tuwunel -o cat --no-pager -n 6');
    expect(journal).toMatch(
      /ERROR main: tuwunel: Critical error running server: I\/O error: Address already in use \(os error 98\)\n/,
    );
    expect(await lab.state.migrations()).toEqual([
      'clear_auth_chain_cache',
      'fix_short_injectivity',
      'rebuild_roomid_tscount_pducount',
    ]);
  });

  it('restores with the new image in maintenance mode, migrations off, and 1.7.0 runs again as before', async () => {
    const restore = await lab.hosts.homeserver.sh(
      'docker run --rm ghcr.io/matrix-construct/tuwunel:v1.9.0 --restore-backup=1 --maintenance -O database_migrations=false --execute "server shutdown"',
    );
    expect(restore.exitCode).toBe(0);
    expect(restore.stdout).toMatch(/Restoring database backup backup_id=1 /);
    expect(restore.stdout).toContain(
      'WARN main:start: tuwunel_service::migrations: Skipping database migrations due to configuration...',
    );
    expect(restore.stdout).toContain('Shutdown complete.');
    expect(await lab.state.migrations()).toEqual([]);
    expect((await lab.state.users()).map((u) => u.userId)).not.toContain('@late:lab.test');

    await pin(lab, 'v1.7.0');
    const play = await lab.hosts.deploy.sh(PLAYBOOK_LINE(lab, 'install-all,start'));
    expect(play.exitCode).toBe(0);
    expect(await serverVersion(lab)).toBe('1.7.0');
    expect(await lab.state.migrations()).toEqual([]);
  });

  it('a restore that lets the new image migrate leaves the database migrated (the trap the app avoids)', async () => {
    await on(lab, 'systemctl stop matrix-tuwunel');
    const restore = await lab.hosts.homeserver.sh(
      'docker run --rm ghcr.io/matrix-construct/tuwunel:v1.9.0 --restore-backup=1 --maintenance --execute "server shutdown"',
    );
    expect(restore.exitCode).toBe(0);
    expect(restore.stdout).toContain(
      'Rebuilding roomid_tscount_pducount index for same-timestamp event ordering',
    );
    expect(await lab.state.migrations()).toEqual([
      'clear_auth_chain_cache',
      'fix_short_injectivity',
      'rebuild_roomid_tscount_pducount',
    ]);
    await on(lab, 'systemctl start matrix-tuwunel');
  });

  it('refuses a backup path outside the data path, as RocksDB does in the read-only container', async () => {
    const toml = join(lab.hosts.homeserver.dir, 'state/tuwunel/config/tuwunel.toml');
    await writeFile(toml, (await readFile(toml, 'utf8')).replace('"/var/lib/tuwunel/backups"', '"/backups"'));
    expect((await admin(lab, 'server backup-database')).body).toBe(
      'Command failed with error:\n```\nI/O error: IO error: While mkdir if missing: /backups: Read-only file system\n```',
    );
  });

  it('a start that is going to fail never answers while another reader settles it', async () => {
    const tuwunelState = join(lab.hosts.homeserver.dir, 'state/tuwunel');
    const version = (await readFile(join(tuwunelState, 'version'), 'utf8')).trim();
    lab.faults.tuwunelStartFails(version);
    // Another stand-in settling the start: it holds the settle lock until told to let go.
    const settler = spawn('flock', [join(tuwunelState, 'settle.lock'), 'sh', '-c', 'echo held; read _'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const closed = new Promise((resolve) => settler.on('close', resolve));
    try {
      await new Promise((resolve) => settler.stdout.once('data', resolve));
      await on(lab, 'systemctl restart matrix-tuwunel');
      // Past the listening time, the unit still active while the settle is under way: never an answer.
      expect(await on(lab, 'systemctl is-active matrix-tuwunel')).toBe('active\n');
      expect(await serverVersion(lab)).toBe(502);
    } finally {
      settler.stdin.end();
      await closed;
    }
    expect(await on(lab, 'systemctl is-active matrix-tuwunel')).toBe('failed\n');
    expect(await serverVersion(lab)).toBe(502);
    expect(await on(lab, 'journalctl -u matrix-tuwunel -o cat --no-pager -n 6')).toContain(
      'Critical error running server',
    );
  });
});
