import { compareVersions, parseVersion, type Version } from '../../lib/version';
import {
  type PlaybookVersions,
  parseVersionsOutput,
  VERSION_KEY,
  type VersionEntry,
  type VersionFiles,
} from '../../upgrade/playbook-versions';
import { notesBetween, releasesWith } from '../../upgrade/release-notes';
import { clip } from '../text';
import type { Finding } from '../types';

/**
 * "1.9.0 available (you pin 1.7.0)": the release the pulled playbook defaults to against the one vars.yml
 * pins, from the deploy host alone, with what the app's release-notes table says lies between. A newer
 * release is a warning only when a security fix lies between; otherwise it is news, not a problem.
 */

export const TUWUNEL_RELEASE_CHECK = { id: 'config:tuwunel-release', title: 'Tuwunel release' } as const;

/** Where the release notes are read, for the next step. */
const READ_NOTES = 'read what changed with `npm run cli -- whatsnew` (or in the window)';

function list(versions: string[]): string {
  return versions.length <= 1
    ? (versions[0] ?? '')
    : `${versions.slice(0, -1).join(', ')} and ${versions.at(-1)}`;
}

/** What lies between, as sentence parts: migrations, security fixes, breaking changes. */
function between(from: Version, to: Version): { parts: string[]; security: boolean } {
  const { releases, beyondTable } = notesBetween(from.core, to.core);
  const count = releases.length + (beyondTable ? 1 : 0);
  const parts = [`${count} newer release${count === 1 ? '' : 's'}`];
  const migrating = releasesWith(releases, 'migration');
  const security = releasesWith(releases, 'security');
  const breaking = releasesWith(releases, 'breaking');
  if (migrating.length > 0) parts.push(`one-time migrations at first start (${list(migrating)})`);
  if (security.length > 0) parts.push(`security fixes (${list(security)})`);
  if (breaking.length > 0) parts.push(`breaking changes (${list(breaking)})`);
  if (beyondTable) parts.push(`no notes in this app for ${beyondTable}: read its RELEASE.md upstream`);
  return { parts, security: security.length > 0 };
}

function unreadable(e: VersionEntry, file: string): string | null {
  if (e.state === 'template')
    return `${VERSION_KEY} in ${file} is the template "${clip(e.text, 80)}", which the app does not evaluate`;
  if (e.state === 'invalid') return `${e.problem} in ${file}`;
  return null;
}

export function releaseFinding(versions: PlaybookVersions, profilePin: string, group: string): Finding {
  const base = { ...TUWUNEL_RELEASE_CHECK, group, units: [] };
  const { roleDefault, pin } = versions;
  if (roleDefault.state === 'absent') {
    return {
      ...base,
      level: 'unknown',
      detail: `The playbook’s Tuwunel role does not name ${VERSION_KEY}; check that deploy.dir is a matrix-docker-ansible-deploy checkout.`,
    };
  }
  const problem = unreadable(roleDefault, 'the role defaults') ?? unreadable(pin, 'vars.yml');
  if (problem) return { ...base, level: 'unknown', detail: `${problem}; write the version literally.` };
  if (roleDefault.state !== 'version') throw new Error('unreachable: the role default is a version here');
  const offered = roleDefault.version;

  if (pin.state === 'absent') {
    const profile = parseVersion(profilePin);
    if (profile && compareVersions(offered, profile) === 0) {
      return {
        ...base,
        level: 'ok',
        detail: `vars.yml does not pin ${VERSION_KEY}; the playbook deploys its default ${offered.core}, the profile’s version.`,
      };
    }
    return {
      ...base,
      level: 'warn',
      detail: `vars.yml does not pin ${VERSION_KEY}, so the next apply deploys the playbook’s ${offered.core}${profile ? ` instead of ${profile.core}` : ''} without a backup first; add \`${VERSION_KEY}: ${profilePin}\` to vars.yml.`,
    };
  }
  if (pin.state !== 'version') throw new Error('unreachable: the pin is a version here');
  const pinned = pin.version;
  const order = compareVersions(offered, pinned);
  if (order === 0) {
    return {
      ...base,
      level: 'ok',
      detail: `vars.yml pins ${pinned.core}, the release the playbook ships.`,
    };
  }
  if (order < 0) {
    return {
      ...base,
      level: 'ok',
      detail: `You pin ${pinned.core}, newer than the playbook’s ${offered.core}; fine while that image exists, and deploy.update will bring a playbook that knows it.`,
    };
  }
  const { parts, security } = between(pinned, offered);
  return {
    ...base,
    level: security ? 'warn' : 'ok',
    detail: `${offered.core} available (you pin ${pinned.core}): ${parts.join('; ')}. Next: ${READ_NOTES}, then run "Upgrade Tuwunel" with v${offered.core}: it backs up first, and restores that backup if the new release fails.`,
  };
}

/** The status probe's parser: awk's output of the two files. */
export function releaseFindingFromOutput(
  output: string,
  files: VersionFiles,
  profilePin: string,
  group: string,
): Finding {
  return releaseFinding(parseVersionsOutput(output, files), profilePin, group);
}
