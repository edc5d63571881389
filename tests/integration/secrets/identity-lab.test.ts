import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type Core, createCore } from '../../../src-main/app/session';
import { runCli } from '../../../src-main/cli/run-cli';
import { ProfileInvalid, SecretMissing } from '../../../src-main/core/errors';
import { ProfileStore } from '../../../src-main/core/profile/store';
import { SECRET_SERVICE } from '../../../src-main/core/secrets/account';
import { createKeytarSecretStore } from '../../../src-main/core/secrets/keytar-store';
import type { SecretRef } from '../../../src-main/core/secrets/types';
import { writeOnlySecretStore } from '../../../src-main/core/secrets/write-only';
import { LAB_CACHE_DIR, startLab } from '../../lab/lab';
import { makeLabTls } from '../../lab/tls';
import type { Lab, LabHostRole } from '../../lab/types';
import { memoryIo } from '../../unit/cli/cli-io';

/**
 * Secrets bound to identity, against the lab's two real sshd, its HTTPS homeserver and gnome-keyring, plus an
 * HTTPS server that records every request it gets (the "other homeserver" a second profile points at). The
 * keychain is checked with libsecret's own secret-tool.
 */

const execFileAsync = promisify(execFile);

interface Recorder {
  url: string;
  caFile: string;
  requests: { method: string; url: string; headers: Record<string, unknown> }[];
  stop(): Promise<void>;
}

/**
 * An HTTPS server on loopback, with a leaf of the lab CA, that records every request. It says it is a Tuwunel
 * with the admin API (the unauthenticated server_version), so a client that holds an admin token would
 * send it next; everything else is a 404.
 */
