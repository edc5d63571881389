import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import {
  type AppError,
  Cancelled,
  ConnectFailed,
  ConnectionLost,
  RemoteFailed,
  SudoFailed,
  Timeout,
} from '../errors';
import { expandHome } from '../profile/load';
import type { HostConfig, HostRole, Profile } from '../profile/schema';
import {
  describeTarget,
  openConnection,
  orderHostKeyAlgorithms,
  type SecretProvider,
  socketAddress,
} from './connect';
import { Disconnected } from './errors';
import { keyTypeOf, sha256Fingerprint } from './fingerprint';
import { type ForgetResult, HostKeyPolicy, type HostTarget } from './host-key-policy';
import { killScript } from './kill-script';
import { type CommandProcess, type SudoMode, type WrappedCommand, wrapCommand } from './remote-command';
import { type CommandOutcome, RunningCommand, type RunningCommandOptions } from './running-command';
import type { ExecOptions, ExecResult, RemoteExec } from './types';

export type { SecretProvider } from './connect';

export interface SshPoolOptions {
  profile: Profile;
  /** `<dataDir>/known_hosts`: the app's own file, where "trust permanently" writes. */
  appKnownHostsFile: string;
  secret: SecretProvider;
  /** Default: SSH_AUTH_SOCK of this process. */
  agentSocket?: string | undefined;
  /** Default 10 s: TCP connect, SSH handshake and login. */
  readyTimeoutMs?: number;
  /** Default 15 s and 3 misses: a dead peer is noticed within a minute. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Wait before the n-th reconnect after consecutive failures: initial·2^(n-1), at most max. Default 250 ms … 5 s. */
  reconnectDelayMs?: { initial: number; max: number };
  /** Per stream; the tail is kept. Default 1 MiB of characters. */
  maxOutputChars?: number;
  /**
   * After TERM, how long a stopped command's processes may take to exit before they get KILL. Default
   * 5 s: long enough for `docker run` to pass TERM on and its container to shut down.
   */
  killGraceMs?: number;
  /** Concurrent commands per connection. OpenSSH's MaxSessions is 10; two stay free for kills. */
  maxConcurrentCommands?: number;
  onStateChange?: (host: HostRole, state: ConnectionState) => void;
}

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'failed' | 'disconnected';

export interface HostKeyScan {
  keyType: string;
  fingerprint: string;
  status: 'trusted' | 'unknown' | 'changed' | 'revoked' | 'mismatch';
  /** The typed error a connection would fail with (null when trusted). */
  error: AppError | null;
}

/** How long a stop waits for the wrapper to report itself, and for the channel to close after the kill. */
const WRAPPER_WAIT_MS = 5_000;
const CLOSE_WAIT_MS = 5_000;
/** Beyond the grace period: the kill script itself must not hang the caller. */
const KILL_SCRIPT_SLACK_MS = 10_000;

interface HostSlot {
  client: Client | null;
  connecting: Promise<Client> | null;
  /** Consecutive failed connection attempts (network-level only) and when the last one ended. */
  failures: number;
  lastFailureAt: number;
  userClosed: boolean;
  active: number;
  waiting: (() => void)[];
  /**
   * Commands whose connection dropped under them. Without a pty nothing tells them, and one that does not
   * write (a hung `--execute`) would run forever: the next connection stops them.
   */
  orphans: Orphan[];
  /** Execs in flight, so disconnect() can stop them and wait until their kills are done. */
  running: Set<{ stop: (error: AppError) => void; stopping: () => boolean; done: Promise<void> }>;
}

interface Orphan {
  wrapper: CommandProcess;
  sudo: SudoMode;
}

interface SudoSecret {
  mode: SudoMode;
  password: Buffer | null;
}

/** Each RunningCommand zeroes its own copy when its channel closes. */
function copy(secret: Buffer | null): Buffer | null {
  return secret ? Buffer.from(secret) : null;
}

/** What stops a command early: its own timeout or the caller's abort signal. */
class StopTrigger {
  readonly fired: Promise<AppError>;
  /** Set at once when it fires (the promise tells only a microtask later). */
  hasFired = false;
  private timer: NodeJS.Timeout | undefined;
  private cleanup: () => void = () => {};
  private fire!: (error: AppError) => void;

