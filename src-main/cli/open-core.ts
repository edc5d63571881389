import { type Core, type CoreOptions, createCore } from '../app/session';
import { InvalidInput } from '../core/errors';
import { dataDir } from '../core/paths';
import { loadProfile } from '../core/profile/load';
import { NoProfile, ProfileStore } from '../core/profile/store';

export interface CoreSource {
  /** `--profile FILE`; else the profile selected in the data folder (the app's selection). */
  profilePath: string | null;
  env: NodeJS.ProcessEnv;
  /** Extra core options (tests: short runbook timeouts). */
  core?: Partial<CoreOptions>;
}

/** The same core the app builds, for the profile this invocation names. */
export async function openCore(source: CoreSource): Promise<Core> {
  const dir = dataDir(source.env);
  let profile: Awaited<ReturnType<typeof loadProfile>>;
  if (source.profilePath !== null) {
    profile = await loadProfile(source.profilePath).catch((e: NodeJS.ErrnoException) => {
      if (typeof e.code === 'string' && e.syscall)
        throw new InvalidInput('--profile', `${source.profilePath} cannot be read (${e.code})`);
      throw e;
    });
  } else {
    const selected = await new ProfileStore(dir).selected();
    if (!selected) throw new NoProfile(dir);
    profile = selected.profile;
  }
  return createCore({ ...source.core, profile, dataDir: dir });
}
