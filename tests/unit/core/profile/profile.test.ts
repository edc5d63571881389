import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProfileInvalid } from '../../../../src-main/core/errors';
import { EXAMPLE_PROFILE_YAML } from '../../../../src-main/core/profile/example';
import { loadProfile, parseProfile } from '../../../../src-main/core/profile/load';
import { apexUrlOf, DEFAULT_UNITS, profileSchema } from '../../../../src-main/core/profile/schema';
import { REMOTE_PATH_FIELDS } from './remote-paths';

function problems(yaml: string): { field: string; message: string }[] {
  try {
    parseProfile(yaml);
  } catch (e) {
    if (e instanceof ProfileInvalid) return e.issues;
    throw e;
  }
  return [];
}

describe('profile', () => {
  it('reads the runbook example with its defaults', () => {
    const p = parseProfile(EXAMPLE_PROFILE_YAML);
    expect(p.serverName).toBe('rampancy.cloud');
    expect(p.hosts.homeserver).toMatchObject({
      address: '192.168.1.243',
      port: 22,
      user: 'admin',
      sudo: true,
    });
    expect(p.hosts.deploy.sudo).toBe(false);
    expect(p.units).toEqual([...DEFAULT_UNITS]);
    expect(p.status.failuresBeforeDown).toBe(2);
    expect(p.checks.diskWarnPercent).toBe(85);
    expect(apexUrlOf(p)).toBe('https://rampancy.cloud');
  });

  it('names the field of every problem', () => {
    const bad = EXAMPLE_PROFILE_YAML.replace('serverName: rampancy.cloud', 'serverName: "evil;rm -rf /"')
      .replace('port: 22, user: admin', 'port: 99999, user: admin')
      .replace('dataDir: /matrix/tuwunel/data', 'dataDir: "/data $(reboot)"');
    const fields = problems(bad).map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining(['serverName', 'hosts.homeserver.port', 'homeserver.dataDir']),
    );
  });

  it('refuses unknown keys, wrong types, non-https URLs and broken YAML with a message', () => {
    expect(problems(`${EXAMPLE_PROFILE_YAML}\nsurprise: 1\n`)[0]?.message).toMatch(/surprise|Unrecognized/);
    expect(problems(EXAMPLE_PROFILE_YAML.replace('https://matrix', 'http://matrix'))[0]).toMatchObject({
      field: 'publicUrl',
    });
    expect(problems('name: [unclosed')[0]?.field).toBe('(yaml)');
    expect(problems('just a string')[0]?.field).toBe('(root)');
    expect(problems('x'.repeat(300_000))[0]?.field).toBe('(file)');
  });

  it.each(REMOTE_PATH_FIELDS)(
    'refuses a remote %s starting with "~", naming the field and the way out',
    (field) => {
      const profile = structuredClone(parseProfile(EXAMPLE_PROFILE_YAML)) as unknown as Record<
        string,
        Record<string, unknown>
      >;
      const [section, key] = field.split('.') as [string, string];
      for (const value of ['~', '~/matrix-deploy', '~admin/matrix']) {
        (profile[section] as Record<string, unknown>)[key] = value;
        const issues = profileSchema.safeParse(profile).error?.issues ?? [];
        expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
          [
            field,
            'must not start with "~" (the remote shell gets it quoted and never expands it): write the absolute path, or one relative to the login directory',
          ],
        ]);
      }
      // The same path relative to the login directory is what works.
      (profile[section] as Record<string, unknown>)[key] = 'matrix-deploy/x~y';
      expect(profileSchema.safeParse(profile).success).toBe(true);
    },
  );

  it('keeps the workstation paths that may start with "~" (expanded on this computer)', () => {
    const p = parseProfile(EXAMPLE_PROFILE_YAML.replace('{ repo: ~/homelab-ansible', '{ repo: ~/vault'));
    expect(p.vault?.repo).toBe('~/vault');
    expect(p.knownHostsFile).toBe('~/.ssh/known_hosts');
  });

  it('reads an unknown tag without a process warning (YAMLWarning) on stderr', async () => {
    const warnings: Error[] = [];
    const listen = (w: Error) => warnings.push(w);
    process.on('warning', listen);
    try {
      const bad = EXAMPLE_PROFILE_YAML.replace(
        'serverName: rampancy.cloud',
        'serverName: !mystery rampancy.cloud',
      );
      expect(parseProfile(bad).serverName).toBe('rampancy.cloud');
      expect(problems(`${EXAMPLE_PROFILE_YAML}\nsurprise: !other 1\n`).map((i) => i.field)).toEqual([
        '(root)',
      ]);
      // process.emitWarning delivers on the next tick.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', listen);
    }
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
  });

  it('refuses a host that jumps through itself', () => {
    const bad = EXAMPLE_PROFILE_YAML.replace('user: root }', 'user: root, jump: deploy }');
    expect(problems(bad)).toEqual([expect.objectContaining({ field: 'hosts.deploy.jump' })]);
  });
});

describe('local paths in a profile file', () => {
  it('are relative to the file’s folder, not to where the process was started', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'profile-paths-'));
    try {
      await mkdir(join(dir, 'profiles'));
      const yaml = EXAMPLE_PROFILE_YAML.replace(
        'knownHostsFile: ~/.ssh/known_hosts',
        'knownHostsFile: ~/.ssh/known_hosts\ncaFile: ca.pem',
      ).replace('repo: ~/homelab-ansible', 'repo: ../homelab-ansible');
      await writeFile(join(dir, 'profiles', 'home.yaml'), yaml);
      expect(process.cwd()).not.toBe(join(dir, 'profiles'));
      const p = await loadProfile(join(dir, 'profiles', 'home.yaml'));
      expect(p.caFile).toBe(join(dir, 'profiles', 'ca.pem'));
      expect(p.vault?.repo).toBe(join(dir, 'homelab-ansible'));
      // A home-relative path stays for expandHome; remote paths are the hosts' and stay as written.
      expect(p.knownHostsFile).toBe('~/.ssh/known_hosts');
      expect(p.deploy.inventory).toBe('inventory/hosts');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
