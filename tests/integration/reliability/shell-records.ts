import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What a real bash makes of command lines, recorded instead of run: every simple command it would
 * execute, as its words after expansion, in order — through the very parser the remote `/bin/sh -c`
 * and the nested `bash -c` use (dash and bash agree on single quotes, the only quoting shellQuote emits).
 *
 * Nothing external can run: the recording bash has no PATH, is restricted (`-r`: no `/` in command
 * names, no output redirections, no `exec`), runs as nobody, and every command name the catalog uses —
 * and every builtin that could reach outside (kill, eval, trap, ulimit…) — is a read-only function that
 * only records its words. Unknown names are recorded with a `?` prefix by command_not_found_handle.
 *
 * `plain` mode also caps open files at 3, so what depends on this machine rather than on the line —
 * input redirections (`< "$f"`), command substitutions and pipes — fails the same way for every line.
 * `pipes` mode lets pipelines run (each costs two forks): for nested scripts such as config.apply's.
 */

export type RecordMode = 'plain' | 'pipes';

const COMMANDS = [
  'systemctl',
  'timeout',
  'docker',
  'journalctl',
  'git',
  'rm',
  'ansible-galaxy',
  'ansible-playbook',
  'bash',
  'sh',
  'mkdir',
  'tee',
  'sha256sum',
  'cat',
  'dirname',
  'basename',
  'chmod',
  'chown',
  'mv',
  'df',
  'sudo',
];
const BUILTINS = [
  'cd',
  'exit',
  'set',
  'kill',
  'builtin',
  'command',
  'eval',
  'exec',
  'trap',
  'ulimit',
  'unset',
  'enable',
  'wait',
  'read',
  'mapfile',
  'readarray',
  'declare',
  'typeset',
  'export',
  'alias',
  'shopt',
  'hash',
  'umask',
  'source',
  'suspend',
  'disown',
  'fc',
  'history',
  'logout',
  'compgen',
  'complete',
  'bind',
  'jobs',
  'fg',
  'bg',
  'times',
  'getopts',
  'let',
  'pushd',
  'popd',
  'dirs',
];
/** Record and case ends carry a nonce, so text a line prints by itself cannot pass for either. */
interface Markers {
  record: string;
  case: string;
}

function prelude(mode: RecordMode, m: Markers): string {
  const out = mode === 'pipes' ? ' >&3' : '';
  const names = [...COMMANDS, ...BUILTINS];
  return [
    // Before `ulimit` becomes a recorder: from here on no new file descriptor can be opened.
    ...(mode === 'plain' ? ['ulimit -S -n 3'] : []),
    `__rec() { printf '%s\\0' "$@" '${m.record}'${out}; }`,
    `command_not_found_handle() { __rec "?$1" "\${@:2}"; }`,
    `__case() { printf '%s\\0' '${m.case}'${out}; }`,
    `__w() { __rec "$@"; }`,
    ...names.map((n) => `${n}() { __rec ${n} "$@"; }`),
    `readonly -f __rec __case __w command_not_found_handle ${names.join(' ')}`,
  ].join('\n');
}

function parseRecords(out: string, m: Markers): string[][][] {
  const cases: string[][][] = [];
  let commands: string[][] = [];
  let words: string[] = [];
  for (const word of out.split('\0').slice(0, -1)) {
    if (word === m.case) {
      cases.push(commands);
      commands = [];
    } else if (word === m.record) {
      commands.push(words);
      words = [];
    } else words.push(word);
  }
  return cases;
}

function runBash(script: string, mode: RecordMode): Promise<{ out: string; err: string }> {
  return (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shell-records-'));
    try {
      await chmod(dir, 0o755);
      const file = join(dir, 'script.sh');
      await writeFile(file, script, { mode: 0o644 });
      return await new Promise<{ out: string; err: string }>((resolve, reject) => {
        const bash = `exec env -i PATH=/nonexistent /bin/bash --noprofile --norc -r ${file} </dev/null${mode === 'pipes' ? ' 3>&1 >/dev/null' : ''}`;
        execFile(
          'setpriv',
          ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sh', '-c', bash],
          { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
          // A line's last command may fail (exit status ≠ 0): only a signal or a spawn error is a failure here.
          (error, stdout, stderr) =>
            error && typeof error.code !== 'number' ? reject(error) : resolve({ out: stdout, err: stderr }),
        );
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
}

/**
 * The simple commands bash would run for each line: `records[i][k]` is the k-th command of line i, as
 * its words. A line is recorded as `__w <line>`, so its first simple command is captured even when it
 * is an assignment (`f=… ; …`). Throws, naming the line, when bash cannot parse one.
 */
export async function recordCommands(lines: string[], mode: RecordMode = 'plain'): Promise<string[][][]> {
  if (lines.length === 0) return [];
  const nonce = randomBytes(12).toString('hex');
  const m: Markers = { record: `\u0001${nonce}`, case: `\u0002${nonce}` };
  const script = (some: string[]) =>
    `${prelude(mode, m)}\n${some.map((l) => `__w ${l}\n__case`).join('\n')}\n`;
  const { out, err } = await runBash(script(lines), mode);
  const records = parseRecords(out, m);
  if (records.length === lines.length) return records;
  for (const line of lines) {
    if (parseRecords((await runBash(script([line]), mode)).out, m).length !== 1)
      throw new Error(`bash could not parse ${JSON.stringify(line)}`);
  }
  throw new Error(`bash recorded ${records.length} of ${lines.length} lines: ${err.slice(0, 500)}`);
}

/** Asks one real bash (with no PATH, so nothing external can run) for the words of each line. */
export function wordsOf(lines: string[]): string[][] {
  const script = ['w() { printf "%s\\0" "$@"; printf "\\1\\0"; }', ...lines.map((l) => `w ${l}`)].join('\n');
  let out: string;
  try {
    out = execFileSync('env', ['-i', 'PATH=/nonexistent', '/bin/bash', '--noprofile', '--norc', '-s'], {
      input: script,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    throw new Error(
      `bash could not split these lines into words: ${JSON.stringify(lines)}: ${(e as { stderr?: string }).stderr}`,
    );
  }
  const groups: string[][] = [[]];
  for (const word of out.split('\0').slice(0, -1)) {
    if (word === '\u0001') groups.push([]);
    else groups.at(-1)?.push(word);
  }
  return groups.slice(0, -1);
}
