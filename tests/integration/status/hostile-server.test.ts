import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src-main/cli/exit-codes';
import { statusCommand } from '../../../src-main/cli/status-command';
import { type Profile, profileSchema } from '../../../src-main/core/profile/schema';
import { SshPool } from '../../../src-main/core/ssh/pool';
import { type AlertEvent, StatusScheduler, schedulerSettings } from '../../../src-main/core/status/scheduler';
import { StatusService } from '../../../src-main/core/status/service';
import { LAB_CACHE_DIR, startLab } from '../../lab/lab';
import { makeLabTls } from '../../lab/tls';
import type { Lab } from '../../lab/types';

/**
 * The red team's replay: the lab's real sshd hosts, with the public side served by a hostile HTTPS
 * server on the lab's address (a certificate from the lab CA, so only the answers are wrong). Before
 * the fix, a MatrixRTC focus that was no https URL made `status` print an empty table, "Overall: OK"
 * and exit 0 while Tuwunel was down, and `status --watch` died on its second poll.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let lab: Lab;
let scratch: string;
let hostile: Server;
let hostileUrl: string;
/** Paths the hostile server answers, set by each test; every request is counted by path. */
const routes = new Map<string, Handler>();
const asked: string[] = [];
const pools: SshPool[] = [];

const json =
  (body: unknown, status = 200): Handler =>
  (_req, res) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

