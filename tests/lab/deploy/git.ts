import {
  appendFile,
  chmod,
  cp,
  mkdir,
  readdir,
  readFile,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RepoFiles } from './playbook-files';
import { mustRun } from './run';

export const LAB_GIT_AUTHOR = { name: 'Homelab Admin', email: 'admin@lab.test' } as const;

/** Git for lab set-up: never reads the machine's global or system config (signing, hooks, default branch). */
function gitEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: LAB_GIT_AUTHOR.name,
    GIT_AUTHOR_EMAIL: LAB_GIT_AUTHOR.email,
    GIT_COMMITTER_NAME: LAB_GIT_AUTHOR.name,
    GIT_COMMITTER_EMAIL: LAB_GIT_AUTHOR.email,
    GIT_TERMINAL_PROMPT: '0',
  };
}

const IDENTITY_CONFIG = `[user]\n\tname = ${LAB_GIT_AUTHOR.name}\n\temail = ${LAB_GIT_AUTHOR.email}\n`;

export function git(cwd: string, ...args: string[]): Promise<string> {
  return mustRun('git', args, { cwd, env: gitEnv() });
}

export async function writeRepoFiles(root: string, files: RepoFiles): Promise<void> {
  await Promise.all(
    Object.entries(files).map(async ([path, f]) => {
      const target = join(root, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, f.content);
      if (f.executable) await chmod(target, 0o755);
    }),
  );
}

/**
 * A work tree with one commit of `files`; the identity is set in the repo itself, as a workstation's global
 * config would provide, so commits made later by the app (or by tests) work on a machine without one.
 */
export async function initRepo(dir: string, files: RepoFiles, message: string, tag?: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await git(dir, 'init', '--quiet', '--initial-branch=main');
  // Config written directly: every git process spawned costs lab start-up time.
  await appendFile(join(dir, '.git', 'config'), IDENTITY_CONFIG);
  await writeRepoFiles(dir, files);
  await git(dir, 'add', '--all');
  await git(dir, 'commit', '--quiet', '-m', message);
  if (tag) await git(dir, 'tag', tag);
}

/** A bare copy of `workTree` (tags included) that becomes its `origin`, as a push to a fresh remote would. */
export async function publishBare(workTree: string, bareDir: string): Promise<void> {
  await mkdir(dirname(bareDir), { recursive: true });
  await git(dirname(bareDir), 'clone', '--quiet', '--bare', workTree, bareDir);
  await git(workTree, 'remote', 'add', '-f', 'origin', bareDir);
  await appendFile(
    join(workTree, '.git', 'config'),
    '[branch "main"]\n\tremote = origin\n\tmerge = refs/heads/main\n',
  );
}

export async function cloneRepo(remote: string, dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  await git(
    dirname(dir),
    'clone',
    '--quiet',
    `--config=user.name=${LAB_GIT_AUTHOR.name}`,
    `--config=user.email=${LAB_GIT_AUTHOR.email}`,
    remote,
    dir,
  );
}

async function isBare(repo: string): Promise<boolean> {
  return stat(join(repo, '.git')).then(
    () => false,
    () => true,
  );
}

/**
 * Readies a repository for the lab cache: objects packed, and what git needs no longer gone (hook
 * samples, reflogs, description, info/, empty ref folders). On these disks each file or folder a lab
 * copies costs 1–2 ms of CPU; a clone drops from ~40 entries to ~12 and stays a working repository.
 */
export async function compactRepo(repo: string): Promise<void> {
  const gitDir = (await isBare(repo)) ? repo : join(repo, '.git');
  await git(repo, 'gc', '--quiet', '--prune=now');
  await Promise.all(
    ['hooks', 'branches', 'description', 'info', 'logs', 'objects/info'].map((p) =>
      rm(join(gitDir, p), { recursive: true, force: true }),
    ),
  );
  await removeEmptyDirs(join(gitDir, 'refs'));
}

async function removeEmptyDirs(dir: string, keep = true): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  await Promise.all(
    entries.filter((e) => e.isDirectory()).map((e) => removeEmptyDirs(join(dir, e.name), false)),
  );
  if (!keep && (await readdir(dir)).length === 0) await rmdir(dir);
}

/**
 * Copies repositories made once in the lab cache into a lab (where building them again takes a dozen git
 * processes) and points each copy's `origin` at `origin`, the cache's own paths meaning nothing there.
 */
export async function copyRepos(copies: { from: string; to: string; origin?: string }[]): Promise<void> {
  await Promise.all(
    copies.map(async (c) => {
      await cp(c.from, c.to, { recursive: true });
      if (c.origin !== undefined) await setOrigin(c.to, c.origin);
    }),
  );
}

async function setOrigin(repo: string, url: string): Promise<void> {
  const configPath = (await isBare(repo)) ? join(repo, 'config') : join(repo, '.git', 'config');
  const config = await readFile(configPath, 'utf8');
  const quoted = `"${url.replace(/[\\"]/g, '\\$&')}"`;
  const updated = config.replace(
    /(\[remote "origin"\]\n\turl = ).*/,
    (_, head: string) => `${head}${quoted}`,
  );
  if (updated === config) throw new Error(`${configPath} has no origin to point at ${url}.`);
  await writeFile(configPath, updated);
}
