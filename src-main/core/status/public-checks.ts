import { describeError } from '../errors';
import { apexUrlOf, type Profile } from '../profile/schema';
import {
  clientVersionsFinding,
  federationVersionFinding,
  PUBLIC_CHECKS,
  rtcFinding,
  rtcHealthUrl,
  tlsFinding,
  wellKnownClientFinding,
  wellKnownServerFinding,
} from './checks/http';
import { brokenFindings, guarded, type Skeleton } from './guard';
import type { HttpGetter, HttpOutcome } from './https-client';
import type { Finding } from './types';

/** Units whose outage a check through the public URL reflects (only those the profile has). */
function present(profile: Profile, units: string[]): string[] {
  return units.filter((u) => profile.units.includes(u));
}

/**
 * The RTC health URLs the client well-known named in the last poll. They rarely change, so the next
 * poll fetches them alongside the well-known instead of after it; a URL the well-known no longer
 * names is not used, and a new one is fetched once the well-known names it. Only URLs that passed
 * rtcFociUrls (absolute https, at most MAX_RTC_FOCI) are kept.
 */
export interface RtcGuess {
  urls: string[];
}

/** A GET that never rejects, whatever the getter does: a throw is a failed outcome of that one request. */
function fetcher(http: HttpGetter, signal: AbortSignal | undefined): (url: string) => Promise<HttpOutcome> {
  const opt = signal ? { signal } : {};
  return (url) =>
    Promise.resolve()
      .then(() => http.get(url, opt))
      .catch(
        (e: unknown): HttpOutcome => ({
          ok: false,
          url,
          code: (e as NodeJS.ErrnoException | null)?.code ?? 'EUNKNOWN',
          message: describeError(e).message,
          durationMs: 0,
        }),
      );
}

/**
 * The workstation's view, as another server or a client sees it: the apex well-knowns, the client and
 * federation APIs through the public URL, the MatrixRTC focus, and the certificates on the way. All
 * requests run in parallel on the getter's keep-alive agent, the RTC probe too when `rtcGuess` (kept
 * by the caller across polls) already knows what the client well-known names. Each check is judged
 * alone: what one answer does to its reader cannot take the others down.
 */
export async function publicFindings(
  profile: Profile,
  http: HttpGetter,
  nowMs: number,
  signal?: AbortSignal,
  rtcGuess: RtcGuess = { urls: [] },
): Promise<Finding[]> {
  const apex = apexUrlOf(profile);
  const pub = profile.publicUrl;
  const get = fetcher(http, signal);
  const proxied = present(profile, ['matrix-tuwunel', 'matrix-traefik']);
  const rtcUnits = present(profile, ['matrix-livekit-jwt-service', 'matrix-traefik']);
  const expectRtc = profile.units.includes('matrix-livekit-jwt-service');
  const tlsLimits = { warnDays: profile.checks.certWarnDays, failDays: profile.checks.certFailDays, nowMs };
  const apexHost = new URL(apex).host;
  const pubHost = new URL(pub).host;
  const wellKnownClient = `${apex}/.well-known/matrix/client`;

  const early = new Map(rtcGuess.urls.map((u) => [u, get(u)]));
  const client = PUBLIC_CHECKS.wellKnownClient();
  const rtcBase = PUBLIC_CHECKS.matrixRtc(rtcUnits);
  const clientPart = get(wellKnownClient)
    .then(async (o) => {
      const read = wellKnownClientFinding(o, pub);
      const urls = (read.rtcFoci?.urls ?? []).map(rtcHealthUrl);
      if (read.rtcFoci !== undefined) rtcGuess.urls = urls;
      const rtcOutcomes = await Promise.all(urls.map((u) => early.get(u) ?? get(u)));
      const rtc = guarded([rtcBase], 'the MatrixRTC focus', () => {
        const f = rtcFinding(read.rtcFoci, rtcOutcomes, { expectRtc, units: rtcUnits });
        return f ? [f] : [];
      });
      return [read.finding, ...rtc];
    })
    .catch((e: unknown) => {
      rtcGuess.urls = [];
      return brokenFindings(expectRtc ? [client, rtcBase] : [client], wellKnownClient, e);
    });
  const [server, clientFindings, versions, federation] = await Promise.all([
    get(`${apex}/.well-known/matrix/server`),
    clientPart,
    get(`${pub}/_matrix/client/versions`),
    get(`${pub}/_matrix/federation/v1/version`),
  ]);

  const check = (skeleton: Skeleton, source: string, build: () => Finding) =>
    guarded([skeleton], source, () => [build()]);
  // The response time of an endpoint that answered, whatever the check made of the answer.
  const timed = (o: HttpOutcome, findings: Finding[]): Finding[] =>
    o.ok ? findings.map((f) => ({ ...f, metrics: { ...f.metrics, responseMs: o.durationMs } })) : findings;
  const tlsPublic = { id: 'tls:public', title: `TLS certificate of ${pubHost}` };
  const tlsApex = { id: 'tls:apex', title: `TLS certificate of ${apexHost}` };
  return [
    ...timed(
      server,
      check(PUBLIC_CHECKS.wellKnownServer(), server.url, () => wellKnownServerFinding(server, pub)),
    ),
    ...clientFindings,
    ...timed(
      versions,
      check(PUBLIC_CHECKS.clientVersions(proxied), versions.url, () =>
        clientVersionsFinding(versions, proxied),
      ),
    ),
    ...timed(
      federation,
      check(PUBLIC_CHECKS.federationVersion(proxied), federation.url, () =>
        federationVersionFinding(federation, profile.homeserver.version, proxied),
      ),
    ),
    ...check(PUBLIC_CHECKS.tls(tlsPublic.id, tlsPublic.title), pubHost, () =>
      tlsFinding(federation, { ...tlsPublic, ...tlsLimits }),
    ),
    ...(apexHost === pubHost
      ? []
      : check(PUBLIC_CHECKS.tls(tlsApex.id, tlsApex.title), apexHost, () =>
          tlsFinding(server, { ...tlsApex, ...tlsLimits }),
        )),
  ];
}
