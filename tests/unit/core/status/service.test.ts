import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectFailed } from '../../../../src-main/core/errors';
import { type HostRole, type ProfileInput, profileSchema } from '../../../../src-main/core/profile/schema';
import type { ExecOptions, ExecResult, RemoteExec } from '../../../../src-main/core/ssh/types';
import type { HttpGetter, HttpOutcome } from '../../../../src-main/core/status/https-client';
import { StatusService } from '../../../../src-main/core/status/service';

/**
 * The service against a real bash on this machine: each "host" is a folder of stand-in commands that
 * print captured real-format output. The lab integration test covers the same path over SSH.
 */
let dir: string;

const SHOW_OK = ['matrix-tuwunel', 'matrix-traefik', 'matrix-livekit-jwt-service']
  .map(
    (u) =>
      `Id=${u}.service\nLoadState=loaded\nActiveState=active\nSubState=running\nStateChangeTimestamp=Thu 2026-05-21 16:37:49 UTC\n`,
  )
  .join('\n');
const PS_OK = ['matrix-tuwunel', 'matrix-traefik', 'matrix-livekit-jwt-service']
  .map((u) =>
    JSON.stringify({
      Command: '"/entry"',
      CreatedAt: '2026-05-21 16:37:40 +0000 UTC',
      ID: 'abc',
      Image: u === 'matrix-tuwunel' ? 'ghcr.io/matrix-construct/tuwunel:v1.7.0' : 'docker.io/x:1',
      Labels: '',
      LocalVolumes: '0',
      Mounts: '',
      Names: u,
      Networks: 'matrix',
      Ports: '',
      RunningFor: '5 days ago',
      Size: '0B',
      State: 'running',
      Status: 'Up 5 days',
    }),
  )
  .join('\n');
const DF =
  'Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/sda1         30787492 13238621  17548871      43% /\n';
const VARS = `matrix_domain: lab.test
matrix_tuwunel_version: v1.7.0
matrix_tuwunel_config_allowed_remote_server_names:
  - '^lab\\.test$'
matrix_tuwunel_environment_variables_extension: |
  TUWUNEL_ALLOW_LEGACY_MEDIA=true
`;

async function stub(host: string, name: string, body: string): Promise<void> {
  const path = join(dir, host, 'bin', name);
  await writeFile(path, `#!/bin/bash\n${body}\n`);
  await chmod(path, 0o755);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'status-service-'));
  for (const h of ['homeserver', 'deploy']) await mkdir(join(dir, h, 'bin'), { recursive: true });
  await writeFile(join(dir, 'show.txt'), SHOW_OK);
  await writeFile(join(dir, 'ps.txt'), PS_OK);
  await writeFile(join(dir, 'vars.yml'), VARS);
  await writeFile(join(dir, 'args.log'), '');
  await stub('homeserver', 'systemctl', `printf '%s\\n' "$TZ $*" >> ${dir}/args.log; cat ${dir}/show.txt`);
  await stub(
    'homeserver',
    'docker',
    `if [[ -f ${dir}/docker-down ]]; then echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2; exit 1; fi; cat ${dir}/ps.txt`,
  );
  await stub('homeserver', 'df', `printf '%s\\n' "df $*" >> ${dir}/args.log; printf '%s' '${DF}'`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A RemoteExec that runs the command in a local bash with the host's stand-ins first on PATH. */
class LocalExec implements RemoteExec {
  calls: { host: HostRole; command: string; options: ExecOptions | undefined }[] = [];
  refuse = new Set<HostRole>();

  exec(host: HostRole, command: string, options?: ExecOptions): Promise<ExecResult> {
    this.calls.push({ host, command, options });
    if (this.refuse.has(host)) {
      return Promise.reject(new ConnectFailed(host, '127.0.0.9:22', 'connect ECONNREFUSED 127.0.0.9:22'));
    }
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['--noprofile', '--norc', '-c', command], {
        env: { PATH: `${join(dir, host, 'bin')}:/usr/bin:/bin` },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      child.on('error', reject);
      child.on('close', (code, signal) =>
        resolve({ exitCode: code, signal, stdout, stderr, durationMs: Date.now() - started }),
      );
    });
  }
}

