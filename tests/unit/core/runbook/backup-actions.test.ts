import { describe, expect, it } from 'vitest';
import { pinnedFacts } from '../../../../src-main/core/matrix/server-facts';
import { findAction } from '../../../../src-main/core/runbook/catalog';
import { tuwunelExecuteCommand } from '../../../../src-main/core/runbook/commands';
import { MaintenanceStore } from '../../../../src-main/core/runbook/maintenance';
import { Runbook } from '../../../../src-main/core/runbook/runner';
import { dockerHealthyWait } from '../../../../src-main/core/runbook/tuwunel-steps';
import {
  DEFAULT_SETTINGS,
  type PlanContext,
  type RemoteOutput,
  type StepContext,
} from '../../../../src-main/core/runbook/types';
import type { ExecResult, RemoteExec } from '../../../../src-main/core/ssh/types';
import { MemorySecrets, testProfile } from './test-profile';

const never: RemoteExec = {
  exec: (): Promise<ExecResult> => Promise.reject(new Error('a plan sends nothing')),
};

function runbook(version: string, adminToken: boolean) {
  const profile = testProfile({
    homeserver: {
      image: 'ghcr.io/matrix-construct/tuwunel',
      version,
      dataDir: '/matrix/tuwunel/data',
      configDir: '/matrix/tuwunel/config',
    },
  });
  const secrets = new MemorySecrets();
  if (adminToken) secrets.values.set(`${profile.name}/matrix-admin-token`, 'syt_token');
  return new Runbook({ profile, exec: never, maintenance: new MaintenanceStore(), secrets });
}

describe('tuwunel.backup ("Back up now") as planned', () => {
  it('is in the catalog, in the Homeserver group', () => {
    expect(findAction('tuwunel.backup')).toMatchObject({
      title: 'Back up now',
      group: 'Homeserver',
      host: 'homeserver',
    });
  });

  it('with an admin token: three admin-room commands, verify from 1.8.2, no outage', async () => {
    const plan = await runbook('v1.8.2', true).plan('tuwunel.backup');
    expect(plan.danger).toBe('disruptive');
    expect(plan.downtime).toBe('None (admin room).');
    expect(plan.confirm).toBe(
      "Back up Tuwunel's database on the homeserver host (127.0.0.1) through the admin room (no downtime). Tuwunel deletes its oldest backups beyond database_backups_to_keep.",
    );
    expect(plan.locks).toEqual(['homeserver']);
    expect(plan.steps.map((s) => [s.phase, s.kind, s.command])).toEqual([
      ['main', 'admin-room', '!admin server backup-database  (in #admins:lab.test)'],
      ['main', 'admin-room', '!admin server list-backups  (in #admins:lab.test)'],
      ['main', 'admin-room', '!admin server verify-backup  (in #admins:lab.test)'],
    ]);
  });

  it('without a token: CLI mode in maintenance, the container ending itself, and Tuwunel brought back', async () => {
    const plan = await runbook('v1.9.0', false).plan('tuwunel.backup');
    expect(plan.danger).toBe('outage');
    expect(plan.steps.map((s) => `${s.phase} ${s.kind} ${s.sudo ? 'sudo ' : ''}${s.command}`)).toEqual([
      'main remote sudo systemctl stop matrix-tuwunel',
      "main remote sudo timeout 1800 docker run --rm -v /matrix/tuwunel/data:/var/lib/tuwunel -v /matrix/tuwunel/config:/etc/tuwunel:ro -e TUWUNEL_CONFIG=/etc/tuwunel/tuwunel.toml ghcr.io/matrix-construct/tuwunel:v1.9.0 --maintenance --execute 'server backup-database' --execute 'server list-backups' --execute 'server verify-backup' --execute 'server shutdown'",
      'finally remote sudo systemctl start matrix-tuwunel',
      'finally remote systemctl is-active matrix-tuwunel',
      'finally http-wait GET https://matrix.lab.test/_tuwunel/server_version until it answers',
    ]);
  });

  it('before 1.8.2 nothing asks for verify-backup, which that release does not have', async () => {
    const admin = await runbook('v1.8.1', true).plan('tuwunel.backup');
    expect(admin.steps.map((s) => s.id)).toEqual(['backup-database', 'list-backups']);
    const cli = await runbook('v1.7.0', false).plan('tuwunel.backup');
    expect(cli.steps.find((s) => s.id === 'backup-one-off')?.command).not.toContain('verify-backup');
  });
});

describe('the reusable Tuwunel steps', () => {
  it('the CLI-mode one-off quotes each command as one word and always ends with server shutdown', () => {
    const profile = testProfile();
    expect(tuwunelExecuteCommand(profile, ["users deactivate @it's:lab.test"], 60)).toBe(
      "timeout 60 docker run --rm -v /matrix/tuwunel/data:/var/lib/tuwunel -v /matrix/tuwunel/config:/etc/tuwunel:ro -e TUWUNEL_CONFIG=/etc/tuwunel/tuwunel.toml ghcr.io/matrix-construct/tuwunel:v1.7.0 --maintenance --execute 'users deactivate @it'\\''s:lab.test' --execute 'server shutdown'",
    );
  });

  it('the (healthy) wait exists from 1.8.2 (or for the target an upgrade goes to) and reads docker ps', () => {
    const step = dockerHealthyWait<Record<string, never>, object>();
    const ctx = (version: string) =>
      ({
        profile: testProfile({ homeserver: { version } }),
        params: {},
        adminToken: false,
        server: pinnedFacts({ homeserver: { version } }),
        settings: DEFAULT_SETTINGS,
        startedAt: new Date(),
        scratch: {},
        dryRun: true,
      }) as PlanContext<Record<string, never>, object>;
    expect(step.when?.(ctx('v1.8.1'))).toBe(false);
    expect(step.when?.(ctx('v1.8.2'))).toBe(true);
    expect(dockerHealthyWait<Record<string, never>, object>(() => 'v1.9.0').when?.(ctx('v1.7.0'))).toBe(true);
    expect(step.command(ctx('v1.8.2'))).toBe("docker ps --filter name=matrix-tuwunel --format '{{.Status}}'");
    const out = (stdout: string): RemoteOutput => ({
      exitCode: 0,
      signal: null,
      stdout,
      stderr: '',
      stoppedEarly: false,
    });
    const check = (stdout: string) =>
      step.check?.(out(stdout), ctx('v1.8.2') as StepContext<Record<string, never>, object>);
    expect(check('Up 2 minutes (healthy)\n')).toEqual({
      ok: true,
      summary: 'matrix-tuwunel: Up 2 minutes (healthy).',
    });
    expect(check('Up 9 seconds (health: starting)\n')).toEqual({
      ok: false,
      message: 'matrix-tuwunel is Up 9 seconds (health: starting)',
    });
    expect(check('')).toEqual({ ok: false, message: 'docker ps shows no matrix-tuwunel container' });
  });
});
