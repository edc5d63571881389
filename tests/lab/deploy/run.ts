import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed (how secrets reach a command: never argv). */
  input?: string;
  /** Ends the child (SIGTERM) when aborted: a test that timed out must not leave its command acting on the lab. */
  signal?: AbortSignal;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and reports its exit code and output, whatever the code. */
export function runCommand(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    // An abort is reported by 'close' with the signal, like any other end.
    child.on('error', (error) => {
      if (error.name !== 'AbortError') reject(error);
    });
    child.on('close', (code, signal) =>
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => {
      // A command that exits without reading stdin closes the pipe early; its exit code says what happened.
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a lab set-up step that must succeed; a failure names the command and carries its stderr. */
export async function mustRun(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<string> {
  const result = await runCommand(command, args, opts);
  if (result.exitCode !== 0) {
    throw new Error(
      `Lab set-up step \`${command} ${args[0] ?? ''}\` exited with ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result.stdout;
}
