import { appendFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HostBusy } from '../../../src-main/core/errors';
import { ActionRefused } from '../../../src-main/core/runbook/errors';
import { type Harness, sentCommands, startHarness } from './harness';

/**
 * The runbook against the lab's deploy host: real git, real ansible-playbook / ansible-galaxy, vars.yml — with
 * the homeserver playing Tuwunel 1.7.0 or 1.9.0 (the pre-flight's rules follow the release).
 */

/** Every test below, against a lab playing `version` (one lab per test file: keytar keeps the first D-Bus it meets). */
export function deployActionsSuite(version: '1.7.0' | '1.9.0'): void {
  describe(`against Tuwunel ${version}`, () => {
    let h: Harness;
    let varsPath: string;
    let originalVars: string;
    let tuwunelToml: string;
    beforeAll(async () => {
      h = await startHarness({ keyring: true, playbookSeconds: 0, tuwunelVersion: version });
      varsPath = join(h.profile.deploy.dir, h.profile.deploy.varsFile);
      originalVars = await readFile(varsPath, 'utf8');
      tuwunelToml = join(h.lab.hosts.homeserver.dir, 'state', 'tuwunel', 'config', 'tuwunel.toml');
    }, 60_000);
    afterAll(async () => {
      await h?.stop();
    });

    let logStart = 0;
    beforeEach(async () => {
      h.lab.faults.clear();
      await writeFile(varsPath, originalVars);
      logStart = h.lab.hosts.deploy.execLog().length;
    });

    const sent = () => sentCommands(h.lab.hosts.deploy.execLog().slice(logStart)).map((c) => c.command);
    const ALLOWLIST_LINE =
      "matrix_tuwunel_config_allowed_remote_server_names: ['lab.test', 'matrix.org', 'chat.dacool.zone']";

    describe('config.apply', () => {
      it('runs install-all,start with pipefail, streams it, tees it to a log, and reads the recap', async () => {
        const rb = h.runbook();
        const live: string[] = [];
        rb.events.on('step-output', (e) => live.push(e.text));
        const record = await (await rb.start('config.apply', {}, { confirmed: true })).done;
        expect(record.state).toBe('ok');
        expect(record.ansible?.recap).toEqual([
          expect.objectContaining({ host: 'matrix.lab.test', failed: 0, unreachable: 0 }),
        ]);
        const [read, command] = sent();
        const dir = h.profile.deploy.dir;
        // The pre-flight read the file before the plan; the apply runs only while it is still that file.
        expect(read).toBe(`f=${varsPath}; sha256sum < "$f" && cat < "$f"`);
        expect(command).toMatch(
          new RegExp(
            `^bash --noprofile --norc -c 'set -o pipefail; h=\\$\\(sha256sum < ${varsPath}\\) \\|\\| exit 1; if \\[ "\\$\\{h%% \\*\\}" != [0-9a-f]{64} \\]; then .* exit 75; fi; cd ${dir} && mkdir -p ${h.profile.deploy.logDir} && ansible-playbook -i inventory/hosts setup\\.yml --tags=install-all,start --vault-password-file ${h.profile.deploy.vaultPasswordFile} 2>&1 \\| tee ${h.profile.deploy.logDir}/config-apply-\\d{8}T\\d{6}Z\\.log'$`,
          ),
        );
        // The lab's vars.yml has the runbook's unanchored allowlist entries: a warning, shown, not a refusal.
        expect(record.steps[0]).toMatchObject({ id: 'preflight', state: 'ok' });
        expect(record.steps[0]?.output).toMatch(/^Warning: Entries are regexes matched anywhere/m);
        expect(live.join('')).toContain('PLAY RECAP');
        const logs = await h.lab.hosts.deploy.sh(`ls ${h.profile.deploy.logDir}`);
        const logFile = logs.stdout.trim().split('\n').at(-1) as string;
        expect(await readFile(join(h.profile.deploy.logDir, logFile), 'utf8')).toContain('PLAY RECAP');
        for (const unit of h.profile.units) expect(await h.lab.state.unitActive(unit)).toBe(true);
      });

      it('on a vars.yml that is not YAML: refused before anything runs, naming vars.yml and the line', async () => {
        await writeFile(varsPath, `${originalVars}  - broken: [\n`);
        const refused = await h
          .runbook()
          .start('config.apply', {}, { confirmed: true })
          .catch((e) => e);
        expect(refused).toBeInstanceOf(ActionRefused);
        expect(refused.message).toMatch(/vars\.yml is not valid YAML \(line \d+\)/);
        expect(sent()).toEqual([`f=${varsPath}; sha256sum < "$f" && cat < "$f"`]);
      });

      it(
        version === '1.7.0'
          ? 'with the own server removed at 1.7.0: refused, and the deploy host runs nothing'
          : 'with the own server removed at 1.9.0: a note, and it applies (Tuwunel exempts its own server)',
        async () => {
          await writeFile(
            varsPath,
            originalVars.replace(
              ALLOWLIST_LINE,
              "matrix_tuwunel_config_allowed_remote_server_names: ['matrix.org']",
            ),
          );
          const rb = h.runbook();
          if (version === '1.7.0') {
            const refused = await rb.start('config.apply', {}, { confirmed: true }).catch((e) => e);
            expect(refused).toBeInstanceOf(ActionRefused);
            expect(refused.message).toMatch(
              /does not admit lab\.test, and Tuwunel 1\.7\.0 then silently drops local users' events \(tuwunel#489\)/,
            );
            // Only the look at vars.yml: no playbook, no write, no git.
            expect(sent()).toEqual([`f=${varsPath}; sha256sum < "$f" && cat < "$f"`]);
            expect(h.lab.hosts.deploy.execLog().slice(logStart).join('\n')).not.toMatch(/ansible-playbook/);
            return;
          }
          const plan = await rb.plan('config.apply');
          expect(plan.steps[0]?.command).not.toMatch(/does not admit lab\.test/);
          const record = await (await rb.start('config.apply', {}, { confirmed: true })).done;
          expect(record.state).toBe('ok');
          expect(await readFile(tuwunelToml, 'utf8')).toContain(
            'allowed_remote_server_names_experimental = ["matrix.org"]',
          );
        },
      );

      it('on a vars.yml that breaks a task: failed, naming the task and Ansible’s message', async () => {
        await writeFile(
          varsPath,
          originalVars.replace(
            `matrix_tuwunel_version: v${version}`,
            'matrix_tuwunel_version: "{{ no_such_variable }}"',
          ),
        );
        const record = await (await h.runbook().start('config.apply', {}, { confirmed: true })).done;
        expect(record.state).toBe('failed');
        expect(record.ansible?.firstFailure).toMatchObject({
          task: 'custom/matrix-tuwunel : Ensure Tuwunel container image is pulled',
          host: 'matrix.lab.test',
        });
        expect(record.sentence).toMatch(
          /^Apply configuration changes failed at ".*": Ansible failed at task "custom\/matrix-tuwunel : Ensure Tuwunel container image is pulled" on matrix\.lab\.test: .*no_such_variable.*undefined/,
        );
      });
    });

    describe('federation allow/disallow', () => {
      it('allow: adds an anchored regex, keeps every comment and line, applies, and Tuwunel’s config gets it', async () => {
        const record = await (
          await h.runbook().start('federation.allow', { server: 'chat.example.org' }, { confirmed: true })
        ).done;
        expect(record.state).toBe('ok');
        expect(record.sentence).toBe(
          'Added ^chat\\.example\\.org$ to the allowlist. The configuration was applied.',
        );
        expect(await readFile(varsPath, 'utf8')).toBe(
          originalVars.replace(
            ALLOWLIST_LINE,
            () => `${ALLOWLIST_LINE.slice(0, -1)}, '^chat\\.example\\.org$']`,
          ),
        );
        const edit = record.steps.find((s) => s.id === 'edit');
        expect(edit?.output).toContain(`-${ALLOWLIST_LINE}`);
        expect(edit?.output).not.toContain('matrix_homeserver_generic_secret_key');
        expect(await readFile(tuwunelToml, 'utf8')).toContain(
          'allowed_remote_server_names_experimental = ["lab.test", "matrix.org", "chat.dacool.zone", "^chat\\\\.example\\\\.org$"]',
        );
        expect(sent().map((c) => c.split(' ')[0])).toEqual([`f=${varsPath};`, `f=${varsPath};`, 'bash']);
      });

      it('disallow: removes a peer; refuses to remove the own server (lesson #1) without writing', async () => {
        const refused = await h
          .runbook()
          .start('federation.disallow', { server: 'lab.test' }, { confirmed: true })
          .catch((e) => e);
        expect(refused).toBeInstanceOf(ActionRefused);
        expect(refused.message).toMatch(
          /Refusing to remove lab\.test from the allowlist: .*runbook lesson #1/,
        );
        expect(await readFile(varsPath, 'utf8')).toBe(originalVars);
        expect(sent()).toHaveLength(1);

        const record = await (
          await h.runbook().start('federation.disallow', { server: 'chat.dacool.zone' }, { confirmed: true })
        ).done;
        expect(record.state).toBe('ok');
        expect(await readFile(varsPath, 'utf8')).toBe(
          originalVars.replace(
            ALLOWLIST_LINE,
            "matrix_tuwunel_config_allowed_remote_server_names: ['lab.test', 'matrix.org']",
          ),
        );
        expect(await readFile(tuwunelToml, 'utf8')).toContain(
          'allowed_remote_server_names_experimental = ["lab.test", "matrix.org"]',
        );
      });

      it('refuses to write when vars.yml changed after the plan read it', async () => {
        const prepared = await h.runbook().prepare('federation.allow', { server: 'other.example' });
        appendFileSync(varsPath, '# an edit made by someone else meanwhile\n');
        const record = await (await prepared.start({ confirmed: true })).done;
        expect(record.state).toBe('failed');
        expect(record.failingStep).toBe('write-vars');
        expect(record.sentence).toContain(
          'changed on the host after it was read, so the edit was not written',
        );
        expect(await readFile(varsPath, 'utf8')).toBe(
          `${originalVars}# an edit made by someone else meanwhile\n`,
        );
        expect(
          (await h.lab.hosts.deploy.sh(`ls -A ${join(varsPath, '..')}`)).stdout
            .split('\n')
            .filter((f) => f.includes('homeserver-tray')),
        ).toEqual([]);
        expect(sent().some((c) => c.startsWith('bash '))).toBe(false);
      });
    });

    describe('deploy.update, stack.restart and the lock', () => {
      it('deploy.update pulls, removes roles/galaxy and reinstalls the roles', async () => {
        const record = await (await h.runbook().start('deploy.update')).done;
        expect(record.state).toBe('ok');
        const dir = h.profile.deploy.dir;
        expect(sent()).toEqual([
          `cd ${dir} && git pull`,
          `cd ${dir} && rm -rf roles/galaxy`,
          `cd ${dir} && ansible-galaxy install -r requirements.yml -p roles/galaxy/ --force`,
        ]);
        expect(record.steps[2]?.output).toContain(
          'systemd_service_manager (v1.0.0-4) was installed successfully',
        );
      });

      it('stack.restart restarts everything from the deploy host and waits for Tuwunel', async () => {
        await h.lab.state.setUnitActive('matrix-traefik', false);
        const record = await (await h.runbook().start('stack.restart', {}, { confirmed: true })).done;
        expect(record.state).toBe('ok');
        expect(sent()).toEqual([
          `cd ${h.profile.deploy.dir} && ansible-playbook -i inventory/hosts setup.yml --tags=start --vault-password-file ${h.profile.deploy.vaultPasswordFile}`,
        ]);
        expect(await h.lab.state.unitActive('matrix-traefik')).toBe(true);
      });

      it('two concurrent mutating runs on the deploy host: the second is refused with the first one’s name', async () => {
        const rb = h.runbook();
        const first = await rb.start('config.apply', {}, { confirmed: true });
        const second = await rb
          .start('federation.allow', { server: 'x.example' }, { confirmed: true })
          .catch((e) => e);
        expect(second).toBeInstanceOf(HostBusy);
        expect(second.message).toMatch(/busy with "Apply configuration changes \(run [0-9a-f]{8}\)"/);
        expect((await first.done).state).toBe('ok');
        expect(await readFile(varsPath, 'utf8')).toBe(originalVars);
      });
    });
  });
}
