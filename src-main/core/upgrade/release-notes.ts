import { compareVersions, parseVersion, type Version } from '../lib/version';
import { RELEASE_NOTE_KINDS, type ReleaseNoteKind } from '../vocab';

/**
 * What an operator must know about each Tuwunel release after the runbook's 1.7.0, shipped with the app so
 * a server without internet access (and an admin without time to read every changelog) still sees it
 * before an upgrade. Read from RELEASE.md at each tag of matrix-construct/tuwunel (and the files a note
 * names), keeping only what touches running a server: one-time migrations and first-boot time, breaking
 * changes, security fixes that call for action, removed and new options, the database and its backups.
 * Features for users are left out on purpose; the release's own notes have them (`source`).
 */

export interface ReleaseNote {
  kind: ReleaseNoteKind;
  text: string;
  /** Upstream issues, pull requests and commits the note rests on, as RELEASE.md names them. */
  refs?: string[];
  /** When the note comes from another file than the release's RELEASE.md. */
  source?: string;
}

export interface Release {
  /** `1.8.2`: what pins and APIs compare by. */
  version: string;
  /** The day the tag was released (RELEASE.md's date line). */
  date: string;
  /** The tag and the commit it points at. */
  tag: string;
  commit: string;
  /** Where the notes come from. */
  source: string;
  notes: ReleaseNote[];
}

const REPO = 'https://github.com/matrix-construct/tuwunel';

function release(version: string, date: string, commit: string, notes: ReleaseNote[]): Release {
  return {
    version,
    date,
    tag: `v${version}`,
    commit,
    source: `${REPO}/blob/v${version}/RELEASE.md`,
    notes,
  };
}

