import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The command line as users run it, as a process: package.json's bin, which `npm run cli` and the linked
 * `homeserver-tray` both run (it starts out/cli/main.mjs, built from these sources before the
 * files run, by tests/support/build-bundles.ts). Real argv, env, stdin, exit code.
 */
const BIN = fileURLToPath(new URL('../../../bin/homeserver-tray.mjs', import.meta.url));

/** The argv that runs the command line with `args`: this Node and the bin (for a shell or a terminal). */
export function cliCommand(...args: string[]): [string, ...string[]] {
  return [process.execPath, BIN, ...args];
}

/** The settings file of a data folder with the clipboard delay the test wants (null = never). */
export async function useClearDelay(dataDir: string, seconds: number | null): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(
    join(dataDir, 'settings.json'),
    JSON.stringify({
      clipboardClearSeconds: seconds,
      pollIntervalSeconds: 30,
      notifications: false,
      launchAtLogin: false,
    }),
  );
}

/** A command line process still running: what it printed so far, and its end. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Starts the command line with `input` on its stdin (then closed); the caller waits for `exited`. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, input = ''): CliProcess {
  const [node, ...argv] = cliCommand(...args);
  const child = spawn(node, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  child.stdin?.end(input);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the command line to its end (killed, and an error, after `timeoutMs`). */
export function runCli(
  args: string[],
  options: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<CliRun> {
  const cli = startCli(args, options.env, options.input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cli.child.kill('SIGKILL');
      reject(new Error(`cli ${args.join(' ')} did not finish: ${cli.stderr()}`));
    }, options.timeoutMs ?? 60_000);
    cli.child.on('error', reject);
    void cli.exited.then((code) => {
      clearTimeout(timer);
      resolve({ code, stdout: cli.stdout(), stderr: cli.stderr() });
    });
  });
}
