import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processesWithEnv, sweepProcesses } from './process-sweep';
import { requireTool, run } from './tools';

export interface Keyring {
  /** What a client (keytar, secret-tool) needs to reach this keyring and no other. */
  env: { DBUS_SESSION_BUS_ADDRESS: string };
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Unlocking needs a non-empty password: with an empty one gnome-keyring asks through a GUI prompt
// and keytar then fails with "Object does not exist at path …/collection/login".
const KEYRING_PASSWORD = 'lab-keyring-password';

// A bus without <servicedir>: nothing is D-Bus-activated behind our back (a second, locked keyring).
function busConfig(address: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>${address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  const done = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([done, sleep(1000)]);
  if (!exited(child)) {
    child.kill('SIGKILL');
    await done;
  }
}

/**
 * gnome-keyring's Secret Service in a private D-Bus session, with its own HOME and XDG folders under
 * `dir`, so tests never touch a real keyring. Usable on its own (keytar tests) or from startLab.
 * `processEnv` is added to both daemons' environment (the lab passes its process marker).
 */
export async function startKeyring(dir: string, processEnv: Record<string, string> = {}): Promise<Keyring> {
  const dbusDaemon = await requireTool('dbus-daemon', 'dbus');
  const dbusSend = await requireTool('dbus-send', 'dbus');
  const daemon = await requireTool('gnome-keyring-daemon', 'gnome-keyring');
  const setpriv = await requireTool('setpriv', 'util-linux');

  const home = join(dir, 'home');
  const runtime = join(dir, 'runtime');
  await mkdir(join(home, '.local', 'share'), { recursive: true });
  await mkdir(join(home, '.config'), { recursive: true });
  await mkdir(runtime, { recursive: true, mode: 0o700 });

  // A unix socket path is limited to 108 bytes; a deep lab folder gets its socket in a short temp dir.
  let socketDir = dir;
  let ownSocketDir = false;
  if (join(dir, 'bus').length > 100) {
    socketDir = await mkdtemp(join(tmpdir(), 'lab-bus-'));
    ownSocketDir = true;
  }
  const address = `unix:path=${join(socketDir, 'bus')}`;
  const configPath = join(dir, 'bus.conf');
  await writeFile(configPath, busConfig(address));
  const marker = { LAB_KEYRING_DIR: dir, ...processEnv };

  const bus = spawn(
    setpriv,
    ['--pdeathsig', 'SIGKILL', dbusDaemon, `--config-file=${configPath}`, '--nofork'],
    {
      stdio: 'ignore',
      env: { PATH: '/usr/bin:/bin', ...marker },
    },
  );
  bus.on('error', () => {});
  const env = {
    PATH: '/usr/bin:/bin',
    HOME: home,
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_RUNTIME_DIR: runtime,
    DBUS_SESSION_BUS_ADDRESS: address,
  };
  let keyring: ChildProcess | undefined;
  const stop = async () => {
    if (keyring) await stopChild(keyring);
    await stopChild(bus);
    await sweepProcesses(`LAB_KEYRING_DIR=${dir}`);
    if (ownSocketDir) await rm(socketDir, { recursive: true, force: true });
  };

  try {
    await waitFor(async () => {
      if (exited(bus)) throw new Error('dbus-daemon exited at start');
      return run(
        dbusSend,
        [
          '--session',
          '--dest=org.freedesktop.DBus',
          '--type=method_call',
          '--print-reply',
          '/org/freedesktop/DBus',
          'org.freedesktop.DBus.GetId',
        ],
        { env },
      ).then(
        () => true,
        () => false,
      );
    }, 'the D-Bus session');

    keyring = spawn(
      setpriv,
      ['--pdeathsig', 'SIGKILL', daemon, '--foreground', '--unlock', '--components=secrets'],
      {
        stdio: ['pipe', 'ignore', 'ignore'],
        env: { ...env, ...marker },
      },
    );
    keyring.on('error', () => {});
    keyring.stdin?.end(KEYRING_PASSWORD);
    const k = keyring;
    await waitFor(async () => {
      if (exited(k)) throw new Error('gnome-keyring-daemon exited at start');
      const reply = await run(
        dbusSend,
        [
          '--session',
          '--dest=org.freedesktop.DBus',
          '--type=method_call',
          '--print-reply',
          '/org/freedesktop/DBus',
          'org.freedesktop.DBus.NameHasOwner',
          'string:org.freedesktop.secrets',
        ],
        { env },
      ).catch(() => ({ stdout: '' }));
      return reply.stdout.includes('boolean true');
    }, 'the Secret Service (org.freedesktop.secrets)');
  } catch (error) {
    await stop();
    throw error;
  }
  return { env: { DBUS_SESSION_BUS_ADDRESS: address }, stop };
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(15);
  }
  throw new Error(`${what} did not come up within ${ms} ms`);
}

/** For tests: the keyring daemons still running for `dir`. */
export function keyringProcesses(dir: string): Promise<number[]> {
  return processesWithEnv(`LAB_KEYRING_DIR=${dir}`);
}
