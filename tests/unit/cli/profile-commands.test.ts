import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EXIT } from '../../../src-main/cli/exit-codes';
import { runCli } from '../../../src-main/cli/run-cli';
import { ProfileStore } from '../../../src-main/core/profile/store';
import { profileSecretStore } from '../../../src-main/core/secrets/profile-secrets';
import { MemorySecrets } from '../core/runbook/test-profile';
import { memoryIo } from './cli-io';

/**
 * `profile list | show | use | add | remove` on the data folder's store (the one the window edits), with a
 * keychain in memory. Relative files are relative to where the user ran the command (INIT_CWD under npm).
 */

let dir: string;
let data: string;
let cwd: string;
const keychain = new MemorySecrets();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-profiles-'));
  data = join(dir, 'data');
  cwd = join(dir, 'work');
  await mkdir(cwd);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function draft(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    serverName: 'lab.test',
    publicUrl: 'https://matrix.lab.test',
    hosts: {
      homeserver: { address: '127.0.0.2', port: 2222, user: 'root', sudo: true },
      deploy: { address: '127.0.0.3', port: 2222, user: 'root' },
    },
    deploy: {
      dir: '/root/matrix-deploy',
      inventory: 'inventory/hosts',
      vaultPasswordFile: '/root/.vault_pass',
      varsFile: 'inventory/host_vars/matrix.lab.test/vars.yml',
    },
    ...extra,
  };
}

async function cli(args: string[], options: { tty?: boolean; input?: string } = {}) {
  const { io, out } = memoryIo({ tty: options.tty ?? false, input: options.input ?? '' });
  const code = await runCli(args, io, {
    env: { HOMESERVER_TRAY_DATA_DIR: data, INIT_CWD: cwd, npm_lifecycle_event: 'cli' },
    core: { secrets: keychain },
  });
  return { code, ...out };
}

