import { posix } from 'node:path';
import { z } from 'zod';
import { InvalidInput } from '../errors';
import { compareVersions, parseVersion, sameVersion } from '../lib/version';
import { releaseOf, type ServerFacts } from '../matrix/server-facts';
import type { Profile } from '../profile/schema';
import { shellCommand, shellQuote } from '../ssh/quote';
import { parseDfP } from '../status/checks/disk';
import { pbsCommand, pbsFinding } from '../status/checks/pbs';
import { tuwunelBackupsCommand, tuwunelBackupsFinding } from '../status/checks/tuwunel-backups';
import {
  answersAs,
  FEDERATION_VERSION_PATH,
  readFederationVersion,
  SERVER_VERSION_PATH,
} from '../upgrade/readiness';
import { canVerifyBackups } from '../upgrade/tuwunel-backup';
import { backText, noticeStep } from './announce';
import { systemctl, TUWUNEL_UNIT, tuwunelExecuteCommand } from './commands';
import { ActionRefused, NewReleaseFailed } from './errors';
import { hostLabel } from './host-label';
import { flagParam } from './params';
import { editVersionPin, type PinEdit, readVarsForPin, topLevelString } from './pin-edit';
import {
  configApplyStep,
  deployHost,
  type LintedVars,
  lintForApply,
  readDeployVars,
  readVarsStep,
  sha256,
  type VarsRead,
  warningsNote,
  writeVarsStep,
} from './playbook-steps';
import {
  adminRoomBackupSteps,
  type BackupScratch,
  backupRoute,
  cliBackupSteps,
  describeBackup,
  dockerHealthyWait,
  startAgainSteps,
} from './tuwunel-steps';
import {
  defineAction,
  type HttpWaitStep,
  type InspectIo,
  type PlanContext,
  type RemoteOutput,
  type Step,
  type StepAlert,
  type StepContext,
  type StepVerdict,
} from './types';

/**
 * "Upgrade Tuwunel" (issue 17.2): a guarded transaction. Pre-flight (the playbook's migration check, the
 * backup path, the config lint of the vars.yml that will be deployed, the image in the registry, disk space,
 * PBS), a backup this run takes and Tuwunel verifies, a notice, then the pin edited and the configuration
 * applied, a wait sized for the release's one-time migrations, and a verification. A failure after the apply
 * rolls back in the clean-up: stop, restore this run's backup, pin the previous version again, apply, wait
 * and verify, each step in the output; a rollback that cannot finish leaves a sticky alert. Migrations are not
 * undone by an older image (the schema is 17 from 1.7.0 to 1.9.0), so a rollback always restores.
 */

export interface UpgradeParams {
  version: string;
  notify: boolean;
}

type Stage = 'applying' | 'verified';

interface UpgradeScratch extends BackupScratch {
  /** vars.yml as the pre-flight read it: the pin is written only while the file is still this one. */
  read: VarsRead;
  pin: PinEdit;
  /** The file with the new pin, as linted: the apply runs only on exactly this file. */
  vars: LintedVars;
  /** matrix_playbook_migration_validated_version in vars.yml (null: this playbook does not check it). */
  validated: string | null;
  backupPath: string;
  /** Seconds to add to this computer's clock to get the homeserver's (journalctl --since is the host's). */
  hostClockOffsetS: number;
  /** Where the journal of this run's start begins, in the homeserver's epoch seconds. */
  appliedAtS: number;
  stage: Stage;
  rollbackVars: VarsRead;
  rollbackText: string;
  /** The rolled-back file's SHA-256: the rollback's apply runs only on it. */
  rollbackSha256: string;
  restored: boolean;
  /** The rollback's apply, once its verdict is in: false when it failed after every attempt. */
  rollbackApplied: boolean;
  rolledBack: boolean;
  /** The first start's unit was seen failed without its reason in the journal (yet): see judgeStart. */
  failedWithoutReason: boolean;
}

type Ctx = PlanContext<UpgradeParams, UpgradeScratch>;
type RunCtx = StepContext<UpgradeParams, UpgradeScratch>;

/** A first backup copies every table file: with less than this free, pre-flight stops. */
export const MIN_FREE_BYTES = 2 * 1024 ** 3;

const target = (ctx: Ctx) => ctx.params.version;
/** The release the profile pins: what runs before, and what a rollback goes back to. */
const previous = (ctx: Ctx) => ctx.profile.homeserver.version;
const bare = (v: string) => parseVersion(v)?.core ?? v;

function imageOf(profile: Profile, version: string): string {
  return `${profile.homeserver.image}:${version.startsWith('v') ? version : `v${version}`}`;
}

