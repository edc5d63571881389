import { z } from 'zod';
import type { BackupEntry } from '../upgrade/tuwunel-backup';
import { TUWUNEL_UNIT } from './commands';
import { hostLabel } from './host-label';
import {
  adminRoomBackupSteps,
  type BackupScratch,
  cliBackupSteps,
  describeBackup,
  startAgainSteps,
} from './tuwunel-steps';
import { defineAction, type PlanContext, type StepContext } from './types';

/**
 * "Back up now": a Tuwunel online backup (RocksDB's backup engine into database_backup_path), listed, and
 * verified where the release can (1.8.2). Through the admin room when an admin token is stored, so nothing
 * stops; otherwise CLI mode, with Tuwunel started again in `finally`.
 */

type Params = Record<string, never>;
type Ctx = PlanContext<Params, BackupScratch>;

function downtimeNote(ctx: StepContext<Params, BackupScratch>): string {
  if (ctx.adminRoom) return 'through the admin room, no downtime';
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
  danger: (ctx: Ctx) => (ctx.adminRoom ? 'disruptive' : 'outage'),
  downtime: (ctx: Ctx) =>
    ctx.adminRoom
      ? 'None (admin room).'
      : 'While the one-off container backs up: Tuwunel must stop to release its database lock (CLI mode).',
  params: z.object({}).strict(),
  confirm: (ctx: Ctx) =>
    `${
      ctx.adminRoom
        ? `Back up Tuwunel's database on ${hostLabel(ctx.profile, 'homeserver')} through the admin room (no downtime)`
        : `Stop matrix-tuwunel on ${hostLabel(ctx.profile, 'homeserver')}, back up its database with Tuwunel's CLI, then start it again: Matrix is unavailable while the backup runs`
    }. Tuwunel deletes its oldest backups beyond database_backups_to_keep.`,
  locks: () => ['homeserver'],
  maintenanceWindow: (ctx: Ctx) =>
    ctx.adminRoom ? null : { units: [TUWUNEL_UNIT], reason: 'Backing up Tuwunel (CLI mode)' },
  steps: [...adminRoomBackupSteps<Params, BackupScratch>(), ...cliBackupSteps<Params, BackupScratch>()],
  finally: startAgainSteps<Params, BackupScratch>('backing up Tuwunel'),
  success: (ctx) => {
    const b = ctx.scratch.backup as BackupEntry;
    const verified = ctx.scratch.verified
      ? ' and verified by Tuwunel (every file present with its size)'
      : `; Tuwunel ${ctx.profile.homeserver.version} cannot verify backups (1.8.2 can), the status check looks at its files`;
    return `Backup ${describeBackup(b)} is made${verified} (${downtimeNote(ctx)}).${keeps(ctx)}`;
  },
});
