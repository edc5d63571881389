import { CLIENT_API } from './releases';

/**
 * Facts about Tuwunel's HTTP API, from matrix-construct/tuwunel at the tags v1.7.0 and v1.9.0 (file names
 * in the comments).
 */

export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.-]/).map(Number);
  const pb = b.replace(/^v/, '').split(/[.-]/).map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * `rustc -V` of the build, which Tuwunel reports as `compiler` (src/core/info/rustc.rs): the toolchain
 * rust-toolchain.toml pins at the tag (releases.ts); commit hash and date are those of that Rust release.
 */
const RUSTC: Record<string, string> = {
  '1.94.0': 'rustc 1.94.0 (4a4ef493e 2026-03-02)',
  '1.95.0': 'rustc 1.95.0 (59807616e 2026-04-14)',
};

function release(version: string): {
  versions: readonly string[];
  unstableFeatures: readonly string[];
  rustc: string;
} {
  return CLIENT_API[nearestAtOrBelow(version, Object.keys(CLIENT_API))] as {
    versions: readonly string[];
    unstableFeatures: readonly string[];
    rustc: string;
  };
}

export function compilerFor(version: string): string {
  const toolchain = release(version).rustc;
  return RUSTC[toolchain] ?? `rustc ${toolchain}`;
}

/** `/_matrix/client/versions` (src/api/client/versions.rs at the release's tag). */
export function clientVersions(version: string): unknown {
  const { versions, unstableFeatures } = release(version);
  return {
    versions,
    // ruma keeps unstable_features in a BTreeMap: the keys come out sorted.
    unstable_features: Object.fromEntries([...unstableFeatures].sort().map((f) => [f, true])),
    server: serverInfo(version),
  };
}

/** The `server` object of /_matrix/federation/v1/version (src/api/server/version.rs) and /versions. */
export function serverInfo(version: string): { name: string; version: string; compiler: string } {
  return { name: 'Tuwunel', version, compiler: compilerFor(version) };
}

/**
 * Matrix error bodies as Tuwunel sends them: errcode first, then the error's message, which for its
 * `Request` errors is their Display, `"{errcode}: {text}"` (src/core/error/mod.rs `message()` and the
 * `#[error("{0}: {1}")]` of `Request`; src/main/tests/federation_timestamp_access.rs asserts
 * `"M_FORBIDDEN: Server is not in room."`). Untyped errors (`Err!("…")`) carry M_UNKNOWN and their text alone.
 */
export function matrixError(errcode: string, error: string): { errcode: string; error: string } {
  return { errcode, error: `${errcode}: ${error}` };
}

/** An untyped error (Error::Err): 500, M_UNKNOWN, the text as it is. */
export function untypedError(error: string): { errcode: string; error: string } {
  return { errcode: 'M_UNKNOWN', error };
}

/** The release the lab answers as for a version between two it has read: the nearest one at or below. */
export function nearestAtOrBelow(version: string, known: readonly string[]): string {
  const sorted = [...known].sort(compareVersions);
  return sorted.filter((k) => compareVersions(k, version) <= 0).at(-1) ?? (sorted[0] as string);
}

/** The admin room's fixed texts (src/service/admin/create.rs, grant.rs at v1.7.0). */
export function adminRoomTopic(serverName: string): string {
  return `Manage ${serverName} | Run commands prefixed with \`!admin\` | Run \`!admin -h\` for help | Documentation: https://matrix-construct.github.io/tuwunel`;
}

export const ADMIN_WELCOME_MESSAGE =
  '## Thank you for trying out tuwunel!\n\nTuwunel is a continuation of conduwuit which was technically a hard fork of Conduit.\n\nHelpful links:\n> GitHub Repo: https://github.com/matrix-construct/tuwunel\n> Documentation: https://matrix-construct.github.io/tuwunel\n> Report issues: https://github.com/matrix-construct/tuwunel/issues\n\nFor a list of available commands, send the following message in this room: `!admin --help`';

/** What Tuwunel posts when a command panics (src/admin/processor.rs); the lab uses it when the stand-in fails. */
export function panicReply(error: string): string {
  return `Panic occurred while processing command:\n\`\`\`\n${error}\n\`\`\`\nPlease submit a [bug report](https://github.com/matrix-construct/tuwunel/issues/new). 🥺`;
}