/**
 * The release whose image restores: `--restore-backup` arrived in 1.8.2, the newest of the two that has it
 * (with migrations off, so it leaves the restored database as the older release wrote it), else 1.8.2 itself.
 */
export function restoreVersion(from: string, to: string): string {
  if (canVerifyBackups(to)) return to;
  if (canVerifyBackups(from)) return from;
  return 'v1.8.2';
}

/** Tuwunel's documented restore (docs/maintenance.md), with migrations off: the database as the backup has it. */
export function restoreCommand(
  profile: Profile,
  backupId: number | string,
  version: string,
  timeoutS: number,
): string {
  return tuwunelExecuteCommand(profile, [], timeoutS, {
    version,
    args: [`--restore-backup=${backupId}`, '-O', 'database_migrations=false'],
  });
}

/** The tail of the run's journal: what the start says about its migrations, listener and failure. */
export function startProgressCommand(sinceS: number | string): string {
  const journal = shellCommand(
    'journalctl',
    '-u',
    TUWUNEL_UNIT,
    '--since',
    `@${sinceS}`,
    '-o',
    'cat',
    '--no-pager',
  );
  // Tuwunel's start banner (src/main/server.rs: `… database_path=… log_levels=…`) marks where a start begins.
  const lines = shellQuote(`${START_BANNER}|migrations|Listening on|Critical error|Restor`);
  // The unit's state first, then the journal: a start that fails between the two reads is then "failed" with
  // its "Critical error" line, never "failed" with a journal read just before the line was written.
  return `${systemctl('is-active', TUWUNEL_UNIT)}; ${journal} | grep -E ${lines} | tail -n 6`;
}

export type StartProgress =
  | { state: 'listening' }
  /** `unitOnly`: the unit says failed, the journal does not say why (yet). */
  | { state: 'failed'; why: string; unitOnly?: true }
  | { state: 'starting'; last: string };

/** The field of the line every Tuwunel start logs first. */
const START_BANNER = 'database_path=';

/**
 * What the journal says of the latest start: only the lines after its banner count, so a "Listening on" of an
 * earlier start (a restart just before the upgrade, its lines dated a moment ahead) does not pass for this one.
 */
export function readStartProgress(out: RemoteOutput): StartProgress {
  const [first = '', ...all] = out.stdout.trim().split('\n');
  const unit = first.trim();
  const banner = all.findLastIndex((l) => l.includes(START_BANNER));
  const journal = all.slice(banner + 1);
  const critical = journal.find((l) => l.includes('Critical error'));
  if (critical)
    return { state: 'failed', why: critical.replace(/^.*?Critical error/, 'Critical error').slice(0, 300) };
  if (unit === 'failed' || unit === 'inactive')
    return { state: 'failed', why: `${TUWUNEL_UNIT} is ${unit}`, unitOnly: true };
  if (journal.some((l) => l.includes('Listening on'))) return { state: 'listening' };
  return { state: 'starting', last: journal.at(-1)?.trim() ?? `${TUWUNEL_UNIT} is ${unit || 'unknown'}` };
}

/**
 * The wait-start verdict. journald stores what the container printed on its own, after systemd may already
 * have marked the unit failed: a failed unit without its "Critical error" line is read once more before the
 * run gives up, so the failure says Tuwunel's reason rather than only "failed".
 */
export function judgeStart(p: StartProgress, scratch: { failedWithoutReason?: boolean }): StepVerdict {
  if (p.state === 'listening') return { ok: true, summary: 'Tuwunel listens again.' };
  if (p.state === 'failed') {
    if (p.unitOnly && !scratch.failedWithoutReason) {
      scratch.failedWithoutReason = true;
      return { ok: false, message: `${p.why}; reading the journal once more for the reason` };
    }
    const error = new NewReleaseFailed(p.why);
    return { ok: false, message: `the new release did not start: ${p.why}`, error, final: true };
  }
  return { ok: false, message: `Tuwunel did not listen yet (last: ${p.last})` };
}

/** The sticky alert of a rollback that could not finish. */
export const UPGRADE_ROLLBACK_ALERT = 'upgrade-rollback';

export function rollbackAlert(ctx: Ctx, what: string): StepAlert {
  return {
    id: UPGRADE_ROLLBACK_ALERT,
    title: 'The upgrade rollback could not finish',
    message: `Upgrading Tuwunel to ${target(ctx)} failed, and rolling back to ${previous(ctx)} could not finish: ${what}. Matrix on ${hostLabel(ctx.profile, 'homeserver')} may be down or run the new release on a half-restored database. Restore the backup by hand (docker run … --restore-backup=<id> --maintenance -O database_migrations=false --execute "server shutdown"), pin ${previous(ctx)} in vars.yml, then apply the configuration.`,
    fixActionId: 'config.apply',
  };
}

