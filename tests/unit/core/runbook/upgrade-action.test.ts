import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canSendServerNotices } from '../../../../src-main/core/matrix/server-notices';
import { ActionRefused } from '../../../../src-main/core/runbook/errors';
import { MaintenanceStore } from '../../../../src-main/core/runbook/maintenance';
import { Runbook } from '../../../../src-main/core/runbook/runner';
import type { RemoteOutput } from '../../../../src-main/core/runbook/types';
import {
  judgeStart,
  readStartProgress,
  restoreCommand,
  restoreVersion,
  startProgressCommand,
} from '../../../../src-main/core/runbook/upgrade-action';
import type { ExecResult, RemoteExec } from '../../../../src-main/core/ssh/types';
import { MemorySecrets, testProfile } from './test-profile';

const VARS = [
  'matrix_domain: lab.test',
  'matrix_homeserver_implementation: tuwunel',
  'matrix_playbook_migration_validated_version: v5.0.0',
  'matrix_tuwunel_config_database_backup_path: /var/lib/tuwunel/backups',
  'matrix_tuwunel_version: PIN',
  '',
].join('\n');

function answer(stdout: string, exitCode = 0, stderr = ''): ExecResult {
  return { exitCode, signal: null, stdout, stderr, durationMs: 1 };
}

/**
 * The deploy host as the pre-flight reads it before the plan (vars.yml with its hash, the playbook's expected
 * migration version); `rest` answers anything else the run sends, and a plan sends nothing else.
 */
function deployHostReads(
  pin: string,
  rest: (command: string) => ExecResult = () => {
    throw new Error('a plan only reads');
  },
  sent: string[] = [],
): RemoteExec {
  return {
    exec: async (_host, command, options) => {
      sent.push(command);
      let res: ExecResult;
      if (command.startsWith('f=')) {
        const text = VARS.replace('PIN', pin);
        res = answer(`${createHash('sha256').update(text).digest('hex')}  -\n${text}`);
      } else if (command.startsWith('sed ')) res = answer('v5.0.0\n');
      else res = rest(command);
      // The transport streams what the host wrote; the runner reads it from there.
      if (res.stdout) options?.onStdout?.(res.stdout);
      if (res.stderr) options?.onStderr?.(res.stderr);
      return res;
    },
  };
}

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
  return new Runbook({
    profile,
    exec: deployHostReads(version),
    maintenance: new MaintenanceStore(),
    secrets,
  });
}

const out = (stdout: string): RemoteOutput => ({
  exitCode: 0,
  signal: null,
  stdout,
  stderr: '',
  stoppedEarly: false,
});

