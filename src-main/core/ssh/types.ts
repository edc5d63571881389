import type { HostRole } from '../profile/schema';

export interface ExecOptions {
  /** Written to the remote command's stdin, then stdin is closed. The only way secrets reach a host. */
  stdin?: string | Buffer;
  /** Kills the remote command (and its process group) when exceeded; rejects with Timeout. */
  timeoutMs?: number;
  /** Aborting kills the remote command; rejects with Cancelled. */
  signal?: AbortSignal;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Run through `sudo -S -p ''` with the stored sudo password on stdin, or `sudo -n` when none is stored. */
  sudo?: boolean;
  /** Label for errors and logs, e.g. "Stop matrix-tuwunel". */
  label?: string;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  /** Bounded: when output exceeds the buffer, the tail is kept. */
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** What the rest of the core needs from SSH: run a command on a host of the profile. */
export interface RemoteExec {
  exec(host: HostRole, command: string, options?: ExecOptions): Promise<ExecResult>;
}
