/** Tuwunel versions as tags and APIs spell them: `v1.7.0`, `1.7.0`, `1.8.0-rc.1`, `1.9.0+build`, `1.9.0 (abc123)`. */
export interface Version {
  major: number;
  minor: number;
  patch: number;
  prerelease: string;
  /** Normalised `1.7.0` / `1.8.0-rc.1` (no `v`, no build info): what pins are compared by. */
  core: string;
}

export function parseVersion(text: string): Version | null {
  const m = /^v?(\d{1,6})\.(\d{1,6})\.(\d{1,6})(-[0-9A-Za-z.-]+)?(?:[+ ].*)?$/.exec(text.trim());
  if (!m) return null;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const prerelease = m[4]?.slice(1) ?? '';
  return {
    major,
    minor,
    patch,
    prerelease,
    core: `${major}.${minor}.${patch}${prerelease ? `-${prerelease}` : ''}`,
  };
}

/** Semver order; a pre-release sorts before its release (1.8.0-rc.1 < 1.8.0), pre-releases among themselves by text. */
export function compareVersions(a: Version, b: Version): number {
  const byNumbers = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (byNumbers !== 0) return byNumbers;
  if (a.prerelease === b.prerelease) return 0;
  if (!a.prerelease) return 1;
  if (!b.prerelease) return -1;
  return a.prerelease < b.prerelease ? -1 : 1;
}

/** Same release, ignoring a leading `v` and build info; unparsable text is compared as is. */
export function sameVersion(a: string, b: string): boolean {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  return va !== null && vb !== null ? va.core === vb.core : a.trim() === b.trim();
}
