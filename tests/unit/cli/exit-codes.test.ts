import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeForError } from '../../../src-main/cli/exit-codes';
import { printError } from '../../../src-main/cli/io';
import {
  AuthFailed,
  Cancelled,
  ConnectFailed,
  HostBusy,
  HostKeyChanged,
  HostKeyRevoked,
  HostKeyUnknown,
  InvalidInput,
  ProfileInvalid,
  SecretMissing,
  SecretStoreUnavailable,
  SudoFailed,
} from '../../../src-main/core/errors';
import { MatrixRequestFailed } from '../../../src-main/core/matrix/admin-room';
import { NoProfile } from '../../../src-main/core/profile/store';
import { UnknownAction } from '../../../src-main/core/runbook/errors';
import { WrongVaultPassword } from '../../../src-main/core/vault/errors';

const unknownKey = new HostKeyUnknown('homeserver', '[127.0.0.2]:2222', 'ssh-ed25519', 'SHA256:abc');

describe('exit codes for errors', () => {
  it.each([
    [unknownKey, EXIT.hostKey],
    [new HostKeyChanged('deploy', 'x', 'ssh-ed25519', ['ssh-ed25519 SHA256:old (f:1)'], 'SHA256:new'), 3],
    [new HostKeyRevoked('deploy', 'SHA256:x'), 3],
    [new InvalidInput('--param', 'bad'), EXIT.usage],
    [new UnknownAction('nope'), 64],
    [new ProfileInvalid('p.yaml', [{ field: 'name', message: 'missing' }]), EXIT.config],
    [new NoProfile('/data'), 78],
    [new SecretStoreUnavailable('no bus'), EXIT.unavailable],
    [new ConnectFailed('homeserver', '10.0.0.1', 'refused'), EXIT.failed],
    [new HostBusy('homeserver', 'Restart Tuwunel'), 1],
    [new Cancelled('Typing the password'), EXIT.interrupted],
    [new Error('boom'), 1],
  ])('%s → %i', (error, code) => {
    expect(exitCodeForError(error)).toBe(code);
  });
});

describe('printError', () => {
  const print = (error: unknown, name?: string) => {
    let stderr = '';
    const code = printError({ stderr: (t) => (stderr += t), ...(name ? { name } : {}) }, error);
    return { code, stderr };
  };

  it('prints the sentence and how to trust an unknown key, in the CLI as it was run, never a stack', () => {
    const { code, stderr } = print(unknownKey, 'npm run cli --');
    expect(code).toBe(3);
    expect(stderr).toBe(
      `${unknownKey.message}\nCompare the fingerprint with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on that machine; if it is the same, trust it with \`npm run cli -- hostkey trust homeserver\`.\n`,
    );
    expect(print(unknownKey).stderr).toContain('`homeserver-tray hostkey trust homeserver`');
  });

  it('gives an unexpected error one generic sentence without its stack', () => {
    const e = new TypeError('x is undefined\n    at foo (bar.ts:1:1)');
    const { stderr } = print(e);
    expect(stderr).toContain('Something unexpected went wrong: x is undefined.');
    expect(stderr).not.toContain('bar.ts');
  });

  it('names the command for every next step the window words as one of its places', () => {
    const cases: [unknown, string][] = [
      [new SecretMissing('vault-password'), '`npm run cli -- secret set vault-password`'],
      [
        new SecretMissing('sudo-password', 'homeserver'),
        '`npm run cli -- secret set sudo-password --host homeserver`',
      ],
      [new SecretMissing('matrix-admin-token'), '`npm run cli -- admin login`'],
      [new SudoFailed('deploy', 'wrong password'), '`npm run cli -- secret set sudo-password --host deploy`'],
      [
        new AuthFailed('homeserver', 'root', 'publickey'),
        '`npm run cli -- secret set ssh-password --host homeserver`',
      ],
      [new MatrixRequestFailed('Listing', 401, 'M_UNKNOWN_TOKEN', ''), '`npm run cli -- admin login`'],
      [new MatrixRequestFailed('Listing', 502, null, ''), '`npm run cli -- status`'],
      [new NoProfile('/data'), '`npm run cli -- profile add FILE`'],
      [
        new ProfileInvalid('p.yaml', [{ field: 'name', message: 'missing' }]),
        'Fix the named fields in the profile file',
      ],
      [new HostKeyChanged('deploy', 'x', 't', [], 'SHA256:n'), '`npm run cli -- hostkey forget deploy`'],
      [new UnknownAction('nope'), 'List the actions with `npm run cli -- actions`'],
      [new WrongVaultPassword('vault.yml'), '`npm run cli -- secret set vault-password`'],
    ];
    for (const [error, words] of cases) {
      const { stderr } = print(error, 'npm run cli --');
      expect(stderr, String(error)).toContain(words);
      expect(stderr, String(error)).not.toMatch(/Settings|panel|in the app\b/);
    }
  });
});
