import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Client } from 'ssh2';
import { type Core, createCore } from '../../src-main/app/session';
import { apexUrlOf, type HostRole, profileSchema } from '../../src-main/core/profile/schema';
import type { SecretStore } from '../../src-main/core/secrets/types';
import { shellQuote } from '../../src-main/core/ssh/quote';
import { planHosts } from '../../src-main/core/status/probes';
import { buildHostScript, newMarker } from '../../src-main/core/status/remote-script';
import { startLab } from '../lab/lab';
import type { Lab } from '../lab/types';
import type { Measure } from './run';

/**
 * status-refresh: a full warm refresh through the app's core as createCore builds it (the scheduler's
 * refreshNow: both hosts + HTTP checks, parsed into badges, alert policy applied) against the runbook's way (a fresh OpenSSH `ssh` per remote command, `curl` per HTTP check,
 * one after the other) and against the floor (the same per-host scripts as bare ssh2 execs on warm
 * connections plus the same GETs on a warm keep-alive agent, all in parallel).
 */

// 15 rounds (5 of them by hand): the medians vary by a few ms on a 2-core machine with fewer.
const ROUNDS = 15;
const WARMUP = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 8 * 1024 * 1024 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`${file} failed: ${stderr || error.message}`)) : resolve(),
    );
  });
}

function connect(lab: Lab, role: HostRole): Promise<Client> {
  const host = lab.hosts[role];
  return new Promise((resolve, reject) => {
    // Nagle + delayed ACKs add ~40 ms to every small exec; the pool turns them off too.
    const sock = netConnect(host.port, host.address);
    sock.setNoDelay(true);
    const client = new Client();
    client
      .on('ready', () => resolve(client))
      .on('error', reject)
      .connect({
        sock,
        username: 'root',
        privateKey: readFileSync(lab.clientKeyPath),
        hostVerifier: (key: Buffer) =>
          `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}` ===
          host.fingerprint,
      });
  });
}

function bareExec(client: Client, command: string, stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let out = '';
      stream.on('data', (c: Buffer) => {
        out += c.toString();
      });
      stream.stderr.on('data', () => {});
      stream.on('close', () => resolve(out));
      stream.end(stdin ?? '');
    });
  });
}

function bareGet(agent: Agent, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve());
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** The keychain is not what is measured: the sudo password from memory, as keytar would hand it over. */
function labSecrets(lab: Lab): SecretStore {
  return {
    get: async (ref) => (ref.kind === 'sudo-password' ? Buffer.from(lab.secrets.sudoPassword) : null),
    has: async (ref) => ref.kind === 'sudo-password',
    set: async () => {},
    delete: async () => false,
  };
}

export default async function statusRefresh(): Promise<Measure[]> {
  const lab = await startLab({ keyring: false });
  const scratch = mkdtempSync(join(tmpdir(), 'bench-status-'));
  const clients: Client[] = [];
  let core: Core | undefined;
  try {
    // A profile as the store gives it: with a uid of its own (labSecrets answers for any).
    const profile = { ...profileSchema.parse(lab.profile), uid: randomUUID() };
    core = await createCore({
      profile,
      dataDir: scratch,
      secrets: labSecrets(lab),
      pool: { agentSocket: undefined },
    });
    const scheduler = core.scheduler;
    const plans = planHosts(profile);
    const apex = apexUrlOf(profile);
    const urls = [
      `${apex}/.well-known/matrix/server`,
      `${apex}/.well-known/matrix/client`,
      `${profile.publicUrl}/livekit-jwt-service/healthz`,
      `${profile.publicUrl}/_matrix/client/versions`,
      `${profile.publicUrl}/_matrix/federation/v1/version`,
    ];

    // Ours: the whole core path, warm.
    for (let i = 0; i < WARMUP; i++) await scheduler.refreshNow();
    const oursMs: number[] = [];
    // Floor: bare ssh2 on warm connections, the same scripts, in parallel with bare keep-alive GETs.
    const bare = { homeserver: await connect(lab, 'homeserver'), deploy: await connect(lab, 'deploy') };
    clients.push(bare.homeserver, bare.deploy);
    const agent = new Agent({
      keepAlive: true,
      ca: [...rootCertificates, readFileSync(lab.caCertPath, 'utf8')],
    });
    const floorOnce = () =>
      Promise.all([
        ...plans.map((plan) => {
          const script = `bash --noprofile --norc -c ${shellQuote(
            buildHostScript(
              plan.probes.map((p) => p.section),
              newMarker(),
            ),
          )}`;
          return profile.hosts[plan.host].sudo
            ? bareExec(bare[plan.host], `sudo -S -p '' ${script}`, `${lab.secrets.sudoPassword}\n`)
            : bareExec(bare[plan.host], script);
        }),
        ...urls.map((u) => bareGet(agent, u)),
      ]);
    for (let i = 0; i < WARMUP; i++) await floorOnce();
    const floorMs: number[] = [];
    // By hand: the runbook's way, one fresh ssh per remote command and one curl per URL, in sequence.
    const sshArgs = (role: HostRole) => [
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      `UserKnownHostsFile=${lab.knownHostsPath}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'LogLevel=ERROR',
      '-i',
      lab.clientKeyPath,
      '-p',
      String(lab.hosts[role].port),
      `root@${lab.hosts[role].address}`,
    ];
    const byHandOnce = async () => {
      for (const plan of plans) {
        for (const probe of plan.probes) await run('ssh', [...sshArgs(plan.host), probe.section.command]);
      }
      for (const u of urls) await run('curl', ['-sS', '-o', '/dev/null', '--cacert', lab.caCertPath, u]);
    };
    await byHandOnce();
    const byHandMs: number[] = [];
    const trueMs: number[] = [];

    const logLength = (h: HostRole) => lab.hosts[h].execLog().length;
    const execs = { homeserver: 0, deploy: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const before = { homeserver: logLength('homeserver'), deploy: logLength('deploy') };
      oursMs.push(await timed(() => scheduler.refreshNow()));
      for (const h of ['homeserver', 'deploy'] as const) execs[h] += logLength(h) - before[h];
      floorMs.push(await timed(floorOnce));
      trueMs.push(await timed(() => bareExec(bare.homeserver, 'true')));
      if (round % 3 === 0) byHandMs.push(await timed(byHandOnce));
    }
    agent.destroy();

    const o = median(oursMs);
    const b = median(byHandMs);
    const f = median(floorMs);
    const round1 = (x: number) => Math.round(x * 10) / 10;
    return [
      {
        name: 'status-refresh',
        ours_ms: round1(o),
        by_hand_ms: round1(b),
        floor_ms: round1(f),
        exec_true_ms: round1(median(trueMs)),
        ratio_vs_by_hand: round1(b / o),
        ratio_vs_floor: Math.round((o / f) * 100) / 100,
        execs_per_host: Math.max(execs.homeserver, execs.deploy) / ROUNDS,
      },
    ];
  } finally {
    for (const c of clients) c.end();
    await core?.close();
    await lab.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