  constructor(label: string, options: ExecOptions) {
    this.fired = new Promise((resolve) => {
      this.fire = (error) => {
        this.hasFired = true;
        resolve(error);
      };
    });
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
      const ms = options.timeoutMs;
      this.timer = setTimeout(() => this.fire(new Timeout(label, ms)), ms);
    }
    const signal = options.signal;
    if (signal) {
      const onAbort = () => this.fire(new Cancelled(label));
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
    }
  }

  trigger(error: AppError): void {
    this.fire(error);
  }

  /** Resolves with what `work` resolves to, or rejects with the stop reason if that comes first. */
  async race<T>(work: Promise<T>): Promise<T> {
    const stopped = Symbol('stopped');
    const first = await Promise.race([work, this.fired.then(() => stopped)]);
    if (first === stopped) throw await this.fired;
    return first as T;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.cleanup();
  }
}

/**
 * One ssh2 connection per host of the profile, opened on first use and kept warm. After a drop the
 * next exec reconnects (waiting a growing delay after repeated failures); after disconnect() nothing
 * reconnects until connect() is called.
 */
export class SshPool implements RemoteExec {
  private readonly slots = new Map<HostRole, HostSlot>();
  private readonly hostKeys: HostKeyPolicy;
  private readonly readyTimeoutMs: number;
  private readonly keepaliveIntervalMs: number;
  private readonly keepaliveCountMax: number;
  private readonly reconnectDelay: { initial: number; max: number };
  private readonly maxOutputChars: number;
  private readonly maxConcurrent: number;
  private readonly killGraceMs: number;
  /** Stops under way on each connection: a connection reconnect() retires closes only after them. */
  private readonly stopsOn = new WeakMap<Client, Set<Promise<unknown>>>();

  constructor(private readonly options: SshPoolOptions) {
    this.hostKeys = new HostKeyPolicy({
      profileFile: options.profile.knownHostsFile ? expandHome(options.profile.knownHostsFile) : null,
      appFile: options.appKnownHostsFile,
    });
    this.readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    this.keepaliveIntervalMs = options.keepaliveIntervalMs ?? 15_000;
    this.keepaliveCountMax = options.keepaliveCountMax ?? 3;
    this.reconnectDelay = options.reconnectDelayMs ?? { initial: 250, max: 5_000 };
    this.maxOutputChars = options.maxOutputChars ?? 1 << 20;
    this.maxConcurrent = options.maxConcurrentCommands ?? 8;
    this.killGraceMs = options.killGraceMs ?? 5_000;
  }

  private slot(role: HostRole): HostSlot {
    let slot = this.slots.get(role);
    if (!slot) {
      slot = {
        client: null,
        connecting: null,
        failures: 0,
        lastFailureAt: 0,
        userClosed: false,
        active: 0,
        waiting: [],
        orphans: [],
        running: new Set(),
      };
      this.slots.set(role, slot);
    }
    return slot;
  }

  private hostConfig(role: HostRole): HostConfig {
    return this.options.profile.hosts[role];
  }

  private target(role: HostRole): HostTarget {
    const host = this.hostConfig(role);
    return { role, address: host.address, port: host.port, pinned: host.hostKeyFingerprint ?? null };
  }

  private setState(role: HostRole, state: ConnectionState): void {
    this.options.onStateChange?.(role, state);
  }

  state(role: HostRole): ConnectionState {
    const slot = this.slots.get(role);
    if (!slot) return 'idle';
    if (slot.userClosed) return 'disconnected';
    if (slot.client) return 'connected';
    if (slot.connecting) return 'connecting';
    return slot.failures > 0 ? 'failed' : 'idle';
  }

  /** A stream to `role` through its jump host, or undefined for a direct TCP connection. */
  private async jumpStream(role: HostRole): Promise<Duplex | undefined> {
    const host = this.hostConfig(role);
    if (!host.jump) return undefined;
    const jump = await this.client(host.jump, null);
    return new Promise<Duplex>((resolve, reject) => {
      jump.forwardOut('127.0.0.1', 0, socketAddress(host.address), host.port, (err, stream) => {
        if (err) {
          reject(
            new ConnectFailed(
              role,
              describeTarget(host),
              `the ${host.jump} host could not reach it (${err.message})`,
            ),
          );
        } else resolve(stream);
      });
    });
  }

