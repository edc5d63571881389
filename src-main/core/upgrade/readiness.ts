import { compareVersions, parseVersion, sameVersion } from '../lib/version';

/**
 * When a (re)started Tuwunel is ready, and which version runs. The playbook's unit is Type=simple with a
 * short post-start delay, so "active" says nothing while one-time migrations run (1.8.0, 1.9.0): Tuwunel
 * is ready when `/_tuwunel/server_version` answers, and from 1.8.2 when Docker's health check (`tuwunel
 * --health-check`, interval 30 s, start period 60 s: docker/bake.hcl) says (healthy).
 */

export const SERVER_VERSION_PATH = '/_tuwunel/server_version';
export const FEDERATION_VERSION_PATH = '/_matrix/federation/v1/version';

/** The image has a HEALTHCHECK from 1.8.2. */
const HEALTHCHECK_FROM = parseVersion('1.8.2')!;

export function hasHealthCheck(version: string): boolean {
  const v = parseVersion(version);
  return v !== null && compareVersions(v, HEALTHCHECK_FROM) >= 0;
}

function json(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** The version of a `{"name", "version"}` object; null unless both are strings. */
function versionOf(doc: unknown): string | null {
  const version = field(doc, 'version');
  return typeof field(doc, 'name') === 'string' && typeof version === 'string' ? version : null;
}

/** `{"name":"Tuwunel","version":"1.9.0"}` → `1.9.0`; anything else → null. */
export function readServerVersion(body: string): string | null {
  return versionOf(json(body));
}

/** `{"server":{"name":"Tuwunel","version":"1.9.0"}}` → `1.9.0`. */
export function readFederationVersion(body: string): string | null {
  return versionOf(field(json(body), 'server'));
}

/** Tuwunel answers its version endpoint, as `target` when one is given (an upgrade waits for the new one). */
export function answersAs(status: number, body: string, target?: string): boolean {
  if (status !== 200) return false;
  const version = readServerVersion(body);
  return version !== null && (target === undefined || sameVersion(version, target));
}

export type DockerHealth = 'healthy' | 'starting' | 'unhealthy' | 'none';

/** The health in `docker ps`'s Status: `Up 3 minutes (healthy)`, `Up 5 seconds (health: starting)`. */
export function dockerHealth(status: string): DockerHealth {
  if (/\(healthy\)\s*$/.test(status)) return 'healthy';
  if (/\(health: starting\)\s*$/.test(status)) return 'starting';
  if (/\(unhealthy\)\s*$/.test(status)) return 'unhealthy';
  return 'none';
}

/** A GET of a public URL as this domain needs it: the status and body, or why there is none. */
export type GetText = (url: string) => Promise<{ status: number; body: string } | { error: string }>;

export type RunningVersion = { ok: true; version: string; source: string } | { ok: false; reason: string };

/**
 * The version the server runs, as it says itself: `/_tuwunel/server_version` (routed publicly by the
 * playbook), else the federation version endpoint. Unauthenticated and read-only.
 */
export async function readRunningVersion(get: GetText, publicUrl: string): Promise<RunningVersion> {
  const reasons: string[] = [];
  for (const [path, read] of [
    [SERVER_VERSION_PATH, readServerVersion],
    [FEDERATION_VERSION_PATH, readFederationVersion],
  ] as const) {
    const url = `${publicUrl}${path}`;
    const res = await get(url);
    if ('error' in res) {
      reasons.push(`${path}: ${res.error}`);
      continue;
    }
    const version = res.status === 200 ? read(res.body) : null;
    if (version) return { ok: true, version, source: url };
    reasons.push(`${path}: HTTP ${res.status}${res.status === 200 ? ' without a version' : ''}`);
  }
  return { ok: false, reason: reasons.join('; ') };
}
