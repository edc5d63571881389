import { z } from 'zod';
import { describeError } from '../errors';
import type { Profile } from '../profile/schema';
import { compareVersions, parseVersion } from '../status/version';
import { type HttpRequest, type HttpResponse, request } from './http';

/**
 * What the homeserver says about itself: the release it runs and whether its Synapse-compatible admin API
 * answers. Routes, guards and lint texts follow the release that runs, not the profile's pin alone: a pin can
 * lag an upgrade (or lead a failed one).
 */

/** The first release with the Synapse-compatible admin API (users, devices, registration tokens, rooms). */
export const ADMIN_API_SINCE = '1.8.1';

/**
 * `served`: /_synapse/admin answers (routed by the proxy, Tuwunel ≥ 1.8.1). `not-routed`: the proxy has no
 * route for it (matrix-docker-ansible-deploy leaves it out unless its label variable is set). `not-served`:
 * Tuwunel itself does not know the path (before 1.8.1). `unknown`: not asked, or no clear answer.
 */
export type AdminApiState = 'served' | 'not-routed' | 'not-served' | 'unknown';

export interface ServerFacts {
  /** The release the server says it runs ('1.9.0'); null when it was not asked or did not say. */
  running: string | null;
  /** The endpoint that said it. */
  source: '/_tuwunel/server_version' | '/_matrix/federation/v1/version' | null;
  /** The profile's pin (homeserver.version), without a leading v. */
  pinned: string;
  adminApi: AdminApiState;
  /** Why the server could not tell (it was asked and did not answer); null otherwise. */
  unreachable: string | null;
}

export const ADMIN_API_LABEL_VARIABLE =
  'matrix_tuwunel_container_labels_public_client_synapse_admin_api_enabled';

function plain(version: string): string {
  return parseVersion(version)?.core ?? version.replace(/^v/, '');
}

/** The profile's word for it, for a plan made without asking (a dry run of an action that needs no facts). */
export function pinnedFacts(profile: { homeserver: Pick<Profile['homeserver'], 'version'> }): ServerFacts {
  return {
    running: null,
    source: null,
    pinned: plain(profile.homeserver.version),
    adminApi: 'unknown',
    unreachable: null,
  };
}

/** The release that decides: what the server says, else the pin. */
export function releaseOf(facts: ServerFacts): string {
  return facts.running ?? facts.pinned;
}

/** Whether the release that decides is `version` or later (unparsable counts as not). */
export function atLeast(facts: ServerFacts, version: string): boolean {
  return isAtLeast(releaseOf(facts), version);
}

export function isAtLeast(release: string, version: string): boolean {
  const a = parseVersion(release);
  const b = parseVersion(version);
  return a !== null && b !== null && compareVersions(a, b) >= 0;
}

/** "Tuwunel 1.9.0 (as the server says)", "Tuwunel 1.7.0 (the profile's pin: the server did not answer)". */
export function describeRelease(facts: ServerFacts): string {
  if (facts.running) return `Tuwunel ${facts.running} (as the server says)`;
  if (facts.unreachable) return `Tuwunel ${facts.pinned} (the profile's pin: the server did not answer)`;
  return `Tuwunel ${facts.pinned} (the profile's pin)`;
}

const tuwunelVersionSchema = z.object({ version: z.string().min(1).max(100) });
const federationVersionSchema = z.object({
  server: z.object({ version: z.string().min(1).max(100) }),
});
const synapseVersionSchema = z.object({ server_version: z.string().min(1).max(100) });
const matrixErrorSchema = z.object({ errcode: z.string().max(200) });

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export interface ProbeOptions {
  profile: Pick<Profile, 'publicUrl'> & { homeserver: Pick<Profile['homeserver'], 'version'> };
  ca?: Buffer | undefined;
  /** Per request; the three run at once. Default 5 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  http?: (req: HttpRequest) => Promise<HttpResponse>;
}

/**
 * Asks the homeserver: `/_tuwunel/server_version` (any release; routed by the playbook by default), else the
 * federation version; and `/_synapse/admin/v1/server_version` (unauthenticated, from 1.8.1) for the admin API.
 * Never throws for the server's sake: what it cannot learn stays unknown, with the reason.
 */
export async function probeServer(options: ProbeOptions): Promise<ServerFacts> {
  const http = options.http ?? request;
  const base = options.profile.publicUrl.replace(/\/+$/, '');
  const get = async (path: string): Promise<HttpResponse | { error: string }> => {
    try {
      return await http({
        method: 'GET',
        url: `${base}${path}`,
        timeoutMs: options.timeoutMs ?? 5_000,
        label: `Asking the homeserver (${path})`,
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (e) {
      return { error: describeError(e).message };
    }
  };
  const [tuwunel, federation, synapse] = await Promise.all([
    get('/_tuwunel/server_version'),
    get('/_matrix/federation/v1/version'),
    get('/_synapse/admin/v1/server_version'),
  ]);
  const facts = pinnedFacts(options.profile);

  const said = (res: HttpResponse | { error: string }, schema: z.ZodType<unknown>) =>
    'status' in res && res.status === 200 ? schema.safeParse(jsonOf(res.body)) : null;
  const fromTuwunel = said(tuwunel, tuwunelVersionSchema);
  const fromFederation = said(federation, federationVersionSchema);
  if (fromTuwunel?.success) {
    facts.running = plain((fromTuwunel.data as z.infer<typeof tuwunelVersionSchema>).version);
    facts.source = '/_tuwunel/server_version';
  } else if (fromFederation?.success) {
    facts.running = plain((fromFederation.data as z.infer<typeof federationVersionSchema>).server.version);
    facts.source = '/_matrix/federation/v1/version';
  } else {
    facts.unreachable =
      'error' in federation
        ? federation.error
        : `${base}/_matrix/federation/v1/version answered HTTP ${federation.status}`;
  }

  if ('status' in synapse) {
    if (synapse.status === 200 && synapseVersionSchema.safeParse(jsonOf(synapse.body)).success)
      facts.adminApi = 'served';
    else if (synapse.status === 404)
      // Tuwunel answers an unknown path with a Matrix error; a proxy without the route does not.
      facts.adminApi = matrixErrorSchema.safeParse(jsonOf(synapse.body)).success
        ? 'not-served'
        : 'not-routed';
  }
  return facts;
}

/** Why the admin API cannot be used, as the end of a sentence; null when it can. */
export function adminApiUnusable(facts: ServerFacts): string | null {
  if (facts.adminApi === 'served') return null;
  if (!atLeast(facts, ADMIN_API_SINCE))
    return `${describeRelease(facts)} has no admin API (it came with Tuwunel ${ADMIN_API_SINCE})`;
  if (facts.adminApi === 'not-routed')
    return `the proxy does not route /_synapse/admin to Tuwunel (set ${ADMIN_API_LABEL_VARIABLE}: true in vars.yml to route it)`;
  if (facts.unreachable) return `the homeserver did not answer (${facts.unreachable})`;
  return 'the admin API did not answer';
}