function rollbackNeedless(ctx: RunCtx): string | null {
  if (ctx.scratch.stage === 'verified') return 'The upgrade is verified: nothing to roll back.';
  if (ctx.scratch.stage !== 'applying')
    return 'The upgrade stopped before it changed the pin: nothing to roll back.';
  return null;
}

/** Steps after the restore: never an older release on a database the restore did not bring back. */
function afterRestoreNeedless(ctx: RunCtx): string | null {
  const first = rollbackNeedless(ctx);
  if (first) return first;
  return ctx.scratch.restored
    ? null
    : 'The backup was not restored: the previous release is not started on a database the new one migrated.';
}

/**
 * Steps that wait for the previous release: when the rollback's apply failed, Tuwunel was not started by
 * it, and waiting out every attempt's timeout (minutes) only delays the alert that already says so.
 */
function afterApplyNeedless(ctx: RunCtx): string | null {
  const first = afterRestoreNeedless(ctx);
  if (first) return first;
  return ctx.scratch.rollbackApplied === false
    ? `The configuration with ${previous(ctx)} was not applied: Tuwunel is not waited for. Check it by hand.`
    : null;
}

function versionWait(spec: {
  id: string;
  title: string;
  path: string;
  read: (status: number, body: string, version: string) => boolean;
  version: (ctx: Ctx) => string;
  timeoutMs: (ctx: Ctx) => number;
}): HttpWaitStep<UpgradeParams, UpgradeScratch> {
  return {
    kind: 'http-wait',
    id: spec.id,
    title: spec.title,
    url: (ctx) => `${ctx.profile.publicUrl}${spec.path}`,
    ready: (status, body, ctx) => spec.read(status, body, spec.version(ctx)),
    timeoutMs: spec.timeoutMs,
  };
}

const federationAs = (status: number, body: string, version: string) => {
  const v = status === 200 ? readFederationVersion(body) : null;
  return v !== null && sameVersion(v, version);
};

function clientVersionsAnswer(status: number, body: string): boolean {
  if (status !== 200) return false;
  try {
    return Array.isArray((JSON.parse(body) as { versions?: unknown }).versions);
  } catch {
    return false;
  }
}

/** Prints the playbook's matrix_playbook_migration_expected_version from the deploy checkout (read-only). */
export function expectedMigrationCommand(profile: Profile): string {
  return shellCommand(
    'sed',
    '-n',
    's/^matrix_playbook_migration_expected_version:[[:space:]]*//p',
    posix.join(profile.deploy.dir, 'roles/custom/matrix_playbook_migration/defaults/main.yml'),
  );
}

