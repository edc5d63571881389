import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliLab, startCliLab } from './cli-harness';

/**
 * Trust on first use from the command line against the lab's real sshd host keys: the profile's
 * known_hosts starts empty, the app's own file (<data>/known_hosts) is where trust is written.
 */

let t: CliLab;
let appKnownHosts: string;
beforeAll(async () => {
  t = await startCliLab({ trustHostKeys: false });
  appKnownHosts = join(t.dataDir, 'known_hosts');
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

/** The base64 key of a known_hosts line (`[addr]:port type key`). */
const keyOf = (line: string) => line.trim().split(/\s+/)[2] as string;
const appFile = () => (existsSync(appKnownHosts) ? readFileSync(appKnownHosts, 'utf8') : '');

describe('hostkey trust / forget', () => {
  it('status exits 3 and prints each host’s fingerprint and the trust command; nothing logs in', async () => {
    const before = t.lab.hosts.homeserver.execLog().length;
    const r = await t.cli(['status']);
    expect(r.code).toBe(3);
    for (const host of ['homeserver', 'deploy'] as const) {
      expect(r.stderr).toContain(t.lab.hosts[host].fingerprint);
      expect(r.stderr).toContain(`npm run cli -- hostkey trust ${host}`);
    }
    expect(t.lab.hosts.homeserver.execLog().length).toBe(before);
  });

  it('trust without --yes and without a terminal shows the key and trusts nothing', async () => {
    const r = await t.cli(['hostkey', 'trust', 'homeserver']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `presents this ${t.lab.hosts.homeserver.keyType} key:\n  ${t.lab.hosts.homeserver.fingerprint}\n`,
    );
    expect(appFile()).toBe('');
  });

  it('--once logs in with the key accepted and writes nothing', async () => {
    const r = await t.cli(['hostkey', 'trust', 'deploy', '--once', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Logged in to the deploy host');
    expect(appFile()).toBe('');
  });

  it('--fingerprint of another key is refused with exit 3 and trusts nothing, --yes or not', async () => {
    const other = t.lab.hosts.deploy.fingerprint;
    for (const extra of [[], ['--yes']]) {
      const r = await t.cli(['hostkey', 'trust', 'homeserver', '--fingerprint', other, ...extra]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        `presented ${t.lab.hosts.homeserver.keyType} key ${t.lab.hosts.homeserver.fingerprint}, not ${other} (--fingerprint)`,
      );
      expect(appFile()).toBe('');
    }
  });

  it('--fingerprint of the key the host presents trusts it without asking; --yes trusts and names the key it took', async () => {
    const home = t.lab.hosts.homeserver;
    const pinned = await t.cli(['hostkey', 'trust', 'homeserver', '--fingerprint', home.fingerprint]);
    expect(pinned.code).toBe(0);
    expect(pinned.stderr).toBe('');
    expect(pinned.stdout).toContain(
      `Trusted ${home.keyType} ${home.fingerprint}: added to ${appKnownHosts}.`,
    );
    expect(appFile()).toContain(keyOf(home.knownHostsLine));
    const deploy = t.lab.hosts.deploy;
    const r = await t.cli(['hostkey', 'trust', 'deploy', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Trusted ${deploy.keyType} ${deploy.fingerprint}: added to ${appKnownHosts}.`);
    expect(r.stderr).toContain(`Accepted without comparing`);
    expect(appFile()).toContain(keyOf(deploy.knownHostsLine));
  });

  it('once trusted, status works', async () => {
    const again = await t.cli(['hostkey', 'trust', 'homeserver', '--yes']);
    expect(again.stdout).toContain('It is already trusted; nothing to do.');
    const status = await t.cli(['status']);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
  });

  it('a changed key is refused (exit 3) until the old one is forgotten explicitly', async () => {
    const old = keyOf(t.lab.hosts.homeserver.knownHostsLine);
    await t.lab.hosts.homeserver.rotateHostKey();
    const status = await t.cli(['status']);
    expect(status.code).toBe(3);
    expect(status.stderr).toContain(t.lab.hosts.homeserver.fingerprint);
    expect(status.stderr).toContain('npm run cli -- hostkey forget homeserver');

    const refused = await t.cli(['hostkey', 'trust', 'homeserver', '--yes']);
    expect(refused.code).toBe(3);
    expect(appFile()).toContain(old);

    const forget = await t.cli(['hostkey', 'forget', 'homeserver']);
    expect(forget).toMatchObject({
      code: 0,
      stdout: `Removed 1 key of the homeserver host from ${appKnownHosts}.\n`,
    });
    expect(appFile()).not.toContain(old);

    const trust = await t.cli(['hostkey', 'trust', 'homeserver', '--yes']);
    expect(trust.code).toBe(0);
    expect(appFile()).toContain(keyOf(t.lab.hosts.homeserver.knownHostsLine));
    expect((await t.cli(['status'])).code).toBe(0);
  });
});

it('printed no secret of the lab in any command', () => {
  expect(t.leakedSecrets()).toEqual([]);
});
