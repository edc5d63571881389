import { describe, expect, it } from 'vitest';
import { describeError, SecretMissing } from '../../../src-main/core/errors';
import { SECRET_KINDS } from '../../../src-main/core/secrets/types';

describe('SecretMissing', () => {
  it('names the Matrix admin access token in words and says to sign in under Settings', () => {
    const e = describeError(new SecretMissing('matrix-admin-token'));
    expect(e.code).toBe('SecretMissing');
    expect(e.message).toBe('The Matrix admin access token is not stored in the keychain.');
    expect(e.nextStep).toMatch(/^Sign in as the Matrix admin under Settings → Secrets/);
    expect(e.nextStep).toContain('`homeserver-tray secret set matrix-admin-token`');
  });

  it('never shows a raw kind in its sentence; the CLI command keeps the kind it takes', () => {
    for (const kind of SECRET_KINDS) {
      const { message, nextStep } = new SecretMissing(kind).toJSON();
      expect(message, kind).not.toContain(kind);
      expect(message, kind).toMatch(/^The [A-Za-z].* is not stored in the keychain\.$/);
      expect(nextStep, kind).toContain(`homeserver-tray secret set ${kind}`);
    }
    expect(new SecretMissing('vault-password').message).toBe(
      'The Ansible Vault password is not stored in the keychain.',
    );
  });
});
