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
 * The workstation's view, as another server or a client sees it: the apex well-knowns, the client and
 * federation APIs through the public URL, the MatrixRTC focus, and the certificates on the way. All
 * requests run in parallel on the getter's keep-alive agent; only the RTC probe waits for the
 * client well-known that names it.
 */
export async function publicFindings(
  profile: Profile,
  http: HttpGetter,
  nowMs: number,
  signal?: AbortSignal,
): Promise<Finding[]> {
  const apex = apexUrlOf(profile);
  const pub = profile.publicUrl;
  const opt = signal ? { signal } : {};
  const proxied = present(profile, ['matrix-tuwunel', 'matrix-traefik']);
  const rtcUnits = present(profile, ['matrix-livekit-jwt-service', 'matrix-traefik']);
  const expectRtc = profile.units.includes('matrix-livekit-jwt-service');
  const tlsLimits = { warnDays: profile.checks.certWarnDays, failDays: profile.checks.certFailDays, nowMs };

  const clientPart = http.get(`${apex}/.well-known/matrix/client`, opt).then(async (o) => {
    const { finding, rtcFoci } = wellKnownClientFinding(o, pub);
    const rtcOutcomes = await Promise.all((rtcFoci ?? []).map((u) => http.get(rtcHealthUrl(u), opt)));
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