async function startRecorder(dir: string): Promise<Recorder> {
  await mkdir(dir, { recursive: true });
  const tls = await makeLabTls({
    dir,
    cacheDir: LAB_CACHE_DIR,
    address: '127.0.0.1',
    serverName: 'lab.test',
  });
  const requests: Recorder['requests'] = [];
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
    const known = req.url === '/_synapse/admin/v1/server_version';
    res.writeHead(known ? 200 : 404, { 'content-type': 'application/json' });
    res.end(
      known ? '{"server_version":"1.9.0"}' : '{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caFile: tls.caCertPath,
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let lab: Lab;
let scratch: string;
let recorder: Recorder;
let draftA: Record<string, unknown>;
const keychain = createKeytarSecretStore();
const cores: Core[] = [];

beforeAll(async () => {
  lab = await startLab();
  // libsecret binds to the session bus at its first call: the lab's, before any.
  process.env.DBUS_SESSION_BUS_ADDRESS = lab.env.DBUS_SESSION_BUS_ADDRESS;
  scratch = await mkdtemp(join(tmpdir(), 'identity-lab-'));
  recorder = await startRecorder(join(scratch, 'recorder'));
  draftA = parse(await readFile(lab.profilePath, 'utf8')) as Record<string, unknown>;
}, 120_000);

afterAll(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
  await recorder?.stop();
  await lab?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function core(options: Parameters<typeof createCore>[0]): Promise<Core> {
  const c = await createCore({ pool: { agentSocket: undefined }, ...options });
  cores.push(c);
  return c;
}

async function cli(
  dataDir: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, out } = memoryIo();
  const code = await runCli(args, io, {
    env: { ...process.env, ...lab.env, HOMESERVER_TRAY_DATA_DIR: dataDir },
    core: { pool: { agentSocket: undefined } },
  });
  return { code, ...out };
}

async function secretToolAccounts(): Promise<string[]> {
  const { stdout, stderr } = await execFileAsync(
    'secret-tool',
    ['search', '--all', 'service', SECRET_SERVICE],
    {
      env: { ...process.env, ...lab.env },
    },
  );
  return [...`${stdout}${stderr}`.matchAll(/^attribute\.account = (.*)$/gm)].map((m) => m[1] as string);
}

const hostsOf = (draft: Record<string, unknown>) =>
  draft.hosts as Record<LabHostRole, Record<string, unknown> & { address: string; port: number }>;

/** The same profile with the lab's two hosts swapped: its homeserver is the lab's deploy host, and the other way round. */
function swappedHosts(draft: Record<string, unknown>): Record<string, unknown> {
  const { homeserver, deploy } = hostsOf(draft);
  return {
    homeserver: { ...homeserver, address: deploy.address, port: deploy.port },
    deploy: { ...deploy, address: homeserver.address, port: homeserver.port },
  };
}

function refs(name: string): SecretRef[] {
  return [
    { profile: name, kind: 'sudo-password', host: 'homeserver' },
    { profile: name, kind: 'ssh-password', host: 'homeserver' },
    { profile: name, kind: 'ssh-password', host: 'deploy' },
    { profile: name, kind: 'matrix-admin-token' },
    { profile: name, kind: 'vault-password' },
  ];
}

const since = (role: LabHostRole) => {
  const start = lab.hosts[role].execLog().length;
  return () => lab.hosts[role].execLog().slice(start);
};

describe('two profiles with the same name: no secret crosses', () => {
  const dataDir = () => join(scratch, 'data');
  let uidA: string;
  let coreA: Core;

  it('profile A keeps its secrets under its uid and its hosts’ and homeserver’s identity, not its name', async () => {
    const store = new ProfileStore(dataDir());
    const { id } = await store.save(null, draftA);
    const profile = await store.load(id);
    uidA = profile.uid;
    coreA = await core({ profile, dataDir: dataDir() });
    // As the window stores them: write-only.
    const window = writeOnlySecretStore(coreA.secrets);
    await window.set(
      { profile: profile.name, kind: 'sudo-password', host: 'homeserver' },
      lab.secrets.sudoPassword,
    );
    await window.set({ profile: profile.name, kind: 'matrix-admin-token' }, lab.secrets.adminAccessToken);
    await window.set({ profile: profile.name, kind: 'vault-password' }, lab.secrets.vaultPassword);

    const { homeserver } = hostsOf(draftA);
    expect((await secretToolAccounts()).sort()).toEqual(
      [
        `${uidA}/sudo-password/root@${homeserver.address}:${homeserver.port}`,
        `${uidA}/matrix-admin-token/lab.test ${lab.http.publicUrl.replaceAll('/', '%2F')}`,
        `${uidA}/vault-password`,
      ].sort(),
    );

    // A uses them: sudo with the password on its homeserver, the admin token on its homeserver's API.
    const logs = since('homeserver');
    const snapshot = await coreA.scheduler.refreshNow();
    expect(snapshot.results.find((r) => r.id === 'unit:matrix-tuwunel')?.level).toBe('ok');
    expect(logs().some((l) => l.includes('exec sudo -S '))).toBe(true);
    expect(Array.isArray(await coreA.inviteClient.list())).toBe(true);
  });

  it('B — same name, A’s uid copied, other hosts and homeserver — gets nothing over SSH or HTTPS, from the command line', async () => {
    const bFile = join(scratch, 'b.yaml');
    await writeFile(
      bFile,
      stringify({
        ...draftA,
        uid: uidA,
        hosts: swappedHosts(draftA),
        publicUrl: recorder.url,
        apexUrl: recorder.url,
        caFile: recorder.caFile,
      }),
    );
    const [onDeploy, onHomeserver] = [since('deploy'), since('homeserver')];
    const before = recorder.requests.length;

    const status = await cli(dataDir(), ['status', '--profile', bFile]);
    expect(status.code).toBeGreaterThan(0);
    const invites = await cli(dataDir(), ['invite', 'list', '--profile', bFile]);
    expect(invites.code).toBe(1);
    expect(invites.stderr).toContain(new SecretMissing('matrix-admin-token').message);

    // B's homeserver is the lab's deploy host: its status ran there through sudo, without a password.
    expect(onDeploy().some((l) => l.includes('exec sudo -n '))).toBe(true);
    expect([...onDeploy(), ...onHomeserver()].filter((l) => l.includes('sudo -S'))).toEqual([]);
    // B's homeserver (the recorder) was asked for its public endpoints, never with a token.
    const asked = recorder.requests.slice(before);
    expect(asked.length).toBeGreaterThan(0);
    expect(
      asked.filter((r) => r.headers.authorization !== undefined || r.url.includes('access_token')),
    ).toEqual([]);
    expect(JSON.stringify(asked)).not.toContain(lab.secrets.adminAccessToken);

    // Its core finds none of A's secrets, by any ref.
    const coreB = await core({ profilePath: bFile, dataDir: dataDir() });
    expect(coreB.profile.uid).not.toBe(uidA);
    for (const ref of refs(coreB.profile.name)) expect(await coreB.secrets.has(ref), ref.kind).toBe(false);
    for (const text of [status.stdout, status.stderr, invites.stdout, invites.stderr])
      for (const secret of [lab.secrets.sudoPassword, lab.secrets.adminAccessToken])
        expect(text).not.toContain(secret);
  });

  it('importing B into the app: its name is refused while A has it; renamed, it gets a uid of its own, no secrets, and is not selected', async () => {
    const store = new ProfileStore(dataDir());
    const imported = { ...draftA, uid: uidA, hosts: swappedHosts(draftA), publicUrl: recorder.url };
    const refused = await store.save(null, imported).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProfileInvalid);
    expect((refused as ProfileInvalid).issues[0]?.field).toBe('name');

    const selectedBefore = (await store.list()).selectedId;
    const { id } = await store.save(null, { ...imported, name: 'Imported' });
    expect((await store.list()).selectedId).toBe(selectedBefore);
    const profile = await store.load(id);
    expect(profile.uid).not.toBe(uidA);
    const coreB = await core({ profile, dataDir: dataDir() });
    for (const ref of refs('Imported')) expect(await coreB.secrets.has(ref), ref.kind).toBe(false);
    // Even with A's hosts and homeserver: a new profile starts with no secrets at all.
    const { id: same } = await store.save(null, { ...draftA, uid: uidA, name: 'Same hosts' });
    const coreC = await core({ profile: await store.load(same), dataDir: dataDir() });
    for (const ref of refs('Same hosts')) expect(await coreC.secrets.has(ref), ref.kind).toBe(false);
  });

  it('changing the address or port of A’s homeserver makes its secrets not apply (nothing sent there); back, they apply again', async () => {
    const store = new ProfileStore(dataDir());
    const id = (await store.list()).selectedId as string;
    const sudo: SecretRef = { profile: coreA.profile.name, kind: 'sudo-password', host: 'homeserver' };
    const { homeserver, deploy } = hostsOf(draftA);
    const edits: Core[] = [];
    for (const moved of [
      { address: deploy.address, port: deploy.port },
      { address: homeserver.address, port: homeserver.port + 1 },
    ]) {
      await store.save(id, {
        ...draftA,
        hosts: { ...hostsOf(draftA), homeserver: { ...homeserver, ...moved } },
      });
      const edited = await core({ profile: await store.load(id), dataDir: dataDir() });
      expect(edited.profile.uid).toBe(uidA);
      expect(await edited.secrets.has(sudo)).toBe(false);
      edits.push(edited);
    }
    // Moved onto the lab's deploy host, A's status runs there through sudo — without the password.
    const onDeploy = since('deploy');
    await edits[0]?.scheduler.refreshNow();
    expect(onDeploy().some((l) => l.includes('exec sudo -n '))).toBe(true);
    expect(onDeploy().filter((l) => l.includes('sudo -S'))).toEqual([]);

    await store.save(id, draftA);
    const back = await core({ profile: await store.load(id), dataDir: dataDir() });
    expect((await back.secrets.get(sudo))?.toString()).toBe(lab.secrets.sudoPassword);
  });
});

describe('secrets an earlier version stored under the profile name', () => {
  const legacy = (name: string): SecretRef[] => [
    { profile: name, kind: 'sudo-password', host: 'homeserver' },
    { profile: name, kind: 'matrix-admin-token' },
  ];
  /** What an earlier version wrote: the name-keyed entries, and profile files without a uid. */
  async function olderVersion(dataDir: string, name: string, files: string[]): Promise<void> {
    await keychain.set(legacy(name)[0] as SecretRef, lab.secrets.sudoPassword);
    await keychain.set(legacy(name)[1] as SecretRef, lab.secrets.adminAccessToken);
    await mkdir(join(dataDir, 'profiles'), { recursive: true });
    for (const [i, file] of files.entries()) {
      const hosts = i === 0 ? draftA.hosts : swappedHosts(draftA);
      await writeFile(join(dataDir, 'profiles', file), stringify({ ...draftA, name, hosts }));
    }
  }

  it('are left, and said so, while two profiles have that name; moved to the one left once the other is renamed', async () => {
    const dataDir = join(scratch, 'legacy');
    await olderVersion(dataDir, 'Legacy', ['legacy.yaml', 'legacy-2.yaml']);
    const store = new ProfileStore(dataDir);
    const first = await cli(dataDir, ['status']);
    expect(first.stderr).toContain(
      'Left 2 secrets that an earlier version stored under the name "Legacy" in the keychain: 2 profiles are named "Legacy", so they could belong to any of them.',
    );
    for (const ref of legacy('Legacy')) expect(await keychain.has(ref)).toBe(true);
    const profile = await store.load('legacy');
    const waiting = await core({ profile, dataDir });
    expect(waiting.secretsMigration).toMatchObject({ moved: 0, left: 2 });
    expect(await waiting.secrets.has(legacy('Legacy')[0] as SecretRef)).toBe(false);

    const other = await store.get('legacy-2');
    await store.save('legacy-2', { ...other.draft, name: 'Legacy elsewhere' });
    const moved = await cli(dataDir, ['status']);
    expect(moved.stderr).toContain(
      'Moved 2 secrets that an earlier version stored under the name "Legacy" to this profile\'s own keychain entries, bound to its hosts and homeserver.',
    );
    for (const ref of legacy('Legacy')) expect(await keychain.has(ref)).toBe(false);
    const owner = await core({ profile: await store.load('legacy'), dataDir });
    expect(owner.secretsMigration).toBeNull();
    expect((await owner.secrets.get(legacy('Legacy')[0] as SecretRef))?.toString()).toBe(
      lab.secrets.sudoPassword,
    );
    expect((await owner.secrets.get(legacy('Legacy')[1] as SecretRef))?.toString()).toBe(
      lab.secrets.adminAccessToken,
    );
    const renamed = await core({ profile: await store.load('legacy-2'), dataDir });
    for (const ref of refs('Legacy elsewhere')) expect(await renamed.secrets.has(ref)).toBe(false);
    const audit = (await readFile(join(dataDir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.filter((r) => r.action === 'secrets.migrate').map((r) => [r.outcome, r.params])).toEqual([
      ['refused', { moved: 0, left: 2 }],
      ['refused', { moved: 0, left: 2 }],
      ['ok', { moved: 2, left: 0 }],
    ]);
    expect(JSON.stringify(audit)).not.toContain(lab.secrets.sudoPassword);
  });

  it('never go to a profile created since, imported or not, even one with that name and those hosts', async () => {
    const dataDir = join(scratch, 'fresh');
    await olderVersion(dataDir, 'Fresh', []);
    const store = new ProfileStore(dataDir);
    const { id } = await store.save(null, { ...draftA, name: 'Fresh' });
    const fresh = await core({ profile: await store.load(id), dataDir });
    expect(fresh.secretsMigration).toBeNull();
    for (const ref of refs('Fresh')) expect(await fresh.secrets.has(ref)).toBe(false);
    for (const ref of legacy('Fresh')) expect(await keychain.has(ref)).toBe(true);
  });
});
