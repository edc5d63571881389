import { readFileSync } from 'node:fs';
import { describeError, InvalidInput } from '../core/errors';
import { parseVersion } from '../core/lib/version';
import { expandHome } from '../core/profile/load';
import type { Profile } from '../core/profile/schema';
import { varsFilePath } from '../core/runbook/commands';
import type { RemoteExec } from '../core/ssh/types';
import { createHttpsGetter } from '../core/status/https-client';
import {
  type PlaybookVersions,
  readPlaybookVersions,
  roleDefaultsPath,
  VERSION_KEY,
  type VersionEntry,
} from '../core/upgrade/playbook-versions';
import { type GetText, readRunningVersion } from '../core/upgrade/readiness';
import type { VersionReading, WhatsNewView } from './views/whats-new-schema';
import { notesView, whatsNewView } from './views/whats-new-view';

/**
 * "What's new" for the window and the command line: the versions read from the deploy host (the pulled
 * playbook's default and the vars.yml pin, one command) and from the server itself, with the release notes
 * between from the app's own table. Nothing is fetched from the internet.
 */

export interface WhatsNewDeps {
  profile: Profile;
  remote: RemoteExec;
  /** Default: an HTTPS GET trusting the profile's caFile besides the system roots. */
  get?: GetText;
  signal?: AbortSignal;
}

/** The notes of a range given by hand; the versions are checked before anything else happens. */
export function releaseNotesBetween(from: string, to: string): WhatsNewView {
  for (const [field, value] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (!parseVersion(value)) throw new InvalidInput(field, `"${value}" is not a version like 1.8.2`);
  }
  return notesView(from, to);
}

function reading(entry: VersionEntry, source: string): VersionReading {
  switch (entry.state) {
    case 'version':
      return { version: entry.version.core, source, problem: null };
    case 'absent':
      return { version: null, source, problem: `${VERSION_KEY} is not set` };
    case 'template':
      return {
        version: null,
        source,
        problem: `${VERSION_KEY} is the template "${entry.text}", which the app does not evaluate`,
      };
    case 'invalid':
      return { version: null, source, problem: entry.problem };
  }
}

function httpsGet(profile: Profile): { get: GetText; close: () => void } {
  const ca = profile.caFile ? readFileSync(expandHome(profile.caFile), 'utf8') : undefined;
  const getter = createHttpsGetter({ ...(ca ? { ca } : {}), timeoutMs: 5000 });
  return {
    get: async (url) => {
      const o = await getter.get(url);
      return o.ok ? { status: o.status, body: o.body } : { error: o.message };
    },
    close: () => getter.close(),
  };
}

export async function whatsNew(deps: WhatsNewDeps): Promise<WhatsNewView> {
  const { profile } = deps;
  const files = { roleDefaults: roleDefaultsPath(profile.deploy.dir), vars: varsFilePath(profile) };
  const own = deps.get ? null : httpsGet(profile);
  const get = deps.get ?? (own as { get: GetText }).get;
  try {
    const [versions, running] = await Promise.all([
      readPlaybookVersions(deps.remote, files, {
        host: profile.deploy.host,
        sudo: profile.hosts[profile.deploy.host].sudo,
        timeoutMs: 30_000,
        ...(deps.signal ? { signal: deps.signal } : {}),
      }).catch((e: unknown): Error => (e instanceof Error ? e : new Error(String(e)))),
      readRunningVersion(get, profile.publicUrl),
    ]);
    const deployProblem = (what: string): VersionReading => ({
      version: null,
      source: what,
      problem: describeError(versions).message,
    });
    const read = (pick: (v: PlaybookVersions) => VersionEntry, source: string) =>
      versions instanceof Error ? deployProblem(source) : reading(pick(versions), source);
    return whatsNewView({
      running: running.ok
        ? {
            version: parseVersion(running.version)?.core ?? running.version,
            source: running.source,
            problem: null,
          }
        : { version: null, source: profile.publicUrl, problem: running.reason },
      pinned: read((v) => v.pin, files.vars),
      offered: read((v) => v.roleDefault, files.roleDefaults),
    });
  } finally {
    own?.close();
  }
}
