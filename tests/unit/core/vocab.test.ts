import { describe, expect, it } from 'vitest';
import {
  CHECK_HOSTS,
  HOST_ROLES,
  hostSecretKinds,
  isPerHostSecret,
  LEVELS,
  levelRank,
  PER_HOST_SECRET_KINDS,
  profileSecretKinds,
  SECRET_KINDS,
  worstLevel,
} from '../../../src-main/core/vocab';

describe('the vocabulary', () => {
  it('orders levels by severity: planned maintenance below a warning, "cannot tell" above it, fail last', () => {
    expect(LEVELS).toEqual(['ok', 'maintenance', 'warn', 'unknown', 'fail']);
    expect(levelRank('maintenance')).toBeLessThan(levelRank('warn'));
    expect(levelRank('unknown')).toBeGreaterThan(levelRank('warn'));
    expect(worstLevel(['warn', 'unknown', 'maintenance'])).toBe('unknown');
    expect(worstLevel(['ok', 'maintenance'])).toBe('maintenance');
    expect(worstLevel([])).toBe('ok');
  });

  it('checks look at the SSH hosts and the public side', () => {
    expect(CHECK_HOSTS).toEqual([...HOST_ROLES, 'public']);
  });

  it('names the secrets a host can use from its profile entry', () => {
    expect(hostSecretKinds({})).toEqual(['ssh-password']);
    expect(hostSecretKinds({ identityFile: '~/.ssh/id_ed25519', sudo: true })).toEqual([
      'ssh-password',
      'ssh-key-passphrase',
      'sudo-password',
    ]);
    for (const kind of SECRET_KINDS)
      expect(isPerHostSecret(kind)).toBe((PER_HOST_SECRET_KINDS as readonly string[]).includes(kind));
  });

  it('names the per-profile secrets: the vault password only with a vault', () => {
    expect(profileSecretKinds({})).toEqual(['matrix-admin-token']);
    expect(profileSecretKinds({ vault: { repo: 'r' } })).toEqual(['vault-password', 'matrix-admin-token']);
  });
});
