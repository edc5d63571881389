import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { linkFresh } from '../../host/setup-host';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/**
 * The lab's Proxmox Backup Server as the deploy host's `proxmox-backup-client` sees it (the runbook's PBS:
 * the pbs-daily job backs the homeserver VM 111 up to the nas-primary datastore at 02:00). An API token
 * with read access, its secret in a file on the deploy host, and the server's self-signed certificate
 * known by its fingerprint, as a read-only check should use it.
 */
export const LAB_PBS = {
  server: 'pbs.lab.test',
  datastore: 'nas-primary',
  user: 'backup@pbs!tray',
  group: 'vm/111',
  fingerprint:
    'a4:0e:7b:91:2c:55:d8:3f:60:1b:9e:c7:44:08:f2:6d:93:ae:15:c0:7e:29:b8:d1:4f:62:0a:87:e3:5c:b6:19',
} as const;

export const LAB_PBS_REPOSITORY = `${LAB_PBS.user}@${LAB_PBS.server}:${LAB_PBS.datastore}`;

/** One snapshot as the PBS API lists it (pbs-api-types SnapshotListItem), plus the lab's namespace. */
export interface PbsLabSnapshot {
  'backup-type': 'vm' | 'ct' | 'host';
  'backup-id': string;
  'backup-time': number;
  comment?: string;
  verification?: { state: 'ok' | 'failed'; upid: string };
  files: { filename: string; 'crypt-mode': 'none' | 'encrypt' | 'sign-only'; size: number }[];
  size: number;
  owner: string;
  protected: boolean;
  /** The namespace it is in ('' = the datastore's root); not part of the listed item. */
  ns?: string;
}

/** A VM snapshot as a vzdump job to PBS leaves it: its config, one disk image index, the manifest, the log. */
export function vmSnapshot(
  id: string,
  time: number,
  verification: 'ok' | 'failed' | null,
  disk = 34_359_738_368,
): PbsLabSnapshot {
  const files = [
    { filename: 'qemu-server.conf.blob', 'crypt-mode': 'none' as const, size: 544 },
    { filename: 'drive-scsi0.img.fidx', 'crypt-mode': 'none' as const, size: disk },
    { filename: 'index.json.blob', 'crypt-mode': 'none' as const, size: 600 },
    { filename: 'client.log.blob', 'crypt-mode': 'none' as const, size: 1_873 },
  ];
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  return {
    'backup-type': 'vm',
    'backup-id': id,
    'backup-time': time,
    comment: 'matrix-homeserver',
    ...(verification
      ? {
          verification: {
            state: verification,
            upid: `UPID:pbs:00001F3A:0000A1B2:00000007:${hex(time + 5400)}:verificationjob:${LAB_PBS.datastore.replace('-', '\\x2d')}\\x3av\\x2dd1e5f0a2\\x2d4b1c:root@pam:`,
          },
        }
      : {}),
    files,
    size: files.reduce((sum, f) => sum + f.size, 0),
    owner: 'root@pam',
    protected: false,
  };
}

/** Nightly at 02:00 UTC for three nights, the older two verified by the datastore's verify job; and the deploy CT. */
export function defaultSnapshots(nowMs: number): PbsLabSnapshot[] {
  const day = 86_400;
  const lastNight = Math.floor(nowMs / 1000 / day) * day + 2 * 3600;
  const newest = lastNight * 1000 > nowMs ? lastNight - day : lastNight;
  return [
    vmSnapshot('111', newest - 2 * day, 'ok'),
    vmSnapshot('111', newest - day, 'ok'),
    vmSnapshot('111', newest, null),
    {
      ...vmSnapshot('104', newest, 'ok', 8_589_934_592),
      'backup-type': 'ct',
      files: [
        { filename: 'pct.conf.blob', 'crypt-mode': 'none', size: 412 },
        { filename: 'root.pxar.didx', 'crypt-mode': 'none', size: 2_147_483_648 },
        { filename: 'catalog.pcat1.didx', 'crypt-mode': 'none', size: 81_920 },
        { filename: 'index.json.blob', 'crypt-mode': 'none', size: 700 },
      ],
      size: 2_147_566_680,
    },
  ];
}

function stateDir(hostDir: string): string {
  return join(hostDir, 'state', 'pbs');
}

/** Where the deploy host keeps the API token's secret (the profile's checks.pbs.passwordFile). */
export function pbsPasswordFile(hostDir: string): string {
  return join(hostDir, 'root', '.pbs-token');
}

/** The stand-in on the deploy host's PATH, the server's state, and the token's secret in its file. */
export async function setupPbs(hostDir: string, nowMs: number): Promise<void> {
  const state = stateDir(hostDir);
  await mkdir(state, { recursive: true });
  const secret = 'f3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
  await Promise.all([
    linkFresh(here('./proxmox-backup-client'), join(hostDir, 'bin', 'proxmox-backup-client')),
    linkFresh(here('./pbs-client.py'), join(hostDir, 'lib', 'pbs-client.py')),
    writeFile(join(state, 'server'), `${LAB_PBS.server}\n`),
    writeFile(join(state, 'datastore'), `${LAB_PBS.datastore}\n`),
    writeFile(join(state, 'user'), `${LAB_PBS.user}\n`),
    writeFile(join(state, 'fingerprint'), `${LAB_PBS.fingerprint}\n`),
    writeFile(join(state, 'password'), `${secret}\n`, { mode: 0o600 }),
    writeFile(pbsPasswordFile(hostDir), `${secret}\n`, { mode: 0o600 }),
    writeSnapshots(hostDir, defaultSnapshots(nowMs)),
  ]);
}

export async function readSnapshots(hostDir: string): Promise<PbsLabSnapshot[]> {
  return JSON.parse(await readFile(join(stateDir(hostDir), 'snapshots.json'), 'utf8')) as PbsLabSnapshot[];
}

export async function writeSnapshots(hostDir: string, snapshots: PbsLabSnapshot[]): Promise<void> {
  const path = join(stateDir(hostDir), 'snapshots.json');
  await writeFile(`${path}.tmp`, `${JSON.stringify(snapshots, null, 1)}\n`);
  await rename(`${path}.tmp`, path);
}
