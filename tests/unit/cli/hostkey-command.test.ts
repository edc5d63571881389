import { describe, expect, it } from 'vitest';
import {
  type HostKeyDeps,
  hostKeyForgetCommand,
  hostKeyTrustCommand,
} from '../../../src-main/cli/hostkey-command';
import { HostKeyChanged } from '../../../src-main/core/errors';
import type { HostRole } from '../../../src-main/core/profile/schema';
import type { ForgetResult } from '../../../src-main/core/ssh/host-key-policy';
import type { HostKeyScan } from '../../../src-main/core/ssh/pool';
import { testProfile } from '../core/runbook/test-profile';
import { memoryIo } from './cli-io';

const FP = 'SHA256:q0Yv3mJxXWm0cQvQ0l3Yl1p2ZcO4vYzYl9Yk2f8V3pE';

function fakePool(scan: HostKeyScan, pinned: ForgetResult = { removed: 1, stillPinnedBy: [] }) {
  const calls: string[] = [];
  const pool: HostKeyDeps['pool'] = {
    scanHostKey: async (host: HostRole) => {
      calls.push(`scan ${host}`);
      return scan;
    },
    trustHostKey: async (host: HostRole, fingerprint: string, permanent: boolean) => {
      calls.push(`trust ${host} ${fingerprint} ${permanent ? 'permanent' : 'once'}`);
    },
    connect: async (host: HostRole) => {
      calls.push(`connect ${host}`);
    },
    forgetHostKey: async (host: HostRole) => {
      calls.push(`forget ${host}`);
      return pinned;
    },
  };
  return { pool, calls };
}

const deps = (pool: HostKeyDeps['pool']): HostKeyDeps => ({
  profile: testProfile(),
  pool,
  knownHostsFile: '/data/known_hosts',
});

const unknown: HostKeyScan = { keyType: 'ssh-ed25519', fingerprint: FP, status: 'unknown', error: null };

