import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Profile, profileSchema } from '../../../src-main/core/profile/schema';
import { SshPool } from '../../../src-main/core/ssh/pool';
import { StatusService } from '../../../src-main/core/status/service';
import { defaultSnapshots, type PbsLabSnapshot, vmSnapshot } from '../../lab/deploy/pbs/setup-pbs';
import { startLab } from '../../lab/lab';
import type { Lab } from '../../lab/types';
import { admin } from '../lab/admin-room-helper';

/**
 * The upgrade-related checks of a status poll against the lab: the release the deploy checkout's playbook
 * offers (real git pull of a newer upstream), Tuwunel's backup folder on the homeserver (written by the
 * stand-in as RocksDB lays it out), and the PBS snapshots listed by the deploy host's proxmox-backup-client.
 */

let lab: Lab;
let scratch: string;
let pool: SshPool;
let service: StatusService;
let profile: Profile;

beforeAll(async () => {
  lab = await startLab({
    keyring: false,
    pbs: true,
    databaseBackupPath: '/var/lib/tuwunel/backups',
    playbookUpstreamTuwunelVersion: '1.9.0',
  });
  scratch = mkdtempSync(join(tmpdir(), 'upgrade-checks-'));
  profile = profileSchema.parse(lab.profile);
  pool = new SshPool({
    profile,
    appKnownHostsFile: join(scratch, 'known_hosts'),
    agentSocket: undefined,
    secret: async (kind) => (kind === 'sudo-password' ? Buffer.from(lab.secrets.sudoPassword) : null),
  });
  service = new StatusService({ profile, remote: pool });
});

afterAll(async () => {
  service?.close();
  await pool?.disconnect();
  await lab?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const restore: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  lab.faults.clear();
  for (const undo of restore.splice(0).reverse()) await undo();
});

async function check(id: string) {
  const outcome = await service.refresh();
  const r = outcome.results.find((x) => x.id === id);
  if (!r) throw new Error(`no result ${id}`);
  return r;
}

async function snapshots(list: PbsLabSnapshot[]): Promise<void> {
  const before = await lab.pbs.snapshots();
  await lab.pbs.setSnapshots(list);
  restore.push(() => lab.pbs.setSnapshots(before));
}

const hoursAgo = (h: number) => Math.round(Date.now() / 1000 - h * 3600);

describe('the release the playbook offers', () => {
  it('is the pinned one at first; after deploy.update’s git pull, 1.9.0 is available with what lies between', async () => {
    expect(await check('config:tuwunel-release')).toMatchObject({
      host: 'deploy',
      level: 'ok',
      detail: 'vars.yml pins 1.7.0, the release the playbook ships.',
    });
    expect((await lab.hosts.deploy.sh(`cd ${lab.repos.playbook} && git pull -q`)).exitCode).toBe(0);
    const r = await check('config:tuwunel-release');
    expect(r.level).toBe('warn');
    expect(r.detail).toBe(
      '1.9.0 available (you pin 1.7.0): 6 newer releases; one-time migrations at first start (1.8.0, 1.8.2 and 1.9.0); security fixes (1.8.1 and 1.9.0); breaking changes (1.7.1, 1.8.0, 1.8.3 and 1.9.0). Next: read what changed with `npm run cli -- whatsnew` (or in the window), then run "Upgrade Tuwunel" with v1.9.0: it backs up first, and restores that backup if the new release fails.',
    );
  });
});