/** Oldest first. The runbook's 1.7.0 is the baseline, so its own notes are not here. */
export const RELEASES: readonly Release[] = [
  release('1.7.1', '2026-06-05', '74fa5355b831d21f497251976d0436fd3c293e7a', [
    {
      kind: 'breaking',
      text: 'Bridges and other appservices on loopback work again: the 1.6.1 `ip_source` regression that blocked them is fixed, and loopback peers and `ip_source_trusted_subnets` bypass `ip_source`. Do not put your reverse proxy in `ip_source_trusted_subnets`.',
      refs: ['#465', '#468'],
    },
    {
      kind: 'database',
      text: 'A new federation fetcher keeps per-server reachability ("Peer Status"), fetch and backoff decisions and resolved outlier state in the database; servers that re-requested the same lookups see far less federation traffic.',
    },
    {
      kind: 'config',
      text: 'Support contacts for /.well-known/matrix/support can be several, each with a PGP key, plus policy links (MSC4439, MSC4266). Dynamic OIDC client registration is opt-in and device-scope binding needs PKCE.',
    },
    {
      kind: 'removed',
      text: 'Blurhashing is retired (its `blurhash_max_raw_size` and `components_x`/`components_y` options are gone), as are the legacy media-preview redirect and the deprecated server-keys endpoint.',
      source: `${REPO}/compare/v1.7.0...v1.7.1 (tuwunel-example.toml)`,
    },
  ]),
  release('1.8.0', '2026-06-27', '55d59989c0af57860a2afdfabf4c210ef66e499c', [
    {
      kind: 'migration',
      text: 'The first 1.8.0 start on an existing database rebuilds the timestamp index from pduid_pdu once, which lengthens that start on large servers: the unit is active before Tuwunel answers.',
      refs: ['41f0de074', '873f670b0'],
    },
    {
      kind: 'breaking',
      text: 'Push gateways on private or loopback addresses (a LAN ntfy or UnifiedPush, a localhost Sygnal) silently stop getting notifications until `ip_range_denylist` permits them: push delivery now goes through the validating resolver.',
      refs: ['28e08c261'],
    },
    {
      kind: 'config',
      text: 'The own server is always exempt from `allowed_remote_server_names` and `forbidden_remote_server_names`: a 1.7.x allowlist without the local name dropped local users’ events (the runbook’s lesson 1). User reports can go to a `report_room`; email (3pid) and MAS support arrive with their options.',
      refs: ['#489', '#180'],
    },
    {
      kind: 'database',
      text: 'RocksDB moves to 11.1.1. A Conduit (or other foreign-lineage) database directory is migrated in place when Tuwunel opens it.',
      refs: ['ab3276591', '#41'],
    },
  ]),
  release('1.8.1', '2026-07-09', 'af3b4ad4cf7ec731081e5e6456d2eabbfabfdf5a', [
    {
      kind: 'config',
      text: 'The Synapse-compatible admin API is served (users, devices, registration tokens, rooms, media); matrix-docker-ansible-deploy routes /_synapse/admin only when its label variables say so. New: `default_power_level_content_override`.',
      refs: ['#38', '#496'],
    },
    {
      kind: 'security',
      text: 'Unauthenticated TURN access was possible with `turn_allow_guests` on; guest access is now gated.',
    },
    {
      kind: 'config',
      text: 'Tuwunel’s packaged systemd units (Debian, RPM, Arch) allow 5 min to start and Tuwunel extends it while migrations run; the playbook’s container unit is Type=simple and reports active at once, so readiness is only told by Tuwunel answering.',
      refs: ['#41', '15cf2b4d8'],
    },
    {
      kind: 'removed',
      text: '`allow_outbound_profile_lookup_federation_requests` is gone (profile refactor): a leftover setting is reported as unknown.',
      refs: ['fb5a4ea96'],
      source: `${REPO}/compare/v1.8.0...v1.8.1 (src/core/config/mod.rs)`,
    },
  ]),
  release('1.8.2', '2026-07-17', '9099defe5ee340140ca0d56e478751637f34354d', [
    {
      kind: 'backup',
      text: 'Online backups can be restored (`--restore-backup[=<id>]`, on the command line only, with `--maintenance --execute "server shutdown"` to exit afterwards) and checked (`!admin server verify-backup [id]`: every file present with its expected size); `delete-backups` arrives. A backup leaves out the `media/` folder.',
      source: `${REPO}/blob/v1.8.2/docs/maintenance.md`,
    },
    {
      kind: 'backup',
      text: 'A backup request that cannot make a backup now fails instead of reporting "Done".',
      refs: ['f6de800b5', '9b54209d0'],
    },
    {
      kind: 'database',
      text: 'Tuwunel refuses to open a database folder without a readable manifest instead of deleting what it finds (the database wiped in #510).',
      refs: ['#510'],
    },
    {
      kind: 'migration',
      text: 'Stale federation reachability rows are cleared once on upgrade; the URL-preview store is rebuilt on CBOR.',
      refs: ['da0c3f600', 'ec049f61c'],
    },
    {
      kind: 'config',
      text: 'The container image has a HEALTHCHECK (`tuwunel --health-check`): `docker ps` shows (healthy) once Tuwunel answers. New options: `dns_servers`, `url_preview_user_agent`, `admin_output_max_events`; long admin replies are split or uploaded as a file.',
      refs: ['#471'],
    },
  ]),
  release('1.8.3', '2026-08-05', '27140e0a535aa9a8003e3db94f170f4320ad0ff9', [
    {
      kind: 'backup',
      text: 'A 1.8.2 restore could run again: reopening the database in-process restored the backup a second time, and a restore set with `-O` rolled the database back on every start. Fixed; upgrade from 1.8.2 before relying on `--restore-backup`. `list-backups` prints one backup a line.',
      refs: ['cd7100398', '8e3e3393d'],
    },
    {
      kind: 'breaking',
      text: '`rebuild-relation-index` and `rebuild-thread-index` move from `!admin server` to `!admin debug`. LDAP logins of accounts that did not come from LDAP are refused (reverted in 1.9.0).',
    },
    {
      kind: 'config',
      text: 'Native journald logging with real priorities (`log_journald`, on by default; it has no effect when Tuwunel does not run under systemd, as in the playbook’s container). Registration-token and TURN secret files are re-read on each use: rotating them needs no restart. New: `media_video_thumbnail_*`, `media_thumbnail_max_pixels`, `rendezvous_*` (QR login).',
      refs: ['#534'],
    },
    {
      kind: 'database',
      text: 'Short-id allocation is serialized, so one identity can no longer get two short ids (the damage 1.9.0’s migration repairs).',
      refs: ['5cff8b8a5'],
    },
  ]),
  release('1.9.0', '2026-08-18', '5b3669144219d5d4c0774743c84191b476f1b54f', [
    {
      kind: 'migration',
      text: 'The first 1.9.0 start runs a one-time repair: it discards cached auth chains and scans four full columns before the listener opens. "The duration is unknown": plan for a long first start and take a backup first.',
    },
    {
      kind: 'breaking',
      text: 'Standalone binaries need a CA bundle (or `SSL_CERT_FILE`) and will not start without one; the container image has one. Deleting or updating a config-file registration token through the admin API answers 403.',
    },
    {
      kind: 'breaking',
      text: 'LDAP: `name_attribute` is removed and the localpart must be in `uid_attribute`; a leftover `name_attribute` gives no warning (regenerate and diff the config to find it). With `admin_filter`, a directory entry can promote an existing local account to admin.',
      refs: ['bf1ba04eb', 'b1eee0313'],
    },
    {
      kind: 'security',
      text: 'A federation disclosure is fixed: /state, /state_ids and /event_auth could leak a room’s state to a server that held one of its event ids; `timestamp_to_event` now runs the access check. Signature uploads are verified (#552) and a UIAA short-circuit is removed (c564d9e23).',
      refs: ['#552', 'c564d9e23'],
    },
    {
      kind: 'security',
      text: '`!admin server show-config` now masks the OIDC registration access token; with `federate_admin_room` on (the default) it may have reached other servers: rotate or unset it and redact the old message.',
    },
    {
      kind: 'removed',
      text: '`force_migration` is hidden; if still set, Tuwunel warns and waits 15 s at every start.',
    },
    {
      kind: 'config',
      text: '`!admin server regenerate-config` and a command-line regeneration mode render your config from the live schema, marking `# DEPRECATED` and `# UNKNOWN` keys. The image now includes procps (`kill`), which the documented container reload needs.',
    },
    {
      kind: 'database',
      text: 'RocksDB moves to 11.8.1; multi-row writes of fifteen subsystems become single transactions. Push delivery is fixed and retried.',
      refs: ['#543'],
    },
  ]),
];

