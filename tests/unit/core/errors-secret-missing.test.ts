import { describe, expect, it } from 'vitest';
import { describeError, SecretMissing } from '../../../src-main/core/errors';
import { SECRET_KINDS } from '../../../src-main/core/secrets/types';

describe('SecretMissing', () => {
  it('names the Matrix admin access token in words, says to sign in under Settings, and carries the sign-in code', () => {
    const e = describeError(new SecretMissing('matrix-admin-token'));
    expect(e.code).toBe('SecretMissing');
    expect(e.message).toBe('The Matrix admin access token is not stored in the keychain.');
    expect(e.nextStep).toMatch(/^Sign in as the Matrix admin under Settings → Secrets/);
    expect(e.fix).toEqual({ do: 'admin-login' });
  });

  it('never shows a raw kind in its sentence; the next-step code keeps the kind (and host) the CLI takes', () => {
    for (const kind of SECRET_KINDS) {
      const { message, fix } = new SecretMissing(kind).toJSON();
      expect(message, kind).not.toContain(kind);
      expect(message, kind).toMatch(/^The [A-Za-z].* is not stored in the keychain\.$/);
      if (kind !== 'matrix-admin-token') expect(fix, kind).toEqual({ do: 'store-secret', kind });
    }
    expect(new SecretMissing('vault-password').message).toBe(
      'The Ansible Vault password is not stored in the keychain.',
    );
    expect(new SecretMissing('sudo-password', 'deploy').toJSON()).toMatchObject({
      message: 'The sudo password for the deploy host is not stored in the keychain.',
      fix: { do: 'store-secret', kind: 'sudo-password', host: 'deploy' },
    });
  });
});