  private async connectOnce(role: HostRole): Promise<Client> {
    const host = this.hostConfig(role);
    const target = this.target(role);
    const sock = await this.jumpStream(role);
    return openConnection({
      role,
      host,
      sock,
      verifyHostKey: async (key) => (await this.hostKeys.check(target, key)).error,
      serverHostKeyAlgorithms: orderHostKeyAlgorithms(
        await this.hostKeys.pinnedTypes(target),
        host.allowSshRsa,
      ),
      auth: {
        secret: this.options.secret,
        agentSocket: 'agentSocket' in this.options ? this.options.agentSocket : process.env.SSH_AUTH_SOCK,
        expandPath: expandHome,
      },
      readyTimeoutMs: this.readyTimeoutMs,
      keepaliveIntervalMs: this.keepaliveIntervalMs,
      keepaliveCountMax: this.keepaliveCountMax,
    });
  }

  private backoffMs(slot: HostSlot): number {
    if (slot.failures === 0) return 0;
    const delay = Math.min(this.reconnectDelay.max, this.reconnectDelay.initial * 2 ** (slot.failures - 1));
    return Math.max(0, slot.lastFailureAt + delay - Date.now());
  }

  /** The warm client of `role`, connecting (or reconnecting after a drop) if needed. */
  private async client(role: HostRole, trigger: StopTrigger | null): Promise<Client> {
    const slot = this.slot(role);
    if (slot.userClosed) throw new Disconnected(role);
    if (slot.client) return slot.client;
    if (!slot.connecting) {
      const attempt = (async () => {
        const wait = this.backoffMs(slot);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (slot.userClosed) throw new Disconnected(role);
        this.setState(role, 'connecting');
        // Shared by every caller waiting for this host, so no single caller's timeout may end it.
        return this.connectOnce(role);
      })();
      slot.connecting = attempt;
      attempt.then(
        (client) => {
          slot.connecting = null;
          if (slot.userClosed) {
            client.end();
            return;
          }
          slot.client = client;
          slot.failures = 0;
          const dropped = () => {
            if (slot.client === client) {
              slot.client = null;
              this.setState(role, slot.userClosed ? 'disconnected' : 'idle');
            }
          };
          client.on('close', dropped);
          client.on('end', dropped);
          client.on('error', () => {
            // After 'ready' an error (keepalive timeout, protocol error) is followed by 'close'.
          });
          this.setState(role, 'connected');
          if (slot.orphans.length > 0) void this.reapOrphans(role, client, slot.orphans.splice(0));
        },
        (error: unknown) => {
          slot.connecting = null;
          // Only network trouble backs off; a host key or login problem waits for the user, not the clock.
          if (error instanceof ConnectFailed) {
            slot.failures += 1;
            slot.lastFailureAt = Date.now();
          }
          this.setState(role, slot.userClosed ? 'disconnected' : 'failed');
        },
      );
    }
    const connecting = slot.connecting!;
    const client = trigger ? await trigger.race(connecting) : await connecting;
    if (slot.userClosed) throw new Disconnected(role);
    return client;
  }

  private async acquireChannelSlot(slot: HostSlot, trigger: StopTrigger): Promise<void> {
    if (slot.active < this.maxConcurrent) {
      slot.active += 1;
      return;
    }
    let wake!: () => void;
    const turn = new Promise<void>((resolve) => {
      wake = resolve;
    });
    slot.waiting.push(wake);
    try {
      await trigger.race(turn);
    } catch (error) {
      const index = slot.waiting.indexOf(wake);
      if (index >= 0) slot.waiting.splice(index, 1);
      else this.releaseChannelSlot(slot);
      throw error;
    }
  }

  private releaseChannelSlot(slot: HostSlot): void {
    const next = slot.waiting.shift();
    if (next) next();
    else slot.active -= 1;
  }

