import { describe, expect, it } from 'vitest';
import { secretRef, secretSlots } from '../../../src-main/app/secret-slots';
import { testProfile } from '../core/runbook/test-profile';

describe('secret slots', () => {
  it('lists what each host needs and the profile-wide secrets, as keychain references of the profile', () => {
    const profile = testProfile();
    expect(secretSlots(profile)).toEqual([
      { kind: 'ssh-password', host: 'homeserver' },
      { kind: 'sudo-password', host: 'homeserver' },
      { kind: 'ssh-password', host: 'deploy' },
      { kind: 'matrix-admin-token', host: null },
    ]);
    const withVault = testProfile({
      vault: { repo: '/srv/vault', file: 'vault.yml', key: 'k', deployCheckout: '/root/vault' },
    });
    expect(secretSlots(withVault).filter((s) => s.host === null)).toEqual([
      { kind: 'vault-password', host: null },
      { kind: 'matrix-admin-token', host: null },
    ]);
    expect(secretRef(profile, { kind: 'sudo-password', host: 'homeserver' })).toEqual({
      profile: 'lab.test',
      kind: 'sudo-password',
      host: 'homeserver',
    });
    expect(secretRef(profile, { kind: 'matrix-admin-token', host: null })).toEqual({
      profile: 'lab.test',
      kind: 'matrix-admin-token',
    });
  });
});
