import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parseVersion } from '../../../../src-main/core/lib/version';
import { profileSchema } from '../../../../src-main/core/profile/schema';
import {
  type PbsCheck,
  parseSnapshots,
  pbsCommand,
  pbsFinding,
} from '../../../../src-main/core/status/checks/pbs';
import {
  tuwunelBackupsCommand,
  tuwunelBackupsFinding,
} from '../../../../src-main/core/status/checks/tuwunel-backups';
import { releaseFinding } from '../../../../src-main/core/status/checks/tuwunel-release';
import { interpretHost, planHosts } from '../../../../src-main/core/status/probes';
import type { SectionOutput } from '../../../../src-main/core/status/remote-script';
import { LEVELS } from '../../../../src-main/core/status/types';
import type { VersionEntry } from '../../../../src-main/core/upgrade/playbook-versions';
import { testProfile } from '../runbook/test-profile';

const NOW = Date.UTC(2026, 11, 7, 8, 0, 0);

const v = (text: string): VersionEntry => ({ state: 'version', text, version: parseVersion(text)! });

describe('config:tuwunel-release', () => {
  it('the same release as pinned is fine', () => {
    expect(
      releaseFinding({ roleDefault: v('v1.9.0'), pin: v('v1.9.0') }, 'v1.9.0', 'matrix-tuwunel'),
    ).toMatchObject({
      level: 'ok',
      detail: 'vars.yml pins 1.9.0, the release the playbook ships.',
    });
  });

  it('a newer release is news (ok) without security fixes between, a warning with them', () => {
    const minor = releaseFinding({ roleDefault: v('v1.8.3'), pin: v('v1.8.2') }, 'v1.8.2', 'g');
    expect(minor.level).toBe('ok');
    expect(minor.detail).toMatch(
      /^1\.8\.3 available \(you pin 1\.8\.2\): 1 newer release; breaking changes \(1\.8\.3\)\. Next: /,
    );
    const major = releaseFinding({ roleDefault: v('v1.9.0'), pin: v('v1.8.2') }, 'v1.8.2', 'g');
    expect(major.level).toBe('warn');
    expect(major.detail).toContain('security fixes (1.9.0)');
    expect(major.detail).toContain('one-time migrations at first start (1.9.0)');
  });

  it('a release newer than the app’s table says to read its notes upstream', () => {
    const f = releaseFinding({ roleDefault: v('v1.9.3'), pin: v('v1.9.0') }, 'v1.9.0', 'g');
    expect(f.detail).toMatch(
      /^1\.9\.3 available \(you pin 1\.9\.0\): 1 newer release; no notes in this app for 1\.9\.3: read its RELEASE\.md upstream\./,
    );
  });

  it('no pin in vars.yml: fine while the default is the profile’s version, a warning when the next apply would change it', () => {
    expect(releaseFinding({ roleDefault: v('v1.7.0'), pin: { state: 'absent' } }, 'v1.7.0', 'g').level).toBe(
      'ok',
    );
    const drift = releaseFinding({ roleDefault: v('v1.9.0'), pin: { state: 'absent' } }, 'v1.7.0', 'g');
    expect(drift).toMatchObject({
      level: 'warn',
      detail:
        'vars.yml does not pin matrix_tuwunel_version, so the next apply deploys the playbook’s 1.9.0 instead of 1.7.0 without a backup first; add `matrix_tuwunel_version: v1.7.0` to vars.yml.',
    });
  });

  it('a pin newer than the playbook, a template or junk: said as it is', () => {
    expect(releaseFinding({ roleDefault: v('v1.8.3'), pin: v('v1.9.0') }, 'v1.9.0', 'g').detail).toMatch(
      /^You pin 1\.9\.0, newer than the playbook’s 1\.8\.3/,
    );
    expect(
      releaseFinding({ roleDefault: v('v1.9.0'), pin: { state: 'template', text: '{{ x }}' } }, 'v1', 'g'),
    ).toMatchObject({
      level: 'unknown',
      detail:
        'matrix_tuwunel_version in vars.yml is the template "{{ x }}", which the app does not evaluate; write the version literally.',
    });
    expect(
      releaseFinding({ roleDefault: { state: 'invalid', problem: 'p' }, pin: v('v1.9.0') }, 'v1', 'g').level,
    ).toBe('unknown');
    expect(releaseFinding({ roleDefault: { state: 'absent' }, pin: v('v1.9.0') }, 'v1', 'g').detail).toMatch(
      /does not name matrix_tuwunel_version; check that deploy\.dir/,
    );
  });
});

