import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HostBusy } from '../../../src-main/core/errors';
import { TUWUNEL_STOPPED_ALERT } from '../../../src-main/core/runbook/catalog';
import { ActionRefused } from '../../../src-main/core/runbook/errors';
import { connectMaintenance } from '../../../src-main/core/runbook/maintenance';
import { StatusScheduler, StatusService, schedulerSettings } from '../../../src-main/core/status';
import { sweep } from '../../support/sweep';
import { COMMAND_BITS, soupOf } from '../reliability/hostile-strings';
import { wordsOf } from '../reliability/shell-records';
import { liveProcessesOf } from '../ssh/lab-processes';
import { type Harness, sentCommands, startHarness } from './harness';

/**
 * The runbook against the lab's homeserver VM: real sshd, sudo, systemctl/docker/journalctl stand-ins, Tuwunel
 * HTTP — as Tuwunel 1.7.0 (the runbook's: no admin API) and 1.9.0 (the playbook's default: the admin API).
 */

/** Every test below, against a lab playing `version` (one lab per test file: keytar keeps the first D-Bus it meets). */
export function homeserverActionsSuite(version: '1.7.0' | '1.9.0'): void {
  describe(`against Tuwunel ${version}`, () => {
    const apiServed = version === '1.9.0';
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ journalIntervalSeconds: 1, tuwunelVersion: version });
    }, 60_000);
    afterAll(async () => {
      await h?.stop();
    });

    const tokenRef = () => ({ profile: h.profile.name, kind: 'matrix-admin-token' as const });
    let logStart = 0;
    beforeEach(async () => {
      h.lab.faults.clear();
      await h.secrets.delete(tokenRef());
      for (const unit of h.profile.units) await h.lab.state.setUnitActive(unit, true);
      logStart = h.lab.hosts.homeserver.execLog().length;
    });

    /** What the runbook sent to the homeserver since the test began (the pool's own kill commands left out). */
    const sent = () =>
      sentCommands(h.lab.hosts.homeserver.execLog().slice(logStart)).filter(
        (c) => !/^(pg=\d+\n|kill -TERM)/.test(c.command),
      );
    const user = async (id: string) => (await h.lab.state.users()).find((u) => u.userId === id);
    const cli = (command: string, seconds = 2) =>
      `timeout ${seconds} docker run --rm -v ${h.profile.homeserver.dataDir}:/var/lib/tuwunel -v ${h.profile.homeserver.configDir}:/etc/tuwunel:ro -e TUWUNEL_CONFIG=/etc/tuwunel/tuwunel.toml ghcr.io/matrix-construct/tuwunel:v${version} --maintenance --execute '${command}' --execute 'server shutdown'`;

    describe('user.make-admin / user.deactivate in CLI mode (no admin sign-in stored)', () => {
      it('runs the documented one-shot CLI through sudo: the container ends by itself, Tuwunel runs again', async () => {
        expect((await user('@bob:lab.test'))?.admin).toBe(false);
        // A long guard: the run must end because the container does, not because `timeout` fired.
        const rb = h.runbook({ settings: { cliExecuteTimeoutSeconds: 30 } });
        const plan = await rb.plan('user.make-admin', { user: 'bob' });
        expect(plan).toMatchObject({ route: 'cli', danger: 'outage' });
        expect(plan.routeWhy).toMatch(/^No Matrix admin sign-in is stored/);
        const record = await (await rb.start('user.make-admin', { user: 'bob' }, { confirmed: true })).done;
        expect(record.state).toBe('ok');
        expect(record.durationMs).toBeLessThan(15_000);
        expect(record.steps.find((s) => s.id === 'execute')).toMatchObject({ state: 'ok', exitCode: 0 });
        expect(record.sentence).toMatch(
          /^@bob:lab\.test is now a server admin \(CLI mode; Tuwunel was stopped for \d+ s and is running again\)\.$/,
        );
        expect((await user('@bob:lab.test'))?.admin).toBe(true);
        expect(await h.lab.state.unitActive('matrix-tuwunel')).toBe(true);
        expect(sent()).toEqual([
          { command: 'systemctl stop matrix-tuwunel', sudo: true },
          { command: cli('users make-user-admin @bob:lab.test', 30), sudo: true },
          { command: 'systemctl start matrix-tuwunel', sudo: true },
          { command: 'systemctl is-active matrix-tuwunel', sudo: false },
        ]);
        expect(record.steps.find((s) => s.id === 'execute')?.output).toMatch(/Shutdown complete/);
        expect(
          liveProcessesOf(h.lab.hosts.homeserver.dir).filter((p) => p.command.includes('docker')),
        ).toEqual([]);
        // The sudo password (from the real keychain) is masked wherever it could show.
        expect(JSON.stringify(record)).not.toContain(h.lab.secrets.sudoPassword);
      });

      it('kills a hanging docker step after its timeout and starts Tuwunel again', async () => {
        h.lab.faults.hang('homeserver', 'docker run*');
        const record = await (
          await h
            .runbook({ settings: { cliExecuteTimeoutSeconds: 2 } })
            .start('user.deactivate', { user: 'alice' }, { confirmed: true })
        ).done;
        expect(record.state).toBe('failed');
        expect(record.failingStep).toBe('execute');
        expect(record.steps.find((s) => s.id === 'execute')).toMatchObject({ exitCode: 124 });
        expect(record.sentence).toContain("Tuwunel's CLI did not end within 2 s and was stopped (timeout)");
        expect((await user('@alice:lab.test'))?.deactivated).toBe(false);
        expect(await h.lab.state.unitActive('matrix-tuwunel')).toBe(true);
        expect(sent().map((c) => c.command)).toEqual([
          'systemctl stop matrix-tuwunel',
          cli('users deactivate @alice:lab.test', 2),
          'systemctl start matrix-tuwunel',
          'systemctl is-active matrix-tuwunel',
        ]);
        expect(
          liveProcessesOf(h.lab.hosts.homeserver.dir).filter((p) => p.command.includes('docker')),
        ).toEqual([]);
      });

      it('starts Tuwunel again when the connection is cut during the docker step', async () => {
        h.lab.faults.cut('homeserver', 'docker run*', 1);
        const record = await (
          await h.runbook().start('user.make-admin', { user: 'alice' }, { confirmed: true })
        ).done;
        expect(record.state).toBe('failed');
        expect(record.steps.find((s) => s.id === 'execute')?.error?.code).toBe('ConnectionLost');
        expect(record.steps.filter((s) => s.phase === 'finally').map((s) => s.state)).toEqual(['ok', 'ok']);
        expect(await h.lab.state.unitActive('matrix-tuwunel')).toBe(true);
        expect(h.runbook().alerts.list()).toEqual([]);
      });

      it('raises the sticky alert when Tuwunel cannot be started again, and stack.start clears it', async () => {
        h.lab.faults.exit('homeserver', 'systemctl start*', 1, 'Job for matrix-tuwunel.service failed.\n');
        const rb = h.runbook({ settings: { finallyAttempts: 2, tuwunelReadyTimeoutMs: 600 } });
        const record = await (await rb.start('user.make-admin', { user: 'carol' }, { confirmed: true })).done;
        expect(record.state).toBe('failed');
        expect(record.alert).toMatchObject({
          id: TUWUNEL_STOPPED_ALERT,
          title: 'matrix-tuwunel is stopped',
          fixActionId: 'stack.start',
        });
        expect(rb.alerts.list().map((a) => a.id)).toEqual([TUWUNEL_STOPPED_ALERT]);
        expect(await h.lab.state.unitActive('matrix-tuwunel')).toBe(false);
        h.lab.faults.clear();
        const start = await (await rb.start('stack.start')).done;
        expect(start.state).toBe('ok');
        expect(await h.lab.state.unitActive('matrix-tuwunel')).toBe(true);
        expect(rb.alerts.list()).toEqual([]);
      });
    });

    describe('with the admin sign-in stored: no downtime', () => {
      it(`makes a user admin and deactivates one through ${apiServed ? 'the admin API' : 'the admin room'}, stopping nothing`, async () => {
        await h.secrets.set(tokenRef(), h.lab.secrets.adminAccessToken);
        const rb = h.runbook();
        const plan = await rb.plan('user.make-admin', { user: '@alice:lab.test' });
        expect(plan).toMatchObject(
          apiServed
            ? {
                route: 'admin-api',
                routeWhy: 'Tuwunel 1.9.0 (as the server says) serves the admin API: no downtime.',
                danger: 'disruptive',
                downtime: 'None, through the admin API.',
              }
            : {
                route: 'admin-room',
                routeWhy:
                  'Through the admin room, with no downtime: Tuwunel 1.7.0 (as the server says) has no admin API (it came with Tuwunel 1.8.1).',
                downtime: 'None, through the admin room.',
              },
        );
        const record = await (
          await rb.start('user.make-admin', { user: '@alice:lab.test' }, { confirmed: true })
        ).done;
        expect(record).toMatchObject({ state: 'ok', route: apiServed ? 'admin-api' : 'admin-room' });
        expect(record.sentence).toBe(
          `@alice:lab.test is now a server admin (through the admin ${apiServed ? 'API' : 'room'}, no downtime).`,
        );
        if (apiServed)
          expect(record.steps.map((s) => [s.id, s.state])).toEqual([
            ['look-up-user', 'ok'],
            ['grant-admin', 'ok'],
          ]);
        else expect(record.steps[0]?.output).toBe('@alice:lab.test has been granted admin privileges.\n');
        expect((await user('@alice:lab.test'))?.admin).toBe(true);
        // Granted as Tuwunel grants it: the new admin joins the admin room.
        expect(
          h.lab.adminRoomLog().some((e) => e.type === 'm.room.member' && e.state_key === '@alice:lab.test'),
        ).toBe(true);

        const deactivate = await (
          await rb.start('user.deactivate', { user: 'bob', leaveRooms: false }, { confirmed: true })
        ).done;
        expect(deactivate).toMatchObject({ state: 'ok', route: apiServed ? 'admin-api' : 'admin-room' });
        expect((await user('@bob:lab.test'))?.deactivated).toBe(true);
        // Nothing ran on the homeserver: no `systemctl stop` in its exec log.
        expect(sent()).toEqual([]);
        expect(h.lab.hosts.homeserver.execLog().slice(logStart).join('\n')).not.toMatch(/systemctl stop/);
        expect(JSON.stringify([record, deactivate, await h.audit.read()])).not.toContain(
          h.lab.secrets.adminAccessToken,
        );
      });

      // Only the admin API can tell: Tuwunel's `make-user-admin` takes any local user ID (parse_local_user_id).
      if (apiServed)
        it('the admin API never creates a user by accident: an unknown user is refused as such', async () => {
          await h.secrets.set(tokenRef(), h.lab.secrets.adminAccessToken);
          const record = await (
            await h.runbook().start('user.make-admin', { user: 'nobody' }, { confirmed: true })
          ).done;
          expect(record.state).toBe('failed');
          expect(record.sentence).toMatch(
            apiServed ? /there is no user @nobody:lab\.test on this server/ : /Tuwunel answered: /,
          );
          expect(await user('@nobody:lab.test')).toBeUndefined();
          expect(sent()).toEqual([]);
        });

      it('admin.command shows the bot’s reply; refuses rooms list before sending anything', async () => {
        await h.secrets.set(tokenRef(), h.lab.secrets.adminAccessToken);
        const rb = h.runbook();
        const uptime = await (await rb.start('admin.command', { command: '!admin server uptime' })).done;
        expect(uptime.state).toBe('ok');
        expect(uptime.steps[0]?.output.trim().length).toBeGreaterThan(0);
        await expect(rb.start('admin.command', { command: '!admin rooms list' })).rejects.toBeInstanceOf(
          ActionRefused,
        );
        const failed = await (
          await rb.start('admin.command', { command: 'users deactivate @conduit:lab.test' })
        ).done;
        expect(failed.state).toBe('failed');
        expect(failed.sentence).toBe(
          'Send an admin command failed at "Send the command to the admin room": Tuwunel answered: Command failed with error: Not allowed to deactivate the server service account.',
        );
        for (const command of ['rooms   list 2', 'token list', 'token issue --once'])
          await expect(rb.start('admin.command', { command })).rejects.toBeInstanceOf(ActionRefused);
        const stub = await (await rb.start('admin.command', { command: 'federation incoming-federation' }))
          .done;
        expect(stub).toMatchObject({ state: 'ok' });
        expect(stub.sentence).toMatch(
          new RegExp(
            `^"federation incoming-federation" is disabled in Tuwunel ${version.replaceAll('.', '\\.')}`,
          ),
        );
        expect(sent()).toEqual([]);
        // What was said in the room: neither the refused commands nor the stub.
        const said = h.lab
          .adminRoomLog()
          .filter((e) => e.sender === h.lab.secrets.adminUserId && e.type === 'm.room.message')
          .map((e) => String(e.content.body));
        expect(said.some((b) => /rooms\s+list|token (list|issue)|incoming-federation/.test(b))).toBe(false);
      });
    });

    describe('stack, restart and logs', () => {
      it('maintenance stop suppresses the status alerts, and start lifts it', async () => {
        const service = new StatusService({ profile: h.profile, remote: h.pool });
        const scheduler = new StatusScheduler(service, schedulerSettings(h.profile, service.polledHosts));
        const disconnect = connectMaintenance(h.maintenance, scheduler);
        const alerts: string[] = [];
        const off = scheduler.subscribe((_s, events) =>
          alerts.push(...events.map((e) => `${e.kind} ${e.check.id}`)),
        );
        try {
          await scheduler.refreshNow();
          const stop = await (await h.runbook().start('stack.stop', {}, { confirmed: true })).done;
          expect(stop.state).toBe('ok');
          for (const unit of h.profile.units) expect(await h.lab.state.unitActive(unit)).toBe(false);
          expect(sent().map((c) => c.command)).toContain("systemctl stop 'matrix-*'");
          for (let i = 0; i < 3; i++) await scheduler.refreshNow();
          const stopped = scheduler.snapshot();
          expect(stopped.results.find((r) => r.id === 'unit:matrix-tuwunel')).toMatchObject({
            level: 'maintenance',
            underlying: 'fail',
          });
          expect(stopped.alerts['unit:matrix-tuwunel']).toBe('maintenance');
          expect(alerts.filter((a) => a.startsWith('down'))).toEqual([]);

          const start = await (await h.runbook().start('stack.start')).done;
          expect(start.state).toBe('ok');
          expect(h.maintenance.list()).toEqual([]);
          await scheduler.refreshNow();
          const running = scheduler.snapshot();
          expect(running.maintenance).toEqual([]);
          expect(running.results.find((r) => r.id === 'unit:matrix-tuwunel')?.level).toBe('ok');
          expect(alerts.filter((a) => a.startsWith('down'))).toEqual([]);
        } finally {
          off();
          disconnect();
          await scheduler.stop();
          service.close();
        }
      });

      it('tuwunel.restart restarts the unit and waits until the federation endpoint answers', async () => {
        const record = await (await h.runbook().start('tuwunel.restart', {}, { confirmed: true })).done;
        expect(record.state).toBe('ok');
        expect(sent()).toEqual([{ command: 'systemctl restart matrix-tuwunel', sudo: true }]);
        expect(record.steps[1]?.summary).toMatch(/_matrix\/federation\/v1\/version answers \(HTTP 200\)/);
      });

      it('tuwunel.restart fails (bounded) when Tuwunel does not come back', async () => {
        h.lab.faults.exit('homeserver', 'systemctl restart*', 0);
        await h.lab.state.setUnitActive('matrix-tuwunel', false);
        const record = await (
          await h
            .runbook({ settings: { tuwunelReadyTimeoutMs: 1_000 } })
            .start('tuwunel.restart', {}, { confirmed: true })
        ).done;
        expect(record.state).toBe('failed');
        expect(record.sentence).toMatch(
          /Waiting for https:\/\/.*\/_matrix\/federation\/v1\/version did not finish within 1 s.*Last answer: HTTP 502/,
        );
      });

      it('logs.follow streams the journal until cancelled and is not blocked by a running mutating action', async () => {
        h.lab.faults.hang('homeserver', 'docker run*');
        const rb = h.runbook({ settings: { cliExecuteTimeoutSeconds: 20 } });
        const busy = await rb.start('user.make-admin', { user: 'bob' }, { confirmed: true });
        await new Promise<void>((resolve) => {
          const off = rb.events.on('step-started', (e) => {
            if (e.step.id === 'execute') {
              off();
              resolve();
            }
          });
        });
        const refused = await rb.start('stack.stop', {}, { confirmed: true }).catch((e) => e);
        expect(refused).toBeInstanceOf(HostBusy);
        expect(refused.message).toMatch(
          /^The homeserver host is busy with "Make someone a server admin \(run [0-9a-f]{8}\)"\.$/,
        );
        const other = await h
          .runbook()
          .start('tuwunel.restart', {}, { confirmed: true })
          .catch((e) => e);
        expect(other).toBeInstanceOf(HostBusy);

        const logs = await rb.start('logs.follow', { unit: 'matrix-tuwunel' });
        const lines: string[] = [];
        await new Promise<void>((resolve) => {
          const off = rb.events.on('step-output', (e) => {
            if (e.runId !== logs.id) return;
            lines.push(e.text);
            if (lines.join('').split('\n').length > 3) {
              off();
              resolve();
            }
          });
        });
        logs.cancel();
        const followed = await logs.done;
        expect(followed).toMatchObject({
          state: 'cancelled',
          sentence: 'Stopped following the log of matrix-tuwunel.',
        });
        expect(sent().some((c) => c.command === 'journalctl -fu matrix-tuwunel' && c.sudo)).toBe(true);
        busy.cancel();
        const cancelled = await busy.done;
        expect(cancelled.state).toBe('cancelled');
        expect(await h.lab.state.unitActive('matrix-tuwunel')).toBe(true);
        // Nothing left behind: neither journalctl nor the cancelled `timeout … docker run` (GNU timeout sits in a
        // process group of its own; the pool stops the command's whole process tree).
        expect(liveProcessesOf(h.lab.hosts.homeserver.dir)).toEqual([]);
        const audit = await h.audit.read();
        expect(audit.filter((r) => r.outcome === 'refused').map((r) => r.action)).toEqual(
          expect.arrayContaining(['stack.stop', 'tuwunel.restart']),
        );
      });
    });

    describe('hostile parameters never reach the host as more than one argument', () => {
      it('10 000 hostile user strings: each rejected before anything is sent, or one quoted --execute argument', async () => {
        // Validation does not depend on the keychain or the server's release; leaving them out keeps 10 000
        // dry runs fast (and every one of them a CLI-mode plan).
        const rb = h.runbook({
          secrets: undefined,
          server: undefined,
          settings: { cliExecuteTimeoutSeconds: 2 },
        });
        const fragment = fc.constantFrom(
          ...COMMAND_BITS,
          '~',
          ':lab.test',
          ':evil.org',
          '@',
          '=',
          '/',
          '+',
          '.',
          '_',
          '-',
          'a',
          'z9',
        );
        const hostile = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), soupOf(fragment, 8));
        const accepted: string[] = [];
        // Collected and asserted once, rather than an expect() per refusal in the loop.
        const otherErrors: string[] = [];
        for (const input of fc.sample(hostile, sweep(10_000))) {
          try {
            await rb.plan('user.make-admin', { user: input });
            accepted.push(input);
          } catch (e) {
            const code = (e as { code?: unknown }).code;
            if (code !== 'InvalidInput') otherErrors.push(`${JSON.stringify(input)}: ${String(e)}`);
          }
        }
        expect(otherErrors.slice(0, 20)).toEqual([]);
        expect(h.lab.hosts.homeserver.execLog().length).toBe(logStart);
        // Run the accepted values that carry the most punctuation for real, and read the exec log back with bash.
        const punctuated = [...new Set(accepted)]
          .sort((a, b) => b.replace(/[a-z0-9]/g, '').length - a.replace(/[a-z0-9]/g, '').length)
          .slice(0, 3);
        expect(punctuated.length).toBe(3);
        const expectedIds: string[] = [];
        for (const input of punctuated) {
          const record = await (await rb.start('user.make-admin', { user: input }, { confirmed: true })).done;
          expectedIds.push(String(record.params.user));
          expect(record.steps.filter((s) => s.phase === 'finally').map((s) => s.state)).toEqual(['ok', 'ok']);
        }
        const dockerLines = sent().filter((c) => c.command.startsWith('timeout '));
        const words = wordsOf(dockerLines.map((c) => c.command));
        expect(words.map((w) => w.slice(-4))).toEqual(
          expectedIds.map((id) => [
            '--execute',
            `users make-user-admin ${id}`,
            '--execute',
            'server shutdown',
          ]),
        );
        for (const id of expectedIds) expect(id).toMatch(/^@[a-z0-9._=\-/+]+:lab\.test$/);
      }, 120_000);
    });
  });
}
