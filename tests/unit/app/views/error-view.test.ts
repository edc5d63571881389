import { describe, expect, it } from 'vitest';
import { ClipboardUnavailable } from '../../../../src-main/app/errors';
import { errorInfo as errorInfoSchema } from '../../../../src-main/app/views/common-schema';
import { errorInfo } from '../../../../src-main/app/views/error-view';
import {
  AuthFailed,
  HostKeyChanged,
  HostKeyUnknown,
  InvalidInput,
  ProfileInvalid,
} from '../../../../src-main/core/errors';

describe('errorInfo', () => {
  it('keeps the sentence and next step of typed errors, with the field of InvalidInput', () => {
    const info = errorInfo(new InvalidInput('user', 'needs the form @localpart:server'));
    expect(info).toEqual({
      code: 'InvalidInput',
      message: 'user: needs the form @localpart:server',
      nextStep: 'Correct user and try again.',
      field: 'user',
    });
    expect(errorInfo(new AuthFailed('homeserver', 'admin', 'publickey'))).toEqual({
      code: 'AuthFailed',
      message: 'Logging in to the homeserver host as admin failed (publickey).',
      nextStep: expect.stringMatching(/authorized_keys/),
    });
  });

  it('carries every issue of an invalid profile', () => {
    const issues = Array.from({ length: 7 }, (_, i) => ({ field: `f${i}`, message: 'is wrong' }));
    const info = errorInfo(new ProfileInvalid('draft', issues));
    expect(info.issues).toEqual(issues);
    expect(info.message).toMatch(/and 2 more/);
  });

  it('gives the trust dialog the key: address and port split, received and expected for a changed key', () => {
    const unknown = errorInfo(
      new HostKeyUnknown('homeserver', '127.0.0.5 port 2222', 'ssh-ed25519', 'SHA256:abc'),
    );
    expect(unknown.hostKey).toEqual({
      host: 'homeserver',
      address: '127.0.0.5',
      port: 2222,
      keyType: 'ssh-ed25519',
      fingerprint: 'SHA256:abc',
    });
    const bare = errorInfo(new HostKeyUnknown('deploy', '192.168.1.245', 'ssh-rsa', 'SHA256:x'));
    expect(bare.hostKey).toEqual({
      host: 'deploy',
      address: '192.168.1.245',
      keyType: 'ssh-rsa',
      fingerprint: 'SHA256:x',
    });
    const changed = errorInfo(
      new HostKeyChanged(
        'deploy',
        '10.0.0.1',
        'ssh-ed25519',
        ['ssh-ed25519 SHA256:old (known_hosts:3)'],
        'SHA256:new',
      ),
    );
    expect(changed.hostKey).toMatchObject({
      fingerprint: 'SHA256:new',
      expected: ['ssh-ed25519 SHA256:old (known_hosts:3)'],
    });
    // A role the window does not know gets no dialog, only the sentence.
    expect(errorInfo(new HostKeyUnknown('jump', 'x', 't', 'SHA256:y')).hostKey).toBeUndefined();
    for (const i of [unknown, bare, changed]) expect(errorInfoSchema.safeParse(i).success).toBe(true);
  });

  it('turns anything else into one generic sentence without a stack', () => {
    const e = new Error('socket hang up\n    at TLSSocket.onHangUp (node:_http_client:1)');
    const info = errorInfo(e);
    expect(info).toEqual({
      code: 'Internal',
      message: 'Something unexpected went wrong: socket hang up.',
      nextStep: expect.any(String),
    });
    expect(JSON.stringify(info)).not.toContain('node:_http_client');
    expect(errorInfo('a string').message).toBe('Something unexpected went wrong.');
    expect(errorInfo(new ClipboardUnavailable())).toMatchObject({ code: 'ClipboardUnavailable' });
  });
});
