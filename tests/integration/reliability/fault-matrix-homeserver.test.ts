import { MAINTENANCE_MODE_KEY } from '../../../src-main/core/runbook/maintenance';
import type { RunRecord } from '../../../src-main/core/runbook/run-record';
import type { Harness } from '../runbook/harness';
import { describeMatrix, type Fault, invocationId, type Row, setUserFlags } from './fault-matrix';

/** The fault matrix, homeserver actions: systemctl, the CLI-mode docker step, sudo on every command. */

const SYSTEMD_JOB_FAILED = {
  code: 1,
  // systemd 252, src/shared/bus-wait-for-jobs.c: what systemctl prints when a job fails.
  stderr:
    'Job for matrix-tuwunel.service failed because the control process exited with error code.\nSee "systemctl status matrix-tuwunel.service" and "journalctl -xeu matrix-tuwunel.service" for details.\n',
};
const UNIT_SETTLE = { unitCommandTimeoutMs: 1_500 };

const allUnits = async (h: Harness, active: boolean) => {
  for (const unit of h.profile.units) if ((await h.lab.state.unitActive(unit)) !== active) return false;
  return true;
};
const user = async (h: Harness, id: string) => (await h.lab.state.users()).find((u) => u.userId === id);

/**
 * A stop that never completed: maintenance mode goes off again when every unit still runs (else every
 * alert about them would stay quiet), stays on when some are down or the units cannot be looked at,
 * and the sentence says which and why.
 */
async function maintenanceAfterStop(h: Harness, record: RunRecord, fault: Fault): Promise<string[]> {
  const on = h.maintenance.get(MAINTENANCE_MODE_KEY) !== undefined;
  const sentence = record.sentence ?? '';
  if (record.state === 'ok') return on ? [] : ['the stack is stopped but maintenance mode is off'];
  const problems: string[] = [];
  const allActive = await allUnits(h, true);
  const says = (text: string) => {
    if (!sentence.includes(text)) problems.push(`the sentence does not say "${text}": ${sentence}`);
  };
  if (fault === 'host-key') {
    if (!on) problems.push('maintenance mode went off though the units could not be checked');
    says('Maintenance mode stays on, because the units could not be checked');
  } else if (allActive) {
    if (on) problems.push('maintenance mode stayed on while every unit still runs');
    says('Every unit is still active, so maintenance mode is off again and alerts about them are on.');
  } else {
    if (!on) problems.push('maintenance mode went off while units are stopped');
    says('Maintenance mode stays on, because ');
  }
  return problems;
}

function userRow(action: 'user.make-admin' | 'user.deactivate'): Row {
  const target = action === 'user.make-admin' ? '@bob:lab.test' : '@alice:lab.test';
  return {
    action,
    params: () => (action === 'user.make-admin' ? { user: 'bob' } : { user: 'alice', leaveRooms: false }),
    host: 'homeserver',
    main: 'execute',
    mainPattern: 'docker run*',
    before: 'systemctl stop*',
    after: 'systemctl start*',
    exit: {
      code: 125,
      // docker/cli run.go: a daemon error while starting the container, `reportError` then exit 125.
      stderr:
        "docker: Error response from daemon: error while creating mount source path '/matrix/tuwunel/data': mkdir /matrix/tuwunel/data: read-only file system.\n",
    },
    hang: { cliExecuteTimeoutSeconds: 1 },
    prepare: async (h) => {
      await h.secrets.delete({ profile: h.profile.name, kind: 'matrix-admin-token' });
      await setUserFlags(h, target, { admin: false, deactivated: false });
      return {
        main: async () => {
          const u = await user(h, target);
          return action === 'user.make-admin' ? u?.admin === true : u?.deactivated === true;
        },
      };
    },
  };
}

const ROWS: Row[] = [
  {
    action: 'stack.stop',
    host: 'homeserver',
    main: 'stop-all',
    mainPattern: 'systemctl stop*',
    after: 'systemctl is-active*',
    exit: SYSTEMD_JOB_FAILED,
    hang: UNIT_SETTLE,
    prepare: async (h) => ({
      main: () => allUnits(h, false),
      check: (record, fault) => maintenanceAfterStop(h, record, fault),
    }),
  },
  {
    action: 'stack.start',
    host: 'homeserver',
    main: 'start-units',
    mainPattern: 'systemctl start*',
    after: 'systemctl is-active*',
    exit: SYSTEMD_JOB_FAILED,
    hang: UNIT_SETTLE,
    prepare: async (h) => {
      for (const unit of h.profile.units) await h.lab.state.setUnitActive(unit, false);
      h.maintenance.enter({
        key: MAINTENANCE_MODE_KEY,
        units: 'all',
        reason: 'all services stopped',
        persistent: true,
      });
      return { main: () => allUnits(h, true) };
    },
  },
  {
    action: 'tuwunel.restart',
    host: 'homeserver',
    main: 'restart',
    mainPattern: 'systemctl restart*',
    exit: SYSTEMD_JOB_FAILED,
    hang: UNIT_SETTLE,
    prepare: async (h) => {
      const before = await invocationId(h, 'matrix-tuwunel');
      return {
        main: async () =>
          (await invocationId(h, 'matrix-tuwunel')) !== before &&
          (await h.lab.state.unitActive('matrix-tuwunel')),
      };
    },
  },
  userRow('user.make-admin'),
  userRow('user.deactivate'),
];

describeMatrix('homeserver actions', ROWS, { timeoutMs: 90_000 });
