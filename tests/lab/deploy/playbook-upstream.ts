import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git } from './git';

export const TUWUNEL_ROLE_DEFAULTS = 'roles/custom/matrix-tuwunel/defaults/main.yml';

/**
 * Publishes a new upstream release of the lab playbook whose Tuwunel role defaults ship `tuwunelVersion`
 * (without v), as spantaleev's repository does when it bumps Tuwunel. The deploy host sees it after
 * `git pull`; the inventory's pin is untouched, which is what a "version drift" check compares against.
 */
export async function publishPlaybookRelease(opts: {
  playbookRemote: string;
  tuwunelVersion: string;
}): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'lab-playbook-release-'));
  try {
    await git(tmpdir(), 'clone', '--quiet', opts.playbookRemote, work);
    const defaultsPath = join(work, TUWUNEL_ROLE_DEFAULTS);
    const defaults = await readFile(defaultsPath, 'utf8');
    const bumped = defaults.replace(
      /^matrix_tuwunel_version: .*$/m,
      `matrix_tuwunel_version: v${opts.tuwunelVersion}`,
    );
    if (bumped === defaults) return;
    await writeFile(defaultsPath, bumped);
    await git(work, 'commit', '--quiet', '--all', '-m', `Upgrade Tuwunel (v${opts.tuwunelVersion})`);
    await git(work, 'push', '--quiet', 'origin', 'main');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
