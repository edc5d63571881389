import type { Skeleton } from '../guard';
import type { HttpOutcome } from '../https-client';
import { clip, describeValue, withoutFinalStop, withoutTrailingSlashes } from '../text';
import type { Finding } from '../types';
import { parseVersion, sameVersion } from '../version';

const TLS_ERRORS = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_REVOKED',
]);

type Failed = Extract<HttpOutcome, { ok: false }>;

/** Each public check as its badge shows it before it is judged (and when judging it failed). */
export const PUBLIC_CHECKS = {
  wellKnownServer: (): Skeleton => ({
    id: 'http:well-known-server',
    group: 'federation',
    title: 'Federation delegation',
    units: [],
  }),
  wellKnownClient: (): Skeleton => ({
    id: 'http:well-known-client',
    group: 'client',
    title: 'Client discovery',
    units: [],
  }),
  matrixRtc: (units: string[]): Skeleton => ({
    id: 'http:matrixrtc',
    group: 'matrix-livekit-jwt-service',
    title: 'MatrixRTC (LiveKit JWT service)',
    units,
  }),
  clientVersions: (units: string[]): Skeleton => ({
    id: 'http:client-versions',
    group: 'matrix-tuwunel',
    title: 'Client API',
    units,
  }),
  federationVersion: (units: string[]): Skeleton => ({
    id: 'http:federation-version',
    group: 'matrix-tuwunel',
    title: 'Federation API and version',
    units,
  }),
  tls: (id: string, title: string): Skeleton => ({ id, group: 'tls', title, units: [] }),
};

/** `host:port` of a URL for a sentence; an outcome's URL is what a server named, so it may be no URL at all. */
function hostPort(url: string): string {
  const u = URL.parse(url);
  return u ? `${u.hostname}:${u.port || '443'}` : `"${clip(url)}"`;
}

function hostname(url: string): string {
  return URL.parse(url)?.hostname ?? `"${clip(url)}"`;
}

/**
 * One sentence for a request that did not get a usable answer. `behindProxy` names Tuwunel as the
 * likely culprit: through the public URL a 502 or a refused connection means the proxy found no homeserver.
 */
export function transportDetail(o: Failed, behindProxy: boolean): string {
  const at = hostPort(o.url);
  if (TLS_ERRORS.has(o.code)) {
    return o.code === 'CERT_HAS_EXPIRED'
      ? `The TLS certificate of ${at} has expired; renew it at the edge proxy.`
      : `The TLS certificate of ${at} is not trusted (${o.code}); renew it, or set caFile in the profile for a private CA.`;
  }
  switch (o.code) {
    case 'ECONNREFUSED':
      return behindProxy
        ? `Tuwunel is not answering behind the proxy: nothing accepts connections at ${at} (connection refused); check matrix-traefik, the edge proxy and matrix-tuwunel.`
        : `Nothing accepts connections at ${at} (connection refused); check the edge proxy that serves ${hostname(o.url)}.`;
    case 'ETIMEDOUT':
      return `${clip(o.url)} did not answer in time (${clip(o.message)}); check the network path and the reverse proxy.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${hostname(o.url)} does not resolve in DNS; check its DNS records and this machine's resolver.`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `${at} dropped the connection (${o.code}); check the reverse proxy's logs.`;
    default:
      return `GET ${clip(o.url)} failed (${clip(o.code, 40)}: ${clip(withoutFinalStop(o.message))}); check the reverse proxy and the network.`;
  }
}

function statusDetail(o: Extract<HttpOutcome, { ok: true }>, behindProxy: boolean, unit: string): string {
  if (behindProxy && (o.status === 502 || o.status === 503 || o.status === 504)) {
    return `Tuwunel is not answering behind the proxy: HTTP ${o.status} from ${o.url}; check ${unit} (its unit and \`journalctl -u ${unit}\`).`;
  }
  return `${o.url} answered HTTP ${o.status}; check the reverse proxy's route for it.`;
}