  /**
   * Opens an exec channel and wraps it in a RunningCommand inside ssh2's callback: ssh2 may parse the
   * command's whole life (data, exit-status, close) from one TCP read right after that callback, so
   * listeners attached a microtask later would miss the exit status.
   */
  private startCommand(
    role: HostRole,
    client: Client,
    wrapped: WrappedCommand,
    options: RunningCommandOptions,
    label: string,
  ): Promise<RunningCommand> {
    const during = label.charAt(0).toLowerCase() + label.slice(1);
    return new Promise((resolve, reject) => {
      try {
        client.exec(wrapped.line, (err, channel) => {
          if (!err) return resolve(new RunningCommand(channel, wrapped, options));
          options.sudoPassword?.fill(0);
          if (this.slot(role).client !== client || /not connected|no response/i.test(err.message)) {
            this.discard(role, client);
            reject(new ConnectionLost(role, during));
          } else reject(new RemoteFailed(label, null, `the host refused to open a session (${err.message})`));
        });
      } catch {
        // ssh2 throws "Not connected" when the socket died before 'close' reached us.
        options.sudoPassword?.fill(0);
        this.discard(role, client);
        reject(new ConnectionLost(role, during));
      }
    });
  }

  /** Marks a client that lost a command as dead, so the next exec reconnects instead of reusing it. */
  private discard(role: HostRole, client: Client): void {
    const slot = this.slot(role);
    if (slot.client === client) {
      slot.client = null;
      this.setState(role, 'idle');
    }
    client.destroy();
  }

  private async sudoMode(role: HostRole, sudo: boolean | undefined): Promise<SudoSecret> {
    if (!sudo) return { mode: 'none', password: null };
    const password = await this.options.secret('sudo-password', role);
    return password ? { mode: 'password', password } : { mode: 'passwordless', password: null };
  }

  /**
   * A command whose connection dropped before its kill ran: stopped from the live connection if there is one
   * now (a stop can fail after the next connection opened), else from the next.
   */
  private addOrphan(role: HostRole, orphan: Orphan, lostOn: Client): void {
    const slot = this.slot(role);
    slot.orphans.push(orphan);
    if (slot.client && slot.client !== lostOn && !slot.userClosed)
      void this.reapOrphans(role, slot.client, slot.orphans.splice(0));
  }

  /** Stops commands a dropped connection left behind (best effort: the new connection may drop too). */
  private async reapOrphans(role: HostRole, client: Client, orphans: Orphan[]): Promise<void> {
    for (const orphan of orphans) {
      const sudo = await this.sudoMode(role, orphan.sudo !== 'none').catch(() => null);
      if (!sudo) continue;
      await this.killCommand(role, client, orphan.wrapper, sudo, true).catch(() => {});
      sudo.password?.fill(0);
    }
  }

  /**
   * Runs the kill script for everything a command started, on the same connection, as the same user
   * (through sudo if the command was). `orphan`: found again after a reconnect, so only while its wrapper lives.
   */
  private async killCommand(
    role: HostRole,
    client: Client,
    wrapper: CommandProcess,
    sudo: SudoSecret,
    orphan: boolean,
  ): Promise<void> {
    const script = killScript(wrapper, this.killGraceMs / 1000, { wrapperMustLive: orphan });
    const kill = await this.startCommand(
      role,
      client,
      wrapCommand(script, sudo.mode),
      { sudoPassword: copy(sudo.password), maxOutputChars: 4096 },
      'Stopping the command',
    );
    const timer = setTimeout(() => kill.closeChannel(), this.killGraceMs + KILL_SCRIPT_SLACK_MS);
    await kill.outcome.finally(() => clearTimeout(timer));
  }

  async exec(role: HostRole, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const label = options.label ?? `The command on the ${role} host`;
    const started = performance.now();
    const trigger = new StopTrigger(label, options);
    const slot = this.slot(role);
    let sudo: SudoSecret = { mode: 'none', password: null };
    let finished!: () => void;
    const entry = {
      stop: (error: AppError) => trigger.trigger(error),
      stopping: () => trigger.hasFired,
      done: new Promise<void>((resolve) => {
        finished = resolve;
      }),
    };
    slot.running.add(entry);
    try {
      let client = await this.client(role, trigger);
      const fetching = this.sudoMode(role, options.sudo);
      sudo = await trigger.race(fetching).catch((error) => {
        void fetching.then(
          (late) => late.password?.fill(0),
          () => {},
        );
        throw error;
      });
      await this.acquireChannelSlot(slot, trigger);
      try {
        const wrapped = wrapCommand(command, sudo.mode);
        // After the caller got Timeout/Cancelled, a command that only starts now must not call back.
        let detached = false;
        const start = () =>
          this.startCommand(
            role,
            client,
            wrapped,
            {
              stdin: options.stdin,
              sudoPassword: copy(sudo.password),
              maxOutputChars: this.maxOutputChars,
              onStdout: (chunk) => detached || options.onStdout?.(chunk),
              onStderr: (chunk) => detached || options.onStderr?.(chunk),
            },
            label,
          );
        // A connection that died without a 'close' yet fails before the command started: safe to retry once.
        const starting = start().catch(async (error) => {
          if (!(error instanceof ConnectionLost)) throw error;
          client = await this.client(role, trigger);
          return start();
        });
        const running = await trigger.race(starting).catch((error) => {
          detached = true;
          const kept = { mode: sudo.mode, password: copy(sudo.password) };
          const on = client;
          this.trackStop(
            on,
            starting
              .then((late) => this.stopRunning(role, on, late, kept))
              .catch(() => {})
              .finally(() => kept.password?.fill(0)),
          );
          throw error;
        });
        const first = await Promise.race([running.outcome, trigger.fired]);
        if (!('kind' in first)) {
          await this.trackStop(client, this.stopRunning(role, client, running, sudo));
          throw first;
        }
        return this.result(role, client, label, first, started, running);
      } finally {
        this.releaseChannelSlot(slot);
      }
    } finally {
      slot.running.delete(entry);
      finished();
      trigger.dispose();
      sudo.password?.fill(0);
    }
  }