describe('profile commands', () => {
  it('starts with none and says how to add one', async () => {
    const r = await cli(['profile', 'list']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toBe(
      `No profiles in ${join(data, 'profiles')} yet. Add one with: npm run cli -- profile add FILE\n`,
    );
  });

  it('adds a file named relative to the user’s directory; the first one is in use, and it inherits no secret', async () => {
    const foreignUid = randomUUID();
    await writeFile(join(cwd, 'home.yaml'), stringify({ uid: foreignUid, ...draft('home') }));
    // A secret stored for the uid the file claims: an added profile must not reach it.
    await keychain.set({ profile: foreignUid, kind: 'vault-password' }, 'not-yours');
    const r = await cli(['profile', 'add', 'home.yaml']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const file = join(data, 'profiles', 'home.yaml');
    expect(r.stdout).toBe(
      `Added home as ${file}. It is in use: it is the first profile.\nIt brings no secrets, whatever the file held: \`npm run cli -- profile show home\` lists the ones it needs and how to store each.\n`,
    );
    expect(await readFile(file, 'utf8')).not.toContain(foreignUid);
    const shown = await cli(['profile', 'show']);
    expect(shown.code, shown.stderr).toBe(EXIT.ok);
    expect(shown.stdout).toContain(`home (in use)\n  file        ${file}\n`);
    expect(shown.stdout).toContain('  homeserver  root@127.0.0.2:2222 (sudo)\n');
    expect(shown.stdout).toMatch(
      /sudo password for the homeserver host +not stored \(not for passwordless sudo\): npm run cli -- secret set sudo-password --host homeserver\n/,
    );
    expect(shown.stdout).toMatch(/Matrix admin access token +not stored: npm run cli -- admin login\n/);
    expect(shown.stdout).not.toContain('not-yours');
  });

  it('refuses a second profile of the same name, as a person reads it, changing nothing', async () => {
    await writeFile(join(cwd, 'twin.yaml'), stringify(draft('  HOME ')));
    const r = await cli(['profile', 'add', join(cwd, 'twin.yaml')]);
    expect(r.code).toBe(EXIT.config);
    expect(r.stderr).toContain('name: is already the name of another profile ("home"');
    expect(r.stderr).toContain('Fix the named fields in the profile file, then run the command again.');
    expect((await new ProfileStore(data).list()).profiles).toHaveLength(1);
  });

  it('shows a backup check before adding it, and needs --yes without a terminal', async () => {
    const backup = 'test -f /var/backups/matrix.tar && stat -c %Y /var/backups/matrix.tar';
    await writeFile(
      join(cwd, 'work.yaml'),
      stringify(draft('work', { checks: { backup: { host: 'homeserver', command: backup } } })),
    );
    const refused = await cli(['profile', 'add', 'work.yaml']);
    expect(refused.code).toBe(EXIT.failed);
    expect(refused.stderr).toContain(`runs this on a host at every status poll:\n  ${backup}\n`);
    expect(refused.stderr).toContain('Not added: after reading it, run the command again with --yes');
    expect((await new ProfileStore(data).list()).profiles).toHaveLength(1);
    const declined = await cli(['profile', 'add', 'work.yaml'], { tty: true, input: 'n\n' });
    expect(declined.code).toBe(EXIT.failed);
    expect((await new ProfileStore(data).list()).profiles).toHaveLength(1);
    const added = await cli(['profile', 'add', 'work.yaml', '--yes']);
    expect(added.code, added.stderr).toBe(EXIT.ok);
    expect(added.stdout).toContain('It is not in use yet: npm run cli -- profile use work\n');
  });

  it('lists the profiles with the one in use marked, and switches by name', async () => {
    const before = await cli(['profile', 'list']);
    expect(before.stdout).toMatch(
      /^ {2}NAME {2}SERVER {4}FILE\n\* home {2}lab\.test {2}.*home\.yaml\n {2}work {2}lab\.test {2}.*work\.yaml\n/,
    );
    const used = await cli(['profile', 'use', 'WORK']);
    expect(used.code, used.stderr).toBe(EXIT.ok);
    expect(used.stdout).toMatch(/^Now using work \(.*work\.yaml\): commands without --profile use it/);
    expect((await cli(['profile', 'list'])).stdout).toMatch(/\n\* work /);
    expect((await cli(['profile', 'show', 'home'])).stdout).toMatch(/^home\n/);
    const unknown = await cli(['profile', 'use', 'holiday']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain(
      '"holiday" is not the name of a saved profile (`npm run cli -- profile list` shows them)',
    );
  });

  it('removes a profile with its secrets after a confirmation, and the other one is in use then', async () => {
    const store = new ProfileStore(data);
    const work = await store.load('work');
    const secrets = profileSecretStore(keychain, { profile: work, uid: work.uid });
    const stored = { profile: 'work', kind: 'sudo-password' as const, host: 'homeserver' };
    await secrets.set(stored, 'work-sudo');
    const refused = await cli(['profile', 'remove', 'work']);
    expect(refused.code).toBe(EXIT.failed);
    expect(refused.stderr).toContain('Not removed: run it again with --yes to remove it.');
    expect(await secrets.has(stored)).toBe(true);
    const removed = await cli(['profile', 'remove', 'work', '--yes']);
    expect(removed.code, removed.stderr).toBe(EXIT.ok);
    expect(removed.stdout).toBe(
      'Removed the profile work. One secret of it was deleted from the keychain. In use now: home.\n',
    );
    expect(await secrets.has(stored)).toBe(false);
    expect((await store.list()).profiles.map((p) => p.name)).toEqual(['home']);
  });

  it('keeps the local paths of an added file pointing where the file meant them (its folder, not the data folder)', async () => {
    const folder = join(cwd, 'certs');
    await mkdir(folder, { recursive: true });
    await writeFile(
      join(folder, 'private-ca.yaml'),
      stringify(
        draft('private-ca', {
          caFile: 'ca.pem',
          knownHostsFile: '~/.ssh/known_hosts',
          hosts: {
            homeserver: {
              address: '127.0.0.2',
              port: 2222,
              user: 'root',
              identityFile: '../keys/id_ed25519',
            },
            deploy: { address: '127.0.0.3', port: 2222, user: 'root', identityFile: '/etc/keys/deploy' },
          },
        }),
      ),
    );
    const r = await cli(['profile', 'add', 'certs/private-ca.yaml']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const saved = (await new ProfileStore(data).list()).profiles.find((p) => p.name === 'private-ca');
    const profile = await new ProfileStore(data).load(saved?.id ?? '');
    expect(profile.caFile).toBe(join(folder, 'ca.pem'));
    expect(profile.hosts.homeserver.identityFile).toBe(join(cwd, 'keys', 'id_ed25519'));
    expect(profile.hosts.deploy.identityFile).toBe('/etc/keys/deploy');
    expect(profile.knownHostsFile).toBe('~/.ssh/known_hosts');
  });

  it('says what is wrong with the command line', async () => {
    for (const [args, words] of [
      [['profile'], 'profile: needs one of list, show, use, add, remove'],
      [['profile', 'frob'], 'profile frob: is not one of list, show, use, add, remove'],
      [['profile', 'use'], 'profile use: needs profile NAME'],
      [
        ['profile', 'add', 'a.yaml', 'b.yaml'],
        'profile add: takes one FILE (a profile YAML) ("b.yaml" is one too many)',
      ],
      [['profile', 'list', '--yes'], '--yes: is not an option of profile list'],
      [
        ['profile', 'add', 'missing.yaml'],
        `profile add: ${join(cwd, 'missing.yaml')} cannot be read (ENOENT)`,
      ],
    ] as [string[], string][]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(EXIT.usage);
      expect(r.stderr, args.join(' ')).toContain(words);
    }
  });
});
