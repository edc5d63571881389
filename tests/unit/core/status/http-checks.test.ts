import { describe, expect, it } from 'vitest';
import {
  clientVersionsFinding,
  federationVersionFinding,
  rtcFinding,
  rtcHealthUrl,
  tlsFinding,
  transportDetail,
  wellKnownClientFinding,
  wellKnownServerFinding,
} from '../../../../src-main/core/status/checks/http';
import type { HttpOutcome } from '../../../../src-main/core/status/https-client';

const PUBLIC = 'https://matrix.rampancy.cloud';
const APEX = 'https://rampancy.cloud';

function ok(url: string, body: unknown, status = 200, extra: Partial<HttpOutcome> = {}): HttpOutcome {
  return {
    ok: true,
    url,
    status,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    durationMs: 12,
    ...extra,
  } as HttpOutcome;
}

function failed(url: string, code: string, message = code): HttpOutcome {
  return { ok: false, url, code, message, durationMs: 3 };
}

/** What matrix-docker-ansible-deploy's static files serve for a Tuwunel + LiveKit deploy. */
const CLIENT_WELL_KNOWN = {
  'm.homeserver': { base_url: PUBLIC },
  'org.matrix.msc4143.rtc_foci': [{ type: 'livekit', livekit_service_url: `${PUBLIC}/livekit-jwt-service` }],
};

/** Tuwunel's /_matrix/client/versions (abridged unstable_features). */
const VERSIONS = {
  versions: [
    'r0.0.1',
    'r0.1.0',
    'r0.2.0',
    'r0.3.0',
    'r0.4.0',
    'r0.5.0',
    'r0.6.0',
    'r0.6.1',
    'v1.1',
    'v1.2',
    'v1.3',
    'v1.4',
    'v1.5',
    'v1.11',
  ],
  unstable_features: { 'org.matrix.e2e_cross_signing': true, 'org.matrix.msc3916.stable': true },
};

describe('apex /.well-known/matrix/server', () => {
  const url = `${APEX}/.well-known/matrix/server`;

  it('is ok when m.server names the public host and port', () => {
    expect(
      wellKnownServerFinding(ok(url, { 'm.server': 'matrix.rampancy.cloud:443' }), PUBLIC),
    ).toMatchObject({
      level: 'ok',
      detail: `${url} delegates federation to matrix.rampancy.cloud:443.`,
    });
    expect(
      wellKnownServerFinding(ok(url, { 'm.server': 'matrix.example:8443' }), 'https://matrix.example:8443')
        .level,
    ).toBe('ok');
  });

  it('warns without a port (servers would try 8448) and fails a wrong host or port', () => {
    expect(wellKnownServerFinding(ok(url, { 'm.server': 'matrix.rampancy.cloud' }), PUBLIC).level).toBe(
      'warn',
    );
    expect(wellKnownServerFinding(ok(url, { 'm.server': 'other.example:443' }), PUBLIC).level).toBe('fail');
    const port = wellKnownServerFinding(ok(url, { 'm.server': 'matrix.rampancy.cloud:8448' }), PUBLIC);
    expect(port).toMatchObject({ level: 'fail' });
    expect(port.detail).toBe(
      '"m.server" names port 8448 but the public URL listens on 443; set it to "matrix.rampancy.cloud:443".',
    );
  });

  it('fails a missing file, invalid JSON or a missing key', () => {
    expect(wellKnownServerFinding(ok(url, '<html>Not Found</html>', 404), PUBLIC).level).toBe('fail');
    expect(wellKnownServerFinding(ok(url, '{"m.server": '), PUBLIC).detail).toMatch(/is not a JSON object/);
    expect(wellKnownServerFinding(ok(url, {}), PUBLIC).detail).toMatch(/has no "m.server"/);
    expect(wellKnownServerFinding(failed(url, 'ECONNREFUSED'), PUBLIC).level).toBe('fail');
  });
});

