import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeForError } from '../../../src-main/cli/exit-codes';
import { hostKeyHint, printError } from '../../../src-main/cli/io';
import {
  ConnectFailed,
  HostBusy,
  HostKeyChanged,
  HostKeyRevoked,
  HostKeyUnknown,
  InvalidInput,
  ProfileInvalid,
  SecretStoreUnavailable,
} from '../../../src-main/core/errors';
import { NoProfile } from '../../../src-main/core/profile/store';
import { UnknownAction } from '../../../src-main/core/runbook/errors';

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
    [new Error('boom'), 1],
  ])('%s → %i', (error, code) => {
    expect(exitCodeForError(error)).toBe(code);
  });
});

describe('printError', () => {
  it('prints the sentence, the next step and how to trust an unknown key, never a stack', () => {
    let stderr = '';
    const code = printError({ stderr: (t) => (stderr += t) }, unknownKey);
    expect(code).toBe(3);
    expect(stderr).toBe(
      `${unknownKey.message}\n${unknownKey.nextStep}\nIf the fingerprint is right, trust it with: npm run cli -- hostkey trust homeserver\n`,
    );
  });

  it('gives an unexpected error one generic sentence without its stack', () => {
    let stderr = '';
    const e = new TypeError('x is undefined\n    at foo (bar.ts:1:1)');
    printError({ stderr: (t) => (stderr += t) }, e);
    expect(stderr).toContain('Something unexpected went wrong: x is undefined.');
    expect(stderr).not.toContain('bar.ts');
  });

  it('has no hint for errors other than host keys', () => {
    expect(hostKeyHint(new HostBusy('homeserver', 'x'))).toBeNull();
    expect(hostKeyHint(new HostKeyChanged('deploy', 'x', 't', [], 'SHA256:n'))).toContain(
      'hostkey forget deploy',
    );
  });
});