/** Canned HTTPS answers by URL, as a keep-alive getter would return them. */
class CannedHttp implements HttpGetter {
  urls: string[] = [];
  answers = new Map<string, HttpOutcome>();
  get(url: string): Promise<HttpOutcome> {
    this.urls.push(url);
    return Promise.resolve(
      this.answers.get(url) ?? { ok: false, url, code: 'ECONNREFUSED', message: 'refused', durationMs: 1 },
    );
  }
  close(): void {}
}

function profileInput(extra: Partial<ProfileInput> = {}): ProfileInput {
  return {
    name: 'lab',
    serverName: 'lab.test',
    publicUrl: 'https://matrix.lab.test',
    hosts: {
      homeserver: { address: '127.0.0.2', user: 'admin', sudo: true },
      deploy: { address: '127.0.0.3', user: 'root' },
    },
    units: ['matrix-tuwunel', 'matrix-traefik', 'matrix-livekit-jwt-service'],
    deploy: { dir, varsFile: 'vars.yml' },
    ...extra,
  };
}

function cannedHttp(): CannedHttp {
  const http = new CannedHttp();
  const validTo = new Date(Date.now() + 90 * 86_400_000).toISOString();
  const ok = (url: string, body: unknown): HttpOutcome => ({
    ok: true,
    url,
    status: 200,
    headers: {},
    body: JSON.stringify(body),
    cert: { subject: 'matrix.lab.test', issuer: 'Lab CA', validTo },
    durationMs: 2,
  });
  const add = (url: string, body: unknown) => http.answers.set(url, ok(url, body));
  add('https://lab.test/.well-known/matrix/server', { 'm.server': 'matrix.lab.test:443' });
  add('https://lab.test/.well-known/matrix/client', {
    'm.homeserver': { base_url: 'https://matrix.lab.test' },
    'org.matrix.msc4143.rtc_foci': [
      { type: 'livekit', livekit_service_url: 'https://matrix.lab.test/livekit-jwt-service' },
    ],
  });
  add('https://matrix.lab.test/livekit-jwt-service/healthz', {});
  add('https://matrix.lab.test/_matrix/client/versions', { versions: ['v1.11'] });
  add('https://matrix.lab.test/_matrix/federation/v1/version', {
    server: { name: 'Tuwunel', version: '1.7.0' },
  });
  return http;
}

