import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from '../../lab/lab';
import type { Lab } from '../../lab/types';

/**
 * The deploy host's proxmox-backup-client stand-in answers `snapshot list` as the real client does
 * (proxmox-backup-client/src/snapshot.rs, pbs-api-types SnapshotListItem): the API's items, JSON compact or
 * pretty, a table otherwise, and `Error: …` with exit code 255 for what the real one refuses.
 */

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ keyring: false });
});
afterAll(async () => {
  await lab?.stop();
});

const client = (
  args: string,
  env = `PBS_PASSWORD_FILE=${lab.pbs.passwordFile} PBS_FINGERPRINT=${lab.pbs.fingerprint}`,
) => lab.hosts.deploy.sh(`env ${env} proxmox-backup-client snapshot list ${args}`);

describe('proxmox-backup-client snapshot list (lab)', () => {
  it('prints the group’s snapshots as one line of JSON with the API’s field names', async () => {
    const r = await client(`vm/111 --repository '${lab.pbs.repository}' --output-format json`);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout.split('\n')).toHaveLength(2);
    const items = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(items).toHaveLength(3);
    expect(Object.keys(items[0] ?? {})).toEqual([
      'backup-type',
      'backup-id',
      'backup-time',
      'comment',
      'verification',
      'files',
      'size',
      'owner',
      'protected',
    ]);
    expect(items[0]).toMatchObject({
      'backup-type': 'vm',
      'backup-id': '111',
      verification: { state: 'ok', upid: expect.stringMatching(/^UPID:pbs:/) },
      files: expect.arrayContaining([
        { filename: 'drive-scsi0.img.fidx', 'crypt-mode': 'none', size: 34359738368 },
      ]),
    });
    expect(items[2]).not.toHaveProperty('verification');
  });

  it('all groups without one, pretty JSON and the table', async () => {
    const all = JSON.parse(
      (await client(`--repository ${lab.pbs.repository} --output-format json-pretty`)).stdout,
    );
    expect(all.map((s: Record<string, string>) => `${s['backup-type']}/${s['backup-id']}`)).toEqual([
      'vm/111',
      'vm/111',
      'vm/111',
      'ct/104',
    ]);
    const table = await client(`vm/111 --repository ${lab.pbs.repository}`);
    expect(table.stdout).toMatch(/^┌─+┬─+┬─+┐\n│ snapshot +│ size +│ files +│\n╞/);
    expect(table.stdout).toMatch(
      /│ vm\/111\/\d{4}-\d\d-\d\dT02:00:00Z │ 32\.000 GiB │ qemu-server\.conf\.blob drive-scsi0\.img\.fidx/,
    );
  });

  it('refuses as the real client: no repository, no password, a wrong one, an untrusted certificate', async () => {
    const error = async (args: string, env?: string) => {
      const r = await client(args, env);
      expect(r.exitCode).toBe(255);
      expect(r.stdout).toBe('');
      return r.stderr;
    };
    expect(await error('vm/111 --output-format json')).toBe('Error: unable to get (default) repository\n');
    expect(await error(`--repository ${lab.pbs.repository}`, `PBS_FINGERPRINT=${lab.pbs.fingerprint}`)).toBe(
      'Error: no password input mechanism available\n',
    );
    expect(
      await error(
        `--repository ${lab.pbs.repository}`,
        `PBS_PASSWORD=wrong PBS_FINGERPRINT=${lab.pbs.fingerprint}`,
      ),
    ).toBe('Error: permission check failed.\n');
    expect(
      await error(`--repository ${lab.pbs.repository}`, `PBS_PASSWORD_FILE=${lab.pbs.passwordFile}`),
    ).toMatch(/^Error: error trying to connect: the handshake failed: .*certificate verify failed/);
    expect(await error('--repository backup@pbs!tray@other.example:nas-primary')).toMatch(
      /Connection refused/,
    );
    // Its fault switch, as for every stand-in.
    lab.faults.exit('deploy', 'proxmox-backup-client*', 255, 'Error: simulated\n', 1);
    expect(await error(`vm/111 --repository ${lab.pbs.repository}`)).toBe('Error: simulated\n');
  });
});
