import { isAbsolute, resolve } from 'node:path';
import { type Core, type CoreOptions, createCore } from '../app/session';
import { InvalidInput } from '../core/errors';
import { dataDir } from '../core/paths';
import { expandHome, loadProfile } from '../core/profile/load';
import { NoProfile, ProfileStore, type ProfileWithUid } from '../core/profile/store';

export interface CoreSource {
  /** `--profile FILE`; else the profile selected in the data folder (the app's selection). */
  profilePath: string | null;
  env: NodeJS.ProcessEnv;
  /** The user's working directory: a relative FILE is resolved against it. */
  cwd: string;
  /** Extra core options (tests: short runbook timeouts, a keychain of their own). */
  core?: Partial<CoreOptions>;
}

/**
 * The user's working directory. `npm run` starts scripts in the checkout, not where the user typed the
 * command; npm keeps that in INIT_CWD.
 */
export function userCwd(env: NodeJS.ProcessEnv): string {
  return env.INIT_CWD && isAbsolute(env.INIT_CWD) ? env.INIT_CWD : process.cwd();
}

/** A path as the user typed it: `~/…` is their home, a relative one is relative to where they are. */
export function userPath(path: string, cwd: string): string {
  return resolve(cwd, expandHome(path));
}

/** The profile this invocation names: `--profile FILE`, or the one selected in the data folder. */
export async function resolveProfile(
  source: CoreSource,
): Promise<{ profile: ProfileWithUid; file: string; store: ProfileStore }> {
  const store = new ProfileStore(dataDir(source.env));
  if (source.profilePath === null) {
    const selected = await store.selected();
    if (!selected) throw new NoProfile(store.dataDir);
    return { profile: selected.profile, file: selected.file, store };
  }
  const file = userPath(source.profilePath, source.cwd);
  // A file of the app's own store is that profile (its uid and keychain entries); any other is bound to its path.
  const storeId = await store.idOfFile(file);
  if (storeId !== null) return { profile: await store.load(storeId), file, store };
  const profile = await loadProfile(file).catch((e: NodeJS.ErrnoException) => {
    if (typeof e.code === 'string' && e.syscall)
      throw new InvalidInput('--profile', `${file} cannot be read (${e.code})`);
    throw e;
  });
  return { profile, file, store };
}

/** The same core the app builds, for the profile this invocation names. */
export async function openCore(source: CoreSource): Promise<Core> {
  const { profile, store } = await resolveProfile(source);
  return createCore({ ...source.core, profile, dataDir: store.dataDir });
}