describe('StatusService.refresh', () => {
  it('runs ONE exec per host and turns the outputs into all-green results', async () => {
    const remote = new LocalExec();
    const http = cannedHttp();
    const profile = profileSchema.parse(
      profileInput({
        checks: { backup: { host: 'deploy', command: 'echo listing; date -u +%s', maxAgeHours: 26 } },
      }),
    );
    const service = new StatusService({ profile, remote, http });
    const outcome = await service.refresh();

    expect(remote.calls.map((c) => c.host).sort()).toEqual(['deploy', 'homeserver']);
    for (const c of remote.calls) {
      expect(c.command).toMatch(/^bash --noprofile --norc -c '/);
      expect(c.options?.sudo).toBe(c.host === 'homeserver');
      expect(c.options?.timeoutMs).toBeGreaterThan(10_000);
    }
    const bad = outcome.results.filter((r) => r.level !== 'ok');
    expect(bad).toEqual([]);
    const ids = outcome.results.map((r) => `${r.host} ${r.id}`);
    expect(ids).toEqual(
      expect.arrayContaining([
        'homeserver ssh:homeserver',
        'homeserver unit:matrix-tuwunel',
        'homeserver container:matrix-livekit-jwt-service',
        'homeserver image:tuwunel',
        'homeserver disk:tuwunel-data',
        'deploy ssh:deploy',
        'deploy config:vars-file',
        'deploy config:allowlist-own-server',
        'deploy backup:age',
        'public http:well-known-server',
        'public http:well-known-client',
        'public http:matrixrtc',
        'public http:client-versions',
        'public http:federation-version',
        'public tls:public',
        'public tls:apex',
      ]),
    );
    const unit = outcome.results.find((r) => r.id === 'unit:matrix-tuwunel')!;
    expect(unit.since).toBe('2026-05-21T16:37:49.000Z');
    expect(outcome.hosts.homeserver?.ok).toBe(true);
    expect(http.urls).toHaveLength(5);
    // What the history keeps: how long the host script and each answering endpoint took, the disk's bytes.
    const metrics = (id: string) => outcome.results.find((r) => r.id === id)?.metrics;
    expect(metrics('ssh:homeserver')?.responseMs).toBe(outcome.hosts.homeserver?.durationMs);
    for (const id of ['http:well-known-server', 'http:client-versions', 'http:federation-version'])
      expect(metrics(id)?.responseMs, id).toBeGreaterThanOrEqual(0);
    expect(metrics('disk:tuwunel-data')?.diskAvailableBytes).toBeGreaterThan(0);
    expect(metrics('unit:matrix-tuwunel')).toBeUndefined();
  });

  it('passes profile values to the tools as they are, systemctl in UTC', async () => {
    const remote = new LocalExec();
    const profile = profileSchema.parse(profileInput({ homeserver: { dataDir: 'tuwunel/~data,@+=:%' } }));
    await writeFile(join(dir, 'args.log'), '');
    const service = new StatusService({ profile, remote, http: cannedHttp() });
    await service.refresh();
    const log = await readFile(join(dir, 'args.log'), 'utf8');
    expect(log).toContain(
      'UTC show -p Id,LoadState,ActiveState,SubState,StateChangeTimestamp matrix-tuwunel matrix-traefik matrix-livekit-jwt-service\n',
    );
    expect(log).toContain('df -P -- tuwunel/~data,@+=:%\n');
  });

  it('shows an unreachable host as one failing SSH check and its probes as unknown, the rest unaffected', async () => {
    const remote = new LocalExec();
    remote.refuse.add('homeserver');
    const service = new StatusService({
      profile: profileSchema.parse(profileInput()),
      remote,
      http: cannedHttp(),
    });
    const outcome = await service.refresh();
    const ssh = outcome.results.find((r) => r.id === 'ssh:homeserver')!;
    expect(ssh.level).toBe('fail');
    expect(ssh.detail).toBe(
      'Could not reach the homeserver host at 127.0.0.9:22: connect ECONNREFUSED 127.0.0.9:22; check that the machine is up and the address and port in the profile are right.',
    );
    const homeserver = outcome.results.filter((r) => r.host === 'homeserver' && r.id !== 'ssh:homeserver');
    expect(homeserver.length).toBeGreaterThan(5);
    expect(new Set(homeserver.map((r) => r.level))).toEqual(new Set(['unknown']));
    expect(outcome.hosts.homeserver).toMatchObject({ ok: false, error: { code: 'ConnectFailed' } });
    expect(outcome.results.find((r) => r.id === 'config:vars-file')!.level).toBe('ok');
    expect(outcome.results.find((r) => r.id === 'http:client-versions')!.level).toBe('ok');
  });

  it('fails the host once when the script itself cannot start there', async () => {
    const remote: RemoteExec = {
      exec: async () => ({
        exitCode: 127,
        signal: null,
        stdout: '',
        stderr: 'sh: 1: bash: not found\n',
        durationMs: 3,
      }),
    };
    const service = new StatusService({
      profile: profileSchema.parse(profileInput()),
      remote,
      http: cannedHttp(),
    });
    const outcome = await service.refresh();
    expect(outcome.results.find((r) => r.id === 'ssh:homeserver')).toMatchObject({
      level: 'fail',
      detail:
        'The status script could not run on the homeserver host (sh: 1: bash: not found); it needs bash and coreutils there; check that both are installed.',
    });
    expect(outcome.hosts.homeserver).toMatchObject({ ok: false, error: { code: 'RemoteFailed' } });
    expect(outcome.results.find((r) => r.id === 'unit:matrix-tuwunel')!.level).toBe('unknown');
  });

  it('turns a failing probe command into unknown with its reason, not a crash', async () => {
    await writeFile(join(dir, 'docker-down'), '');
    try {
      const remote = new LocalExec();
      const service = new StatusService({
        profile: profileSchema.parse(profileInput()),
        remote,
        http: cannedHttp(),
      });
      const outcome = await service.refresh();
      const container = outcome.results.find((r) => r.id === 'container:matrix-tuwunel')!;
      expect(container.level).toBe('unknown');
      expect(container.detail).toBe(
        'The homeserver host could not run docker ps: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running? (exit code 1); run it there by hand to see why.',
      );
      expect(outcome.results.find((r) => r.id === 'image:tuwunel')!.level).toBe('unknown');
      expect(outcome.results.find((r) => r.id === 'unit:matrix-tuwunel')!.level).toBe('ok');
      expect(outcome.results.find((r) => r.id === 'disk:tuwunel-data')!.level).toBe('ok');
    } finally {
      await rm(join(dir, 'docker-down'));
    }
  });

  it('polls only the hosts asked for and contacts a host with nothing to check never', async () => {
    const remote = new LocalExec();
    const onlyHomeserver = profileSchema.parse(
      profileInput({ deploy: { host: 'homeserver', dir, varsFile: 'vars.yml' } }),
    );
    const service = new StatusService({ profile: onlyHomeserver, remote, http: cannedHttp() });
    expect(service.polledHosts).toEqual(['homeserver']);
    const outcome = await service.refresh();
    expect(remote.calls.map((c) => c.host)).toEqual(['homeserver']);
    expect(outcome.results.find((r) => r.id === 'config:vars-file')).toMatchObject({
      host: 'homeserver',
      level: 'ok',
    });

    const both = new StatusService({
      profile: profileSchema.parse(profileInput()),
      remote: new LocalExec(),
      http: cannedHttp(),
    });
    const skipped = await both.refresh({ hosts: ['deploy'] });
    expect(Object.keys(skipped.hosts)).toEqual(['deploy']);
    expect(skipped.results.some((r) => r.host === 'homeserver')).toBe(false);
    expect(skipped.results.some((r) => r.host === 'public')).toBe(true);
  });
});

/**
 * One malformed value from a server once made the whole refresh throw: every SSH result was discarded
 * and `status` printed "Overall: OK". Each case here is a value a server or host hands back.
 */
describe('StatusService with hostile answers: every check fails alone', () => {
  const SHOW_TUWUNEL_FAILED = SHOW_OK.replace(
    'Id=matrix-tuwunel.service\nLoadState=loaded\nActiveState=active\nSubState=running',
    'Id=matrix-tuwunel.service\nLoadState=loaded\nActiveState=failed\nSubState=failed',
  );
  const wellKnown = 'https://lab.test/.well-known/matrix/client';

  /** Rejects what it cannot fetch, as Node's request() throws on a URL it cannot parse. */
  class StrictHttp extends CannedHttp {
    override get(url: string): Promise<HttpOutcome> {
      if (!URL.canParse(url)) return Promise.reject(new TypeError(`Invalid URL: ${url}`));
      return super.get(url);
    }
  }

  function withFoci(http: CannedHttp, foci: unknown[]): void {
    http.answers.set(wellKnown, {
      ok: true,
      url: wellKnown,
      status: 200,
      headers: {},
      body: JSON.stringify({
        'm.homeserver': { base_url: 'https://matrix.lab.test' },
        'org.matrix.msc4143.rtc_foci': foci,
      }),
      durationMs: 2,
    });
  }

  function strictHttp(): StrictHttp {
    const http = new StrictHttp();
    for (const [url, answer] of cannedHttp().answers) http.answers.set(url, answer);
    return http;
  }

  it('a MatrixRTC focus that is no https URL fails MatrixRTC with a sentence; the failed unit still shows', async () => {
    await writeFile(join(dir, 'show.txt'), SHOW_TUWUNEL_FAILED);
    try {
      const http = strictHttp();
      withFoci(http, [
        { type: 'livekit', livekit_service_url: 'not a url' },
        { type: 'livekit', livekit_service_url: 'http://plain.lab.test/livekit-jwt-service' },
        { type: 'livekit', livekit_service_url: { toString: 1 } },
      ]);
      const service = new StatusService({
        profile: profileSchema.parse(profileInput()),
        remote: new LocalExec(),
        http,
      });
      for (let poll = 0; poll < 2; poll++) {
        const outcome = await service.refresh();
        const level = (id: string) => outcome.results.find((r) => r.id === id)?.level;
        expect(outcome.results.find((r) => r.id === 'http:matrixrtc')).toMatchObject({
          level: 'fail',
          detail:
            'The client well-known names the MatrixRTC foci "not a url", "http://plain.lab.test/livekit-jwt-service", "an object", which are not absolute https URLs, so Element Call cannot reach LiveKit; correct livekit_service_url in org.matrix.msc4143.rtc_foci.',
        });
        expect(level('unit:matrix-tuwunel')).toBe('fail');
        expect(level('ssh:homeserver')).toBe('ok');
        expect(level('http:well-known-client')).toBe('ok');
        expect(level('http:client-versions')).toBe('ok');
      }
      expect(http.urls.filter((u) => !u.startsWith('https://'))).toEqual([]);
    } finally {
      await writeFile(join(dir, 'show.txt'), SHOW_OK);
    }
  });

  it('probes at most 4 of 3,000 advertised foci a poll, and says it did not probe the rest', async () => {
    const http = strictHttp();
    const foci = Array.from({ length: 3000 }, (_, i) => ({
      type: 'livekit',
      livekit_service_url: `https://rtc${i}.lab.test/livekit-jwt-service`,
    }));
    withFoci(http, foci);
    for (let i = 0; i < 4; i++)
      http.answers.set(`https://rtc${i}.lab.test/livekit-jwt-service/healthz`, {
        ok: true,
        url: '',
        status: 200,
        headers: {},
        body: '',
        durationMs: 1,
      });
    const service = new StatusService({
      profile: profileSchema.parse(profileInput()),
      remote: new LocalExec(),
      http,
    });
    for (let poll = 1; poll <= 2; poll++) {
      const outcome = await service.refresh();
      expect(http.urls.filter((u) => u.endsWith('/healthz'))).toHaveLength(4 * poll);
      expect(outcome.results.find((r) => r.id === 'http:matrixrtc')).toMatchObject({
        level: 'warn',
        detail: expect.stringMatching(
          /^The LiveKit JWT service https:\/\/rtc0\.lab\.test\/livekit-jwt-service, .* answers; the client well-known lists 2996 more foci, which the app did not probe \(it probes at most 4\); list only the foci you run\.$/,
        ),
      });
    }
    expect(http.urls).toHaveLength(2 * (4 + 4));
  });

  it('a getter that rejects or a document whose values throw when read fails only the check it served', async () => {
    const http = strictHttp();
    const versions = 'https://matrix.lab.test/_matrix/client/versions';
    http.answers.set(versions, {
      ok: true,
      url: versions,
      status: 200,
      headers: {},
      body: '{"versions":[{"toString":1}]}',
      durationMs: 1,
    });
    const federation = 'https://matrix.lab.test/_matrix/federation/v1/version';
    const rejecting = Object.assign(http, {
      get: (url: string) =>
        url === federation
          ? Promise.reject(new Error('socket hang up'))
          : StrictHttp.prototype.get.call(http, url),
    });
    const service = new StatusService({
      profile: profileSchema.parse(profileInput()),
      remote: new LocalExec(),
      http: rejecting,
    });
    const outcome = await service.refresh();
    const find = (id: string) => outcome.results.find((r) => r.id === id);
    expect(find('http:client-versions')).toMatchObject({
      level: 'ok',
      detail: expect.stringMatching(/^The client API answers \(spec an object\)/),
    });
    expect(find('http:federation-version')).toMatchObject({
      level: 'fail',
      detail: `GET ${federation} failed (EUNKNOWN: Something unexpected went wrong: socket hang up); check the reverse proxy and the network.`,
    });
    expect(find('tls:public')?.level).toBe('unknown');
    expect(find('http:well-known-server')?.level).toBe('ok');
    expect(find('unit:matrix-tuwunel')?.level).toBe('ok');
  });

  it('output a parser cannot read fails that probe’s checks, not the SSH check of its host', async () => {
    // A billion laughs: each alias level repeats the one before ten times.
    const levels = 'abcdefghijklm';
    const bomb = [...levels]
      .map(
        (l, i) =>
          `${l}: &${l} [${Array(10)
            .fill(i === 0 ? 'x' : `*${levels[i - 1]}`)
            .join(', ')}]`,
      )
      .join('\n');
    await writeFile(join(dir, 'vars.yml'), `${VARS}${bomb}\n`);
    try {
      const service = new StatusService({
        profile: profileSchema.parse(profileInput()),
        remote: new LocalExec(),
        http: cannedHttp(),
      });
      const outcome = await service.refresh();
      const find = (id: string) => outcome.results.find((r) => r.id === id);
      expect(find('ssh:deploy')?.level).toBe('ok');
      expect(find('config:vars-file')).toMatchObject({
        level: 'fail',
        // Named as what it is, a vars.yml problem: not the SSH check's, not "could not read".
        detail: expect.stringMatching(
          /^\/.*\/vars\.yml expands YAML aliases more than 100 times \(an "alias bomb" that makes YAML parsers run out of memory\); remove the repeated aliases/,
        ),
      });
      expect(find('unit:matrix-tuwunel')?.level).toBe('ok');
    } finally {
      await writeFile(join(dir, 'vars.yml'), VARS);
    }
  });
});
