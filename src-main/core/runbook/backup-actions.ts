import { z } from 'zod';
import { releaseOf } from '../matrix/server-facts';
import type { BackupEntry } from '../upgrade/tuwunel-backup';
import { TUWUNEL_UNIT } from './commands';
import { hostLabel } from './host-label';
import {
  adminRoomBackupSteps,
  type BackupScratch,
  backupRoute,
  cliBackupSteps,
  describeBackup,
  startAgainSteps,
} from './tuwunel-steps';
import { defineAction, type PlanContext, type StepContext } from './types';

/**
 * "Back up now": a Tuwunel online backup (RocksDB's backup engine into database_backup_path), listed, and
 * verified where the running release can (1.8.2). Through the admin room when the admin sign-in is stored and
 * the server answers, so nothing stops; otherwise CLI mode, with Tuwunel started again in `finally`.
 */

type Params = Record<string, never>;
type Ctx = PlanContext<Params, BackupScratch>;

const cli = (ctx: Ctx) => backupRoute(ctx).via === 'cli';

function downtimeNote(ctx: StepContext<Params, BackupScratch>): string {
  if (!cli(ctx)) return 'through the admin room, no downtime';
  const { stoppedAt, runningAgainAt } = ctx.scratch;
  const seconds =
    stoppedAt && runningAgainAt ? Math.max(1, Math.round((runningAgainAt - stoppedAt) / 1000)) : null;
  return `CLI mode; Tuwunel was stopped${seconds ? ` for ${seconds} s` : ''} and is running again`;
}

function keeps(ctx: StepContext<Params, BackupScratch>): string {
  const n = ctx.scratch.count;
  return n === undefined ? '' : ` Tuwunel keeps ${n} backup${n === 1 ? '' : 's'} (database_backups_to_keep).`;
}

export const tuwunelBackup = defineAction<Params, BackupScratch>({
  id: 'tuwunel.backup',
  title: 'Back up now',
  description:
    'Makes a Tuwunel online backup of the database (server backup-database, into matrix_tuwunel_config_database_backup_path; media/ is not part of it), lists it, and from Tuwunel 1.8.2 verifies it (server verify-backup). Through the admin room when a Matrix admin token is stored (no downtime); otherwise CLI mode: Tuwunel stops, a one-off container in maintenance mode backs up and shuts itself down, and Tuwunel is always started again. Tuwunel then deletes backups beyond database_backups_to_keep.',
  group: 'Homeserver',
  host: 'homeserver',
  // The route and verify-backup follow the release that runs, as the server says.
  asksServer: true,
  route: backupRoute,
  danger: (ctx: Ctx) => (cli(ctx) ? 'outage' : 'disruptive'),
  downtime: (ctx: Ctx) =>
    cli(ctx)
      ? 'While the one-off container backs up: Tuwunel must stop to release its database lock (CLI mode).'
      : 'None (admin room).',
  params: z.object({}).strict(),
  confirm: (ctx: Ctx) =>
    `${
      !cli(ctx)
        ? `Back up Tuwunel's database on ${hostLabel(ctx.profile, 'homeserver')} through the admin room (no downtime)`
        : `Stop matrix-tuwunel on ${hostLabel(ctx.profile, 'homeserver')}, back up its database with Tuwunel's CLI, then start it again: Matrix is unavailable while the backup runs`
    }. Tuwunel deletes its oldest backups beyond database_backups_to_keep.`,
  locks: () => ['homeserver'],
  maintenanceWindow: (ctx: Ctx) =>
    cli(ctx) ? { units: [TUWUNEL_UNIT], reason: 'backing up the database, with Tuwunel stopped' } : null,
  steps: [...adminRoomBackupSteps<Params, BackupScratch>(), ...cliBackupSteps<Params, BackupScratch>()],
  finally: startAgainSteps<Params, BackupScratch>('backing up Tuwunel'),
  success: (ctx) => {
    const b = ctx.scratch.backup as BackupEntry;
    const verified = ctx.scratch.verified
      ? ' and verified by Tuwunel (every file present with its size)'
      : `; Tuwunel ${releaseOf(ctx.server)} cannot verify backups (1.8.2 can), the status check looks at its files`;
    return `Backup ${describeBackup(b)} is made${verified} (${downtimeNote(ctx)}).${keeps(ctx)}`;
  },
});
