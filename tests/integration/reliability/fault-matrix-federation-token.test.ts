import { readFile, writeFile } from 'node:fs/promises';
import { CATALOG } from '../../../src-main/core/runbook/catalog';
import { ROTATION_UNAPPLIED_ALERT } from '../../../src-main/core/runbook/rotation-alerts';
import { createTokenActions } from '../../../src-main/core/runbook/token-actions';
import { TokenRotation } from '../../../src-main/core/vault/rotation';
import { readRegistrationToken } from '../../../src-main/core/vault/vault-file';
import type { Harness } from '../runbook/harness';
import { git, renderedToken } from '../token/token-lab';
import { ANSIBLE_FAILED, describeMatrix, type Row, tuwunelToml, varsPath } from './fault-matrix';

/**
 * The fault matrix, federation allow/disallow (vars.yml edit, then the real playbook), the token
 * rotation (vault edit, commit, push on this machine; git pull and the playbook on the deploy host) and
 * the apply of a rotation whose pull failed (git pull and the playbook).
 */

let originalVars: string;
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

/** Applied: Tuwunel's configuration holds the token the vault now holds. */
async function tokenApplied(h: Harness): Promise<boolean> {
  return (await renderedToken(h.lab)) === (await readRegistrationToken(h.profile, h.secrets));
}

/** A rotation committed and pushed from this machine, not pulled on the deploy host: its commit. */
async function pushedRotation(h: Harness, cell: number): Promise<string> {
  await h.secrets.set({ profile: h.profile.name, kind: 'vault-password' }, h.lab.secrets.vaultPassword);
  const r = new TokenRotation(h.profile, { secrets: h.secrets }, `fault-matrix-${cell}`);
  try {
    await r.acquireLock();
    await r.precheck();
    await r.decrypt();
    r.edit();
    await r.encrypt();
    await r.backup();
    await r.write();
    await r.verify();
    await r.commitChange();
    await r.push();
    return r.commit as string;
  } finally {
    r.wipe();
    await r.release();
  }
}

/** The rotation's pull on the deploy host as the main step (git behind the switches), the playbook after it. */
const tokenPull = {
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
  runbook: (h: Harness) => ({
    catalog: [...CATALOG, ...createTokenActions({ secrets: h.secrets, mirrorWaitMs: 1_500 })],
  }),
} as const;

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
    ...tokenPull,
    action: 'token.rotate',
    params: () => ({ apply: true }),
    prepare: async (h) => {
      await h.secrets.set({ profile: h.profile.name, kind: 'vault-password' }, h.lab.secrets.vaultPassword);
      const headBefore = await git(h.lab.repos.vaultWorkstation, 'rev-parse', 'HEAD');
      const pulled = async () => {
        const head = await git(h.lab.repos.vaultWorkstation, 'rev-parse', 'HEAD');
        return head !== headBefore && (await git(h.lab.repos.vaultDeploy, 'rev-parse', 'HEAD')) === head;
      };
      const applied = () => tokenApplied(h);
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
          const says =
            'The new registration token is pushed but not applied: use "Make the new sign-up token live".';
          if (!record.sentence?.endsWith(says))
            problems.push(`the sentence does not end "${says}": ${record.sentence}`);
          return problems;
        },
      };
    },
  },
  {
    ...tokenPull,
    action: 'token.apply',
    prepare: async (h, cell) => {
      const commit = await pushedRotation(h, cell);
      const pulled = async () => (await git(h.lab.repos.vaultDeploy, 'rev-parse', 'HEAD')) === commit;
      return {
        main: pulled,
        complete: async () => (await pulled()) && (await tokenApplied(h)),
        // Before its pull it changed nothing the rotation left; after it, an apply alone is missing.
        check: async (record, _fault, alerts) => {
          const raised = alerts.list().find((a) => a.id === ROTATION_UNAPPLIED_ALERT);
          if (record.state === 'ok') return raised ? ['an applied token left the unapplied alert'] : [];
          const problems: string[] = [];
          if (await tokenApplied(h)) problems.push('the run failed, yet the new token is applied');
          if (!(await pulled())) {
            if (raised) problems.push(`it raised "${raised.title}" without having pulled`);
          } else if (
            record.alert?.id !== ROTATION_UNAPPLIED_ALERT ||
            raised?.fixActionId !== 'token.apply' ||
            raised.clearedOnlyBy !== undefined
          ) {
            problems.push(
              `pulled but not applied, and no alert that an apply is missing: ${JSON.stringify(raised)}`,
            );
          }
          return problems;
        },
      };
    },
  },
];

describeMatrix('federation and token actions', ROWS, {
  timeoutMs: 120_000,
  ready: async (h) => {
    originalVars = await readFile(varsPath(h), 'utf8');
  },
});
