import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../../src-main/core/errors';
import {
  homeserverIdentity,
  hostIdentity,
  keychainRef,
  profileSecretStore,
} from '../../../../src-main/core/secrets/profile-secrets';
import { MemorySecrets, testProfile } from '../runbook/test-profile';

/** The mapping from the core's refs (profile name, host role) to the keychain's (uid, identity). */

const UID = '0b6f1f55-4d0e-4c4b-9d65-0f5d1d0c7a11';
const profile = testProfile();
const identity = { profile, uid: UID };

describe('keychainRef', () => {
  it('binds per-host secrets to user, address and port; the admin token to the homeserver; the vault password to the profile', () => {
    expect(keychainRef(identity, { profile: 'lab.test', kind: 'sudo-password', host: 'homeserver' })).toEqual(
      {
        profile: UID,
        kind: 'sudo-password',
        host: 'admin@127.0.0.1:22',
      },
    );
    expect(keychainRef(identity, { profile: 'lab.test', kind: 'ssh-password', host: 'deploy' })).toEqual({
      profile: UID,
      kind: 'ssh-password',
      host: 'root@127.0.0.2:22',
    });
    expect(keychainRef(identity, { profile: 'lab.test', kind: 'matrix-admin-token' })).toEqual({
      profile: UID,
      kind: 'matrix-admin-token',
      host: 'lab.test https://matrix.lab.test',
    });
    expect(keychainRef(identity, { profile: 'lab.test', kind: 'vault-password' })).toEqual({
      profile: UID,
      kind: 'vault-password',
    });
  });

  it('a host reached through a jump host, or with a pinned key, is another host than without', () => {
    const FP = `SHA256:${'A'.repeat(43)}`;
    const jumped = testProfile({
      hosts: {
        homeserver: { address: '10.0.0.5', port: 22, user: 'admin', sudo: true, jump: 'deploy' },
        deploy: { address: 'Deploy.Example.org', port: 2222, user: 'root', hostKeyFingerprint: FP },
      },
    });
    expect(hostIdentity(jumped, 'homeserver')).toBe(
      `admin@10.0.0.5:22 via root@deploy.example.org:2222 key ${FP}`,
    );
    expect(hostIdentity(jumped, 'deploy')).toBe(`root@deploy.example.org:2222 key ${FP}`);
    expect(homeserverIdentity(testProfile({ publicUrl: 'https://other.example/' }))).toBe(
      'lab.test https://other.example',
    );
  });

  it('refuses a ref of another profile, a per-host secret without its host and a host on the others', () => {
    const refusals = [
      { profile: 'other', kind: 'vault-password' },
      { profile: 'lab.test', kind: 'sudo-password' },
      { profile: 'lab.test', kind: 'sudo-password', host: 'admin@127.0.0.1:22' },
      { profile: 'lab.test', kind: 'matrix-admin-token', host: 'homeserver' },
    ] as const;
    for (const ref of refusals)
      expect(() => keychainRef(identity, ref), JSON.stringify(ref)).toThrow(InvalidInput);
  });
});

describe('profileSecretStore', () => {
  it('reaches only the entries bound to this identity', async () => {
    const keychain = new MemorySecrets();
    const store = profileSecretStore(keychain, identity);
    await store.set({ profile: 'lab.test', kind: 'sudo-password', host: 'homeserver' }, 'pw');
    expect([...keychain.values.keys()]).toEqual([`${UID}/sudo-password/admin@127.0.0.1:22`]);
    const moved = profileSecretStore(keychain, {
      uid: UID,
      profile: testProfile({
        hosts: { ...profile.hosts, homeserver: { ...profile.hosts.homeserver, port: 2222 } },
      }),
    });
    expect(await moved.has({ profile: 'lab.test', kind: 'sudo-password', host: 'homeserver' })).toBe(false);
    const other = profileSecretStore(keychain, { profile, uid: 'f-0123456789abcdef0123456789abcdef' });
    expect(await other.get({ profile: 'lab.test', kind: 'sudo-password', host: 'homeserver' })).toBeNull();
    expect(await store.delete({ profile: 'lab.test', kind: 'sudo-password', host: 'homeserver' })).toBe(true);
    expect(keychain.values.size).toBe(0);
  });
});
