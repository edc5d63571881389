import { describe, expect, it } from 'vitest';
import { sshTarget, statusView } from '../../../../src-main/app/views/status-view';
import { EXAMPLE_PROFILE_YAML } from '../../../../src-main/core/profile/example';
import { parseProfile } from '../../../../src-main/core/profile/load';
import type { StatusSnapshot as CoreSnapshot } from '../../../../src-main/core/status/scheduler';
import type { CheckResult } from '../../../../src-main/core/status/types';
import { statusSnapshot } from '../../../../src-main/ipc/contract';

const profile = parseProfile(EXAMPLE_PROFILE_YAML);
const T = '2026-11-26T10:00:00.000Z';

function result(
  id: string,
  host: CheckResult['host'],
  level: CheckResult['level'],
  extra: Partial<CheckResult> = {},
) {
  return {
    id,
    host,
    group: id.split(':')[0] ?? 'x',
    title: id,
    level,
    detail: 'd.',
    since: T,
    checkedAt: T,
    units: [],
    ...extra,
  };
}

function snapshot(patch: Partial<CoreSnapshot> = {}): CoreSnapshot {
  return {
    profile: profile.name,
    overall: 'ok',
    results: [],
    alerts: {},
    refreshedAt: T,
    refreshing: false,
    hosts: {},
    maintenance: [],
    intervalSeconds: 30,
    ...patch,
  };
}

const base = {
  profile,
  profileId: 'rampancy',
  maintenance: [],
  stickyAlerts: [],
  busy: null,
  presentedHostKey: () => null,
};

describe('statusView', () => {
  it('gives every host a card before the first poll', () => {
    const v = statusView({ ...base, snapshot: snapshot({ refreshedAt: null }) });
    expect(statusSnapshot.safeParse(v).success).toBe(true);
    expect(v.hosts).toEqual([
      {
        host: 'homeserver',
        target: 'admin@192.168.1.243',
        reachable: null,
        error: null,
        nextAttemptAt: null,
      },
      { host: 'deploy', target: 'root@192.168.1.245', reachable: null, error: null, nextAttemptAt: null },
      { host: 'public', target: profile.publicUrl, reachable: null, error: null, nextAttemptAt: null },
    ]);
    expect(v.lastRefresh).toBeNull();
    expect(v.error).toBeNull();
  });

  it('adds the port to the target when it is not 22', () => {
    const p = { ...profile, hosts: { ...profile.hosts, deploy: { ...profile.hosts.deploy, port: 2222 } } };
    expect(sshTarget(p, 'deploy')).toBe('root@192.168.1.245:2222');
  });

  it('maps checks with their alert phase and the measured level under maintenance', () => {
    const v = statusView({
      ...base,
      snapshot: snapshot({
        results: [
          result('unit:matrix-tuwunel', 'homeserver', 'maintenance', { underlying: 'fail' }),
          result('http:client-versions', 'public', 'fail'),
        ],
        alerts: { 'http:client-versions': 'pending' },
      }),
      maintenance: [
        { key: 'maintenance-mode', units: 'all', reason: 'Maintenance stop', since: T, persistent: true },
      ],
    });
    expect(v.checks[0]).toMatchObject({ level: 'maintenance', underlying: 'fail', alert: 'up' });
    expect(v.checks[0]).not.toHaveProperty('units');
    expect(v.checks[1]).toMatchObject({ alert: 'pending' });
    expect(v.maintenance).toEqual({ on: true, since: T, reason: 'Maintenance stop' });
    // No HTTP check got an answer: the public side is not reachable.
    expect(v.hosts[2]?.reachable).toBe(false);
  });

  it('puts the presented key into an unknown-key error, and nothing into other errors', () => {
    const key = {
      host: 'homeserver' as const,
      address: '192.168.1.243',
      port: 22,
      keyType: 'ssh-ed25519',
      fingerprint: 'SHA256:k',
    };
    const v = statusView({
      ...base,
      presentedHostKey: (h) => (h === 'homeserver' ? key : null),
      snapshot: snapshot({
        hosts: {
          homeserver: {
            ok: false,
            failures: 1,
            error: { code: 'HostKeyUnknown', message: 'm.', nextStep: 'n.' },
          },
          deploy: {
            ok: false,
            failures: 2,
            nextAttemptAt: T,
            error: { code: 'ConnectFailed', message: 'm.', nextStep: 'n.' },
          },
        },
        error: { code: 'Internal', message: 'x.', nextStep: 'y.' },
      }),
    });
    expect(v.hosts[0]?.error).toEqual({
      code: 'HostKeyUnknown',
      message: 'm.',
      nextStep: 'n.',
      hostKey: key,
    });
    expect(v.hosts[1]).toMatchObject({
      reachable: false,
      nextAttemptAt: T,
      error: { code: 'ConnectFailed' },
    });
    expect(v.hosts[1]?.error).not.toHaveProperty('hostKey');
    expect(v.error).toEqual({ code: 'Internal', message: 'x.', nextStep: 'y.' });
  });

  it('lists the sticky alerts (not as checks) and the busy run', () => {
    const alert = {
      id: 'tuwunel-stopped',
      title: 't',
      message: 'm',
      fixActionId: 'stack.start',
      runId: 'r',
      raisedAt: T,
    };
    const v = statusView({
      ...base,
      snapshot: snapshot({
        results: [
          result('http:client-versions', 'public', 'ok'),
          // The core adds each sticky alert as a check for the command line; the window shows it once.
          result('alert:tuwunel-stopped', 'public', 'warn'),
        ],
      }),
      stickyAlerts: [{ ...alert, profile: 'the name before a rename' }],
      busy: { runId: 'r', title: 'Restart Tuwunel' },
    });
    expect(v.stickyAlerts).toEqual([alert]);
    expect(v.checks.map((c) => c.id)).toEqual(['http:client-versions']);
    expect(v.busy).toEqual({ runId: 'r', title: 'Restart Tuwunel' });
    expect(v.hosts[2]?.reachable).toBe(true);
  });
});