describe('tuwunel.upgrade as planned', () => {
  it('an outage with a one-time confirmation, both hosts locked, every phase and the rollback in the plan', async () => {
    const prepared = await runbook('v1.7.0', true).prepare('tuwunel.upgrade', { version: '1.9.0' });
    const { plan } = prepared;
    expect(plan.params).toEqual({ version: 'v1.9.0', notify: true });
    expect(plan.danger).toBe('outage');
    expect(plan.confirmation).toEqual(expect.any(String));
    expect(plan.locks).toEqual(['deploy', 'homeserver']);
    expect(plan.route).toBe('admin-room');
    // The file it deploys is linted as the profile will pin it: no warning about the very change it makes.
    expect(plan.confirm).not.toContain('but the profile pins');
    // The pre-flight ran before the plan: the plan shows the pin's change and what was checked.
    expect(plan.steps.find((s) => s.id === 'preflight')?.command).toContain(
      '-matrix_tuwunel_version: v1.7.0\n+matrix_tuwunel_version: v1.9.0',
    );
    expect(plan.steps.filter((s) => s.phase === 'main').map((s) => s.id)).toEqual([
      'preflight',
      'pull-image',
      'disk-space',
      'backup-database',
      'list-backups',
      'check-backup-files',
      'notice-before',
      'begin-apply',
      'write-pin',
      'playbook-install-all',
      'wait-start',
      'wait-version',
      'wait-healthy',
      'verify-federation',
      'verify-client',
      'verify-units',
      'pin-profile',
      'notice-after',
    ]);
    expect(plan.steps.filter((s) => s.phase === 'finally').map((s) => s.id)).toEqual([
      'rollback-stop',
      'rollback-restore',
      'rollback-read-vars',
      'rollback-repin',
      'rollback-write-vars',
      'rollback-apply',
      'rollback-wait',
      'rollback-verify',
      'rollback-notice',
    ]);
    // Without the confirmation (or a front that asked), nothing starts.
    await expect(prepared.start()).rejects.toThrow(/confirm/i);
  });

  it('from 1.8.2 Tuwunel verifies the backup itself; without a token the backup is CLI mode and Tuwunel is started again', async () => {
    const plan = await runbook('v1.8.2', false).plan('tuwunel.upgrade', {
      version: 'v1.9.0',
      notify: 'false',
    });
    const ids = plan.steps.map((s) => s.id);
    expect(plan.route).toBe('cli');
    expect(ids).toContain('backup-one-off');
    expect(ids).not.toContain('check-backup-files');
    expect(ids).not.toContain('notice-before');
    expect(ids).toEqual(expect.arrayContaining(['start-tuwunel', 'confirm-tuwunel', 'wait-server-version']));
    const oneOff = plan.steps.find((s) => s.id === 'backup-one-off');
    expect(oneOff?.command).toContain("--execute 'server verify-backup'");
  });

  it('refuses a version that is not newer, before anything is sent', async () => {
    await expect(
      runbook('v1.9.0', true).plan('tuwunel.upgrade', { version: 'v1.9.0' }),
    ).rejects.toBeInstanceOf(ActionRefused);
    await expect(runbook('v1.9.0', true).plan('tuwunel.upgrade', { version: 'v1.8.0' })).rejects.toThrow(
      /older than v1\.9\.0: going back is a restore/,
    );
    await expect(
      runbook('v1.7.0', true).plan('tuwunel.upgrade', { version: "1.9.0'; reboot" }),
    ).rejects.toThrow(/is not a release like v1\.9\.0/);
  });
});

describe('tuwunel.upgrade that stops before the apply', () => {
  const profile = testProfile();
  const secrets = new MemorySecrets();
  secrets.values.set(`${profile.name}/matrix-admin-token`, 'syt_token');

  it('refuses before the plan when vars.yml cannot be read: one read sent, nothing else', async () => {
    const sent: string[] = [];
    const unreadable: RemoteExec = {
      exec: async (_host, command) => {
        sent.push(command);
        return answer('', 1, 'cat: vars.yml: Permission denied\n');
      },
    };
    const rb = new Runbook({ profile, exec: unreadable, maintenance: new MaintenanceStore(), secrets });
    await expect(rb.start('tuwunel.upgrade', { version: 'v1.9.0' }, { confirmed: true })).rejects.toThrow(
      'could not read /root/matrix-deploy/inventory/host_vars/matrix.lab.test/vars.yml: cat: vars.yml: Permission denied',
    );
    expect(sent).toHaveLength(1);
  });

  it('fails at the image, changes nothing, rolls nothing back, and its sentence claims no clean-up', async () => {
    const sent: string[] = [];
    const exec = deployHostReads(
      profile.homeserver.version,
      (command) =>
        command.startsWith('docker pull')
          ? answer('', 1, 'Error response from daemon: manifest unknown\n')
          : answer(''),
      sent,
    );
    const rb = new Runbook({ profile, exec, maintenance: new MaintenanceStore(), secrets });
    const record = await (await rb.start('tuwunel.upgrade', { version: 'v1.9.0' }, { confirmed: true })).done;
    expect(record.state).toBe('failed');
    expect(record.sentence).toBe(
      'Upgrade Tuwunel failed at "Pull the new image (it exists in the registry)": ghcr.io/matrix-construct/tuwunel:v1.9.0 could not be pulled (Error response from daemon: manifest unknown); check the version and homeserver.image.',
    );
    // The two reads of the pre-flight, the pull: nothing written, nothing stopped.
    expect(sent.map((c) => c.split(' ')[0])).toEqual([
      'f=/root/matrix-deploy/inventory/host_vars/matrix.lab.test/vars.yml;',
      'sed',
      'docker',
    ]);
    expect(record.steps.filter((s) => s.phase === 'finally').map((s) => s.summary)).toEqual(
      Array(9).fill('The upgrade stopped before it changed the pin: nothing to roll back.'),
    );
  });
});