/** The playbook's matrix_playbook_migration_expected_version, read from the deploy checkout (null: none). */
async function expectedMigration(ctx: Ctx, io: InspectIo): Promise<string | null> {
  const host = deployHost(ctx);
  const out = await io.exec.exec(host, expectedMigrationCommand(ctx.profile), {
    sudo: ctx.profile.hosts[host].sudo,
    timeoutMs: ctx.settings.fileCommandTimeoutMs,
    label: "Read the playbook's expected migration version",
  });
  const value =
    out.stdout
      .trim()
      .split('\n')[0]
      ?.replace(/^["']|["']$/g, '') ?? '';
  return out.exitCode === 0 && value ? value : null;
}

/**
 * The pre-flight that needs no change to judge, before the plan is made (the dry run shows it, a refusal runs
 * nothing): vars.yml pins what the profile pins, the playbook will run (its migration-validated version), Tuwunel
 * can write a backup (its path under the data folder), and the vars.yml the apply will deploy, with the new pin,
 * passes the runbook's lint for the release that runs now (what a rollback returns to).
 */
async function inspectUpgrade(ctx: Ctx, io: InspectIo): Promise<Partial<UpgradeScratch>> {
  const read = await readDeployVars(ctx, io);
  const file = ctx.profile.deploy.varsFile;
  // Parsed once: the pin's edit and the two settings below read the same document.
  const doc = readVarsForPin(read.text);
  const { parsed, ...pin } = editVersionPin(read.text, target(ctx), file, doc);
  if (!sameVersion(pin.from, previous(ctx)))
    throw new ActionRefused(
      `${file} pins ${pin.from} but the profile pins ${previous(ctx)}: the app cannot tell which release runs and what a rollback goes back to.`,
      'Make them agree (homeserver.version in the profile, or vars.yml), then run the upgrade again.',
    );
  const validated = topLevelString(doc, 'matrix_playbook_migration_validated_version');
  const expected = await expectedMigration(ctx, io);
  if (expected && (validated === null || validated < expected))
    throw new ActionRefused(
      `The playbook refuses to run: matrix_playbook_migration_validated_version is ${validated ?? 'not set'} but it expects ${expected} (breaking changes since).`,
      `Read the playbook's CHANGELOG up to ${expected}, adapt vars.yml, set matrix_playbook_migration_validated_version: ${expected}, then run the upgrade again.`,
    );
  const backupPath = topLevelString(doc, 'matrix_tuwunel_config_database_backup_path');
  if (!backupPath?.startsWith('/var/lib/tuwunel/'))
    throw new ActionRefused(
      backupPath
        ? `matrix_tuwunel_config_database_backup_path is ${backupPath}, outside /var/lib/tuwunel (the container's only writable mount): Tuwunel cannot write the backup the upgrade needs.`
        : 'matrix_tuwunel_config_database_backup_path is not set, so Tuwunel cannot make the backup the upgrade needs.',
      'Set matrix_tuwunel_config_database_backup_path: /var/lib/tuwunel/backups in vars.yml, apply the configuration, then run the upgrade again.',
    );
  // Linted as the profile will pin it once upgraded (else the lint would warn of the very change it deploys);
  // the release that runs now still decides the rules that depend on it (a rollback returns to it).
  const pinned = { ...ctx.profile, homeserver: { ...ctx.profile.homeserver, version: target(ctx) } };
  const vars = lintForApply(pin.text, { ...ctx, profile: pinned }, parsed);
  return { read, pin, vars, validated: expected ? validated : null, backupPath };
}

const preflightSteps: Step<UpgradeParams, UpgradeScratch>[] = [
  {
    kind: 'local',
    id: 'preflight',
    title: 'Check the plan: pin, migration version, backup path, config lint',
    describe: (ctx) => {
      const { pin, vars, validated, backupPath } = ctx.scratch;
      if (!pin || !vars)
        return `vars.yml pins ${previous(ctx)} as the profile does, the playbook's migration version is validated, the backup path is under /var/lib/tuwunel, and the lint passes on vars.yml with ${target(ctx)}.`;
      const lines = [
        `The playbook's migration version: ${validated ?? 'not checked by this playbook'}.`,
        `Backups go to ${backupPath}.`,
        `vars.yml with ${target(ctx)} (sha256 ${vars.sha256.slice(0, 12)}) passes the runbook's checks; the apply runs only on exactly this file.`,
        ...vars.warnings.map((w) => `Warning: ${w}`),
        pin.diff.trimEnd(),
      ];
      return lines.join('\n');
    },
    run: (ctx) => {
      const { pin, vars, validated, backupPath } = ctx.scratch;
      if (!pin || !vars) return { ok: false, message: 'vars.yml was not checked before the run' };
      ctx.print(`✓ The playbook's migration version: ${validated ?? 'not checked by this playbook'}.`);
      ctx.print(`✓ Backups go to ${backupPath}.`);
      for (const w of vars.warnings) ctx.print(`Warning: ${w}`);
      if (vars.warnings.length === 0) ctx.print('✓ The config lint passes on vars.yml with the new pin.');
      for (const line of pin.diff.trimEnd().split('\n')) ctx.print(line);
      return { ok: true, summary: `${ctx.profile.deploy.varsFile}: ${pin.from} → ${target(ctx)}.` };
    },
  },
  {
    kind: 'remote',
    id: 'pull-image',
    title: 'Pull the new image (it exists in the registry)',
    host: () => 'homeserver',
    privileged: true,
    command: (ctx) => shellCommand('docker', 'pull', imageOf(ctx.profile, target(ctx))),
    timeoutMs: (ctx) => ctx.settings.deployCommandTimeoutMs,
    check: (out, ctx) => {
      if (out.exitCode === 0)
        return {
          ok: true,
          summary: `${imageOf(ctx.profile, target(ctx))} is here: the apply will not wait for it.`,
        };
      const why = (out.stderr.trim() || out.stdout.trim()).split('\n').at(-1) ?? `exit code ${out.exitCode}`;
      return {
        ok: false,
        message: `${imageOf(ctx.profile, target(ctx))} could not be pulled (${why}); check the version and homeserver.image`,
      };
    },
  },
  {
    kind: 'remote',
    id: 'disk-space',
    title: 'Check the free disk space for a backup',
    host: () => 'homeserver',
    privileged: false,
    command: (ctx) =>
      `${shellCommand('df', '-P', ctx.profile.homeserver.dataDir)}; ${shellCommand('date', '+%s')}`,
    timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
    check: (out, ctx) => {
      const now = Number(out.stdout.trim().split('\n').at(-1));
      if (Number.isFinite(now)) ctx.scratch.hostClockOffsetS = now - Math.floor(Date.now() / 1000);
      const row = parseDfP(out.stdout);
      if (!row) return { ok: false, message: 'df did not say how much space is free' };
      const free = row.availableK * 1024;
      const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;
      if (free < MIN_FREE_BYTES)
        return {
          ok: false,
          message: `only ${gib(free)} is free on ${row.mountedOn} (${row.percent} % used); a backup needs room for the whole database (at least ${gib(MIN_FREE_BYTES)}): free some space first`,
        };
      return { ok: true, summary: `${gib(free)} free on ${row.mountedOn}.` };
    },
  },
  {
    kind: 'remote',
    id: 'pbs-fresh',
    title: 'Check the Proxmox Backup Server snapshot is fresh',
    when: (ctx) => ctx.profile.checks.pbs !== undefined,
    host: (ctx) => ctx.profile.checks.pbs?.host ?? 'deploy',
    privileged: false,
    quiet: true,
    command: (ctx) => (ctx.profile.checks.pbs ? pbsCommand(ctx.profile.checks.pbs) : 'true'),
    timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
    check: (out, ctx) => {
      const check = ctx.profile.checks.pbs;
      if (!check) return { ok: true };
      if (out.exitCode !== 0)
        return {
          ok: false,
          message: `proxmox-backup-client failed: ${out.stderr.trim().split('\n').at(-1) ?? out.exitCode}`,
        };
      let finding: ReturnType<typeof pbsFinding>;
      try {
        finding = pbsFinding(out.stdout, check, Date.now());
      } catch (e) {
        return { ok: false, message: (e as Error).message };
      }
      return finding.level === 'fail'
        ? { ok: false, message: finding.detail }
        : { ok: true, summary: finding.detail };
    },
  },
];

/**
 * Before 1.8.2 Tuwunel cannot verify a backup; the app checks what verify-backup checks (every file the
 * backup's meta lists is there, with its size) in the backup folder, as the status check does.
 */
const backupFilesStep: Step<UpgradeParams, UpgradeScratch> = {
  kind: 'remote',
  id: 'check-backup-files',
  title: "Check the backup's files (what verify-backup checks)",
  when: (ctx) => !canVerifyBackups(releaseOf(ctx.server)),
  host: () => 'homeserver',
  privileged: true,
  command: (ctx) => tuwunelBackupsCommand(ctx.profile.homeserver.dataDir, ctx.profile.homeserver.configDir),
  timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
  check: (out, ctx) => {
    const finding = tuwunelBackupsFinding(out.stdout, ctx.profile.homeserver.configDir, Date.now());
    const id = ctx.scratch.backup?.id;
    if (finding.level !== 'ok' || (id !== undefined && !finding.detail.includes(`#${id} `)))
      return { ok: false, message: finding.detail };
    ctx.scratch.verified = true;
    return { ok: true, summary: finding.detail };
  },
};

const applySteps: Step<UpgradeParams, UpgradeScratch>[] = [
  noticeStep<UpgradeParams, UpgradeScratch>({
    id: 'notice-before',
    title: 'Tell everyone (server notice)',
    version: previous,
    text: (ctx) =>
      `Maintenance on ${ctx.profile.serverName}: Tuwunel is being upgraded to ${bare(target(ctx))}. Matrix is unavailable for a few minutes (the first start of the new release updates the database); messages sent meanwhile arrive once it is back.`,
  }),
  {
    kind: 'local',
    id: 'begin-apply',
    title: 'From here a failure rolls back',
    describe: (ctx) =>
      `Alerts stay held (maintenance). Any failure from here on restores this run's backup and pins ${previous(ctx)} again.`,
    run: (ctx) => {
      ctx.scratch.stage = 'applying';
      ctx.scratch.appliedAtS = Math.floor(Date.now() / 1000) + (ctx.scratch.hostClockOffsetS ?? 0) - 1;
      const b = ctx.scratch.backup;
      return {
        ok: true,
        summary: b ? `Rollback point: backup ${describeBackup(b)}.` : 'Rollback point set.',
      };
    },
  },
  writeVarsStep<UpgradeParams, UpgradeScratch>({
    id: 'write-pin',
    title: 'Pin the new version in vars.yml (only if unchanged since read)',
    readSha256: (ctx) => ctx.scratch.read?.sha256,
    content: (ctx) => ctx.scratch.pin?.text ?? '',
  }),
  configApplyStep<UpgradeParams, UpgradeScratch>({ id: 'playbook-install-all' }),
  {
    kind: 'remote',
    id: 'wait-start',
    title: 'Wait for the first start (one-time migrations)',
    host: () => 'homeserver',
    privileged: true,
    command: (ctx) => startProgressCommand(ctx.scratch.appliedAtS ?? '<the time of the apply>'),
    timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
    poll: (ctx) => ({ everyMs: ctx.settings.pollIntervalMs, forMs: ctx.settings.upgradeReadyTimeoutMs }),
    check: (out, ctx) => judgeStart(readStartProgress(out), ctx.scratch),
  },
  versionWait({
    id: 'wait-version',
    title: 'Wait until Tuwunel answers as the new version',
    path: SERVER_VERSION_PATH,
    read: (status, body, version) => answersAs(status, body, version),
    version: target,
    timeoutMs: (ctx) => ctx.settings.tuwunelReadyTimeoutMs,
  }),
  { ...dockerHealthyWait<UpgradeParams, UpgradeScratch>(target), id: 'wait-healthy' },
  versionWait({
    id: 'verify-federation',
    title: 'Verify: the federation version endpoint names the new version',
    path: FEDERATION_VERSION_PATH,
    read: federationAs,
    version: target,
    timeoutMs: (ctx) => ctx.settings.tuwunelReadyTimeoutMs,
  }),
  {
    kind: 'http-wait',
    id: 'verify-client',
    title: 'Verify: the client API answers',
    url: (ctx) => `${ctx.profile.publicUrl}/_matrix/client/versions`,
    ready: (status, body) => clientVersionsAnswer(status, body),
    timeoutMs: (ctx) => ctx.settings.tuwunelReadyTimeoutMs,
  },
  {
    kind: 'remote',
    id: 'verify-units',
    title: 'Verify: every unit of the profile is active',
    host: () => 'homeserver',
    privileged: false,
    command: (ctx) => systemctl('is-active', ...ctx.profile.units),
    timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
    poll: (ctx) => ({ everyMs: ctx.settings.pollIntervalMs, forMs: ctx.settings.unitsSettleTimeoutMs }),
    check: (out, ctx) => {
      const states = out.stdout.trim().split('\n');
      const down = ctx.profile.units.filter((_, i) => states[i]?.trim() !== 'active');
      return down.length === 0
        ? { ok: true, summary: `All ${ctx.profile.units.length} units active.` }
        : { ok: false, message: `${down.join(', ')} not active` };
    },
  },
  {
    kind: 'local',
    id: 'pin-profile',
    title: 'Pin the new version in the profile',
    describe: (ctx) => `homeserver.version: ${target(ctx)} in the profile, so every check expects it.`,
    run: async (ctx) => {
      ctx.scratch.stage = 'verified';
      await ctx.pinProfileVersion(target(ctx));
      return { ok: true, summary: `The profile pins ${target(ctx)}.` };
    },
  },
  noticeStep<UpgradeParams, UpgradeScratch>({
    id: 'notice-after',
    title: 'All clear (server notice)',
    version: target,
    text: (ctx) => backText(ctx, `Tuwunel ${bare(target(ctx))} is running`),
  }),
];

const rollbackApply = configApplyStep<UpgradeParams, UpgradeScratch>({
  id: 'rollback-apply',
  varsSha256: (ctx) => ctx.scratch.rollbackSha256 ?? null,
});

const rollbackSteps: Step<UpgradeParams, UpgradeScratch>[] = [
  {
    kind: 'remote',
    id: 'rollback-stop',
    title: 'Rollback: stop matrix-tuwunel',
    host: () => 'homeserver',
    privileged: true,
    needless: rollbackNeedless,
    command: () => systemctl('stop', TUWUNEL_UNIT),
    timeoutMs: (ctx) => ctx.settings.unitCommandTimeoutMs,
    alert: (ctx) => ({ ...rollbackAlert(ctx, 'matrix-tuwunel could not be stopped'), clear: false }),
  },
  {
    kind: 'remote',
    id: 'rollback-restore',
    title: "Rollback: restore this run's backup",
    host: () => 'homeserver',
    privileged: true,
    needless: rollbackNeedless,
    command: (ctx) =>
      restoreCommand(
        ctx.profile,
        ctx.scratch.backup?.id ?? '<id of the backup this run takes>',
        restoreVersion(previous(ctx), target(ctx)),
        ctx.settings.cliExecuteTimeoutSeconds * 10,
      ),
    timeoutMs: (ctx) => (ctx.settings.cliExecuteTimeoutSeconds * 10 + 30) * 1000,
    alert: (ctx) => ({ ...rollbackAlert(ctx, "this run's backup could not be restored"), clear: false }),
    check: (out, ctx) => {
      const text = `${out.stdout}\n${out.stderr}`;
      const restored = /Restored database backup/.test(text);
      if (out.exitCode === 0 && restored) {
        ctx.scratch.restored = true;
        return { ok: true, summary: `Backup #${ctx.scratch.backup?.id} is restored.` };
      }
      const error = text.split('\n').find((l) => /Critical error|^Error:/.test(l.trim()));
      return {
        ok: false,
        message: `the restore did not finish (exit ${out.exitCode ?? out.signal})${error ? `: ${error.trim().slice(0, 300)}` : ''}`,
      };
    },
  },
  {
    ...readVarsStep<UpgradeParams, UpgradeScratch>({
      id: 'rollback-read-vars',
      title: 'Rollback: read vars.yml',
      keep: (ctx, read) => {
        ctx.scratch.rollbackVars = read;
      },
    }),
    needless: afterRestoreNeedless,
  },
  {
    kind: 'local',
    id: 'rollback-repin',
    title: 'Rollback: pin the previous version again',
    describe: (ctx) => `matrix_tuwunel_version: ${previous(ctx)} in vars.yml (YAML-aware, as before).`,
    needless: afterRestoreNeedless,
    run: (ctx) => {
      const read = ctx.scratch.rollbackVars as VarsRead;
      const pin = editVersionPin(read.text, previous(ctx), ctx.profile.deploy.varsFile);
      ctx.scratch.rollbackText = pin.text;
      // Not linted: this is the configuration that ran before, and a refused rollback would leave it broken.
      ctx.scratch.rollbackSha256 = sha256(pin.text);
      if (sameVersion(pin.from, previous(ctx)))
        return { ok: true, summary: `vars.yml pins ${previous(ctx)} still.` };
      for (const line of pin.diff.trimEnd().split('\n')) ctx.print(line);
      return { ok: true, summary: `vars.yml: ${pin.from} → ${previous(ctx)}.` };
    },
  },
  {
    ...writeVarsStep<UpgradeParams, UpgradeScratch>({
      id: 'rollback-write-vars',
      title: 'Rollback: write vars.yml',
      readSha256: (ctx) => ctx.scratch.rollbackVars?.sha256,
      content: (ctx) => ctx.scratch.rollbackText ?? '',
    }),
    needless: afterRestoreNeedless,
    alert: (ctx) => ({
      ...rollbackAlert(ctx, `vars.yml could not be pinned back to ${previous(ctx)}`),
      clear: false,
    }),
  },
  {
    ...rollbackApply,
    title: 'Rollback: apply the configuration (ansible-playbook --tags=install-all,start)',
    needless: afterRestoreNeedless,
    alert: (ctx) => ({
      ...rollbackAlert(ctx, 'the configuration with the previous version could not be applied'),
      clear: false,
    }),
    recordOutcome: async (ctx, ok) => {
      ctx.scratch.rollbackApplied = ok;
      await rollbackApply.recordOutcome?.(ctx, ok);
    },
  },
  {
    ...versionWait({
      id: 'rollback-wait',
      title: 'Rollback: wait until Tuwunel answers as the previous version',
      path: SERVER_VERSION_PATH,
      read: (status, body, version) => answersAs(status, body, version),
      version: previous,
      timeoutMs: (ctx) => ctx.settings.tuwunelReadyTimeoutMs,
    }),
    needless: afterApplyNeedless,
  },
  {
    ...versionWait({
      id: 'rollback-verify',
      title: 'Rollback: verify the federation version names the previous version',
      path: FEDERATION_VERSION_PATH,
      read: federationAs,
      version: previous,
      timeoutMs: (ctx) => ctx.settings.tuwunelReadyTimeoutMs,
    }),
    needless: afterApplyNeedless,
    alert: (ctx) => rollbackAlert(ctx, `Tuwunel ${previous(ctx)} does not answer after the restore`),
    recordOutcome: (ctx, ok) => {
      if (ok) ctx.scratch.rolledBack = true;
    },
  },
  {
    ...noticeStep<UpgradeParams, UpgradeScratch>({
      id: 'rollback-notice',
      title: 'Rollback: tell everyone Matrix is back',
      version: previous,
      text: (ctx) =>
        backText(
          ctx,
          `the upgrade to ${bare(target(ctx))} was undone and Tuwunel ${bare(previous(ctx))} runs again`,
        ),
      needless: (ctx) =>
        afterRestoreNeedless(ctx) ?? (ctx.scratch.rolledBack ? null : 'Matrix is not back: no notice.'),
    }),
  },
];

const versionParam = z
  .string()
  .regex(/^v?\d{1,6}\.\d{1,6}\.\d{1,6}(-[0-9A-Za-z.-]{1,40})?$/, 'is not a release like v1.9.0')
  .describe('The Tuwunel release to upgrade to, e.g. v1.9.0');

function bindUpgrade(params: UpgradeParams, profile: Profile, server: ServerFacts): UpgradeParams {
  const to = parseVersion(params.version);
  const from = parseVersion(profile.homeserver.version);
  if (!to) throw new InvalidInput('version', 'is not a release like v1.9.0');
  // What a rollback returns to is the pin: it must be what runs.
  if (server.running && !sameVersion(server.running, profile.homeserver.version))
    throw new ActionRefused(
      `The server says it runs Tuwunel ${server.running} but the profile pins ${profile.homeserver.version}: the app cannot tell what the upgrade starts from and what a rollback goes back to.`,
      'Make the profile pin what runs (homeserver.version), or apply the configuration so the pinned release runs, then run the upgrade again.',
    );
  const version = `v${to.core}`;
  if (from && compareVersions(to, from) <= 0)
    throw new ActionRefused(
      compareVersions(to, from) === 0
        ? `The profile pins ${profile.homeserver.version} already: there is nothing to upgrade.`
        : `${version} is older than ${profile.homeserver.version}: going back is a restore of a backup, not an upgrade (migrations are not undone).`,
      "Name a newer release (What's new shows what the playbook offers).",
    );
  return { version, notify: params.notify };
}

export const tuwunelUpgrade = defineAction<UpgradeParams, UpgradeScratch>({
  id: 'tuwunel.upgrade',
  title: 'Upgrade Tuwunel',
  description:
    "Upgrades Tuwunel to a newer release as a guarded transaction: pre-flight (vars.yml's pin, the playbook's migration version, the backup path, the config lint, the image, disk space, PBS), a backup this run takes (verified from 1.8.2), a server notice, the pin edited in vars.yml and install-all,start, a wait sized for the release's one-time migrations, and a verification. Any failure after the apply rolls back: stop, restore this run's backup, pin the previous version, apply, wait, verify.",
  group: 'Homeserver',
  host: 'homeserver',
  danger: () => 'outage',
  downtime: () =>
    'A few minutes: Tuwunel restarts on the new release and its first start runs one-time migrations (1.8.0, 1.9.0); in CLI mode also while the backup runs.',
  params: z.object({ version: versionParam, notify: flagParam(true) }).strict(),
  // What runs decides: the route of the backup, whether Tuwunel verifies it, and the lint's texts.
  asksServer: true,
  bind: bindUpgrade,
  route: backupRoute,
  inspect: inspectUpgrade,
  confirm: (ctx) =>
    `Upgrade Tuwunel on ${hostLabel(ctx.profile, 'homeserver')} from ${previous(ctx)} to ${target(ctx)}: back up first${backupRoute(ctx).via === 'cli' ? ' (Tuwunel stops for it: CLI mode)' : ''}, then pin ${target(ctx)} in ${ctx.profile.deploy.varsFile} and apply the configuration. Matrix is unavailable for a few minutes; a failure restores the backup and ${previous(ctx)}.${warningsNote(ctx)}`,
  locks: (ctx) => [ctx.profile.deploy.host, 'homeserver'],
  maintenanceWindow: (ctx) => ({
    units: 'all',
    reason: `upgrading Tuwunel to ${target(ctx)}`,
  }),
  steps: [
    ...preflightSteps,
    ...adminRoomBackupSteps<UpgradeParams, UpgradeScratch>(),
    ...cliBackupSteps<UpgradeParams, UpgradeScratch>(),
    backupFilesStep,
    ...applySteps,
  ],
  finally: [
    // CLI mode stopped Tuwunel for the backup: started again if the run ends before the apply starts it.
    ...startAgainSteps<UpgradeParams, UpgradeScratch>('backing up Tuwunel for the upgrade').map((s) => ({
      ...s,
      needless: (ctx: RunCtx) =>
        ctx.scratch.stage ? 'The apply started Tuwunel (or the rollback does).' : null,
    })),
    ...rollbackSteps,
  ],
  success: (ctx) => {
    const b = ctx.scratch.backup;
    return `Tuwunel ${target(ctx)} runs, is pinned in vars.yml and the profile, and answers as ${bare(target(ctx))}${b ? `; backup ${describeBackup(b)} was taken before${ctx.scratch.verified ? ' and verified' : ''}` : ''}.`;
  },
  leftBehind: (ctx) => {
    if (ctx.scratch.stage !== 'applying') return null;
    if (ctx.scratch.rolledBack)
      return `Rolled back: Tuwunel ${previous(ctx)} runs again on backup #${ctx.scratch.backup?.id} (restored), vars.yml pins ${previous(ctx)} again, and it answers as ${bare(previous(ctx))}`;
    return `The rollback to ${previous(ctx)} could not finish${ctx.scratch.restored ? ' (the backup is restored)' : ' (the backup is not restored)'}`;
  },
  interrupted: {
    actsFrom: ['stop-tuwunel', 'backup-database'],
    left: 'Tuwunel may be stopped, half upgraded or half rolled back, and vars.yml may pin the new version',
    fix: 'stack.start',
  },
});
