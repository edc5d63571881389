import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { z } from 'zod';
import type { Clipboard } from '../core/token/clipboard';
import { ClipboardFailed, NoClipboardTool } from '../core/token/errors';

/**
 * The command line's clipboard: the desktop's own tools, found on PATH. The secret goes to the tool's
 * STDIN, never its arguments. Order: Wayland (wl-copy), X11 (xclip), macOS (pbcopy), Windows and WSL
 * (clip.exe, read back through PowerShell).
 */

export const cliClipboardToolSchema = z.enum(['wl-copy', 'xclip', 'pbcopy', 'clip.exe']);
export type CliClipboardTool = z.infer<typeof cliClipboardToolSchema>;

interface ToolCommands {
  write: string[];
  read: string[];
  /** Clearing is writing nothing, unless the tool has its own way. */
  clear: string[] | null;
  /** What reading an empty clipboard looks like (exit 1 with this), rather than a failure. */
  emptyReply: RegExp | null;
}

const TIMEOUT_MS = 10_000;

function commandsFor(tool: CliClipboardTool, sensitive: boolean): ToolCommands {
  switch (tool) {
    case 'wl-copy':
      return {
        write: ['wl-copy', ...(sensitive ? ['--sensitive'] : [])],
        read: ['wl-paste', '--no-newline'],
        clear: ['wl-copy', '--clear'],
        emptyReply: /Nothing is copied|No selection/,
      };
    case 'xclip':
      return {
        write: ['xclip', '-selection', 'clipboard', '-in'],
        read: ['xclip', '-selection', 'clipboard', '-out'],
        clear: null,
        emptyReply: /target .* not available/,
      };
    case 'pbcopy':
      return { write: ['pbcopy'], read: ['pbpaste'], clear: null, emptyReply: null };
    case 'clip.exe':
      return {
        write: ['clip.exe'],
        read: ['powershell.exe', '-NoProfile', '-NonInteractive', '-Command', 'Get-Clipboard -Raw'],
        clear: null,
        emptyReply: null,
      };
  }
}

export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const exts = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // Not here.
      }
    }
  }
  return null;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool with `input` on stdin. Copy tools fork a process that keeps serving the clipboard and
 * holds on to the pipes, so a write resolves when the tool itself exits, not when its pipes close.
 */
function runTool(
  argv: string[],
  env: NodeJS.ProcessEnv,
  input: string | null,
  untilExit: boolean,
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = argv as [string, ...string[]];
    const child = spawn(command, args, {
      env,
      stdio: [input === null ? 'ignore' : 'pipe', untilExit ? 'ignore' : 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new ClipboardFailed(command, `it did not finish within ${TIMEOUT_MS / 1000} s`));
    }, TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ClipboardFailed(command, e.message));
    });
    child.on(untilExit ? 'exit' : 'close', (code) => {
      clearTimeout(timer);
      if (untilExit) child.stderr?.destroy();
      resolve({ code, stdout, stderr });
    });
    if (input !== null) {
      child.stdin?.on('error', () => {});
      child.stdin?.end(input);
    }
  });
}

export interface CliClipboardOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** Which tool this session can use, or null. */
export function detectCliClipboardTool(options: CliClipboardOptions = {}): CliClipboardTool | null {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  if (env.WAYLAND_DISPLAY && findOnPath('wl-copy', env) && findOnPath('wl-paste', env)) return 'wl-copy';
  if (env.DISPLAY && findOnPath('xclip', env)) return 'xclip';
  if (platform === 'darwin' && findOnPath('pbcopy', env)) return 'pbcopy';
  if (findOnPath('clip.exe', env)) return 'clip.exe';
  return null;
}

/** wl-clipboard 2.3 added `--sensitive` (the KDE password-manager hint); older ones refuse the flag. */
async function wlCopyHasSensitive(env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    const help = await runTool(['wl-copy', '--help'], env, null, false);
    return help.stdout.includes('--sensitive');
  } catch {
    return false;
  }
}

export class CliClipboard implements Clipboard {
  readonly name: string;
  private readonly commands: ToolCommands;

  constructor(
    readonly tool: CliClipboardTool,
    private readonly env: NodeJS.ProcessEnv,
    readonly concealable: boolean,
  ) {
    this.name = tool;
    this.commands = commandsFor(tool, concealable);
  }

  async writeText(text: string, options: { concealed: boolean }): Promise<void> {
    const argv = options.concealed ? this.commands.write : commandsFor(this.tool, false).write;
    await this.expectOk(argv, text);
  }

  async readText(): Promise<string> {
    const ran = await runTool(this.commands.read, this.env, null, false);
    if (ran.code === 0) return this.tool === 'clip.exe' ? ran.stdout.replace(/\r?\n$/, '') : ran.stdout;
    if (this.commands.emptyReply?.test(ran.stderr)) return '';
    throw new ClipboardFailed(this.commands.read[0] as string, ran.stderr.trim() || `exit code ${ran.code}`);
  }

  async clear(): Promise<void> {
    if (this.commands.clear) await this.expectOk(this.commands.clear, null);
    else await this.expectOk(this.commands.write, '');
  }

  private async expectOk(argv: string[], input: string | null): Promise<void> {
    const ran = await runTool(argv, this.env, input, true);
    if (ran.code !== 0)
      throw new ClipboardFailed(
        argv[0] as string,
        ran.stderr.trim().split('\n')[0] || `exit code ${ran.code}`,
      );
  }
}

/** The CLI's clipboard, or NoClipboardTool (the CLI then refuses; it never prints a secret instead). */
export async function createCliClipboard(options: CliClipboardOptions = {}): Promise<CliClipboard> {
  const env = options.env ?? process.env;
  const tool = detectCliClipboardTool(options);
  if (!tool)
    throw new NoClipboardTool(options.platform ?? process.platform, [
      'wl-copy',
      'xclip',
      'pbcopy',
      'clip.exe',
    ]);
  return cliClipboardFor(tool, env);
}

export async function cliClipboardFor(
  tool: CliClipboardTool,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliClipboard> {
  return new CliClipboard(tool, env, tool === 'wl-copy' && (await wlCopyHasSensitive(env)));
}