describe('the upgrade’s pieces', () => {
  it('restores with the newest release that can (1.8.2 on), migrations off, ending itself', () => {
    expect(restoreVersion('v1.7.0', 'v1.9.0')).toBe('v1.9.0');
    expect(restoreVersion('v1.8.2', 'v1.8.3')).toBe('v1.8.3');
    expect(restoreVersion('v1.7.0', 'v1.8.0')).toBe('v1.8.2');
    expect(restoreCommand(testProfile(), 3, 'v1.9.0', 600)).toBe(
      "timeout 600 docker run --rm -v /matrix/tuwunel/data:/var/lib/tuwunel -v /matrix/tuwunel/config:/etc/tuwunel:ro -e TUWUNEL_CONFIG=/etc/tuwunel/tuwunel.toml ghcr.io/matrix-construct/tuwunel:v1.9.0 --restore-backup=3 -O database_migrations=false --maintenance --execute 'server shutdown'",
    );
  });

  it('reads the first start from the journal: migrating, listening, or failed (then no more waiting)', () => {
    expect(startProgressCommand(1700000000)).toBe(
      "systemctl is-active matrix-tuwunel; journalctl -u matrix-tuwunel --since @1700000000 -o cat --no-pager | grep -E 'database_path=|migrations|Listening on|Critical error|Restor' | tail -n 6",
    );
    expect(
      readStartProgress(
        out('active\n… INFO tuwunel_service::migrations::injectivity::scan: Scanning ShortID columns…\n'),
      ),
    ).toEqual({
      state: 'starting',
      last: '… INFO tuwunel_service::migrations::injectivity::scan: Scanning ShortID columns…',
    });
    expect(readStartProgress(out('active\nx INFO main:run: Listening on [0.0.0.0:6167]\n'))).toEqual({
      state: 'listening',
    });
    expect(
      readStartProgress(out('failed\nx ERROR main: tuwunel: Critical error running server: I/O error\n')),
    ).toEqual({ state: 'failed', why: 'Critical error running server: I/O error' });
    expect(readStartProgress(out('failed\n'))).toEqual({
      state: 'failed',
      why: 'matrix-tuwunel is failed',
      unitOnly: true,
    });
    // A restart just before: its "Listening on" is older than this start's banner, so it does not count.
    expect(
      readStartProgress(
        out(
          [
            'active',
            'x INFO main:run: tuwunel_router::serve::plain: Listening on [0.0.0.0:6167]',
            'x INFO main: tuwunel::server: tuwunel 1.9.0 server_name="lab.test" database_path="/var/lib/tuwunel"',
            'x INFO tuwunel_service::migrations::injectivity::scan: Scanning ShortID columns…',
            '',
          ].join('\n'),
        ),
      ),
    ).toEqual({
      state: 'starting',
      last: 'x INFO tuwunel_service::migrations::injectivity::scan: Scanning ShortID columns…',
    });
  });

  it('a failed unit whose journal has no reason yet is read once more before the run gives up', () => {
    // journald stores the container's last lines on its own, possibly after systemd marked the unit failed.
    const scratch: { failedWithoutReason?: boolean } = {};
    const first = judgeStart(readStartProgress(out('failed\n')), scratch);
    expect(first).toEqual({
      ok: false,
      message: 'matrix-tuwunel is failed; reading the journal once more for the reason',
    });
    const later = judgeStart(
      readStartProgress(out('failed\nx ERROR main: tuwunel: Critical error running server: I/O error\n')),
      scratch,
    );
    expect(later).toMatchObject({
      ok: false,
      message: 'the new release did not start: Critical error running server: I/O error',
      final: true,
    });
    // Still no reason on the second read: the unit's word is all there is.
    expect(judgeStart(readStartProgress(out('failed\n')), scratch)).toMatchObject({
      ok: false,
      message: 'the new release did not start: matrix-tuwunel is failed',
      final: true,
    });
    // A reason at once ends it at once.
    expect(
      judgeStart(
        readStartProgress(out('failed\nx ERROR main: tuwunel: Critical error running server: x\n')),
        {},
      ),
    ).toMatchObject({ final: true });
  });

  it('server notices from 1.8.2', () => {
    expect(canSendServerNotices('v1.8.1')).toBe(false);
    expect(canSendServerNotices('1.8.2')).toBe(true);
    expect(canSendServerNotices('latest')).toBe(false);
  });
});
