import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Harness } from '../runbook/harness';
import {
  ANSIBLE_FAILED,
  addAllowedServer,
  describeMatrix,
  invocationId,
  type Row,
  tuwunelToml,
  varsPath,
} from './fault-matrix';

/** The fault matrix, deploy-host actions: the real ansible-playbook, ansible-galaxy and git behind the switches. */

let originalVars: string;
const GALAXY = (h: Harness) => join(h.profile.deploy.dir, 'roles', 'galaxy');
const MARKER = '.reliability-marker';

const ROWS: Row[] = [
  {
    action: 'stack.restart',
    host: 'deploy',
    main: 'playbook-start',
    mainPattern: 'ansible-playbook*',
    exit: ANSIBLE_FAILED,
    hang: { playbookTimeoutMs: 1_500 },
    prepare: async (h) => {
      const before = await invocationId(h, 'matrix-tuwunel');
      return { main: async () => (await invocationId(h, 'matrix-tuwunel')) !== before };
    },
  },
  {
    action: 'config.apply',
    host: 'deploy',
    main: 'playbook-install-all',
    mainPattern: 'ansible-playbook*',
    exit: ANSIBLE_FAILED,
    hang: { playbookTimeoutMs: 1_500 },
    prepare: async (h, cell) => {
      // A change in vars.yml that only an applied configuration carries into tuwunel.toml.
      const marker = `applied${cell}.example`;
      await writeFile(varsPath(h), addAllowedServer(originalVars, marker));
      return { main: async () => (await readFile(tuwunelToml(h), 'utf8')).includes(marker) };
    },
  },
  {
    action: 'deploy.update',
    host: 'deploy',
    main: 'galaxy-install',
    mainPattern: 'ansible-galaxy*',
    before: 'git pull*',
    exit: {
      code: 1,
      // ansible-galaxy (ansible-core 2.14) when a role of requirements.yml cannot be installed.
      stderr:
        '[WARNING]: - systemd_service_manager was NOT installed successfully: - command /usr/bin/git clone https://github.com/devture/com.devture.ansible.role.systemd_service_manager.git systemd_service_manager failed in directory /root/.ansible/tmp/ansible-local-2x1/tmp (rc=128)\nERROR! - you can use --ignore-errors to skip failed roles and finish processing the list.\n',
    },
    hang: { deployCommandTimeoutMs: 2_500 },
    prepare: async (h) => {
      const galaxy = GALAXY(h);
      const roles = async () => (await readdir(galaxy).catch(() => [])).filter((f) => !f.startsWith('.'));
      if ((await roles()).length === 0) {
        const { dir } = h.profile.deploy;
        const r = await h.lab.hosts.deploy.sh(
          `cd ${dir} && ansible-galaxy install -r requirements.yml -p roles/galaxy/ --force`,
        );
        if (r.exitCode !== 0) throw new Error(`reinstalling the roles failed: ${r.stderr}`);
      }
      await writeFile(join(galaxy, MARKER), 'installed before this cell\n');
      // Reinstalled: the old folder (with the marker) is gone and the roles are back.
      return {
        main: async () =>
          (await roles()).length > 0 && !(await readdir(galaxy).catch(() => [] as string[])).includes(MARKER),
      };
    },
  },
];

describeMatrix('deploy actions', ROWS, {
  timeoutMs: 120_000,
  ready: async (h) => {
    originalVars = await readFile(varsPath(h), 'utf8');
  },
});
