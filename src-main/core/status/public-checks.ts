import { apexUrlOf, type Profile } from '../profile/schema';
import {
  clientVersionsFinding,
  federationVersionFinding,
  rtcFinding,
  rtcHealthUrl,
  tlsFinding,
  wellKnownClientFinding,
  wellKnownServerFinding,
} from './checks/http';
import type { HttpGetter } from './https-client';
import type { Finding } from './types';

/** Units whose outage a check through the public URL reflects (only those the profile has). */
function present(profile: Profile, units: string[]): string[] {
  return units.filter((u) => profile.units.includes(u));
}

/**
 * The RTC health URLs the client well-known named in the last poll. They rarely change, so the next
 * poll fetches them alongside the well-known instead of after it; a URL the well-known no longer
 * names is not used, and a new one is fetched once the well-known names it.
 */
export interface RtcGuess {
  urls: string[];
}

/**
 * The workstation's view, as another server or a client sees it: the apex well-knowns, the client and
 * federation APIs through the public URL, the MatrixRTC focus, and the certificates on the way. All
 * requests run in parallel on the getter's keep-alive agent, the RTC probe too when `rtcGuess` (kept
 * by the caller across polls) already knows what the client well-known names.
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
  const opt = signal ? { signal } : {};
  const proxied = present(profile, ['matrix-tuwunel', 'matrix-traefik']);
  const rtcUnits = present(profile, ['matrix-livekit-jwt-service', 'matrix-traefik']);
  const expectRtc = profile.units.includes('matrix-livekit-jwt-service');
  const tlsLimits = { warnDays: profile.checks.certWarnDays, failDays: profile.checks.certFailDays, nowMs };

  const early = new Map(rtcGuess.urls.map((u) => [u, http.get(u, opt)]));
  const clientPart = http.get(`${apex}/.well-known/matrix/client`, opt).then(async (o) => {
    const { finding, rtcFoci } = wellKnownClientFinding(o, pub);
    const urls = (rtcFoci ?? []).map(rtcHealthUrl);
    if (rtcFoci !== undefined) rtcGuess.urls = [...new Set(urls)];
    const rtcOutcomes = await Promise.all(urls.map((u) => early.get(u) ?? http.get(u, opt)));
    const rtc = rtcFinding(rtcFoci, rtcOutcomes, { expectRtc, units: rtcUnits });
    return rtc ? [finding, rtc] : [finding];
  });
  const [server, client, versions, federation] = await Promise.all([
    http.get(`${apex}/.well-known/matrix/server`, opt),
    clientPart,
    http.get(`${pub}/_matrix/client/versions`, opt),
    http.get(`${pub}/_matrix/federation/v1/version`, opt),
  ]);

  const findings: Finding[] = [
    wellKnownServerFinding(server, pub),
    ...client,
    clientVersionsFinding(versions, proxied),
    federationVersionFinding(federation, profile.homeserver.version, proxied),
    tlsFinding(federation, {
      id: 'tls:public',
      title: `TLS certificate of ${new URL(pub).host}`,
      ...tlsLimits,
    }),
  ];
  if (new URL(apex).host !== new URL(pub).host) {
    findings.push(
      tlsFinding(server, { id: 'tls:apex', title: `TLS certificate of ${new URL(apex).host}`, ...tlsLimits }),
    );
  }
  return findings;
}
