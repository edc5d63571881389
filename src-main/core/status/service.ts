import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describeError, type ErrorInfo, InvalidInput } from '../errors';
import { expandHome } from '../profile/load';
import type { HostRole, Profile } from '../profile/schema';
import { shellQuote } from '../ssh/quote';
import type { RemoteExec } from '../ssh/types';
import { createHttpsGetter, type HttpGetter } from './https-client';
import { type HostPlan, interpretHost, planHosts } from './probes';
import { publicFindings, type RtcGuess } from './public-checks';
import { buildHostScript, newMarker, splitHostOutput } from './remote-script';
import { clip, oneSentence } from './text';
import type { CheckHost, CheckResult, Finding } from './types';

/** A result as one poll measured it; `since` is set only when the source itself knows it (see aggregate.ts). */
export type FreshResult = Omit<CheckResult, 'since'> & { since?: string };

export interface HostOutcome {
  ok: boolean;
  /** The typed error as the UI shows it, when the host could not be polled at all. */
  error?: ErrorInfo;
  durationMs: number;
}

export interface RefreshOutcome {
  startedAt: string;
  durationMs: number;
  results: FreshResult[];
  /** Hosts polled in this refresh (skipped hosts are absent). */
  hosts: Partial<Record<HostRole, HostOutcome>>;
}

export interface RefreshOptions {
  /** Poll only these SSH hosts (the scheduler skips hosts in backoff); the public checks always run. */
  hosts?: HostRole[];
  signal?: AbortSignal;
}

/** What the scheduler needs from a status source; StatusService is the real one. */
export interface StatusSource {
  refresh(options?: RefreshOptions): Promise<RefreshOutcome>;
}

export interface StatusServiceOptions {
  profile: Profile;
  remote: RemoteExec;
  /** Defaults to a keep-alive HTTPS getter trusting the profile's caFile besides the system roots (closed by close()). */
  http?: HttpGetter;
  now?: () => number;
  randomBytes?: (n: number) => Buffer;
}

