import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBackupTime } from '../../../../src-main/core/status/checks/backup';
import { parseDockerPs, parseDockerStatus } from '../../../../src-main/core/status/checks/containers';
import { parseDfP } from '../../../../src-main/core/status/checks/disk';
import { MAX_RTC_FOCI } from '../../../../src-main/core/status/checks/http';
import { parseSystemctlShow } from '../../../../src-main/core/status/checks/units';
import type { HttpGetter, HttpOutcome } from '../../../../src-main/core/status/https-client';
import { interpretHost, planHosts } from '../../../../src-main/core/status/probes';
import { publicFindings, type RtcGuess } from '../../../../src-main/core/status/public-checks';
import type { SectionOutput } from '../../../../src-main/core/status/remote-script';
import { type Finding, LEVELS } from '../../../../src-main/core/status/types';
import { parseVersion } from '../../../../src-main/core/status/version';
import { sweep } from '../../../support/sweep';
import { testProfile } from '../runbook/test-profile';

/**
 * Property tests at the status core's edges: whatever JSON or text the servers and hosts hand back, no
 * throw escapes a check, every check still answers with a level and a sentence of bounded length, and
 * a server document cannot make a poll send more requests than the cap allows.
 */

/** Samples per property. */
const numRuns = sweep(200);

/** Longest detail a check may show: quoted remote values are clipped, so a sentence stays a sentence. */
const MAX_DETAIL = 1200;

/** Keys the checks read, and keys that trip naive code (`String(value)` throws on an own `toString`). */
const KEYS = [
  'm.server',
  'm.homeserver',
  'base_url',
  'org.matrix.msc4143.rtc_foci',
  'type',
  'livekit_service_url',
  'versions',
  'server',
  'name',
  'version',
  'toString',
  'valueOf',
  '__proto__',
];

/** Strings a hostile server likes: no URLs, other schemes, long runs that make backtracking regexes quadratic. */
const HOSTILE_STRINGS = [
  '',
  'not a url',
  'http://plain.lab.test/livekit',
  'https://',
  'https://[::1',
  'javascript:alert(1)',
  'livekit',
  'Tuwunel',
  '1.7.0',
  `${'/'.repeat(20_000)}x`,
  `${'. '.repeat(10_000)}x`,
  `${' '.repeat(20_000)}x`,
  'https://matrix.lab.test',
  'matrix.lab.test:443',
  '\u202e\u0000\u001b[2J',
];

const { value: jsonValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 20 }),
    fc.constantFrom(...HOSTILE_STRINGS),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), tie('value'), {
      maxKeys: 5,
    }),
  ),
}));

const focus = fc.record(
  {
    type: fc.oneof(fc.constant('livekit'), jsonValue),
    livekit_service_url: fc.oneof(fc.webUrl(), jsonValue),
  },
  { requiredKeys: [] },
);

/** Documents shaped like the real ones with any value anywhere, arbitrary JSON, and text that is no JSON. */
const body = fc.oneof(
  fc
    .record(
      {
        'm.homeserver': fc.oneof(
          fc.record({ base_url: fc.oneof(fc.constant('https://matrix.lab.test'), jsonValue) }),
          jsonValue,
        ),
        'm.server': fc.oneof(fc.constant('matrix.lab.test:443'), jsonValue),
        'org.matrix.msc4143.rtc_foci': fc.oneof(fc.array(focus, { maxLength: 12 }), jsonValue),
        versions: fc.oneof(fc.array(jsonValue, { maxLength: 4 }), jsonValue),
        server: fc.oneof(fc.record({ name: jsonValue, version: jsonValue }, { requiredKeys: [] }), jsonValue),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  jsonValue.map((v) => JSON.stringify(v) ?? ''),
  fc.string(),
  fc.constantFrom(...HOSTILE_STRINGS),
);

const outcome = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ status: fc.constantFrom(200, 200, 200, 404, 502, 301, 0, 999), body }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      code: fc.oneof(
        fc.constantFrom('ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'CERT_HAS_EXPIRED'),
        fc.string(),
      ),
      message: fc.oneof(fc.string(), fc.constantFrom(...HOSTILE_STRINGS)),
      url: fc.oneof(fc.constant(''), fc.constantFrom(...HOSTILE_STRINGS)),
    }),
  },
);

