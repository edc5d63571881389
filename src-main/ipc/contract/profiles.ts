import { z } from 'zod';
import { fieldIssue, id } from '../../app/views/common-schema';
import { profileDraft, profilesList } from '../../app/views/profile-schema';
import { call, empty } from './call';

export const profilesInvoke = {
  'profiles.list': call(empty, profilesList),
  'profiles.get': call(z.object({ id }).strict(), z.object({ id, file: z.string(), draft: profileDraft })),
  /** The runbook's deployment as a starting point. */
  'profiles.example': call(empty, z.object({ draft: profileDraft })),
  /** Per-field issues from the real profile schema; empty when valid. */
  'profiles.validate': call(
    z.object({ draft: profileDraft }).strict(),
    z.object({ issues: z.array(fieldIssue) }),
  ),
  /** Create (id null) or replace; ProfileInvalid carries `issues`. Selects the saved profile. */
  'profiles.save': call(z.object({ id: id.nullable(), draft: profileDraft }).strict(), z.object({ id })),
  /** Parse YAML into a draft for the editor (not saved yet). */
  'profiles.importYaml': call(
    z.object({ yaml: z.string().max(1_000_000) }).strict(),
    z.object({ draft: profileDraft, issues: z.array(fieldIssue) }),
  ),
  /** Native open-file dialog; draft null when the user cancelled. */
  'profiles.importFile': call(
    empty,
    z.object({ draft: profileDraft.nullable(), issues: z.array(fieldIssue) }),
  ),
  'profiles.select': call(z.object({ id }).strict(), profilesList),
  'profiles.delete': call(z.object({ id }).strict(), profilesList),
} as const;

export const profilesEvents = {
  'profiles.changed': profilesList,
} as const;