const pbs = (extra: Partial<PbsCheck> = {}): PbsCheck =>
  profileSchema.shape.checks
    .unwrap()
    .shape.pbs.unwrap()
    .parse({
      repository: 'backup@pbs!tray@pbs.example:nas-primary',
      group: 'vm/111',
      ...extra,
    });

const snap = (hoursAgo: number, verification?: 'ok' | 'failed', id = '111') => ({
  'backup-type': 'vm',
  'backup-id': id,
  'backup-time': Math.round(NOW / 1000 - hoursAgo * 3600),
  ...(verification
    ? { verification: { state: verification, upid: 'UPID:pbs:1:2:3:4:verificationjob:x:root@pam:' } }
    : {}),
  files: [{ filename: 'index.json.blob', 'crypt-mode': 'none', size: 600 }],
  size: 34359740000,
  owner: 'root@pam',
  protected: false,
});

describe('backup:pbs', () => {
  it('runs the client read-only, its password from a file, each value one word', () => {
    expect(pbsCommand(pbs())).toBe(
      "proxmox-backup-client snapshot list vm/111 --repository 'backup@pbs!tray@pbs.example:nas-primary' --output-format json",
    );
    expect(
      pbsCommand(
        pbs({
          passwordFile: '/root/pbs,token',
          fingerprint: `${'ab:'.repeat(31)}ab`,
          namespace: 'site/matrix',
        }),
      ),
    ).toBe(
      `env PBS_PASSWORD_FILE=/root/pbs,token PBS_FINGERPRINT=${'ab:'.repeat(31)}ab proxmox-backup-client snapshot list vm/111 --repository 'backup@pbs!tray@pbs.example:nas-primary' --ns site/matrix --output-format json`,
    );
  });

  it('the profile refuses what is not a repository, group, namespace or fingerprint', () => {
    for (const bad of [
      { repository: 'x; rm -rf /' },
      { repository: 'a' },
      { group: 'vm' },
      { group: 'qemu/111' },
      { namespace: '../x' },
      { fingerprint: 'ab:cd' },
    ])
      expect(() => pbs(bad as Partial<PbsCheck>)).toThrow();
    expect(pbs({ repository: 'nas-primary' }).host).toBe('deploy');
    expect(pbs({ repository: 'root@pam@[fe80::1]:8007:store1' }).repository).toBe(
      'root@pam@[fe80::1]:8007:store1',
    );
  });

  it('reads the client’s array and the API’s {"data": …} alike; anything else is refused, not half read', () => {
    expect(parseSnapshots(JSON.stringify([snap(1, 'ok')]))).toEqual([
      { type: 'vm', id: '111', time: Math.round(NOW / 1000 - 3600), verification: 'ok', size: 34359740000 },
    ]);
    expect(parseSnapshots(JSON.stringify({ data: [snap(1)] }))).toHaveLength(1);
    expect(() => parseSnapshots('Error: permission check failed.')).toThrow('did not print JSON');
    expect(() => parseSnapshots('{"data": 3}')).toThrow('not a list');
    expect(() => parseSnapshots('[{"backup-type":"vm"}]')).toThrow(
      'snapshot 1 of the list has no backup-type',
    );
  });

  it('ok with the newest recent and verified; says when the newest is not verified yet', () => {
    const verified = pbsFinding(JSON.stringify([snap(30, 'ok'), snap(6, 'ok')]), pbs(), NOW);
    expect(verified).toMatchObject({ id: 'backup:pbs', group: 'backup', level: 'ok' });
    expect(verified.detail).toBe(
      'The newest snapshot vm/111/2026-12-07T02:00:00Z (6.0 h old, 32 GiB) is verified ok; 2 snapshots of vm/111 in backup@pbs!tray@pbs.example:nas-primary.',
    );
    expect(pbsFinding(JSON.stringify([snap(30, 'ok'), snap(6)]), pbs(), NOW).detail).toContain(
      'is not verified yet (the newest verified ok is vm/111/2026-12-06T02:00:00Z)',
    );
  });

  it('fails none, too old, or a failed verify; warns never verified or from the future; other groups do not count', () => {
    expect(pbsFinding(JSON.stringify([snap(1, 'ok', '104')]), pbs(), NOW).level).toBe('fail');
    expect(pbsFinding(JSON.stringify([snap(27, 'ok')]), pbs(), NOW).detail).toMatch(
      /27 h old, over the 26 h limit/,
    );
    expect(pbsFinding(JSON.stringify([snap(27, 'ok')]), pbs({ maxAgeHours: 48 }), NOW).level).toBe('ok');
    expect(pbsFinding(JSON.stringify([snap(30, 'ok'), snap(2, 'failed')]), pbs(), NOW).level).toBe('fail');
    expect(pbsFinding(JSON.stringify([snap(2)]), pbs(), NOW).level).toBe('warn');
    expect(pbsFinding(JSON.stringify([snap(-5, 'ok')]), pbs(), NOW).detail).toMatch(/dated in the future/);
  });
});

