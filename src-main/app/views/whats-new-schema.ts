import { z } from 'zod';
import { RELEASE_NOTE_KINDS } from '../../core/vocab';

/**
 * "What's new": the Tuwunel versions that matter (running, pinned in vars.yml, offered by the pulled
 * playbook) and the operator notes of every release between, from the table the app ships.
 */

export const releaseNoteView = z.object({
  kind: z.enum(RELEASE_NOTE_KINDS),
  text: z.string(),
  refs: z.array(z.string()),
  /** Set when the note comes from another file than the release's RELEASE.md. */
  source: z.string().nullable(),
});

export const releaseView = z.object({
  version: z.string(),
  date: z.string(),
  tag: z.string(),
  commit: z.string(),
  /** The release's RELEASE.md at its tag. */
  source: z.string(),
  notes: z.array(releaseNoteView),
});

/** A version as read, or why it could not be. */
export const versionReading = z.object({
  version: z.string().nullable(),
  /** Where it was read (a URL, a file on the deploy host). */
  source: z.string(),
  problem: z.string().nullable(),
});

export const whatsNewView = z.object({
  /** null when the notes were asked for a given range, without looking at the server. */
  running: versionReading.nullable(),
  pinned: versionReading.nullable(),
  offered: versionReading.nullable(),
  /** The notes cover releases newer than `from` up to `to`. */
  from: z.string(),
  to: z.string(),
  releases: z.array(releaseView),
  /** `to` is newer than the app's table: its notes must be read upstream. */
  beyondTable: z.string().nullable(),
  /** One sentence: what is new, or that nothing is. */
  summary: z.string(),
});
export type WhatsNewView = z.infer<typeof whatsNewView>;
export type VersionReading = z.infer<typeof versionReading>;
