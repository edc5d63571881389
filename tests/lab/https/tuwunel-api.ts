/**
 * Facts about Tuwunel's HTTP API, from matrix-construct/tuwunel at the tags v1.7.0 and v1.9.0 (file names
 * in the comments). /work/notes/formats-lab-b.md lists them for the app's engineers.
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

/** The Synapse admin API (registration tokens, server_version) exists from 1.8.1 on (src/api/client/admin). */
export function hasSynapseAdminApi(version: string): boolean {
  return compareVersions(version, '1.8.1') >= 0;
}

/**
 * `rustc -V` of the build, which Tuwunel reports as `compiler` (src/core/info/rustc.rs). The toolchain is
 * the one rust-toolchain.toml pins at each tag (1.94.0 at v1.7.0, 1.95.0 at v1.9.0); hash and date are
 * illustrative.
 */
export function compilerFor(version: string): string {
  return compareVersions(version, '1.9.0') >= 0
    ? 'rustc 1.95.0 (59807616e 2026-04-14)'
    : 'rustc 1.94.0 (4a4ef493e 2026-03-02)';
}

/** `/_matrix/client/versions` (src/api/client/versions.rs), as of v1.7.0 and of v1.9.0. */
export function clientVersions(version: string): unknown {
  const v19 = compareVersions(version, '1.9.0') >= 0;
  const versions = [
    ...['r0.0.1', 'r0.1.0', 'r0.2.0', 'r0.3.0', 'r0.4.0', 'r0.5.0', 'r0.6.0', 'r0.6.1'],
    ...['v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5'],
    ...(v19
      ? ['v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10', 'v1.11', 'v1.12', 'v1.13', 'v1.14', 'v1.15']
      : ['v1.10', 'v1.11', 'v1.12', 'v1.15']),
    ...(v19 ? ['v1.16', 'v1.17', 'v1.18', 'v1.19'] : []),
  ];
  const unstable = [
    'org.matrix.e2e_cross_signing',
    'org.matrix.msc2285.stable',
    'fi.mau.msc2659.stable',
    'uk.half-shot.msc2666.query_mutual_rooms',
    ...(v19 ? ['uk.half-shot.msc2666.query_mutual_rooms.stable'] : []),
    'org.matrix.msc2836',
    'org.matrix.msc3030',
    'org.matrix.msc2946',
    'org.matrix.msc3026.busy_presence',
    'org.matrix.msc3575',
    'org.matrix.msc3814',
    'org.matrix.msc3827',
    'org.matrix.msc3827.stable',
    'org.matrix.msc3916.stable',
    'org.matrix.msc3952_intentional_mentions',
    ...(v19 ? ['org.matrix.msc4143'] : []),
    'uk.tcpip.msc4133',
    'uk.tcpip.msc4133.stable',
    'us.cloke.msc4175',
    'us.cloke.msc4175.stable',
    'org.matrix.msc4180',
    'org.matrix.simplified_msc3575',
    'fi.mau.msc2815',
    ...(v19 ? ['org.matrix.msc3861'] : []),
    'org.matrix.msc2964',
    'org.matrix.msc2965',
    'org.matrix.msc2966',
    'org.matrix.msc2967',
    'org.matrix.msc3824',
    'com.beeper.msc4169',
    'org.matrix.msc4380',
    'org.matrix.msc4380.stable',
    'net.zemos.msc4383',
    'org.matrix.msc4284',
    'org.matrix.msc3771',
    'org.matrix.msc3773',
    ...(v19 ? ['org.matrix.msc3440.stable'] : []),
    'org.matrix.msc4222',
  ];
  return {
    versions,
    // ruma keeps unstable_features in a BTreeMap: the keys come out sorted.
    unstable_features: Object.fromEntries(unstable.sort().map((f) => [f, true])),
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
