import { compareVersions, parseVersion, type Version } from '../../core/lib/version';
import { notesBetween, type Release, sortedNotes } from '../../core/upgrade/release-notes';
import type { VersionReading, WhatsNewView } from './whats-new-schema';

function releaseView(r: Release): WhatsNewView['releases'][number] {
  return {
    version: r.version,
    date: r.date,
    tag: r.tag,
    commit: r.commit,
    source: r.source,
    notes: sortedNotes(r).map((n) => ({
      kind: n.kind,
      text: n.text,
      refs: n.refs ?? [],
      source: n.source ?? null,
    })),
  };
}

function versionOf(r: VersionReading | null): Version | null {
  return r?.version ? parseVersion(r.version) : null;
}

/**
 * The notes from the version the server is on (running, else pinned: migrations happen from what runs) to
 * the newest it is about to get (offered by the playbook, or pinned when that is newer).
 */
export function whatsNewView(readings: {
  running: VersionReading | null;
  pinned: VersionReading | null;
  offered: VersionReading | null;
}): WhatsNewView {
  const known = (r: VersionReading | null) => versionOf(r);
  const from = known(readings.running) ?? known(readings.pinned);
  const candidates = [known(readings.offered), known(readings.pinned)].filter(
    (v): v is Version => v !== null,
  );
  const to = candidates.sort(compareVersions).at(-1) ?? null;
  if (!from || !to) {
    const missing = [
      !from ? 'which version runs (or is pinned)' : null,
      !to ? 'which version the playbook offers' : null,
    ].filter(Boolean);
    return {
      ...readings,
      from: from?.core ?? '',
      to: to?.core ?? '',
      releases: [],
      beyondTable: null,
      summary: `The app could not tell ${missing.join(' nor ')}; see the problems above, or give --from and --to.`,
    };
  }
  const notes = notesView(from.core, to.core);
  const summary =
    compareVersions(to, from) <= 0
      ? `Nothing new: Tuwunel ${from.core} is as new as anything pinned or offered by the playbook.`
      : notes.summary;
  return { ...notes, ...readings, summary };
}

/** The notes of a range given by hand (no server asked). */
export function notesView(
  from: string,
  to: string,
): Omit<WhatsNewView, 'running' | 'pinned' | 'offered'> & {
  running: null;
  pinned: null;
  offered: null;
} {
  const { releases, beyondTable } = notesBetween(from, to);
  const a = parseVersion(from) as Version;
  const b = parseVersion(to) as Version;
  const summary =
    compareVersions(b, a) <= 0
      ? `Nothing newer: ${b.core} is not after ${a.core}.`
      : `${releases.length} release${releases.length === 1 ? '' : 's'} from ${a.core} to ${b.core}${beyondTable ? `, and ${beyondTable}, which this app has no notes for (read its RELEASE.md upstream)` : ''}.`;
  return {
    running: null,
    pinned: null,
    offered: null,
    from: a.core,
    to: b.core,
    releases: releases.map(releaseView),
    beyondTable,
    summary,
  };
}