  private result(
    role: HostRole,
    client: Client,
    label: string,
    outcome: CommandOutcome,
    started: number,
    running: RunningCommand,
  ): ExecResult {
    const durationMs = Math.round(performance.now() - started);
    switch (outcome.kind) {
      case 'exited':
        return {
          exitCode: outcome.exitCode,
          signal: outcome.signal,
          stdout: outcome.stdout,
          stderr: outcome.stderr,
          durationMs,
        };
      case 'sudo-failed':
        throw new SudoFailed(role, outcome.reason);
      case 'lost':
        this.discard(role, client);
        if (running.wrapper !== null) {
          this.addOrphan(role, { wrapper: running.wrapper, sudo: running.wrapped.sudo }, client);
        }
        throw new ConnectionLost(role, label.charAt(0).toLowerCase() + label.slice(1));
    }
  }

  /** Records a stop under way on a connection until it settles (see reconnect()). */
  private trackStop(client: Client, stop: Promise<void>): Promise<void> {
    let stops = this.stopsOn.get(client);
    if (!stops) {
      stops = new Set();
      this.stopsOn.set(client, stops);
    }
    const set = stops;
    set.add(stop);
    return stop.finally(() => set.delete(stop));
  }

  /** Kills everything the command started and waits (bounded) for its channel to close. */
  private async stopRunning(
    role: HostRole,
    client: Client,
    running: RunningCommand,
    sudo: SudoSecret,
  ): Promise<void> {
    if (running.isClosed) return;
    const wrapper = await running.waitForWrapper(WRAPPER_WAIT_MS);
    if (wrapper !== null && !running.isClosed) {
      try {
        await this.killCommand(role, client, wrapper, sudo, false);
      } catch {
        // The connection is gone too: the next one stops it.
        this.addOrphan(role, { wrapper, sudo: sudo.mode }, client);
      }
    }
    if (!(await running.waitClosed(CLOSE_WAIT_MS))) running.closeChannel();
  }

  /** Opens the connection now (and re-enables a host after disconnect()). Fails with the typed connect error. */
  async connect(role: HostRole): Promise<void> {
    const slot = this.slot(role);
    slot.userClosed = false;
    slot.failures = 0;
    const jump = this.hostConfig(role).jump;
    if (jump) this.slot(jump).userClosed = false;
    await this.client(role, null);
  }

  /**
   * Closes connections on the user's request: running commands are stopped (all their processes
   * killed) first, and nothing reconnects until connect(). Without a host, closes all.
   */
  async disconnect(role?: HostRole): Promise<void> {
    const roles = role ? [role, ...this.dependents(role)] : [...this.slots.keys()];
    const stops: Promise<unknown>[] = [];
    for (const r of roles) {
      const slot = this.slot(r);
      slot.userClosed = true;
      for (const entry of slot.running) {
        entry.stop(new Cancelled(`The command on the ${r} host (disconnected)`));
        stops.push(entry.done.catch(() => {}));
      }
    }
    await Promise.all(stops);
    for (const r of roles) {
      const slot = this.slot(r);
      const client = slot.client;
      slot.client = null;
      client?.end();
      this.setState(r, 'disconnected');
    }
  }