function json(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The `m.server` a server's well-known must name: the public URL's host and port (443 unless given). */
export function expectedDelegation(publicUrl: string): { host: string; port: number } {
  const u = new URL(publicUrl);
  return { host: u.hostname, port: u.port ? Number(u.port) : 443 };
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` as the spec's server-name grammar writes them. */
function splitServer(s: string): { host: string; port?: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(s.trim());
  if (!m) return { host: s };
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, ''), ...(m[2] ? { port: Number(m[2]) } : {}) };
}

export function wellKnownServerFinding(o: HttpOutcome, publicUrl: string): Finding {
  const base = PUBLIC_CHECKS.wellKnownServer();
  if (!o.ok) return { ...base, level: 'fail', detail: transportDetail(o, false) };
  if (o.status !== 200) {
    return {
      ...base,
      level: 'fail',
      detail: `${o.url} answered HTTP ${o.status}, so other servers cannot find this one; serve {"m.server": "…"} there from the edge proxy.`,
    };
  }
  const body = json(o.body);
  const want = expectedDelegation(publicUrl);
  const wantText = `${want.host}:${want.port}`;
  if (!body) {
    return {
      ...base,
      level: 'fail',
      detail: `${o.url} is not a JSON object; serve {"m.server": "${wantText}"} there.`,
    };
  }
  const server = body['m.server'];
  if (typeof server !== 'string' || server === '') {
    return { ...base, level: 'fail', detail: `${o.url} has no "m.server"; set it to "${wantText}".` };
  }
  const got = splitServer(server);
  if (got.host.toLowerCase() !== want.host.toLowerCase()) {
    return {
      ...base,
      level: 'fail',
      detail: `${o.url} delegates to "${clip(server)}", not to the public host ${want.host}; set "m.server" to "${wantText}".`,
    };
  }
  if (got.port === undefined && want.port !== 8448) {
    return {
      ...base,
      level: 'warn',
      detail: `"m.server" is "${clip(server)}" without a port, so servers without an SRV record try port 8448; write "${wantText}".`,
    };
  }
  if (got.port !== undefined && got.port !== want.port) {
    return {
      ...base,
      level: 'fail',
      detail: `"m.server" names port ${got.port} but the public URL listens on ${want.port}; set it to "${wantText}".`,
    };
  }
  return { ...base, level: 'ok', detail: `${o.url} delegates federation to ${clip(server)}.` };
}

/** The most MatrixRTC foci one poll probes: a well-known listing thousands must not make a poll send thousands of requests. */
export const MAX_RTC_FOCI = 4;

/** The LiveKit JWT services the client well-known advertises for MatrixRTC (MSC4143), as the app will probe them. */
export interface RtcFoci {
  /** Absolute https URLs, without repeats, at most MAX_RTC_FOCI of them. */
  urls: string[];
  /** Advertised `livekit_service_url` values that are not absolute https URLs (clipped for a sentence). */
  invalid: string[];
  /** Usable foci beyond MAX_RTC_FOCI, not probed. */
  skipped: number;
}

export function rtcFociUrls(body: Record<string, unknown>): RtcFoci {
  const foci = body['org.matrix.msc4143.rtc_foci'];
  const found: RtcFoci = { urls: [], invalid: [], skipped: 0 };
  if (!Array.isArray(foci)) return found;
  const seen = new Set<string>();
  for (const f of foci) {
    if (typeof f !== 'object' || f === null || (f as Record<string, unknown>).type !== 'livekit') continue;
    const raw = (f as Record<string, unknown>).livekit_service_url;
    const url = typeof raw === 'string' ? URL.parse(raw) : null;
    if (url?.protocol !== 'https:') {
      if (found.invalid.length < MAX_RTC_FOCI) found.invalid.push(clip(describeValue(raw), 80));
      continue;
    }
    const text = withoutTrailingSlashes(url.href);
    if (seen.has(text)) continue;
    seen.add(text);
    if (found.urls.length < MAX_RTC_FOCI) found.urls.push(text);
    else found.skipped++;
  }
  return found;
}

export function wellKnownClientFinding(
  o: HttpOutcome,
  publicUrl: string,
): { finding: Finding; rtcFoci: RtcFoci | undefined } {
  const base = PUBLIC_CHECKS.wellKnownClient();
  if (!o.ok)
    return { finding: { ...base, level: 'fail', detail: transportDetail(o, false) }, rtcFoci: undefined };
  if (o.status !== 200) {
    return {
      finding: {
        ...base,
        level: 'fail',
        detail: `${o.url} answered HTTP ${o.status}, so clients cannot find the homeserver from @user:server; serve it from the edge proxy.`,
      },
      rtcFoci: undefined,
    };
  }
  const body = json(o.body);
  if (!body) {
    return {
      finding: {
        ...base,
        level: 'fail',
        detail: `${o.url} is not a JSON object; serve {"m.homeserver": {"base_url": "${publicUrl}"}}.`,
      },
      rtcFoci: undefined,
    };
  }
  const hs = body['m.homeserver'];
  const baseUrl =
    typeof hs === 'object' && hs !== null ? (hs as Record<string, unknown>).base_url : undefined;
  const rtcFoci = rtcFociUrls(body);
  if (typeof baseUrl !== 'string') {
    return {
      finding: {
        ...base,
        level: 'fail',
        detail: `${o.url} has no "m.homeserver"."base_url"; set it to "${publicUrl}".`,
      },
      rtcFoci,
    };
  }
  if (withoutTrailingSlashes(baseUrl) !== withoutTrailingSlashes(publicUrl)) {
    return {
      finding: {
        ...base,
        level: 'fail',
        detail: `${o.url} sends clients to ${clip(baseUrl)}, not to ${publicUrl}; correct "m.homeserver"."base_url".`,
      },
      rtcFoci,
    };
  }
  return { finding: { ...base, level: 'ok', detail: `${o.url} sends clients to ${baseUrl}.` }, rtcFoci };
}

/** `<livekit_service_url>/healthz`: lk-jwt-service's own liveness endpoint (its container healthcheck uses it). */
export function rtcHealthUrl(serviceUrl: string): string {
  return `${withoutTrailingSlashes(serviceUrl)}/healthz`;
}

export function rtcFinding(
  foci: RtcFoci | undefined,
  outcomes: HttpOutcome[],
  opts: { expectRtc: boolean; units: string[] },
): Finding | undefined {
  const base = PUBLIC_CHECKS.matrixRtc(opts.units);
  if (foci === undefined) {
    return opts.expectRtc
      ? {
          ...base,
          level: 'unknown',
          detail:
            'The client well-known could not be read, so the MatrixRTC focus is unknown; fix client discovery first.',
        }
      : undefined;
  }
  const invalid =
    foci.invalid.length === 1
      ? `the MatrixRTC focus "${foci.invalid[0]}", which is not an absolute https URL`
      : `the MatrixRTC foci ${foci.invalid.map((v) => `"${v}"`).join(', ')}, which are not absolute https URLs`;
  if (foci.urls.length === 0 && foci.invalid.length > 0) {
    return {
      ...base,
      level: 'fail',
      detail: `The client well-known names ${invalid}, so Element Call cannot reach LiveKit; correct livekit_service_url in org.matrix.msc4143.rtc_foci.`,
    };
  }
  if (foci.urls.length === 0) {
    return opts.expectRtc
      ? {
          ...base,
          level: 'warn',
          detail:
            'The client well-known advertises no org.matrix.msc4143.rtc_foci, so Element Call cannot find LiveKit; enable it in the playbook and apply the config.',
        }
      : undefined;
  }
  for (const o of outcomes) {
    if (!o.ok) return { ...base, level: 'fail', detail: transportDetail(o, true) };
    if (o.status !== 200) {
      return { ...base, level: 'fail', detail: statusDetail(o, true, 'matrix-livekit-jwt-service') };
    }
  }
  const answers = `The LiveKit JWT service ${foci.urls.join(', ')} answers`;
  if (foci.invalid.length > 0) {
    return {
      ...base,
      level: 'warn',
      detail: `${answers}, but the client well-known also names ${invalid}; correct or remove ${foci.invalid.length === 1 ? 'that entry' : 'those entries'} of org.matrix.msc4143.rtc_foci.`,
    };
  }
  if (foci.skipped > 0) {
    return {
      ...base,
      level: 'warn',
      detail: `${answers}; the client well-known lists ${foci.skipped} more ${foci.skipped === 1 ? 'focus' : 'foci'}, which the app did not probe (it probes at most ${MAX_RTC_FOCI}); list only the foci you run.`,
    };
  }
  return { ...base, level: 'ok', detail: `${answers}.` };
}

export function clientVersionsFinding(o: HttpOutcome, units: string[]): Finding {
  const base = PUBLIC_CHECKS.clientVersions(units);
  if (!o.ok) return { ...base, level: 'fail', detail: transportDetail(o, true) };
  if (o.status !== 200) return { ...base, level: 'fail', detail: statusDetail(o, true, 'matrix-tuwunel') };
  const body = json(o.body);
  const versions = body?.versions;
  if (!Array.isArray(versions) || versions.length === 0) {
    return {
      ...base,
      level: 'fail',
      detail: `${o.url} answered but not with a Matrix versions list; check that the proxy routes /_matrix to matrix-tuwunel.`,
    };
  }
  return {
    ...base,
    level: 'ok',
    detail: `The client API answers (spec ${clip(describeValue(versions[versions.length - 1]), 40)}) in ${o.durationMs} ms.`,
  };
}

export function federationVersionFinding(o: HttpOutcome, pin: string, units: string[]): Finding {
  const base = PUBLIC_CHECKS.federationVersion(units);
  if (!o.ok) return { ...base, level: 'fail', detail: transportDetail(o, true) };
  if (o.status !== 200) return { ...base, level: 'fail', detail: statusDetail(o, true, 'matrix-tuwunel') };
  const server = json(o.body)?.server;
  const name =
    typeof server === 'object' && server !== null ? (server as Record<string, unknown>).name : undefined;
  const version =
    typeof server === 'object' && server !== null ? (server as Record<string, unknown>).version : undefined;
  if (typeof name !== 'string' || typeof version !== 'string') {
    return {
      ...base,
      level: 'fail',
      detail: `${o.url} did not answer with {"server": {"name", "version"}}; check that the proxy routes /_matrix/federation to matrix-tuwunel.`,
    };
  }
  if (name !== 'Tuwunel') {
    return {
      ...base,
      level: 'warn',
      detail: `The federation API says it is ${clip(name, 60)} ${clip(version, 60)}, not Tuwunel; check that the public URL reaches this homeserver.`,
    };
  }
  if (!sameVersion(version, pin)) {
    return {
      ...base,
      level: 'warn',
      detail: `Tuwunel ${parseVersion(version)?.core ?? clip(version, 60)} answers but the profile pins ${pin}; update the pin in the profile (homeserver.version) if the upgrade was meant, or apply the config.`,
    };
  }
  return { ...base, level: 'ok', detail: `Tuwunel ${version} answers federation requests, as pinned.` };
}

export function tlsFinding(
  o: HttpOutcome,
  opts: { id: string; title: string; warnDays: number; failDays: number; nowMs: number },
): Finding {
  const base = PUBLIC_CHECKS.tls(opts.id, opts.title);
  const at = hostPort(o.url);
  if (!o.ok) {
    if (TLS_ERRORS.has(o.code)) return { ...base, level: 'fail', detail: transportDetail(o, false) };
    return {
      ...base,
      level: 'unknown',
      detail: `Could not reach ${at} to read its certificate; see the other public checks.`,
    };
  }
  if (!o.cert) {
    return {
      ...base,
      level: 'unknown',
      detail: `${at} answered without a readable certificate; check it with \`openssl s_client\`.`,
    };
  }
  const daysLeft = (Date.parse(o.cert.validTo) - opts.nowMs) / 86_400_000;
  const metrics = { expiresAt: o.cert.validTo };
  const shown =
    daysLeft < 1 ? `${Math.max(0, Math.round(daysLeft * 24))} hours` : `${Math.floor(daysLeft)} days`;
  const until = o.cert.validTo.slice(0, 10);
  if (daysLeft < opts.failDays) {
    return {
      ...base,
      level: 'fail',
      detail: `The certificate of ${at} expires in ${shown} (${until}); renew it at the edge proxy now.`,
      metrics,
    };
  }
  if (daysLeft < opts.warnDays) {
    return {
      ...base,
      level: 'warn',
      detail: `The certificate of ${at} expires in ${shown} (${until}); check that automatic renewal works.`,
      metrics,
    };
  }
  return {
    ...base,
    level: 'ok',
    detail: `The certificate of ${at} is valid for ${shown} (until ${until}).`,
    metrics,
  };
}
