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
  const store = new ProfileStore(dir);
  let profile: Awaited<ReturnType<typeof loadProfile>>;
  // A file of the app's own store is that profile (its uid and keychain entries); any other is bound to its path.
  const storeId = source.profilePath === null ? null : await store.idOfFile(source.profilePath);
  if (storeId !== null) {
    profile = await store.load(storeId);
  } else if (source.profilePath !== null) {
    profile = await loadProfile(source.profilePath).catch((e: NodeJS.ErrnoException) => {
      if (typeof e.code === 'string' && e.syscall)
        throw new InvalidInput('--profile', `${source.profilePath} cannot be read (${e.code})`);
      throw e;
    });
  } else {
    const selected = await store.selected();
    if (!selected) throw new NoProfile(dir);
    profile = selected.profile;
  }
  return createCore({ ...source.core, profile, dataDir: dir });
}