/** A getter answering each URL from the generated table (by the document it asks for), counting requests. */
function scriptedHttp(answers: Record<string, unknown>, throwing: boolean) {
  const requests: string[] = [];
  const getter: HttpGetter = {
    get(url) {
      requests.push(url);
      if (throwing && url.includes('/_matrix/client/versions')) throw new TypeError('boom');
      const doc = Object.keys(answers).find((k) => url.includes(k)) ?? 'healthz';
      const a = answers[doc] as {
        status?: number;
        body?: string;
        code?: string;
        message?: string;
        url?: string;
      };
      const o: HttpOutcome =
        a.code === undefined
          ? {
              ok: true,
              url,
              status: a.status ?? 200,
              headers: {},
              body: a.body ?? '',
              cert: { subject: 's', issuer: 'i', validTo: '2099-01-01T00:00:00.000Z' },
              durationMs: 1,
            }
          : { ok: false, url: a.url || url, code: a.code, message: a.message ?? '', durationMs: 1 };
      return Promise.resolve(o);
    },
    close() {},
  };
  return { getter, requests };
}

function expectSentences(findings: Finding[]): void {
  for (const f of findings) {
    expect(LEVELS).toContain(f.level);
    expect(typeof f.detail).toBe('string');
    expect(f.detail.length).toBeGreaterThan(0);
    expect(f.detail.length).toBeLessThanOrEqual(MAX_DETAIL);
  }
}

const PUBLIC_IDS = [
  'http:well-known-server',
  'http:well-known-client',
  'http:matrixrtc',
  'http:client-versions',
  'http:federation-version',
  'tls:public',
  'tls:apex',
];

describe('the public checks over any answer', () => {
  const profile = testProfile();

  it('every check answers with a level and a sentence, and a poll sends at most 4 + MAX_RTC_FOCI requests', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          'matrix/server': outcome,
          'matrix/client': outcome,
          'client/versions': outcome,
          'federation/v1/version': outcome,
          healthz: outcome,
        }),
        fc.boolean(),
        async (answers, throwing) => {
          const guess: RtcGuess = { urls: [] };
          for (let poll = 0; poll < 2; poll++) {
            const { getter, requests } = scriptedHttp(answers, throwing);
            const findings = await publicFindings(profile, getter, Date.UTC(2026, 4, 22), undefined, guess);
            expect(findings.map((f) => f.id).filter((id) => id !== 'http:matrixrtc')).toEqual(
              PUBLIC_IDS.filter((id) => id !== 'http:matrixrtc'),
            );
            expect(findings.filter((f) => f.id === 'http:matrixrtc')).toHaveLength(1);
            expectSentences(findings);
            expect(requests.length).toBeLessThanOrEqual(4 + MAX_RTC_FOCI);
            expect(guess.urls.length).toBeLessThanOrEqual(MAX_RTC_FOCI);
            for (const u of guess.urls) expect(new URL(u).protocol).toBe('https:');
          }
        },
      ),
      { numRuns },
    );
  });
});

/** Lines shaped like each tool's output, with hostile values where the tools print values. */
const word = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...HOSTILE_STRINGS));
const systemctlShow = fc
  .array(
    fc.oneof(
      fc
        .tuple(fc.constantFrom('Id', 'LoadState', 'ActiveState', 'SubState', 'StateChangeTimestamp'), word)
        .map(([k, v]) => `${k}=${v}`),
      fc.constantFrom(
        'Id=matrix-tuwunel.service',
        'ActiveState=active',
        'StateChangeTimestamp=@99999999999999',
        '',
      ),
      fc.string(),
    ),
    { maxLength: 30 },
  )
  .map((lines) => lines.join('\n'));