describe('apex /.well-known/matrix/client and MatrixRTC', () => {
  const url = `${APEX}/.well-known/matrix/client`;

  it('is ok when base_url is the public URL, and hands on the LiveKit focus', () => {
    const { finding, rtcFoci } = wellKnownClientFinding(ok(url, CLIENT_WELL_KNOWN), PUBLIC);
    expect(finding.level).toBe('ok');
    expect(rtcFoci).toEqual({ urls: [`${PUBLIC}/livekit-jwt-service`], invalid: [], skipped: 0 });
    expect(
      wellKnownClientFinding(ok(url, { 'm.homeserver': { base_url: `${PUBLIC}/` } }), PUBLIC).finding.level,
    ).toBe('ok');
  });

  it('fails a wrong or missing base_url', () => {
    const wrong = wellKnownClientFinding(
      ok(url, { 'm.homeserver': { base_url: 'https://old.example' } }),
      PUBLIC,
    );
    expect(wrong.finding).toMatchObject({ level: 'fail' });
    expect(wrong.finding.detail).toMatch(
      /sends clients to https:\/\/old\.example, not to https:\/\/matrix\.rampancy\.cloud/,
    );
    expect(wellKnownClientFinding(ok(url, {}), PUBLIC).finding.level).toBe('fail');
  });

  const rtcOpts = { expectRtc: true, units: ['matrix-livekit-jwt-service'] };
  const health = rtcHealthUrl(`${PUBLIC}/livekit-jwt-service/`);
  const foci = (urls: string[]) => ({ urls, invalid: [], skipped: 0 });

  it('probes <livekit_service_url>/healthz', () => {
    expect(health).toBe(`${PUBLIC}/livekit-jwt-service/healthz`);
    expect(rtcFinding(foci([`${PUBLIC}/livekit-jwt-service`]), [ok(health, '')], rtcOpts)).toMatchObject({
      level: 'ok',
    });
    const down = rtcFinding(
      foci([`${PUBLIC}/livekit-jwt-service`]),
      [ok(health, 'Bad Gateway', 502)],
      rtcOpts,
    )!;
    expect(down.level).toBe('fail');
    expect(down.detail).toMatch(/check matrix-livekit-jwt-service/);
  });

  it('probes only absolute https foci, each once and at most 4, and names the others', () => {
    const focus = (u: unknown) => ({ type: 'livekit', livekit_service_url: u });
    const read = (foci: unknown[]) =>
      wellKnownClientFinding(ok(url, { ...CLIENT_WELL_KNOWN, 'org.matrix.msc4143.rtc_foci': foci }), PUBLIC)
        .rtcFoci;
    const jwt = `${PUBLIC}/livekit-jwt-service`;
    expect(
      read([focus(`${jwt}/`), focus(jwt), focus('ftp://x.example/'), { type: 'other' }, 'junk']),
    ).toEqual({
      urls: [jwt],
      invalid: ['ftp://x.example/'],
      skipped: 0,
    });
    const many = read(Array.from({ length: 10 }, (_, i) => focus(`https://rtc${i % 6}.example/jwt`)));
    expect(many?.urls).toHaveLength(4);
    expect(many?.skipped).toBe(2);
    const oneBad = rtcFinding({ urls: [], invalid: ['jwt.example'], skipped: 0 }, [], rtcOpts);
    expect(oneBad).toMatchObject({
      level: 'fail',
      detail:
        'The client well-known names the MatrixRTC focus "jwt.example", which is not an absolute https URL, so Element Call cannot reach LiveKit; correct livekit_service_url in org.matrix.msc4143.rtc_foci.',
    });
    expect(
      rtcFinding({ urls: [jwt], invalid: ['jwt.example'], skipped: 0 }, [ok(health, '')], rtcOpts),
    ).toMatchObject({
      level: 'warn',
      detail: `The LiveKit JWT service ${jwt} answers, but the client well-known also names the MatrixRTC focus "jwt.example", which is not an absolute https URL; correct or remove that entry of org.matrix.msc4143.rtc_foci.`,
    });
  });

  it('warns when LiveKit is deployed but not advertised, and says nothing when neither', () => {
    expect(rtcFinding(foci([]), [], rtcOpts)?.level).toBe('warn');
    expect(rtcFinding(undefined, [], rtcOpts)?.level).toBe('unknown');
    expect(rtcFinding(foci([]), [], { expectRtc: false, units: [] })).toBeUndefined();
  });
});

