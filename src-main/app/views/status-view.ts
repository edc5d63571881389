import type { HostRole, Profile } from '../../core/profile/schema';
import { MAINTENANCE_MODE_KEY, type MaintenanceWindow } from '../../core/runbook/maintenance';
import type { StickyAlert as CoreStickyAlert } from '../../core/runbook/sticky-alerts';
import type { StatusSnapshot as CoreSnapshot } from '../../core/status/scheduler';
import type { CheckResult } from '../../core/status/types';
import { HOST_ROLES, levelRank } from '../../core/vocab';
import type { ErrorInfo, HostKeyInfo } from './common-schema';
import type { Check, HostState, StatusSnapshot, StickyAlert } from './status-schema';

/** The id prefix of the checks that stand for sticky alerts (app/session.ts adds them to every poll). */
export const STICKY_CHECK_PREFIX = 'alert:';

export interface StatusViewInput {
  snapshot: CoreSnapshot;
  profile: Profile;
  profileId: string | null;
  maintenance: readonly MaintenanceWindow[];
  stickyAlerts: readonly CoreStickyAlert[];
  busy: { runId: string; title: string } | null;
  /** The key an unreachable host presented, when its error is HostKeyUnknown (the trust dialog needs it). */
  presentedHostKey(host: HostRole): HostKeyInfo | null;
}

export function sshTarget(profile: Profile, host: HostRole): string {
  const h = profile.hosts[host];
  return `${h.user}@${h.address}${h.port === 22 ? '' : `:${h.port}`}`;
}

function hostError(
  error: { code: string; message: string; nextStep: string } | undefined,
  hostKey: HostKeyInfo | null,
): ErrorInfo | null {
  if (!error) return null;
  const info: ErrorInfo = { code: error.code, message: error.message, nextStep: error.nextStep };
  if (error.code === 'HostKeyUnknown' && hostKey) info.hostKey = hostKey;
  return info;
}

/** The public side answers when at least one HTTP check got a real answer; null before the first poll. */
function publicReachable(results: readonly CheckResult[]): boolean | null {
  const http = results.filter((r) => r.host === 'public' && r.id.startsWith('http:'));
  if (http.length === 0) return null;
  return http.some((r) => levelRank(r.underlying ?? r.level) < levelRank('unknown'));
}

function check(r: CheckResult, alerts: CoreSnapshot['alerts']): Check {
  const c: Check = {
    id: r.id,
    host: r.host,
    group: r.group,
    title: r.title,
    level: r.level,
    detail: r.detail,
    since: r.since,
    checkedAt: r.checkedAt,
    alert: alerts[r.id] ?? 'up',
  };
  if (r.underlying) c.underlying = r.underlying;
  return c;
}

function stickyAlert(a: CoreStickyAlert): StickyAlert {
  return {
    id: a.id,
    title: a.title,
    message: a.message,
    fixActionId: a.fixActionId,
    runId: a.runId,
    raisedAt: a.raisedAt,
  };
}

/** The core's snapshot as the window and the tray see it (contract StatusSnapshot). */
export function statusView(input: StatusViewInput): StatusSnapshot {
  const { snapshot, profile } = input;
  const hosts: HostState[] = HOST_ROLES.map((host) => {
    const s = snapshot.hosts[host];
    return {
      host,
      target: sshTarget(profile, host),
      reachable: s?.ok ?? null,
      error: hostError(s?.error, s?.error ? input.presentedHostKey(host) : null),
      nextAttemptAt: s?.nextAttemptAt ?? null,
    };
  });
  hosts.push({
    host: 'public',
    target: profile.publicUrl,
    reachable: publicReachable(snapshot.results),
    error: null,
    nextAttemptAt: null,
  });
  const mode = input.maintenance.find((w) => w.key === MAINTENANCE_MODE_KEY);
  return {
    profileId: input.profileId,
    profileName: profile.name,
    serverName: profile.serverName,
    overall: snapshot.overall,
    hosts,
    // Sticky alerts ride along as checks for the command line's table; the window lists them as themselves.
    checks: snapshot.results
      .filter((r) => !r.id.startsWith(STICKY_CHECK_PREFIX))
      .map((r) => check(r, snapshot.alerts)),
    lastRefresh: snapshot.refreshedAt,
    refreshing: snapshot.refreshing,
    intervalSeconds: snapshot.intervalSeconds,
    maintenance: { on: mode !== undefined, since: mode?.since ?? null, reason: mode?.reason ?? null },
    // The core's alerts are this profile's (kept by its uid: a rename keeps them).
    stickyAlerts: input.stickyAlerts.map(stickyAlert),
    busy: input.busy,
    error: snapshot.error
      ? { code: snapshot.error.code, message: snapshot.error.message, nextStep: snapshot.error.nextStep }
      : null,
  };
}

/**
 * A profile that cannot be watched (its file is broken, its caFile unreadable): unknown, never checked, and
 * the reason as the snapshot's error, so the tray's section and the window's switcher say it is there and why.
 */
export function unwatchedView(
  profile: { id: string; name: string; serverName: string; error: ErrorInfo },
  intervalSeconds: number,
): StatusSnapshot {
  return {
    profileId: profile.id,
    profileName: profile.name,
    serverName: profile.serverName,
    overall: 'unknown',
    hosts: [],
    checks: [],
    lastRefresh: null,
    refreshing: false,
    intervalSeconds,
    maintenance: { on: false, since: null, reason: null },
    stickyAlerts: [],
    busy: null,
    error: profile.error,
  };
}