const dockerPs = fc
  .array(
    fc.oneof(
      fc
        .record(
          {
            Names: fc.oneof(fc.constant('matrix-tuwunel'), jsonValue),
            Image: jsonValue,
            State: jsonValue,
            Status: fc.oneof(
              fc.constantFrom(
                'Up 5 days (healthy)',
                'Exited (137) 2 hours ago',
                'Restarting (1) 3 seconds ago',
              ),
              word,
            ),
          },
          { requiredKeys: [] },
        )
        .map((r) => JSON.stringify(r)),
      jsonValue.map((v) => JSON.stringify(v) ?? ''),
      fc.string().map((t) => `{${t}`),
    ),
    { maxLength: 10 },
  )
  .map((lines) => lines.join('\n'));
const df = fc
  .array(
    fc.oneof(
      fc
        .tuple(
          word,
          fc.nat(),
          fc.nat(),
          fc.nat(),
          fc.oneof(
            fc.nat(200).map((n) => `${n}%`),
            word,
          ),
          word,
        )
        .map((t) => t.join(' ')),
      fc.constantFrom(
        `${' '.repeat(30_000)}x`,
        `${'1 '.repeat(15_000)}x`,
        'Filesystem 1024-blocks Used Available Capacity Mounted on',
      ),
      fc.string(),
    ),
    { maxLength: 5 },
  )
  .map((lines) => lines.join('\n'));
const varsYml = fc.oneof(
  fc.string(),
  fc.constantFrom(
    'a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]',
    'matrix_tuwunel_config_allowed_remote_server_names: [{toString: 1}, ".*", "lab.test"]',
    'matrix_tuwunel_version: {{ x }}',
    '- just\n- a list',
    'matrix_tuwunel_environment_variables_extension: 7',
  ),
  fc
    .dictionary(
      fc.constantFrom(
        'matrix_tuwunel_config_allowed_remote_server_names',
        'matrix_tuwunel_environment_variables_extension',
        'matrix_tuwunel_version',
      ),
      jsonValue,
    )
    .map((d) => JSON.stringify(d)),
);
const backup = fc.oneof(
  fc.string(),
  fc.constantFrom('1779381469', '2026-05-21T16:37:49Z', `${'9'.repeat(40)}`, '-1'),
);

describe('the host probes over any output', () => {
  const profile = testProfile({
    checks: { backup: { host: 'deploy', command: 'date -u +%s', maxAgeHours: 26 } },
  });
  const plans = planHosts(profile);

  it('each probe’s checks answer with a level and a sentence, never fewer and never more', () => {
    fc.assert(
      fc.property(
        fc.record({ units: systemctlShow, containers: dockerPs, disk: df, vars: varsYml, backup }),
        (outputs) => {
          for (const plan of plans) {
            const sections = new Map<string, SectionOutput>(
              plan.probes.map((p) => [
                p.section.id,
                {
                  id: p.section.id,
                  ran: true,
                  exitCode: 0,
                  stdout: outputs[p.section.id as keyof typeof outputs],
                  stderr: '',
                },
              ]),
            );
            const findings = interpretHost(plan, sections, Date.UTC(2026, 4, 22));
            const skeletonIds = plan.probes.flatMap((p) => p.skeletons.map((s) => s.id));
            expect(findings.map((f) => f.id).sort()).toEqual([...skeletonIds].sort());
            expectSentences(findings);
          }
        },
      ),
      { numRuns },
    );
  });

  it('the line parsers take any text without throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        parseSystemctlShow(text);
        parseDockerPs(text);
        parseDockerStatus(text);
        parseDfP(text);
        parseBackupTime(text);
        parseVersion(text);
      }),
      { numRuns: numRuns * 5 },
    );
  });
});
