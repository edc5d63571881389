import { describe, expect, it } from 'vitest';
import {
  deactivateUserCommand,
  makeUserAdminCommand,
  maskTokenReplies,
  readAnyReply,
  readDeactivateReply,
  readMakeUserAdminReply,
} from '../../../../src-main/core/matrix/tuwunel-admin';

describe('Tuwunel admin commands', () => {
  it('builds the runbook commands', () => {
    expect(makeUserAdminCommand('@bob:lab.test')).toBe('users make-user-admin @bob:lab.test');
    expect(deactivateUserCommand('@bob:lab.test', true)).toBe('users deactivate @bob:lab.test');
    expect(deactivateUserCommand('@bob:lab.test', false)).toBe(
      'users deactivate --no-leave-rooms @bob:lab.test',
    );
  });

  it('reads success from Tuwunel’s reply text, wherever it is in the output', () => {
    const log =
      '2026-05-21T16:37:49Z INFO tuwunel: starting\n@bob:lab.test has been granted admin privileges.\n';
    expect(readMakeUserAdminReply(log, '@bob:lab.test')).toEqual({
      ok: true,
      line: '@bob:lab.test has been granted admin privileges.',
    });
    expect(
      readMakeUserAdminReply('`@bo_b:lab.test` has been granted admin privileges.', '@bo_b:lab.test').ok,
    ).toBe(true);
    expect(readDeactivateReply('User @bob:lab.test has been deactivated', '@bob:lab.test').ok).toBe(true);
  });

  it('counts "already an admin" (Tuwunel < 1.8.0 refuses it) as done', () => {
    expect(
      readMakeUserAdminReply(
        'Command failed with error:\n```\nUser is already joined in the admin room\n```',
        '@bob:lab.test',
      ),
    ).toEqual({
      ok: true,
      line: '@bob:lab.test already is a server admin (Tuwunel: User is already joined in the admin room).',
    });
  });

  it('treats "Command failed with error:" and other replies as failures', () => {
    expect(readMakeUserAdminReply('Command failed with error: User does not exist', '@x:lab.test')).toEqual({
      ok: false,
      line: 'Command failed with error: User does not exist',
    });
    expect(
      readMakeUserAdminReply('@alice:lab.test has been granted admin privileges.', '@bob:lab.test').ok,
    ).toBe(false);
    expect(readDeactivateReply('', '@bob:lab.test')).toEqual({ ok: false, line: 'Tuwunel gave no reply.' });
    expect(
      readDeactivateReply(
        'Command failed with error:\n```\nNot allowed to deactivate the server service account.\n```',
        '@conduit:lab.test',
      ),
    ).toEqual({
      ok: false,
      line: 'Command failed with error: Not allowed to deactivate the server service account.',
    });
    expect(
      readAnyReply(
        "error: unexpected argument '--bogus' found\n\nUsage: admin users deactivate [OPTIONS] <USER_ID>\n\nFor more information, try '--help'.",
      ),
    ).toEqual({ ok: false, line: "error: unexpected argument '--bogus' found" });
    expect(readAnyReply('Panic occurred while processing command:\n```\nboom\n```').ok).toBe(false);
    expect(readAnyReply('Uptime: 3 days\n').ok).toBe(true);
    expect(readAnyReply('Command failed with error: nope').ok).toBe(false);
  });

  it('masks the token in the replies of token issue and token list, whoever sent them', () => {
    expect(
      maskTokenReplies(
        'New registration token issued: `AbCdEf0123456789` - Token used 0 times. Expires after 1 uses.',
      ),
    ).toBe('New registration token issued: `••••••` - Token used 0 times. Expires after 1 uses.');
    const list =
      'Found 2 registration tokens:\n- `vault-token-value` --- Token defined in config file\n- `inv1` --- Token used 1 time. Never expires.';
    expect(maskTokenReplies(list)).toBe(
      'Found 2 registration tokens:\n- `••••••` --- Token defined in config file\n- `••••••` --- Token used 1 time. Never expires.',
    );
    expect(maskTokenReplies('- `item` in a list that is no token list')).toBe(
      '- `item` in a list that is no token list',
    );
  });
});