export interface NotesBetween {
  /** Releases newer than `from` up to and including `to`, oldest first. */
  releases: Release[];
  /** `to` is newer than the newest release this table knows: its notes must be read upstream. */
  beyondTable: string | null;
}

function known(version: string, what: string): Version {
  const v = parseVersion(version);
  if (!v) throw new RangeError(`${what} "${version}" is not a version like 1.8.2`);
  return v;
}

/** The operator notes a change from `from` to `to` crosses (empty when `to` is not newer). */
export function notesBetween(from: string, to: string): NotesBetween {
  const a = known(from, 'The version to start from');
  const b = known(to, 'The version to go to');
  const releases = RELEASES.filter((r) => {
    const v = parseVersion(r.version) as Version;
    return compareVersions(v, a) > 0 && compareVersions(v, b) <= 0;
  });
  const newest = parseVersion(RELEASES.at(-1)?.version ?? '0.0.0') as Version;
  return { releases, beyondTable: compareVersions(b, newest) > 0 ? b.core : null };
}

/** The releases among these whose notes hold a note of this kind, e.g. which first starts migrate. */
export function releasesWith(releases: readonly Release[], kind: ReleaseNoteKind): string[] {
  return releases.filter((r) => r.notes.some((n) => n.kind === kind)).map((r) => r.version);
}

/** A release's notes in the order a list shows them (RELEASE_NOTE_KINDS), the table's order within a kind. */
export function sortedNotes(release: Release): ReleaseNote[] {
  return [...release.notes].sort(
    (x, y) => RELEASE_NOTE_KINDS.indexOf(x.kind) - RELEASE_NOTE_KINDS.indexOf(y.kind),
  );
}
