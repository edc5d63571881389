import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG } from '../../../src-main/core/runbook/catalog';
import { createTokenActions, ROTATION_UNAPPLIED_ALERT } from '../../../src-main/core/vault/token-actions';
import { readRegistrationToken } from '../../../src-main/core/vault/vault-file';
import type { Harness } from '../runbook/harness';
import { git, renderedToken } from '../token/token-lab';
import {
  ANSIBLE_FAILED,
  type CellResult,
  formatMatrix,
  type Matrix,
  type Row,
  startMatrix,
  tuwunelToml,
} from './fault-matrix';

/**
 * The fault matrix, federation allow/disallow (vars.yml edit, then the real playbook) and the token
 * rotation (vault edit, commit, push on this machine; git pull and the playbook on the deploy host).
 */

let matrix: Matrix;
let originalVars: string;
const varsPath = (h: Harness) => join(h.profile.deploy.dir, h.profile.deploy.varsFile);
const toml = (h: Harness) => readFile(tuwunelToml(h), 'utf8');
const PEER = 'chat.dacool.zone';

/** The configuration applied by the lab's real playbook, as after a deploy (no runbook involved). */
async function applyDirectly(h: Harness): Promise<void> {
  const { dir, inventory, vaultPasswordFile } = h.profile.deploy;
  const r = await h.lab.hosts.deploy.sh(
    `cd ${dir} && ansible-playbook -i ${inventory} setup.yml --tags=install-all,start --vault-password-file ${vaultPasswordFile}`,
  );
  if (r.exitCode !== 0) throw new Error(`applying the configuration failed: ${r.stdout}${r.stderr}`);
}

const federation = {
  host: 'deploy',
  main: 'playbook-install-all',
  mainPattern: 'ansible-playbook*',
  exit: ANSIBLE_FAILED,
  hang: { playbookTimeoutMs: 1_500 },
} as const;

const ROWS: Row[] = [
  {
    ...federation,
    action: 'federation.allow',
    params: (cell) => ({ server: `peer${cell}.example` }),
    prepare: async (h, cell) => {
      await writeFile(varsPath(h), originalVars);
      return { main: async () => (await toml(h)).includes(`peer${cell}`) };
    },
  },
  {
    ...federation,
    action: 'federation.disallow',
    params: () => ({ server: PEER }),
    prepare: async (h) => {
      await writeFile(varsPath(h), originalVars);
      if (!(await toml(h)).includes(PEER)) await applyDirectly(h);
      return { main: async () => !(await toml(h)).includes(PEER) };
    },
  },
  {
    action: 'token.rotate',
    params: () => ({ apply: true }),
    host: 'deploy',
    main: 'pull-deploy',
    mainPattern: 'git pull*',
    after: 'ansible-playbook*',
    exit: {
      code: 128,
      // git 2.39 `pull --ff-only` when the branches diverged.
      stderr: 'fatal: Not possible to fast-forward, aborting.\n',
    },
    hang: { deployCommandTimeoutMs: 3_000 },
    runbook: (h) => ({
      catalog: [...CATALOG, ...createTokenActions({ secrets: h.secrets, mirrorWaitMs: 1_500 })],
    }),
    prepare: async (h) => {
      await h.secrets.set({ profile: h.profile.name, kind: 'vault-password' }, h.lab.secrets.vaultPassword);
      const headBefore = await git(h.lab.repos.vaultWorkstation, 'rev-parse', 'HEAD');
      const pulled = async () => {
        const head = await git(h.lab.repos.vaultWorkstation, 'rev-parse', 'HEAD');
        return head !== headBefore && (await git(h.lab.repos.vaultDeploy, 'rev-parse', 'HEAD')) === head;
      };
      // Applied: Tuwunel's configuration holds the token the vault now holds.
      const applied = async () =>
        (await renderedToken(h.lab)) === (await readRegistrationToken(h.profile, h.secrets));
      return {
        main: pulled,
        complete: async () => (await pulled()) && (await applied()),
        // Every fault here strikes after the push: the vault holds a token Tuwunel does not take yet.
        check: async (record, _fault, alerts) => {
          const raised = alerts.list().some((a) => a.id === ROTATION_UNAPPLIED_ALERT);
          if (record.state === 'ok') return raised ? ['an applied rotation left the unapplied alert'] : [];
          const problems: string[] = [];
          if (await applied()) problems.push('the run failed, yet the new token is applied');
          if (!raised || record.alert?.id !== ROTATION_UNAPPLIED_ALERT)
            problems.push(`no sticky "${ROTATION_UNAPPLIED_ALERT}" alert (${record.alert?.id ?? 'none'})`);
          const says = 'The new registration token is pushed but not applied: use "Apply the configuration".';
          if (!record.sentence?.endsWith(says))
            problems.push(`the sentence does not end "${says}": ${record.sentence}`);
          return problems;
        },
      };
    },
  },
];

const results: CellResult[][] = [];
beforeAll(async () => {
  matrix = await startMatrix();
  originalVars = await readFile(varsPath(matrix.harness()), 'utf8');
});
afterAll(async () => {
  if (results.length > 0) console.log(formatMatrix('federation and token actions', results));
  await matrix?.stop();
});

describe('fault matrix: federation and token actions', () => {
  for (const row of ROWS) {
    it(`${row.action} × every fault`, async () => {
      const cells = await matrix.runRow(row);
      results.push(cells);
      expect(cells.flatMap((c) => c.problems.map((p) => `${c.fault}: ${p}`))).toEqual([]);
    }, 120_000);
  }
});
