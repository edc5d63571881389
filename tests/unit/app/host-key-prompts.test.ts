import { describe, expect, it } from 'vitest';
import { HostKeyPrompts } from '../../../src-main/app/host-key-prompts';
import type { HostState, StatusSnapshot } from '../../../src-main/ipc/contract';

const key = {
  host: 'deploy' as const,
  address: '127.0.0.2',
  keyType: 'ssh-ed25519',
  fingerprint: 'SHA256:k1',
};

function view(poll: string, deploy: Partial<HostState>, refreshing = false): StatusSnapshot {
  const host = (h: HostState['host']): HostState => ({
    host: h,
    target: h,
    reachable: true,
    error: null,
    nextAttemptAt: null,
  });
  return {
    profileId: 'p',
    profileName: 'Lab',
    serverName: 'lab.test',
    overall: 'ok',
    hosts: [host('homeserver'), { ...host('deploy'), ...deploy }, host('public')],
    checks: [],
    lastRefresh: poll,
    refreshing,
    intervalSeconds: 30,
    maintenance: { on: false, since: null, reason: null },
    stickyAlerts: [],
    busy: null,
    error: null,
  };
}

const unknownKey = (fingerprint = key.fingerprint): Partial<HostState> => ({
  reachable: false,
  error: {
    code: 'HostKeyUnknown',
    message: 'unknown key',
    nextStep: 'check it',
    hostKey: { ...key, fingerprint },
  },
});

describe('host-key prompts', () => {
  it('asks once per poll that meets an unknown key, never while a poll runs, again after a trust', () => {
    const prompts = new HostKeyPrompts();
    expect(prompts.due(view('t1', unknownKey(), true))).toEqual([]);
    expect(prompts.due(view('t1', unknownKey()))).toEqual([key]);
    expect(prompts.due(view('t1', unknownKey()))).toEqual([]);
    expect(prompts.due(view('t2', unknownKey()))).toEqual([key]);
    prompts.answered('deploy');
    expect(prompts.due(view('t2', unknownKey()))).toEqual([key]);
    expect(prompts.due(view('t3', {}))).toEqual([]);
    expect(prompts.due(view('t3', unknownKey('SHA256:k2')))).toEqual([{ ...key, fingerprint: 'SHA256:k2' }]);
  });
});
