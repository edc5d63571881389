import { describe, expect, it } from 'vitest';
import { compareVersions, parseVersion } from '../../../../src-main/core/lib/version';
import {
  notesBetween,
  RELEASES,
  releasesWith,
  sortedNotes,
} from '../../../../src-main/core/upgrade/release-notes';
import { RELEASE_NOTE_KINDS } from '../../../../src-main/core/vocab';

describe('the release-notes table', () => {
  it('holds every release from 1.7.1 to 1.9.0, oldest first, each with its tag, commit, date and source', () => {
    expect(RELEASES.map((r) => r.version)).toEqual(['1.7.1', '1.8.0', '1.8.1', '1.8.2', '1.8.3', '1.9.0']);
    for (const [i, r] of RELEASES.entries()) {
      expect(r.tag).toBe(`v${r.version}`);
      expect(r.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(r.source).toBe(`https://github.com/matrix-construct/tuwunel/blob/v${r.version}/RELEASE.md`);
      expect(r.date).toMatch(/^2026-\d\d-\d\d$/);
      expect(r.notes.length).toBeGreaterThan(0);
      if (i > 0) {
        const before = RELEASES[i - 1]!;
        expect(r.date > before.date).toBe(true);
        expect(compareVersions(parseVersion(r.version)!, parseVersion(before.version)!)).toBeGreaterThan(0);
      }
      for (const n of r.notes) {
        expect(RELEASE_NOTE_KINDS).toContain(n.kind);
        // One or more sentences, no trailing space, each note ending as a sentence does.
        expect(n.text).toMatch(/^[^\s].*[.)]$/s);
      }
    }
  });

  it('names the first boots that migrate and the releases with backup changes', () => {
    expect(releasesWith(RELEASES, 'migration')).toEqual(['1.8.0', '1.8.2', '1.9.0']);
    expect(releasesWith(RELEASES, 'backup')).toEqual(['1.8.2', '1.8.3']);
    expect(releasesWith(RELEASES, 'security')).toEqual(['1.8.1', '1.9.0']);
  });

  it('notesBetween takes the releases after `from` up to and including `to`', () => {
    expect(notesBetween('1.7.0', '1.9.0').releases.map((r) => r.version)).toEqual([
      '1.7.1',
      '1.8.0',
      '1.8.1',
      '1.8.2',
      '1.8.3',
      '1.9.0',
    ]);
    expect(notesBetween('v1.8.1', 'v1.8.3').releases.map((r) => r.version)).toEqual(['1.8.2', '1.8.3']);
    expect(notesBetween('1.8.2', '1.8.2')).toEqual({ releases: [], beyondTable: null });
    expect(notesBetween('1.9.0', '1.7.0').releases).toEqual([]);
    // A pre-release of 1.9.0 comes before 1.9.0 itself.
    expect(notesBetween('1.9.0-rc.1', '1.9.0').releases.map((r) => r.version)).toEqual(['1.9.0']);
  });

  it('says when `to` is newer than the table knows', () => {
    const { releases, beyondTable } = notesBetween('1.8.3', '1.9.2');
    expect(releases.map((r) => r.version)).toEqual(['1.9.0']);
    expect(beyondTable).toBe('1.9.2');
  });

  it('refuses what is not a version', () => {
    expect(() => notesBetween('latest', '1.9.0')).toThrow(
      /The version to start from "latest" is not a version/,
    );
    expect(() => notesBetween('1.7.0', '')).toThrow(RangeError);
  });

  it('sorts a release’s notes by kind: what the first boot does first', () => {
    const kinds = sortedNotes(RELEASES.at(-1)!).map((n) => n.kind);
    expect(kinds[0]).toBe('migration');
    expect([...kinds].sort((a, b) => RELEASE_NOTE_KINDS.indexOf(a) - RELEASE_NOTE_KINDS.indexOf(b))).toEqual(
      kinds,
    );
  });
});