describe('Tuwunel’s own backups', () => {
  it('none yet, then one the admin room made, with all its files', async () => {
    expect(await check('backup:tuwunel')).toMatchObject({ host: 'homeserver', level: 'warn' });
    expect((await admin(lab, 'server backup-database')).body).toBe('Done. Currently have 1 backups.');
    const r = await check('backup:tuwunel');
    expect(r.level).toBe('ok');
    expect(r.detail).toMatch(
      /^1 backup in .*\/homeserver\/state\/tuwunel\/data\/backups; the newest, #1 \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\), is \d+ min old and has all \d+ files \(what verify-backup checks\)\.$/,
    );
  });

  it('a path outside the container’s data mount is named as the reason backups fail', async () => {
    const toml = join(profile.homeserver.configDir, 'tuwunel.toml');
    const { readFileSync } = await import('node:fs');
    const original = readFileSync(toml, 'utf8');
    writeFileSync(toml, original.replace('"/var/lib/tuwunel/backups"', '"/srv/backups"'));
    restore.push(() => writeFileSync(toml, original));
    expect(await check('backup:tuwunel')).toMatchObject({
      level: 'warn',
      detail: expect.stringMatching(
        /^database_backup_path \/srv\/backups is not a folder under \/var\/lib\/tuwunel, the container’s only writable mount, so every backup fails/,
      ),
    });
  });
});

describe('the PBS check from the deploy host', () => {
  it('reads the lab’s nightly snapshots: the newest recent, an older one verified', async () => {
    const r = await check('backup:pbs');
    expect(r.host).toBe('deploy');
    expect(r.level).toBe('ok');
    expect(r.detail).toMatch(
      /^The newest snapshot vm\/111\/\d{4}-\d\d-\d\dT02:00:00Z \([\d.]+ h old, 32 GiB\) is not verified yet \(the newest verified ok is vm\/111\/.*\); 3 snapshots of vm\/111 in backup@pbs!tray@pbs\.lab\.test:nas-primary\.$/,
    );
    // The deploy host ran the client with the token file and the fingerprint, never a secret.
    const sent = lab.hosts.deploy.execLog().at(-1) ?? '';
    expect(sent).toContain(`PBS_PASSWORD_FILE=${lab.pbs.passwordFile}`);
    expect(sent).not.toContain('f3b1c2d4');
  });

  it('fails a newest snapshot over the age limit, and one whose verify failed', async () => {
    await snapshots([vmSnapshot('111', hoursAgo(52), 'ok'), vmSnapshot('111', hoursAgo(28), 'ok')]);
    expect(await check('backup:pbs')).toMatchObject({
      level: 'fail',
      detail: expect.stringMatching(
        /is 28 h old, over the 26 h limit \(2 snapshots of vm\/111 in .*\); check that the PBS backup job still runs\.$/,
      ),
    });
    await lab.pbs.setSnapshots([vmSnapshot('111', hoursAgo(3), 'failed')]);
    expect((await check('backup:pbs')).detail).toMatch(
      /failed its last verify task; look at the verify task log in PBS/,
    );
  });

  it('warns when no snapshot was ever verified, and when the group has none at all it fails', async () => {
    await snapshots([vmSnapshot('111', hoursAgo(5), null)]);
    expect(await check('backup:pbs')).toMatchObject({
      level: 'warn',
      detail: expect.stringMatching(
        /^None of the 1 snapshot of vm\/111 .* has been verified; add a verify job/,
      ),
    });
    await lab.pbs.setSnapshots(defaultSnapshots(Date.now()).filter((s) => s['backup-type'] === 'ct'));
    expect((await check('backup:pbs')).level).toBe('fail');
  });

  it('a wrong token, an unreachable server: unknown with the client’s own error', async () => {
    const file = lab.pbs.passwordFile;
    const { readFileSync } = await import('node:fs');
    const secret = readFileSync(file, 'utf8');
    writeFileSync(file, 'not-the-secret\n');
    restore.push(() => writeFileSync(file, secret));
    expect(await check('backup:pbs')).toMatchObject({
      level: 'unknown',
      detail:
        'The deploy host could not run proxmox-backup-client snapshot list vm/111: Error: permission check failed (exit code 255); run it there by hand to see why.',
    });
    writeFileSync(file, secret);
    lab.faults.exit(
      'deploy',
      'proxmox-backup-client*',
      255,
      'Error: error trying to connect: tcp connect error: Connection refused (os error 111)\n',
    );
    expect((await check('backup:pbs')).detail).toContain('Connection refused (os error 111) (exit code 255)');
  });
});
