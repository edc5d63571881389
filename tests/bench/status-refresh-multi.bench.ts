import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Client } from 'ssh2';
import { type Core, createCore } from '../../src-main/app/session';
import { loadProfile } from '../../src-main/core/profile/load';
import { apexUrlOf, type HostRole, type Profile } from '../../src-main/core/profile/schema';
import type { SecretStore } from '../../src-main/core/secrets/types';
import { shellQuote } from '../../src-main/core/ssh/quote';
import { planHosts } from '../../src-main/core/status/probes';
import { buildHostScript, newMarker } from '../../src-main/core/status/remote-script';
import type { Measure } from './run';

/**
 * status-refresh-multi: what watching several homeservers costs the workstation. For 1, 3 and 10 servers,
 * each a profile with its own core as openApp builds one per profile (its own SSH connections, HTTPS agent,
 * scheduler and shared state), all polled at once as their schedulers would: the CPU time of this process
 * per poll per server. Beside it, measured in the same run, the floor: per server the same per-host scripts
 * as bare ssh2 execs on warm connections of its own and the same GETs on a keep-alive agent of its own.
 * The lab runs in a child process (`npm run lab`), so its sshd, stand-ins and HTTPS server are not
 * counted; the servers are profiles of one lab (different names and uids, separate connections), since
 * the remote side is not what is measured. `linear` is the per-server cost over the one-server cost: near
 * 1 when costs grow linearly with servers.
 */

const COUNTS = [1, 3, 10];
const ROUNDS = 10;
const WARMUP = 2;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** CPU milliseconds (user + system) this process spends on `work`. */
async function cpuMs(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** The lab in a process of its own, until stop(). */
async function startLabProcess(dir: string): Promise<{ profilePath: string; child: ChildProcess }> {
  const child = spawn(
    join('node_modules', '.bin', 'tsx'),
    ['tests/lab/cli.ts', '--dir', dir, '--no-keyring'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  const profilePath = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const ready = /^LAB READY (.+)$/m.exec(out);
      if (ready) resolve(ready[1] as string);
    });
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('exit', (code) => reject(new Error(`the lab exited (${code}) before it was ready: ${err}`)));
  });
  return { profilePath, child };
}

function stopLabProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The lab's sudo password (tests/lab/lab.ts default) from memory, as keytar would hand it over. */
const SUDO_PASSWORD = 'lab-sudo-password';
const labSecrets: SecretStore = {
  get: async (ref) => (ref.kind === 'sudo-password' ? Buffer.from(SUDO_PASSWORD) : null),
  has: async (ref) => ref.kind === 'sudo-password',
  set: async () => {},
  delete: async () => false,
};

/** A bare ssh2 connection checking the key the lab's known_hosts holds for the host. */
function connect(profile: Profile, role: HostRole): Promise<Client> {
  const host = profile.hosts[role];
  const known = readFileSync(profile.knownHostsFile as string, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`[${host.address}]:${host.port} `))
    ?.split(' ')[2];
  return new Promise((resolve, reject) => {
    const sock = netConnect(host.port, host.address);
    sock.setNoDelay(true);
    const client = new Client();
    client
      .on('ready', () => resolve(client))
      .on('error', reject)
      .connect({
        sock,
        username: host.user,
        privateKey: readFileSync(host.identityFile as string),
        hostVerifier: (key: Buffer) => key.toString('base64') === known,
      });
  });
}

function bareExec(client: Client, command: string, stdin?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      stream.on('data', () => {});
      stream.stderr.on('data', () => {});
      stream.on('close', () => resolve());
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

/** One server's floor: its own warm connections and agent, the same scripts and GETs as a poll. */
async function floorServer(profile: Profile) {
  const clients = {
    homeserver: await connect(profile, 'homeserver'),
    deploy: await connect(profile, 'deploy'),
  };
  const agent = new Agent({
    keepAlive: true,
    ca: [...rootCertificates, readFileSync(profile.caFile as string, 'utf8')],
  });
  const apex = apexUrlOf(profile);
  const urls = [
    `${apex}/.well-known/matrix/server`,
    `${apex}/.well-known/matrix/client`,
    `${profile.publicUrl}/livekit-jwt-service/healthz`,
    `${profile.publicUrl}/_matrix/client/versions`,
    `${profile.publicUrl}/_matrix/federation/v1/version`,
  ];
  const plans = planHosts(profile);
  return {
    once: () =>
      Promise.all([
        ...plans.map((plan) => {
          const script = `bash --noprofile --norc -c ${shellQuote(
            buildHostScript(
              plan.probes.map((p) => p.section),
              newMarker(),
            ),
          )}`;
          return profile.hosts[plan.host].sudo
            ? bareExec(clients[plan.host], `sudo -S -p '' ${script}`, `${SUDO_PASSWORD}\n`)
            : bareExec(clients[plan.host], script);
        }),
        ...urls.map((u) => bareGet(agent, u)),
      ]),
    close: () => {
      clients.homeserver.end();
      clients.deploy.end();
      agent.destroy();
    },
  };
}

export default async function statusRefreshMulti(): Promise<Measure[]> {
  const labDir = mkdtempSync(join(tmpdir(), 'bench-multi-lab-'));
  const scratch = mkdtempSync(join(tmpdir(), 'bench-multi-'));
  const { profilePath, child } = await startLabProcess(labDir);
  const measures: Measure[] = [];
  try {
    const base = await loadProfile(profilePath);
    let oneServerMs = 0;
    for (const count of COUNTS) {
      const profiles = Array.from({ length: count }, (_, i) => ({
        ...base,
        name: `Lab ${i + 1}`,
        uid: randomUUID(),
      }));
      const cores: Core[] = [];
      const floors: Awaited<ReturnType<typeof floorServer>>[] = [];
      try {
        for (const profile of profiles)
          cores.push(
            await createCore({
              profile,
              dataDir: scratch,
              secrets: labSecrets,
              pool: { agentSocket: undefined },
            }),
          );
        for (const profile of profiles) floors.push(await floorServer(profile));
        const pollAll = () => Promise.all(cores.map((c) => c.scheduler.refreshNow()));
        const floorAll = () => Promise.all(floors.map((f) => f.once()));
        for (let i = 0; i < WARMUP; i++) {
          await pollAll();
          await floorAll();
        }
        const ours: number[] = [];
        const floor: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          ours.push((await cpuMs(pollAll)) / count);
          floor.push((await cpuMs(floorAll)) / count);
        }
        const o = median(ours);
        const f = median(floor);
        if (count === 1) oneServerMs = o;
        const round1 = (x: number) => Math.round(x * 10) / 10;
        measures.push({
          name: 'status-refresh-multi',
          servers: count,
          ours_cpu_ms_per_server: round1(o),
          floor_cpu_ms_per_server: round1(f),
          ratio_vs_floor: Math.round((o / f) * 100) / 100,
          linear: Math.round((o / oneServerMs) * 100) / 100,
        });
      } finally {
        for (const f of floors) f.close();
        await Promise.all(cores.map((c) => c.close()));
      }
    }
    return measures;
  } finally {
    await stopLabProcess(child);
    rmSync(scratch, { recursive: true, force: true });
    rmSync(labDir, { recursive: true, force: true });
  }
}
