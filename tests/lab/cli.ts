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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.dir) {
    const usage =
      'Usage: npm run lab -- --dir DIR [--tuwunel-version V] [--jump] [--untrusted-host-keys] [--no-keyring]\n' +
      'Starts the lab (two sshd, stand-ins, HTTPS, keyring) and keeps it up until Ctrl-C.\n' +
      `--tuwunel-version: the release the homeserver runs and answers as, one of ${TUWUNEL_VERSIONS.join(', ')} (default 1.7.0).\n`;
    process.stdout.write(usage);
    return values.help ? 0 : 2;
  }
  const lab = await startLab({
    dir: values.dir,
    tuwunelVersion: values['tuwunel-version'],
    keyring: !values['no-keyring'],
    trustHostKeys: !values['untrusted-host-keys'],
    jumpThroughDeploy: values.jump,
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
