import { z } from 'zod';
import { type HostRole, hostRole, id } from './common-schema';

export { type Settings, settingsSchema as settings } from '../../core/settings/schema';

export const appInfo = z.object({
  version: z.string(),
  platform: z.string(),
  /** No profile exists yet: the window opens onboarding. */
  firstRun: z.boolean(),
});
export type AppInfo = z.infer<typeof appInfo>;

/**
 * A profile as the editor holds it: the YAML profile's keys (ProfileInput in core/profile/schema.ts).
 * Transported loosely; the core validates it with the real profile schema and answers per field.
 */
export const profileDraft = z.record(z.string(), z.unknown());

export interface HostDraft {
  address?: string;
  port?: number;
  user?: string;
  sudo?: boolean;
  identityFile?: string;
  agent?: boolean;
  jump?: HostRole;
}

/** The keys the window edits; any other key of a loaded profile is kept as it was. */
export interface ProfileDraft {
  name?: string;
  serverName?: string;
  publicUrl?: string;
  apexUrl?: string;
  caFile?: string;
  hosts?: { homeserver?: HostDraft; deploy?: HostDraft };
  knownHostsFile?: string;
  units?: string[];
  homeserver?: { image?: string; version?: string; dataDir?: string; configDir?: string };
  deploy?: {
    host?: HostRole;
    dir?: string;
    inventory?: string;
    vaultPasswordFile?: string;
    varsFile?: string;
    logDir?: string;
  };
  vault?: { repo?: string; file?: string; key?: string; deployCheckout?: string };
  [key: string]: unknown;
}

export const profileSummary = z.object({
  id,
  name: z.string(),
  serverName: z.string(),
  file: z.string(),
  /** The profile's units, for the log viewer's unit picker. */
  units: z.array(z.string()),
});
export type ProfileSummary = z.infer<typeof profileSummary>;

export const profilesList = z.object({
  profiles: z.array(profileSummary),
  selectedId: id.nullable(),
});
export type ProfilesList = z.infer<typeof profilesList>;

/** Onboarding's "Test" of one host: who it logged in as, whether sudo works, whether the tools are there. */
export const hostTest = z.object({
  host: hostRole,
  target: z.string(),
  /** e.g. "Logged in as admin; sudo works without a password; docker and systemctl answer." */
  sentence: z.string(),
  sudo: z.enum(['not-needed', 'passwordless', 'password-stored', 'password-missing']),
  durationMs: z.number().nonnegative(),
});
export type HostTest = z.infer<typeof hostTest>;