describe('hostkey trust', () => {
  it('shows the fingerprint and, with --yes, trusts it permanently', async () => {
    const { pool, calls } = fakePool(unknown);
    const { io, out } = memoryIo();
    expect(await hostKeyTrustCommand(['homeserver', '--yes'], deps(pool), io)).toBe(0);
    expect(out.stdout).toContain(
      `The homeserver host (admin@127.0.0.1:22) presents this ssh-ed25519 key:\n  ${FP}\n`,
    );
    expect(out.stdout).toContain(`Trusted ssh-ed25519 ${FP}: added to /data/known_hosts.`);
    expect(out.stderr).toContain('Accepted without comparing');
    expect(calls).toEqual(['scan homeserver', `trust homeserver ${FP} permanent`]);
  });

  it('with --fingerprint trusts only that key, without asking', async () => {
    const { pool, calls } = fakePool(unknown);
    const { io, out } = memoryIo();
    expect(await hostKeyTrustCommand(['homeserver', '--fingerprint', FP], deps(pool), io)).toBe(0);
    expect(out.stdout).toContain(
      `It is the key given with --fingerprint.\nTrusted ssh-ed25519 ${FP}: added to`,
    );
    expect(out.stderr).toBe('');
    expect(calls).toEqual(['scan homeserver', `trust homeserver ${FP} permanent`]);
  });

  it('with --fingerprint refuses any other key with exit 3, trusting nothing, --yes or not', async () => {
    const other = `SHA256:${'B'.repeat(43)}`;
    for (const extra of [[], ['--yes'], ['--once']]) {
      const { pool, calls } = fakePool(unknown);
      const { io, out } = memoryIo();
      expect(
        await hostKeyTrustCommand(['homeserver', '--fingerprint', other, ...extra], deps(pool), io),
      ).toBe(3);
      expect(out.stderr).toContain(
        `The homeserver host (127.0.0.1) presented ssh-ed25519 key ${FP}, not ${other} (--fingerprint). This can mean someone is intercepting the connection; nothing was sent and nothing was trusted.`,
      );
      expect(calls).toEqual(['scan homeserver']);
    }
  });

  it('refuses a --fingerprint that is not one, before connecting', async () => {
    const { pool, calls } = fakePool(unknown);
    const { io, out } = memoryIo();
    expect(await hostKeyTrustCommand(['homeserver', '--fingerprint', 'MD5:ab:cd'], deps(pool), io)).toBe(64);
    expect(out.stderr).toContain('--fingerprint: "MD5:ab:cd" must be a SHA256 fingerprint');
    expect(calls).toEqual([]);
  });

  it('without a terminal and without --yes trusts nothing', async () => {
    const { pool, calls } = fakePool(unknown);
    const { io, out } = memoryIo();
    expect(await hostKeyTrustCommand(['deploy'], deps(pool), io)).toBe(1);
    expect(out.stdout).toContain(FP);
    expect(out.stderr).toContain('run it again with --yes');
    expect(calls).toEqual(['scan deploy']);
  });

  it('asks on a terminal; "y" trusts, anything else does not', async () => {
    const yes = fakePool(unknown);
    const a = memoryIo({ tty: true, input: 'y\n' });
    expect(await hostKeyTrustCommand(['deploy'], deps(yes.pool), a.io)).toBe(0);
    expect(a.out.stderr).toContain('Trust this key permanently (/data/known_hosts)? [y/N] ');
    expect(yes.calls).toContain(`trust deploy ${FP} permanent`);
    const no = fakePool(unknown);
    const b = memoryIo({ tty: true, input: '\n' });
    expect(await hostKeyTrustCommand(['deploy'], deps(no.pool), b.io)).toBe(1);
    expect(no.calls).toEqual(['scan deploy']);
  });

  it('--once trusts for this command only and logs in to prove it', async () => {
    const { pool, calls } = fakePool(unknown);
    const { io, out } = memoryIo();
    expect(await hostKeyTrustCommand(['homeserver', '--once', '--yes'], deps(pool), io)).toBe(0);
    expect(calls).toEqual(['scan homeserver', `trust homeserver ${FP} once`, 'connect homeserver']);
    expect(out.stdout).toContain('nothing was written');
  });

  it('says so for a key that is already trusted', async () => {
    const { pool, calls } = fakePool({ ...unknown, status: 'trusted' });
    const { io, out } = memoryIo();
    expect(await hostKeyTrustCommand(['homeserver'], deps(pool), io)).toBe(0);
    expect(out.stdout).toContain('already trusted');
    expect(calls).toEqual(['scan homeserver']);
  });

  it('refuses a changed key with exit 3 and the way out', async () => {
    const error = new HostKeyChanged(
      'homeserver',
      '127.0.0.1',
      'ssh-ed25519',
      ['ssh-ed25519 SHA256:old (f:1)'],
      FP,
    );
    const { pool, calls } = fakePool({ ...unknown, status: 'changed', error });
    const { io, out } = memoryIo();
    expect(await hostKeyTrustCommand(['homeserver', '--yes'], deps(pool), io)).toBe(3);
    expect(out.stderr).toContain(error.message);
    expect(out.stderr).toContain('homeserver-tray hostkey forget homeserver');
    expect(calls).toEqual(['scan homeserver']);
  });

  it('needs exactly one known host', async () => {
    const { pool } = fakePool(unknown);
    const { io, out } = memoryIo();
    expect(await hostKeyTrustCommand(['web'], deps(pool), io)).toBe(64);
    expect(out.stderr).toContain('host: must be homeserver or deploy, not "web"');
    expect(await hostKeyTrustCommand([], deps(pool), io)).toBe(64);
  });
});

describe('hostkey forget', () => {
  it('removes the app’s pin', async () => {
    const { pool } = fakePool(unknown, { removed: 1, stillPinnedBy: [] });
    const { io, out } = memoryIo();
    expect(await hostKeyForgetCommand(['deploy'], deps(pool), io)).toBe(0);
    expect(out.stdout).toBe('Removed 1 key of the deploy host from /data/known_hosts.\n');
  });

  it('names the profile’s own pins it may not touch, and the ssh-keygen line', async () => {
    const { pool } = fakePool(unknown, {
      removed: 0,
      stillPinnedBy: [{ keyType: 'ssh-ed25519', fingerprint: FP, file: '/home/a/.ssh/known_hosts', line: 4 }],
    });
    const profile = testProfile({
      hosts: {
        homeserver: { address: '127.0.0.1', port: 2222, user: 'admin' },
        deploy: { address: '127.0.0.2', user: 'root' },
      },
    });
    const { io, out } = memoryIo();
    expect(await hostKeyForgetCommand(['homeserver'], { ...deps(pool), profile }, io)).toBe(1);
    expect(out.stderr).toContain(`Still pinned: ssh-ed25519 ${FP} in /home/a/.ssh/known_hosts:4`);
    expect(out.stderr).toContain("ssh-keygen -R '[127.0.0.1]:2222' -f /home/a/.ssh/known_hosts");
  });
});
