import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src-main/cli/exit-codes';
import { statusCommand } from '../../../src-main/cli/status-command';
import { type Profile, type ProfileInput, profileSchema } from '../../../src-main/core/profile/schema';
import { SshPool } from '../../../src-main/core/ssh/pool';
import { varsFilePath } from '../../../src-main/core/status/checks/config-lint';
import { type AlertEvent, StatusScheduler, schedulerSettings } from '../../../src-main/core/status/scheduler';
import { type RefreshOutcome, StatusService } from '../../../src-main/core/status/service';
import type { Level } from '../../../src-main/core/status/types';
import { startLab } from '../../lab/lab';
import type { Lab, LabHostRole } from '../../lab/types';

/**
 * The status core against the lab: real sshd and bash with the systemd / docker / df stand-ins, the
 * deploy checkout's real vars.yml, the lab's HTTPS endpoints behind its own CA, and the real SSH pool — the
 * homeserver playing Tuwunel 1.7.0 or 1.9.0.
 */

/** Every test below, against a lab playing `version` (one lab per test file: keytar keeps the first D-Bus it meets). */
export function statusSuite(version: '1.7.0' | '1.9.0'): void {
  const other = version === '1.7.0' ? '1.9.0' : '1.7.0';
  describe(`against Tuwunel ${version}`, () => {
    let lab: Lab;
    let scratch: string;
    const pools: SshPool[] = [];
    const services: StatusService[] = [];

    beforeAll(async () => {
      // A healthy container from the start: Docker's first health probe (1.8.2 on) is not what these tests wait for.
      lab = await startLab({ tuwunelVersion: version, healthCheckSeconds: 0 });
      scratch = mkdtempSync(join(tmpdir(), 'status-lab-'));
      ({ service: shared, profile: sharedProfile } = makeService());
    });

    afterAll(async () => {
      await Promise.all(pools.map((p) => p.disconnect()));
      for (const s of services) s.close();
      await lab?.stop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    function makeService(change: (p: ProfileInput) => ProfileInput = (p) => p): {
      service: StatusService;
      profile: Profile;
    } {
      const profile = profileSchema.parse(change(structuredClone(lab.profile)));
      const pool = new SshPool({
        profile,
        appKnownHostsFile: join(mkdtempSync(join(scratch, 'data-')), 'known_hosts'),
        agentSocket: undefined,
        secret: async (kind) => (kind === 'sudo-password' ? Buffer.from(lab.secrets.sudoPassword) : null),
      });
      pools.push(pool);
      const service = new StatusService({ profile, remote: pool });
      services.push(service);
      return { service, profile };
    }

    let shared: StatusService;
    let sharedProfile: Profile;

    async function levels(
      service = shared,
    ): Promise<{ outcome: RefreshOutcome; level: (id: string) => Level; detail: (id: string) => string }> {
      const outcome = await service.refresh();
      const find = (id: string) => {
        const r = outcome.results.find((x) => x.id === id);
        if (!r) throw new Error(`no result ${id}: ${outcome.results.map((x) => x.id).join(', ')}`);
        return r;
      };
      return { outcome, level: (id) => find(id).level, detail: (id) => find(id).detail };
    }

    const restore: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      for (const undo of restore.splice(0).reverse()) await undo();
    });

    async function stopUnit(unit: string): Promise<void> {
      await lab.state.setUnitActive(unit, false);
      restore.push(() => lab.state.setUnitActive(unit, true));
    }

    function editVars(edit: (text: string) => string): void {
      const path = varsFilePath(sharedProfile.deploy.dir, sharedProfile.deploy.varsFile);
      const original = readFileSync(path, 'utf8');
      writeFileSync(path, edit(original));
      restore.push(() => writeFileSync(path, original));
    }

    describe('status against the lab', () => {
      it('is green on the runbook’s deploy, except the runbook’s own unanchored allowlist', async () => {
        const { outcome, level, detail } = await levels();
        const notOk = outcome.results.filter((r) => r.level !== 'ok').map((r) => `${r.id}: ${r.detail}`);
        expect(notOk).toEqual([
          expect.stringMatching(/^config:allowlist-patterns: .*'lab\.test' is not anchored/),
        ]);
        expect(level('unit:matrix-tuwunel')).toBe('ok');
        expect(level('container:matrix-tuwunel')).toBe('ok');
        expect(level('tls:public')).toBe('ok');
        expect(detail('http:federation-version')).toMatch(
          new RegExp(`^Tuwunel ${version.replaceAll('.', '\\.')} answers federation requests, as pinned\\.$`),
        );
        expect(Object.values(outcome.hosts).every((h) => h?.ok)).toBe(true);
      });

      it('sends exactly one exec per host per poll', async () => {
        await shared.refresh();
        const before = {
          homeserver: lab.hosts.homeserver.execLog().length,
          deploy: lab.hosts.deploy.execLog().length,
        };
        await shared.refresh();
        await shared.refresh();
        for (const h of ['homeserver', 'deploy'] as LabHostRole[]) {
          const log = lab.hosts[h].execLog();
          expect(log.length - before[h], h).toBe(2);
          expect(log.at(-1)).toContain('bash --noprofile --norc -c');
        }
      });

      it('fails a stopped unit and its container, with since, and recovers', async () => {
        await stopUnit('matrix-postgres');
        const { level, detail } = await levels();
        expect(level('unit:matrix-postgres')).toBe('fail');
        expect(detail('unit:matrix-postgres')).toMatch(
          /^matrix-postgres is stopped since \d{4}-\d\d-\d\d \d\d:\d\d UTC; start it/,
        );
        expect(level('container:matrix-postgres')).toBe('fail');
        expect(level('unit:matrix-traefik')).toBe('ok');
      });

      it('grades the RocksDB disk at 85 % and 95 %', async () => {
        restore.push(() => lab.state.setDiskPercent(42));
        await lab.state.setDiskPercent(84);
        expect((await levels()).level('disk:tuwunel-data')).toBe('ok');
        await lab.state.setDiskPercent(85);
        expect((await levels()).level('disk:tuwunel-data')).toBe('warn');
        await lab.state.setDiskPercent(97);
        const full = await levels();
        expect(full.level('disk:tuwunel-data')).toBe('fail');
        expect(full.detail('disk:tuwunel-data')).toMatch(/is 97 % full/);
      });

      it('warns when the running Tuwunel drifts from the pin (image tag and federation version)', async () => {
        await lab.http.setTuwunelVersion(other);
        restore.push(() => lab.http.setTuwunelVersion(version));
        await lab.state.setUnitActive('matrix-tuwunel', false);
        await lab.state.setUnitActive('matrix-tuwunel', true);
        const { level, detail } = await levels();
        expect(level('image:tuwunel')).toBe('warn');
        expect(detail('image:tuwunel')).toMatch(`runs v${other} but the profile pins v${version}`);
        expect(level('http:federation-version')).toBe('warn');
      });

      it('says Tuwunel is not answering behind the proxy when matrix-tuwunel is down', async () => {
        await stopUnit('matrix-tuwunel');
        const { level, detail } = await levels();
        expect(level('http:client-versions')).toBe('fail');
        expect(detail('http:client-versions')).toMatch(
          /^Tuwunel is not answering behind the proxy: HTTP 502 from https:\/\//,
        );
        expect(level('http:federation-version')).toBe('fail');
        expect(level('http:well-known-server')).toBe('ok');
        expect(level('container:matrix-tuwunel')).toBe('fail');
      });

      it('fails MatrixRTC when the LiveKit JWT service is down', async () => {
        await stopUnit('matrix-livekit-jwt-service');
        const { level, detail } = await levels();
        expect(level('http:matrixrtc')).toBe('fail');
        expect(detail('http:matrixrtc')).toMatch(/check matrix-livekit-jwt-service/);
      });

      describe('config lint of the deploy checkout’s vars.yml', () => {
        it('the own server missing from the allowlist fails below 1.8.0 and is a note from 1.8.0', async () => {
          editVars((t) =>
            t.replace(
              /^matrix_tuwunel_config_allowed_remote_server_names: .*$/m,
              () => "matrix_tuwunel_config_allowed_remote_server_names: ['^matrix\\.org$']",
            ),
          );
          const first = await levels();
          expect(first.detail('config:allowlist-own-server')).toMatch(/tuwunel#489/);
          expect(first.level('config:allowlist-patterns')).toBe('ok');
          if (version === '1.7.0') {
            expect(first.level('config:allowlist-own-server')).toBe('fail');
            editVars((t) => t.replace(/^matrix_tuwunel_version: .*$/m, 'matrix_tuwunel_version: v1.8.0'));
          } else {
            expect(first.level('config:allowlist-own-server')).toBe('ok');
            editVars((t) => t.replace(/^matrix_tuwunel_version: .*$/m, 'matrix_tuwunel_version: v1.7.0'));
          }
          const then = await levels();
          expect(then.level('config:allowlist-own-server')).toBe(version === '1.7.0' ? 'ok' : 'fail');
          if (version === '1.7.0') expect(then.detail('config:allowlist-own-server')).toMatch(/^Note: /);
          expect(then.level('config:version-pin')).toBe('warn');
        });

        it('warns when legacy media is off and fails a YAML error with its line', async () => {
          editVars((t) => t.replace('TUWUNEL_ALLOW_LEGACY_MEDIA=true', 'OTHER=1'));
          expect((await levels()).level('config:legacy-media')).toBe('warn');
          editVars((t) => `${t}broken: [unclosed\nnext: 1\n`);
          const { level, detail } = await levels();
          expect(level('config:vars-file')).toBe('fail');
          expect(detail('config:vars-file')).toMatch(/is not valid YAML \(line \d+\)/);
        });
      });

      it('turns a failing probe into unknown with its reason, over real SSH', async () => {
        lab.faults.exit(
          'homeserver',
          'docker*',
          1,
          'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
        );
        restore.push(() => lab.faults.clear('homeserver'));
        const { level, detail } = await levels();
        expect(level('container:matrix-tuwunel')).toBe('unknown');
        expect(detail('container:matrix-tuwunel')).toMatch(/Cannot connect to the Docker daemon/);
        expect(level('unit:matrix-tuwunel')).toBe('ok');
      });

      it('trusts the lab CA only through the profile’s caFile', async () => {
        const { caFile: _lab, ...withoutCa } = structuredClone(lab.profile);
        const service = new StatusService({ profile: profileSchema.parse(withoutCa), remote: pools[0]! });
        services.push(service);
        const { level, detail } = await levels(service);
        expect(level('tls:public')).toBe('fail');
        expect(detail('tls:public')).toMatch(
          /is not trusted \(\w+\); renew it, or set caFile in the profile/,
        );
        expect(level('http:client-versions')).toBe('fail');
      });

      it('shows an unreachable host as its failing SSH check, the other host unaffected', async () => {
        const { service } = makeService((p) => ({
          ...p,
          hosts: { ...p.hosts, homeserver: { ...p.hosts.homeserver, port: 1 } },
        }));
        const { outcome, level, detail } = await levels(service);
        expect(level('ssh:homeserver')).toBe('fail');
        expect(detail('ssh:homeserver')).toMatch(
          /^Could not reach the homeserver host at .*; check that the machine is up/,
        );
        expect(level('unit:matrix-tuwunel')).toBe('unknown');
        expect(outcome.hosts.homeserver).toMatchObject({ ok: false, error: { code: 'ConnectFailed' } });
        expect(level('ssh:deploy')).toBe('ok');
        expect(level('config:vars-file')).toBe('ok');
      });

      it('runs the backup probe inside the same single exec, ok when fresh, failing when old', async () => {
        const stamp = join(scratch, 'newest-backup');
        const { service } = makeService((p) => ({
          ...p,
          checks: { backup: { host: 'homeserver', command: `ls /; cat ${stamp}`, maxAgeHours: 26 } },
        }));
        writeFileSync(stamp, `${Math.floor(Date.now() / 1000) - 3 * 3600}\n`);
        const before = lab.hosts.homeserver.execLog().length;
        const fresh = await levels(service);
        expect(lab.hosts.homeserver.execLog().length - before).toBe(1);
        expect(fresh.level('backup:age')).toBe('ok');
        expect(fresh.detail('backup:age')).toMatch(/is 3\.0 h old\.$/);
        writeFileSync(stamp, '2020-01-01T00:00:00Z\n');
        const old = await levels(service);
        expect(old.level('backup:age')).toBe('fail');
        expect(old.detail('backup:age')).toMatch(
          /^The newest backup \(2020-01-01 00:00 UTC\) is \d+ h old, over the 26 h limit/,
        );
      });
    });

    describe('alerts and maintenance end to end', () => {
      function scheduler(): { s: StatusScheduler; alerts: AlertEvent[] } {
        const s = new StatusScheduler(shared, schedulerSettings(sharedProfile, shared.polledHosts));
        const alerts: AlertEvent[] = [];
        s.subscribe((_snap, a) => alerts.push(...a));
        restore.push(() => s.stop());
        return { s, alerts };
      }

      it('pending, then down, then recovered when Tuwunel stops behind the app’s back', async () => {
        const { s, alerts } = scheduler();
        await s.refreshNow();
        await lab.state.setUnitActive('matrix-tuwunel', false);
        restore.push(() => lab.state.setUnitActive('matrix-tuwunel', true));
        const first = await s.refreshNow();
        expect(first.alerts['unit:matrix-tuwunel']).toBe('pending');
        expect(alerts).toEqual([]);
        await s.refreshNow();
        const down = alerts.filter((a) => a.kind === 'down').map((a) => a.check.id);
        expect(down).toEqual(expect.arrayContaining(['unit:matrix-tuwunel', 'http:client-versions']));
        await lab.state.setUnitActive('matrix-tuwunel', true);
        const back = await s.refreshNow();
        expect(alerts.filter((a) => a.kind === 'recovered').map((a) => a.check.id)).toEqual(
          expect.arrayContaining(['unit:matrix-tuwunel', 'http:client-versions']),
        );
        expect(back.alerts['unit:matrix-tuwunel']).toBe('up');
      });

      it('maintenance mode shows maintenance, raises nothing, and leaving it raises nothing', async () => {
        const { s, alerts } = scheduler();
        await s.refreshNow();
        s.setMaintenance({ key: 'mode', units: 'all', reason: 'Maintenance stop' });
        const { exitCode } = await lab.hosts.homeserver.sh("systemctl stop 'matrix-*'");
        expect(exitCode).toBe(0);
        restore.push(async () => {
          await lab.hosts.homeserver.sh("systemctl start 'matrix-*'");
        });
        for (let i = 0; i < 3; i++) await s.refreshNow();
        const during = s.snapshot();
        const unitBound = during.results.filter((r) => r.units.length > 0);
        expect(unitBound.length).toBeGreaterThan(10);
        expect(unitBound.filter((r) => r.level !== 'maintenance')).toEqual([]);
        // Only the unit-less checks speak: the lab keeps the runbook's unanchored allowlist (a warn).
        expect(during.overall).toBe('warn');
        expect(during.results.find((r) => r.id === 'unit:matrix-tuwunel')).toMatchObject({
          level: 'maintenance',
          underlying: 'fail',
        });
        expect(during.results.find((r) => r.id === 'http:client-versions')!.level).toBe('maintenance');
        expect(alerts).toEqual([]);
        await lab.hosts.homeserver.sh("systemctl start 'matrix-*'");
        s.clearMaintenance('mode');
        await s.refreshNow();
        await s.refreshNow();
        expect(alerts).toEqual([]);
        expect(s.snapshot().results.find((r) => r.id === 'unit:matrix-tuwunel')!.level).toBe('ok');
      });
    });

    describe('the `status` command line', () => {
      function io() {
        const out = { stdout: '', stderr: '' };
        const sink = {
          stdout: (t: string) => {
            out.stdout += t;
          },
          stderr: (t: string) => {
            out.stderr += t;
          },
        };
        return { out, io: sink };
      }

      it('prints a table and exits 1 for the runbook’s warn, 2 once something fails', async () => {
        const a = io();
        expect(await statusCommand([], { profile: sharedProfile, remote: pools[0]! }, a.io)).toBe(
          EXIT.failed,
        );
        expect(a.out.stdout).toMatch(/^HOST {8}CHECK +LEVEL +SINCE +DETAIL\n/);
        expect(a.out.stdout).toMatch(
          /\nhomeserver +matrix-tuwunel unit +OK +\d+ \w+ +matrix-tuwunel is active \(running\)/,
        );
        expect(a.out.stdout).toMatch(/\nOverall: WARN\n$/);
        await stopUnit('matrix-tuwunel');
        const b = io();
        expect(await statusCommand([], { profile: sharedProfile, remote: pools[0]! }, b.io)).toBe(EXIT.fail);
      });

      it('prints JSON with every result', async () => {
        const a = io();
        const code = await statusCommand(['--json'], { profile: sharedProfile, remote: pools[0]! }, a.io);
        const parsed = JSON.parse(a.out.stdout) as {
          overall: string;
          exitCode: number;
          results: { id: string; since: string }[];
        };
        expect(code).toBe(1);
        expect(parsed).toMatchObject({ overall: 'warn', exitCode: 1 });
        expect(parsed.results.map((r) => r.id)).toEqual(
          expect.arrayContaining(['ssh:homeserver', 'unit:matrix-tuwunel', 'tls:public']),
        );
        expect(parsed.results.every((r) => !Number.isNaN(Date.parse(r.since)))).toBe(true);
      });

      it('exits 3 with the fingerprint and the trust command for an unknown host key', async () => {
        const empty = join(scratch, 'empty_known_hosts');
        writeFileSync(empty, '');
        const { profile } = makeService((p) => ({ ...p, knownHostsFile: empty }));
        const pool = pools.at(-1)!;
        const a = io();
        expect(await statusCommand([], { profile, remote: pool }, a.io)).toBe(EXIT.hostKey);
        expect(a.out.stderr).toContain(lab.hosts.homeserver.fingerprint);
        expect(a.out.stderr).toContain('homeserver-tray hostkey trust homeserver');
        expect(a.out.stderr).toContain('homeserver-tray hostkey trust deploy');
      });

      it('watches until stopped, one report per poll', async () => {
        const a = io();
        const stop = new AbortController();
        const running = statusCommand(
          ['--watch', '--json'],
          { profile: sharedProfile, remote: pools[0]!, stop: stop.signal },
          {
            stdout: (t) => {
              a.io.stdout(t);
              stop.abort();
            },
            stderr: a.io.stderr,
          },
        );
        expect(await running).toBe(1);
        expect(a.out.stdout.trim().split('\n')).toHaveLength(1);
      });

      it('refuses unknown options', async () => {
        const a = io();
        expect(await statusCommand(['--yaml'], { profile: sharedProfile, remote: pools[0]! }, a.io)).toBe(
          EXIT.usage,
        );
        expect(a.out.stderr).toMatch(/^--yaml: is not an option of this command/);
      });
    });
  });
}