beforeAll(async () => {
  lab = await startLab({ keyring: false });
  scratch = mkdtempSync(join(tmpdir(), 'hostile-server-'));
  const address = lab.hosts.homeserver.address;
  const tls = await makeLabTls({ dir: scratch, cacheDir: LAB_CACHE_DIR, address, serverName: 'lab.test' });
  hostile = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://hostile').pathname;
    asked.push(path);
    const handler = routes.get(path) ?? (path.endsWith('/healthz') ? routes.get('*/healthz') : undefined);
    if (handler) handler(req, res);
    else json({ errcode: 'M_UNRECOGNIZED', error: 'Not Found' }, 404)(req, res);
  });
  await new Promise<void>((resolve) => hostile.listen(0, address, resolve));
  hostileUrl = `https://${address}:${(hostile.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.disconnect()));
  hostile?.closeAllConnections();
  await new Promise((resolve) => hostile?.close(resolve));
  await lab?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

afterEach(async () => {
  routes.clear();
  asked.length = 0;
  await lab.state.setUnitState('matrix-tuwunel', 'active');
});

/** The lab's profile with the well-knowns (and, when asked, the public URL) served by the hostile server. */
function setup(options: { hostilePublic?: boolean } = {}): { profile: Profile; pool: SshPool } {
  const publicUrl = options.hostilePublic ? hostileUrl : lab.http.publicUrl;
  const profile = profileSchema.parse({ ...structuredClone(lab.profile), apexUrl: hostileUrl, publicUrl });
  const pool = new SshPool({
    profile,
    appKnownHostsFile: join(mkdtempSync(join(scratch, 'data-')), 'known_hosts'),
    agentSocket: undefined,
    secret: async (kind) => (kind === 'sudo-password' ? Buffer.from(lab.secrets.sudoPassword) : null),
  });
  pools.push(pool);
  return { profile, pool };
}

function wellKnowns(publicUrl: string, foci: unknown[]): void {
  routes.set('/.well-known/matrix/server', json({ 'm.server': new URL(publicUrl).host }));
  routes.set(
    '/.well-known/matrix/client',
    json({ 'm.homeserver': { base_url: publicUrl }, 'org.matrix.msc4143.rtc_foci': foci }),
  );
}

function io() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
    },
  };
}

const BAD_FOCI = [
  { type: 'livekit', livekit_service_url: 'livekit-jwt.lab.test' },
  { type: 'livekit', livekit_service_url: 'http://plain.lab.test/livekit-jwt-service' },
];

describe('status against a hostile public side', () => {
  it('a focus URL that is no https URL: Tuwunel down shows as FAIL, exit 2, MatrixRTC fails with a sentence', async () => {
    wellKnowns(lab.http.publicUrl, BAD_FOCI);
    await lab.state.setUnitState('matrix-tuwunel', 'failed');
    const { profile, pool } = setup();
    const a = io();
    expect(await statusCommand([], { profile, remote: pool }, a.io)).toBe(EXIT.fail);
    expect(a.out.stdout).toMatch(/\nhomeserver +matrix-tuwunel unit +FAIL +/);
    expect(a.out.stdout).toMatch(
      /\npublic +MatrixRTC \(LiveKit JWT service\) +FAIL +\d+ s +The client well-known names the MatrixRTC foci "livekit-jwt\.lab\.test", "http:\/\/plain\.lab\.test\/livekit-jwt-service", which are not absolute https URLs/,
    );
    expect(a.out.stdout).toMatch(/\npublic +Client discovery +OK /);
    expect(a.out.stdout).toMatch(/\nOverall: FAIL\n$/);
    expect(a.out.stderr).toBe('');
    expect(asked.filter((p) => p.endsWith('/healthz'))).toEqual([]);
  });

  it('--watch keeps reporting poll after poll, raises DOWN through the alert policy, and exits 2', async () => {
    wellKnowns(lab.http.publicUrl, BAD_FOCI);
    await lab.state.setUnitState('matrix-tuwunel', 'failed');
    const { profile, pool } = setup();
    const service = new StatusService({ profile, remote: pool });
    const scheduler = new StatusScheduler(service, {
      ...schedulerSettings(profile, service.polledHosts),
      intervalSeconds: 0.2,
      failuresBeforeDown: 2,
    });
    const alerts: AlertEvent[] = [];
    scheduler.subscribe((_s, raised) => alerts.push(...raised));
    const stop = new AbortController();
    const a = io();
    let reports = 0;
    const code = await statusCommand(
      ['--watch', '--json'],
      { profile, remote: pool, scheduler, stop: stop.signal },
      {
        stdout: (t) => {
          a.io.stdout(t);
          if (++reports === 3) stop.abort();
        },
        stderr: a.io.stderr,
      },
    );
    service.close();
    expect(code).toBe(EXIT.fail);
    const lines = a.out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { overall: string; results: { id: string; level: string }[] });
    expect(lines).toHaveLength(3);
    for (const l of lines) {
      expect(l.overall).toBe('fail');
      expect(l.results.find((r) => r.id === 'unit:matrix-tuwunel')?.level).toBe('fail');
      expect(l.results.find((r) => r.id === 'http:matrixrtc')?.level).toBe('fail');
    }
    expect(alerts.map((x) => `${x.kind} ${x.check.id}`)).toEqual(
      expect.arrayContaining(['down unit:matrix-tuwunel', 'down http:matrixrtc']),
    );
  });

  it('probes at most 4 of 3,000 advertised foci a poll and says it did not probe the rest', async () => {
    const foci = Array.from({ length: 3000 }, (_, i) => ({
      type: 'livekit',
      livekit_service_url: `${hostileUrl}/focus-${i}`,
    }));
    wellKnowns(lab.http.publicUrl, foci);
    routes.set('*/healthz', (_req, res) => {
      res.writeHead(200, { 'content-length': 0 });
      res.end();
    });
    const { profile, pool } = setup();
    const service = new StatusService({ profile, remote: pool });
    try {
      for (let poll = 1; poll <= 2; poll++) {
        const outcome = await service.refresh();
        expect(asked.filter((p) => p.endsWith('/healthz'))).toHaveLength(4 * poll);
        expect(outcome.results.find((r) => r.id === 'http:matrixrtc')).toMatchObject({
          level: 'warn',
          detail: expect.stringContaining(
            'the client well-known lists 2996 more foci, which the app did not probe (it probes at most 4)',
          ),
        });
      }
    } finally {
      service.close();
    }
  });

  it('answers every check when the public URL itself is hostile, the hosts unaffected', async () => {
    wellKnowns(hostileUrl, [{ type: 'livekit', livekit_service_url: `${hostileUrl}/loop` }]);
    routes.set('/_matrix/client/versions', json({ versions: [{ toString: 1 }] }));
    routes.set('/_matrix/federation/v1/version', json({ server: { name: { toString: 1 }, version: 7 } }));
    routes.set('/loop/healthz', (_req, res) => {
      res.writeHead(302, { location: '/loop/healthz' });
      res.end();
    });
    const { profile, pool } = setup({ hostilePublic: true });
    const service = new StatusService({ profile, remote: pool });
    try {
      const outcome = await service.refresh();
      const find = (id: string) => outcome.results.find((r) => r.id === id);
      expect(find('ssh:homeserver')?.level).toBe('ok');
      expect(find('unit:matrix-tuwunel')?.level).toBe('ok');
      expect(find('http:client-versions')).toMatchObject({
        level: 'ok',
        detail: expect.stringContaining('(spec an object)'),
      });
      expect(find('http:federation-version')).toMatchObject({
        level: 'fail',
        detail: expect.stringMatching(/did not answer with \{"server": \{"name", "version"\}\}/),
      });
      expect(find('http:matrixrtc')).toMatchObject({
        level: 'fail',
        detail: expect.stringMatching(/answered HTTP 302/),
      });
      // Three redirects at most, then the 302 itself is the answer.
      expect(asked.filter((p) => p === '/loop/healthz')).toHaveLength(4);
      expect(find('tls:public')?.level).toBe('ok');
    } finally {
      service.close();
    }
  });
});