  /**
   * After the machine slept: a warm connection may be dead without knowing it (no keepalive ran while it
   * slept, and a dead peer is noticed only a minute later), and earlier failures would make the next
   * attempt wait. Every idle connection is closed, so the next command opens a fresh one at once; so is
   * one whose commands are all being stopped (a poll abandoned at the wake), but only once their stops are
   * done (bounded): closed at once, a command whose wrapper had not reported itself yet could be found by
   * no one. A stop that fails there (the sleep broke the connection) leaves the command to the next
   * connection. A connection with commands still running (or carrying one, as a jump host) stays: closing
   * it would stop them, and its keepalive tells within a minute if the sleep broke it. Hosts closed by
   * disconnect() stay closed.
   */
  reconnect(): void {
    for (const [role, slot] of this.slots) {
      slot.failures = 0;
      const client = slot.client;
      if (slot.userClosed || !client || this.busy(role)) continue;
      const stopping = [...slot.running].map((e) => e.done);
      if (stopping.length === 0) {
        this.discard(role, client);
        continue;
      }
      slot.client = null;
      this.setState(role, 'idle');
      const retire = setTimeout(() => client.destroy(), this.retireAfterMs());
      retire.unref();
      void Promise.all(stopping)
        .then(() => Promise.all([...(this.stopsOn.get(client) ?? [])]))
        .finally(() => {
          clearTimeout(retire);
          client.destroy();
        });
    }
  }

  /** The longest a stop can take: waiting for the wrapper, the kill script's grace and slack, the close. */
  private retireAfterMs(): number {
    return WRAPPER_WAIT_MS + this.killGraceMs + KILL_SCRIPT_SLACK_MS + CLOSE_WAIT_MS;
  }

  private busy(role: HostRole): boolean {
    const running = [...(this.slots.get(role)?.running ?? [])];
    return running.some((e) => !e.stopping()) || this.dependents(role).some((r) => this.busy(r));
  }

  private dependents(role: HostRole): HostRole[] {
    return (Object.keys(this.options.profile.hosts) as HostRole[]).filter(
      (r) => this.hostConfig(r).jump === role,
    );
  }

  /**
   * Fetches the host's key without logging in (through the jump host, which must be trusted already)
   * and says whether it is trusted. An untrusted key becomes the one trustHostKey() accepts.
   */
  async scanHostKey(role: HostRole): Promise<HostKeyScan> {
    const host = this.hostConfig(role);
    const target = this.target(role);
    let scanned: HostKeyScan | null = null;
    const sock = await this.jumpStream(role);
    await openConnection({
      role,
      host,
      sock,
      verifyHostKey: async (key) => {
        const { verdict, error } = await this.hostKeys.check(target, key);
        scanned = {
          keyType: keyTypeOf(key) ?? 'unknown',
          fingerprint: sha256Fingerprint(key),
          status: verdict.status,
          error,
        };
        // Refuse in every case: a scan never logs in.
        return error ?? new Error('host key scan only');
      },
      serverHostKeyAlgorithms: orderHostKeyAlgorithms(
        await this.hostKeys.pinnedTypes(target),
        host.allowSshRsa,
      ),
      auth: null,
      readyTimeoutMs: this.readyTimeoutMs,
      keepaliveIntervalMs: 0,
      keepaliveCountMax: 0,
    }).then(
      (client) => client.end(),
      (error) => {
        if (!scanned) throw error;
      },
    );
    return scanned!;
  }

  /** Trusts the key `role` presented last, once (this pool) or permanently (the app's known_hosts). */
  async trustHostKey(role: HostRole, fingerprint: string, permanent: boolean): Promise<void> {
    await this.hostKeys.trust(this.target(role), fingerprint, permanent);
    this.slot(role).failures = 0;
  }

  /** Removes the app's pins of `role` (the explicit step before trusting a changed key). */
  async forgetHostKey(role: HostRole): Promise<ForgetResult> {
    // A live connection was verified when it opened; the change applies to the next one.
    return this.hostKeys.forget(this.target(role));
  }

  /** The key `role` presented last if it was not trusted (what a trust dialog shows). */
  presentedHostKey(role: HostRole): { keyType: string; fingerprint: string } | null {
    return this.hostKeys.presentedKey(role);
  }
}