describe('client and federation APIs through the public URL', () => {
  const versionsUrl = `${PUBLIC}/_matrix/client/versions`;
  const fedUrl = `${PUBLIC}/_matrix/federation/v1/version`;
  const units = ['matrix-tuwunel', 'matrix-traefik'];

  it('is ok with Tuwunel’s versions list', () => {
    expect(clientVersionsFinding(ok(versionsUrl, VERSIONS), units)).toMatchObject({
      level: 'ok',
      units,
      detail: 'The client API answers (spec v1.11) in 12 ms.',
    });
    expect(clientVersionsFinding(ok(versionsUrl, { versions: [] }), units).level).toBe('fail');
  });

  it('says Tuwunel is not answering behind the proxy on 502 and on a refused connection', () => {
    const bad = clientVersionsFinding(ok(versionsUrl, 'Bad Gateway', 502), units);
    expect(bad).toMatchObject({ level: 'fail' });
    expect(bad.detail).toBe(
      `Tuwunel is not answering behind the proxy: HTTP 502 from ${versionsUrl}; check matrix-tuwunel (its unit and \`journalctl -u matrix-tuwunel\`).`,
    );
    const refused = federationVersionFinding(
      failed(fedUrl, 'ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:443'),
      'v1.7.0',
      units,
    );
    expect(refused.level).toBe('fail');
    expect(refused.detail).toMatch(
      /^Tuwunel is not answering behind the proxy: nothing accepts connections at matrix\.rampancy\.cloud:443/,
    );
  });

  it('checks the federation name and version against the pin', () => {
    const body = (version: string, name = 'Tuwunel') => ({
      server: { name, version, compiler: 'rustc 1.89.0' },
    });
    expect(federationVersionFinding(ok(fedUrl, body('1.7.0')), 'v1.7.0', units).level).toBe('ok');
    const drift = federationVersionFinding(ok(fedUrl, body('1.9.0')), 'v1.7.0', units);
    expect(drift).toMatchObject({ level: 'warn' });
    expect(drift.detail).toMatch(/^Tuwunel 1\.9\.0 answers but the profile pins v1\.7\.0/);
    expect(federationVersionFinding(ok(fedUrl, body('0.5.0', 'conduwuit')), 'v1.7.0', units).level).toBe(
      'warn',
    );
    expect(federationVersionFinding(ok(fedUrl, { server: {} }), 'v1.7.0', units).level).toBe('fail');
  });
});

describe('TLS certificate', () => {
  const now = Date.UTC(2026, 4, 22, 12);
  const opts = { id: 'tls:public', title: 'TLS', warnDays: 14, failDays: 3, nowMs: now };
  const withCert = (days: number) =>
    ok(`${PUBLIC}/x`, {}, 200, {
      cert: {
        subject: 'matrix.rampancy.cloud',
        issuer: 'R11',
        validTo: new Date(now + days * 86_400_000).toISOString(),
      },
    });

  it('keeps the end of validity for the notify-before thresholds', () => {
    expect(tlsFinding(withCert(60), opts).metrics).toEqual({
      expiresAt: new Date(now + 60 * 86_400_000).toISOString(),
    });
    expect(tlsFinding(withCert(2), opts).metrics?.expiresAt).toBe(
      new Date(now + 2 * 86_400_000).toISOString(),
    );
  });

  it('grades days left at the profile limits', () => {
    expect(tlsFinding(withCert(60), opts)).toMatchObject({
      level: 'ok',
      detail: expect.stringMatching(/valid for 60 days/),
    });
    expect(tlsFinding(withCert(14), opts).level).toBe('ok');
    expect(tlsFinding(withCert(13.9), opts).level).toBe('warn');
    expect(tlsFinding(withCert(3), opts).level).toBe('warn');
    expect(tlsFinding(withCert(2.9), opts).level).toBe('fail');
    expect(tlsFinding(withCert(0.5), opts).detail).toMatch(/expires in 12 hours/);
  });

  it('fails an untrusted or expired certificate and is unknown when nothing answered', () => {
    expect(tlsFinding(failed(`${PUBLIC}/x`, 'CERT_HAS_EXPIRED'), opts)).toMatchObject({ level: 'fail' });
    expect(tlsFinding(failed(`${PUBLIC}/x`, 'DEPTH_ZERO_SELF_SIGNED_CERT'), opts).detail).toMatch(
      /set caFile/,
    );
    expect(tlsFinding(failed(`${PUBLIC}/x`, 'ECONNREFUSED'), opts).level).toBe('unknown');
  });
});

describe('transport failures', () => {
  it('names the cause and the next step in one sentence', () => {
    const url = `${APEX}/.well-known/matrix/server`;
    expect(transportDetail(failed(url, 'ENOTFOUND') as never, false)).toBe(
      "rampancy.cloud does not resolve in DNS; check its DNS records and this machine's resolver.",
    );
    expect(transportDetail(failed(url, 'ETIMEDOUT', 'no answer within 5 s') as never, false)).toMatch(
      /did not answer in time/,
    );
    expect(transportDetail(failed(url, 'ECONNREFUSED') as never, false)).toMatch(
      /^Nothing accepts connections at rampancy\.cloud:443/,
    );
  });
});