describe('backup:tuwunel: the status script over a backup folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'tuwunel-backups-'));
  const data = join(root, 'data');
  const config = join(root, 'config');
  const dir = join(data, 'backups');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeEach(() => {
    rmSync(data, { recursive: true, force: true });
    mkdirSync(config, { recursive: true });
    toml('"/var/lib/tuwunel/backups"');
  });

  function toml(value: string | null): void {
    writeFileSync(
      join(config, 'tuwunel.toml'),
      `[global]\nserver_name = "lab.test"\n${value === null ? '' : `database_backup_path = ${value}\ndatabase_backups_to_keep = 2\n`}\n[global.well_known]\ndatabase_backup_path = "/var/lib/tuwunel/elsewhere"\n`,
    );
  }

  function backup(
    id: number,
    epoch: number,
    files: { name: string; size: number; recordSize?: boolean }[],
    schema2 = false,
  ) {
    mkdirSync(join(dir, 'meta'), { recursive: true });
    const lines = [...(schema2 ? ['schema_version 2.1'] : []), String(epoch), '184467', String(files.length)];
    for (const f of files) {
      mkdirSync(join(dir, f.name, '..'), { recursive: true });
      writeFileSync(join(dir, f.name), '');
      truncateSync(join(dir, f.name), f.size);
      lines.push(`${f.name} crc32 123456${f.recordSize ? ` size ${f.size}` : ''}`);
    }
    writeFileSync(join(dir, 'meta', String(id)), `${lines.join('\n')}\n`);
  }

  const files = (id: number) => [
    { name: `private/${id}/CURRENT`, size: 16 },
    { name: `private/${id}/MANIFEST-000005`, size: 1203 },
    { name: `shared_checksum/00001${id}_sABC.sst`, size: 4096 },
  ];

  function poll(dataDir = data) {
    const out = execFileSync(
      'bash',
      ['--noprofile', '--norc', '-c', tuwunelBackupsCommand(dataDir, config)],
      {
        encoding: 'utf8',
      },
    );
    return tuwunelBackupsFinding(out, config, NOW);
  }

  it('off when tuwunel.toml’s [global] has no database_backup_path (another table’s key does not count)', () => {
    toml(null);
    expect(poll()).toMatchObject({
      level: 'ok',
      detail: expect.stringMatching(/^Tuwunel’s own backups are off/),
    });
  });

  it('no backup yet: a warning asking for one', () => {
    expect(poll()).toMatchObject({
      level: 'warn',
      detail: `There is no Tuwunel backup in ${dir} yet; run "Back up now".`,
    });
  });

  it('every file of the newest backup present: ok, with the count and age', () => {
    backup(1, NOW / 1000 - 86400 * 3, files(1));
    backup(2, NOW / 1000 - 5400, files(2));
    mkdirSync(join(dir, 'meta'), { recursive: true });
    writeFileSync(join(dir, 'meta', '.3.tmp'), '');
    expect(poll()).toMatchObject({
      level: 'ok',
      detail: `2 backups in ${dir}; the newest, #2 (2026-12-07 06:30 UTC), is 1.5 h old and has all 3 files (what verify-backup checks). A backup is being written now.`,
    });
  });

  it('the newest backup (by number, not name order) missing a file fails, naming it', () => {
    backup(9, NOW / 1000 - 7200, files(9));
    backup(10, NOW / 1000 - 3600, files(10));
    rmSync(join(dir, 'private/10/CURRENT'));
    expect(poll()).toMatchObject({
      level: 'fail',
      detail: expect.stringMatching(
        /^The newest Tuwunel backup #10 \(2026-12-07 07:00 UTC\) in .* is damaged: 1 of its 3 files is missing \(private\/10\/CURRENT\); do not restore it/,
      ),
    });
  });

  it('schema 2 records sizes: a file of another size fails', () => {
    backup(
      1,
      NOW / 1000 - 60,
      files(1).map((f) => ({ ...f, recordSize: true })),
      true,
    );
    truncateSync(join(dir, 'shared_checksum/000011_sABC.sst'), 10);
    expect(poll().detail).toContain(
      '1 file has another size than recorded (shared_checksum/000011_sABC.sst: 10 bytes, not 4096)',
    );
  });

  it('a meta file that lists fewer files than it declares is damaged', () => {
    backup(1, NOW / 1000 - 60, files(1));
    const meta = join(dir, 'meta', '1');
    writeFileSync(meta, `${NOW / 1000 - 60}\n184467\n5\nprivate/1/CURRENT crc32 1\n`);
    expect(poll().detail).toContain('its meta file lists 1 of the 5 files it declares');
  });

  it('a path outside /var/lib/tuwunel (or climbing out of it) is named as the reason backups fail', () => {
    toml('"/srv/backups"');
    expect(poll()).toMatchObject({
      level: 'warn',
      detail: expect.stringMatching(
        /^database_backup_path \/srv\/backups is not a folder under \/var\/lib\/tuwunel/,
      ),
    });
    toml('"/var/lib/tuwunel/../../etc"');
    expect(poll().level).toBe('warn');
  });

  it('a value the script does not read is unknown; nothing in it is ever run', () => {
    const marker = join(root, 'pwned');
    toml(`"/var/lib/tuwunel/$(touch ${marker})" + x`);
    expect(poll()).toMatchObject({
      level: 'unknown',
      detail: expect.stringMatching(/which the app does not read/),
    });
    toml(`'/var/lib/tuwunel/$(touch ${marker})'`);
    expect(poll().level).toBe('warn');
    expect(() => execFileSync('test', ['-e', marker])).toThrow();
  });

  it('no tuwunel.toml: unknown, pointing at homeserver.configDir', () => {
    rmSync(join(config, 'tuwunel.toml'));
    expect(poll()).toMatchObject({
      level: 'unknown',
      detail: `${config}/tuwunel.toml cannot be read on the homeserver; check homeserver.configDir in the profile.`,
    });
  });
});

