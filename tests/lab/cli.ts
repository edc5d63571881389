import { parseArgs } from 'node:util';
import { startLab } from './lab';
import { TUWUNEL_VERSIONS } from './types';

/**
 * `npm run lab -- --dir D`: starts the lab, writes D/profile.yaml and D/env, prints `LAB READY
 * D/profile.yaml`, and on SIGINT/SIGTERM stops every process it started.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      'tuwunel-version': { type: 'string' },
      'no-keyring': { type: 'boolean' },
      'untrusted-host-keys': { type: 'boolean' },
      jump: { type: 'boolean' },
      'seed-users': { type: 'string' },
      'auto-join-room': { type: 'string', multiple: true },
      'backup-path': { type: 'string' },
      'playbook-upstream-version': { type: 'string' },
      'migration-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.dir) {
    const usage =
      'Usage: npm run lab -- --dir DIR [--tuwunel-version V] [--jump] [--untrusted-host-keys] [--no-keyring]\n' +
      '         [--seed-users N] [--auto-join-room ROOM]… [--backup-path PATH] [--playbook-upstream-version V]\n' +
      '         [--migration-seconds S]\n' +
      'Starts the lab (two sshd, stand-ins, HTTPS, keyring) and keeps it up until Ctrl-C. A folder a running lab\n' +
      'uses is refused.\n' +
      `--tuwunel-version: the release the homeserver runs and answers as, one of ${TUWUNEL_VERSIONS.join(', ')} (default 1.7.0).\n` +
      '--seed-users: that many more people on the server (@member0001 …). --auto-join-room: auto_join_rooms\n' +
      '(e.g. #family:lab.test). --backup-path: database_backup_path (e.g. /var/lib/tuwunel/backups).\n' +
      '--playbook-upstream-version: the playbook upstream defaults to that release (git pull brings it).\n' +
      '--migration-seconds: how long each one-time migration (1.8.0, 1.9.0) takes on first start.\n';
    process.stdout.write(usage);
    return values.help ? 0 : 2;
  }
  const number = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0)
      throw new Error(`--${name} takes a number of 0 or more, not "${value}".`);
    return n;
  };
  const migration = number('migration-seconds', values['migration-seconds']);
  const lab = await startLab({
    dir: values.dir,
    tuwunelVersion: values['tuwunel-version'],
    keyring: !values['no-keyring'],
    trustHostKeys: !values['untrusted-host-keys'],
    jumpThroughDeploy: values.jump,
    seedUsers: number('seed-users', values['seed-users']),
    autoJoinRooms: values['auto-join-room'],
    databaseBackupPath: values['backup-path'],
    playbookUpstreamTuwunelVersion: values['playbook-upstream-version'],
    migrationSeconds: migration === undefined ? undefined : { '1.8.0': migration, '1.9.0': migration },
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    lab.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`Stopping the lab after ${signal} failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  process.stdout.write(
    [
      `homeserver  ssh root@${lab.hosts.homeserver.address} -p ${lab.hosts.homeserver.port}  (${lab.hosts.homeserver.fingerprint})`,
      `deploy      ssh root@${lab.hosts.deploy.address} -p ${lab.hosts.deploy.port}  (${lab.hosts.deploy.fingerprint})`,
      `https       ${lab.http.publicUrl} (apex ${lab.http.apexUrl})`,
      `tuwunel     ${lab.profile.homeserver?.version ?? ''} (admin room log: ${lab.adminRoomLogPath})`,
      `env         . ${lab.dir}/env`,
      `LAB READY ${lab.profilePath}`,
      '',
    ].join('\n'),
  );
  // Keeps the event loop alive until a signal arrives.
  setInterval(() => {}, 1 << 30);
  return await new Promise<number>(() => {});
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
