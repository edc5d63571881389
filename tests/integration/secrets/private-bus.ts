import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Broken-on-purpose D-Bus session buses for the keychain tests (the working keyring is tests/lab/keyring.ts),
 * each with its own HOME/XDG folders so no test touches a real keyring.
 */
const execFileAsync = promisify(execFile);

export interface PrivateBus {
  address: string;
  stop(): Promise<void>;
}

async function isolatedEnv(dir: string): Promise<NodeJS.ProcessEnv> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
  };
  for (const folder of [env.HOME, env.XDG_DATA_HOME, env.XDG_CONFIG_HOME, env.XDG_RUNTIME_DIR])
    await mkdir(folder, { recursive: true, mode: 0o700 });
  return env;
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The address dbus-daemon prints on its first stdout line once it listens. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\n');
      if (end >= 0) {
        child.stdout?.off('data', onData);
        resolve(buffered.slice(0, end).trim());
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code} before listening`)));
  });
}

/**
 * A session bus in `dir`. With `services: false` it has no activatable services, so asking it for
 * org.freedesktop.secrets fails with ServiceUnknown instead of launching gnome-keyring.
 */
export async function startBus(dir: string, options: { services: boolean }): Promise<PrivateBus> {
  const env = await isolatedEnv(dir);
  const args = ['--nofork', '--nopidfile', '--nosyslog', '--print-address=1'];
  if (options.services) {
    args.push('--session', `--address=unix:path=${join(dir, 'run', 'bus')}`);
  } else {
    const config = join(dir, 'bus.conf');
    await writeFile(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${join(dir, 'run', 'bus')}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`,
    );
    args.push(`--config-file=${config}`);
  }
  // Its stderr only carries activation chatter (fd limits, prompter failures): keep test output clean.
  const daemon = spawn('dbus-daemon', args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await firstLine(daemon);
  return {
    address,
    stop: async () => {
      await stopActivated(address);
      await stopProcess(daemon);
    },
  };
}

async function busCall(address: string, method: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('dbus-send', [
    `--bus=${address}`,
    '--print-reply',
    '--dest=org.freedesktop.DBus',
    '/org/freedesktop/DBus',
    `org.freedesktop.DBus.${method}`,
    ...args,
  ]);
  return stdout;
}

/** Activated services are re-parented to init, which reaps when it gets to it: a zombie counts as ended. */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

/**
 * Services the bus launched on demand (a gnome-keyring nobody unlocked) outlive it: end them with it.
 */
async function stopActivated(address: string): Promise<void> {
  const names = [...(await busCall(address, 'ListNames')).matchAll(/string "([^":][^"]*)"/g)]
    .map((m) => m[1]!)
    .filter((name) => name !== 'org.freedesktop.DBus');
  const pids = new Set<number>();
  for (const name of names) {
    const reply = await busCall(address, 'GetConnectionUnixProcessID', `string:${name}`).catch(() => '');
    const pid = Number(/uint32 (\d+)/.exec(reply)?.[1]);
    if (pid > 0) pids.add(pid);
  }
  for (const pid of pids) {
    process.kill(pid, 'SIGTERM');
    for (let waited = 0; (await running(pid)) && waited < 5_000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
  }
}