function caOption(caFile: string | undefined): { ca?: string } {
  if (!caFile) return {};
  try {
    return { ca: readFileSync(expandHome(caFile), 'utf8') };
  } catch (e) {
    throw new InvalidInput('caFile', `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

const HOST_TITLES: Record<HostRole, string> = {
  homeserver: 'SSH to the homeserver',
  deploy: 'SSH to the deploy host',
};

/**
 * One full status refresh: each host's probes as ONE script over ONE exec, both hosts and the public
 * HTTP checks in parallel, parsed into check results.
 */
export class StatusService implements StatusSource {
  private readonly profile: Profile;
  private readonly remote: RemoteExec;
  private readonly now: () => number;
  private readonly random: (n: number) => Buffer;
  private readonly plans: HostPlan[];
  private readonly http: HttpGetter;
  private readonly ownsHttp: boolean;
  private readonly rtcGuess: RtcGuess = { urls: [] };

  constructor(options: StatusServiceOptions) {
    this.profile = options.profile;
    this.remote = options.remote;
    this.now = options.now ?? Date.now;
    this.random = options.randomBytes ?? randomBytes;
    this.plans = planHosts(options.profile);
    this.ownsHttp = !options.http;
    this.http = options.http ?? createHttpsGetter({ ...caOption(options.profile.caFile), timeoutMs: 5000 });
  }

  /** The hosts this profile polls over SSH (a host with nothing to check is never contacted). */
  get polledHosts(): HostRole[] {
    return this.plans.map((p) => p.host);
  }

  async refresh(options: RefreshOptions = {}): Promise<RefreshOutcome> {
    const started = this.now();
    const http = this.http;
    const plans = this.plans.filter((p) => !options.hosts || options.hosts.includes(p.host));
    const polling = Promise.all(plans.map((plan) => this.pollHost(plan, options.signal)));
    // Handled below; until then an abort must not count as an unhandled rejection.
    polling.catch(() => {});
    // The host scripts take longest: their commands go out first (a turn of the event loop) and the
    // HTTPS requests after, instead of the other way round.
    await new Promise((resolve) => setImmediate(resolve));
    const [hostParts, publicPart] = await Promise.all([
      polling,
      publicFindings(this.profile, http, started, options.signal, this.rtcGuess),
    ]);
    const checkedAt = new Date(this.now()).toISOString();
    const stamp = (host: CheckHost, f: Finding): FreshResult => ({
      id: f.id,
      host,
      group: f.group,
      title: f.title,
      level: f.level,
      detail: f.detail,
      units: f.units,
      checkedAt,
      ...(f.sinceMs === undefined ? {} : { since: new Date(f.sinceMs).toISOString() }),
      ...(f.metrics ? { metrics: f.metrics } : {}),
    });
    const hosts: Partial<Record<HostRole, HostOutcome>> = {};
    const results: FreshResult[] = [];
    for (const part of hostParts) {
      hosts[part.host] = part.outcome;
      results.push(...part.findings.map((f) => stamp(part.host, f)));
    }
    results.push(...publicPart.map((f) => stamp('public', f)));
    return { startedAt: new Date(started).toISOString(), durationMs: this.now() - started, results, hosts };
  }

  close(): void {
    if (this.ownsHttp) this.http.close();
  }

  private async pollHost(
    plan: HostPlan,
    signal: AbortSignal | undefined,
  ): Promise<{ host: HostRole; outcome: HostOutcome; findings: Finding[] }> {
    const marker = newMarker(this.random);
    const sections = plan.probes.map((p) => p.section);
    const script = buildHostScript(sections, marker);
    // Sections run concurrently, each under its own timeout (plus the watchdog's 2 s kill grace).
    const timeoutMs = (Math.max(...sections.map((s) => s.timeoutSeconds)) + 2 + 10) * 1000;
    const sshBase = { id: `ssh:${plan.host}`, group: 'ssh', title: HOST_TITLES[plan.host], units: [] };
    const started = this.now();
    try {
      const res = await this.remote.exec(plan.host, `bash --noprofile --norc -c ${shellQuote(script)}`, {
        timeoutMs,
        label: 'Status checks',
        sudo: this.profile.hosts[plan.host].sudo,
        ...(signal ? { signal } : {}),
      });
      const durationMs = this.now() - started;
      const split = splitHostOutput(
        res.stdout,
        marker,
        sections.map((s) => s.id),
      );
      const findings = interpretHost(plan, split, this.now());
      if (res.exitCode !== 0 && [...split.values()].every((o) => !o.ran)) {
        // The script itself could not start (no bash, a broken sudo rule): one host-level failure says it.
        const why =
          clip(res.stderr.trim().split('\n').pop()?.trim() ?? '') ||
          `exit code ${res.exitCode ?? res.signal}`;
        const error = {
          code: 'RemoteFailed',
          message: `The status script could not run on the ${plan.host} host (${why}).`,
          nextStep: 'It needs bash and coreutils there; check that both are installed.',
        };
        return {
          host: plan.host,
          outcome: { ok: false, durationMs, error },
          findings: [
            { ...sshBase, level: 'fail', detail: oneSentence(error.message, error.nextStep) },
            ...findings,
          ],
        };
      }
      return {
        host: plan.host,
        outcome: { ok: true, durationMs },
        findings: [
          {
            ...sshBase,
            level: 'ok',
            detail: `Connected and ran ${sections.length} ${sections.length === 1 ? 'probe' : 'probes'} in one command (${durationMs} ms).`,
            metrics: { responseMs: durationMs },
          },
          ...findings,
        ],
      };
    } catch (e) {
      if (signal?.aborted) throw e;
      const error = describeError(e);
      const durationMs = this.now() - started;
      const unknown = plan.probes.flatMap((p) =>
        p.skeletons.map(
          (s): Finding => ({
            ...s,
            level: 'unknown',
            detail: `Not checked: the ${plan.host} host could not be polled (${error.code}); see "${HOST_TITLES[plan.host]}".`,
          }),
        ),
      );
      return {
        host: plan.host,
        outcome: { ok: false, error, durationMs },
        findings: [
          { ...sshBase, level: 'fail', detail: oneSentence(error.message, error.nextStep) },
          ...unknown,
        ],
      };
    }
  }
}
