import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src-main/cli/run-cli';
import { varsFilePath } from '../../../src-main/core/status/checks/config-lint';
import { startLab } from '../../lab/lab';
import type { Lab, LabOptions } from '../../lab/types';
import { memoryIo } from '../../unit/cli/cli-io';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliLab {
  lab: Lab;
  /** The data folder the CLI uses (HOMESERVER_TRAY_DATA_DIR). */
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** The CLI in this process (runCli), with the lab's profile unless `profile: false`. */
  cli(
    args: string[],
    options?: {
      input?: string;
      tty?: boolean;
      profile?: boolean;
      stop?: AbortSignal;
      onOutput?: (stdout: string) => void;
    },
  ): Promise<CliResult>;
  /** The lab's secrets that appear in any stdout or stderr the CLI printed so far (must stay empty). */
  leakedSecrets(): string[];
  stop(): Promise<void>;
}

/**
 * The lab (real sshd, bash stand-ins, HTTPS, gnome-keyring) and a fresh data folder for the command line.
 * The keychain is the lab's: keytar reaches it through DBUS_SESSION_BUS_ADDRESS, set before its first use.
 * The sudo password goes in through `secret set`, as a user would store it.
 */
export async function startCliLab(options: LabOptions = {}): Promise<CliLab> {
  const lab = await startLab(options);
  const scratch = await mkdtemp(join(tmpdir(), 'cli-it-'));
  const dataDir = join(scratch, 'data');
  process.env.DBUS_SESSION_BUS_ADDRESS = lab.env.DBUS_SESSION_BUS_ADDRESS;
  // As `npm run cli` in a checkout sets it: hints name the command as `npm run cli -- …`.
  const env = { ...process.env, HOMESERVER_TRAY_DATA_DIR: dataDir, ...lab.env, npm_lifecycle_event: 'cli' };
  const printed: string[] = [];
  const cli: CliLab['cli'] = async (args, o = {}) => {
    const { io, out } = memoryIo({
      tty: o.tty ?? false,
      input: o.input ?? '',
      ...(o.stop ? { stop: o.stop } : {}),
    });
    if (o.onOutput) {
      const write = io.stdout;
      io.stdout = (text) => {
        write(text);
        o.onOutput?.(out.stdout);
      };
    }
    const argv = o.profile === false ? args : [...args, '--profile', lab.profilePath];
    const code = await runCli(argv, io, { env });
    printed.push(out.stdout, out.stderr);
    return { code, ...out };
  };
  try {
    const stored = await cli(['secret', 'set', 'sudo-password', '--host', 'homeserver'], {
      input: `${lab.secrets.sudoPassword}\n`,
    });
    if (stored.code !== 0) throw new Error(`storing the sudo password failed: ${stored.stderr}`);
    await anchorAllowlist(lab);
  } catch (e) {
    await lab.stop();
    await rm(scratch, { recursive: true, force: true });
    throw e;
  }
  return {
    lab,
    dataDir,
    env,
    cli,
    leakedSecrets: () =>
      Object.entries(lab.secrets)
        .filter(([kind, value]) => kind !== 'adminUserId' && printed.some((text) => text.includes(value)))
        .map(([kind]) => kind),
    async stop() {
      await lab.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * The lab keeps the runbook's allowlist, whose unanchored entries are a (correct) warning; anchoring
 * them, as the warning says, makes every check green.
 */
async function anchorAllowlist(lab: Lab): Promise<void> {
  const deploy = lab.profile.deploy;
  const file = varsFilePath(deploy.dir ?? '', deploy.varsFile);
  const text = await readFile(file, 'utf8');
  const anchored = text.replace(
    /^matrix_tuwunel_config_allowed_remote_server_names: .*$/m,
    () => "matrix_tuwunel_config_allowed_remote_server_names: ['^lab\\.test$', '^matrix\\.org$']",
  );
  if (anchored === text) throw new Error(`no allowlist line in ${file}`);
  await writeFile(file, anchored);
}