describe('the upgrade checks over any output', () => {
  const profile = testProfile({
    checks: { pbs: { repository: 'backup@pbs!tray@pbs.example:nas-primary', group: 'vm/111' } },
  });
  const plans = planHosts(profile);
  const word = fc.string({ maxLength: 200 });
  const backupsOutput = fc
    .array(
      fc.oneof(
        fc.constantFrom('off', 'empty', 'outside', 'toml-missing', 'unreadable-dir'),
        word.map((w) => `unreadable ${w}`),
        word.map((w) => `dir ${w}`),
        word.map((w) => `path ${w}`),
        fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `backup ${a} ${b}`),
        fc.tuple(fc.nat(), fc.nat(), fc.nat()).map(([a, b, c]) => `newest ${a} ${b} ${c}`),
        word.map((w) => `missing ${w}`),
        word.map((w) => `header ${w}`),
        fc.tuple(word, word, word).map(([a, b, c]) => `size ${a} ${b} ${c}`),
        word,
      ),
      { maxLength: 40 },
    )
    .map((lines) => lines.join('\n'));
  const releaseOutput = fc
    .tuple(word, word)
    .map(
      ([a, b]) =>
        `@@ ${profile.deploy.dir}/roles/custom/matrix-tuwunel/defaults/main.yml\nmatrix_tuwunel_version: ${a}\n@@ ${profile.deploy.dir}/${profile.deploy.varsFile}\nmatrix_tuwunel_version: ${b}\n`,
    );
  const pbsOutput = fc.oneof(
    word,
    fc.jsonValue().map((j) => JSON.stringify(j)),
    fc
      .array(
        fc.record({
          'backup-type': fc.constantFrom('vm', 'ct', 'host', ''),
          'backup-id': fc.constantFrom('111', '104', ''),
          'backup-time': fc.integer({ min: -1e12, max: 1e12 }),
          verification: fc.option(fc.record({ state: fc.constantFrom('ok', 'failed', 'x') })),
          size: fc.option(fc.double()),
        }),
        { maxLength: 20 },
      )
      .map((items) => JSON.stringify(items)),
  );

  it('every check answers with a level and a bounded sentence, never more checks and never fewer', () => {
    fc.assert(
      fc.property(backupsOutput, releaseOutput, pbsOutput, (backups, release, pbs) => {
        const outputs: Record<string, string> = {
          'tuwunel-backups': backups,
          'tuwunel-release': release,
          pbs,
        };
        for (const plan of plans) {
          const mine = plan.probes.filter((p) => p.section.id in outputs);
          const sections = new Map<string, SectionOutput>(
            mine.map((p) => [
              p.section.id,
              {
                id: p.section.id,
                ran: true,
                exitCode: 0,
                stdout: outputs[p.section.id] as string,
                stderr: '',
              },
            ]),
          );
          const findings = interpretHost({ host: plan.host, probes: mine }, sections, NOW);
          expect(findings.map((f) => f.id).sort()).toEqual(
            mine.flatMap((p) => p.skeletons.map((s) => s.id)).sort(),
          );
          for (const f of findings) {
            expect(LEVELS).toContain(f.level);
            expect(f.detail.length).toBeGreaterThan(0);
            expect(f.detail.length).toBeLessThanOrEqual(1200);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
