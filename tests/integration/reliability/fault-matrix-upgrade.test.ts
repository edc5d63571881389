import { readFile, writeFile } from 'node:fs/promises';
import { UPGRADE_ROLLBACK_ALERT } from '../../../src-main/core/runbook/upgrade-action';
import type { Harness } from '../runbook/harness';
import { ANSIBLE_FAILED, describeMatrix, type Row, varsPath } from './fault-matrix';

/**
 * The fault matrix, the upgrade (1.7.0 → 1.9.0 in CLI mode, the lab's real ansible-playbook behind the
 * switches): its main step is the apply. A failure there or after it must end with the rollback done (1.7.0
 * running, vars.yml pinning it) or with the rollback's sticky alert; a failure before it changes nothing.
 */

const pinned = async (h: Harness) =>
  /^matrix_tuwunel_version: (\S+)$/m.exec(await readFile(varsPath(h), 'utf8'))?.[1];

async function running(h: Harness): Promise<string | null> {
  const r = await h.lab.client.request('GET', '/_tuwunel/server_version').catch(() => null);
  return r?.status === 200 ? String(r.json.version) : null;
}

const ROWS: Row[] = [
  {
    action: 'tuwunel.upgrade',
    params: () => ({ version: 'v1.9.0' }),
    host: 'deploy',
    main: 'playbook-install-all',
    mainPattern: 'ansible-playbook*',
    exit: ANSIBLE_FAILED,
    hang: { playbookTimeoutMs: 1_500 },
    prepare: async (h) => {
      // Every cell starts from 1.7.0, pinned in vars.yml and in the profile.
      const text = await readFile(varsPath(h), 'utf8');
      await writeFile(
        varsPath(h),
        text.replace(/^matrix_tuwunel_version: .*$/m, 'matrix_tuwunel_version: v1.7.0'),
      );
      h.profile.homeserver.version = 'v1.7.0';
      await h.lab.http.setTuwunelVersion('1.7.0');
      return {
        main: async () => (await running(h)) === '1.9.0',
        complete: async () => (await running(h)) === '1.9.0' && (await pinned(h)) === 'v1.9.0',
        check: async (record, _fault, alerts) => {
          const applied = record.steps.find((s) => s.id === 'write-pin')?.state === 'ok';
          if (record.state === 'ok' || !applied) return [];
          const problems: string[] = [];
          // A rollback whose apply failed does not wait out the previous release's timeouts: the alert
          // says so at once, rather than after every attempt of two waits.
          if (record.steps.find((s) => s.id === 'rollback-apply')?.state === 'failed')
            for (const id of ['rollback-wait', 'rollback-verify']) {
              const step = record.steps.find((s) => s.id === id);
              if (step?.attempts !== 1 || !step.summary?.includes('Tuwunel is not waited for'))
                problems.push(`${id} waited (${step?.attempts} attempts) after the rollback's apply failed`);
            }
          if (alerts.get(UPGRADE_ROLLBACK_ALERT)) return problems;
          if ((await pinned(h)) !== 'v1.7.0')
            problems.push(`vars.yml pins ${await pinned(h)} after the rollback`);
          if ((await running(h)) !== '1.7.0') problems.push(`${await running(h)} runs after the rollback`);
          if (!record.sentence?.includes('Rolled back: Tuwunel v1.7.0 runs again'))
            problems.push(`the sentence does not say it rolled back: ${record.sentence}`);
          return problems;
        },
      };
    },
  },
];

describeMatrix('the upgrade', ROWS, {
  timeoutMs: 300_000,
  lab: { databaseBackupPath: '/var/lib/tuwunel/backups', healthCheckSeconds: 1 },
});
