import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import ssh2, { type AnyAuthMethod, type AuthenticationType, Client, type ParsedKey } from 'ssh2';
import { AuthFailed, ConnectFailed } from '../errors';
import type { HostConfig, HostRole } from '../profile/schema';
import type { SecretKind } from '../secrets/types';

/** Secrets come from the keychain through this; null when none is stored. The caller owns (and zeroes) nothing returned. */
export type SecretProvider = (kind: SecretKind, host: HostRole) => Promise<Buffer | null>;

export interface ConnectParams {
  role: HostRole;
  host: HostConfig;
  /** A stream through a jump host instead of a TCP connection. */
  sock?: Duplex;
  /**
   * Decides about the host key before anything of the user is sent. Resolves null to accept, or the
   * error to fail the connection with.
   */
  verifyHostKey: (key: Buffer) => Promise<Error | null>;
  serverHostKeyAlgorithms: string[];
  /** Null: skip authentication entirely (scan the host key only). */
  auth: {
    secret: SecretProvider;
    agentSocket: string | undefined;
    expandPath: (path: string) => string;
  } | null;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

/** Profile addresses hold IPv6 in brackets; sockets want it bare. */
export function socketAddress(address: string): string {
  return address.replace(/^\[(.*)\]$/, '$1');
}

export function describeTarget(host: HostConfig): string {
  return host.port === 22 ? host.address : `${host.address}:${host.port}`;
}

const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (is sshd running on that port?)',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ETIMEDOUT: 'the connection timed out',
  ECONNRESET: 'the connection was reset during login',
  EPIPE: 'the connection closed during login',
  ENOTFOUND: 'the name does not resolve',
  EAI_AGAIN: 'the name could not be resolved right now',
};

type LevelledError = Error & { level?: string; code?: string };

/**
 * Keys in the order the server should pick from: the types known_hosts already pins first, as OpenSSH
 * does, so a server with several host keys presents the one we can check. `ssh-rsa` (an RSA key signing
 * with SHA-1) only for a host whose profile allows it: RSA keys otherwise go by rsa-sha2-512/256.
 */
export function orderHostKeyAlgorithms(knownTypes: string[], allowSshRsa: boolean): string[] {
  const all = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    ...(allowSshRsa ? ['ssh-rsa'] : []),
  ];
  const first = knownTypes.flatMap((t) =>
    t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t],
  );
  return [...new Set([...first.filter((a) => all.includes(a)), ...all])];
}

/**
 * ssh2 signs with SHA-1 (`ssh-rsa`) for a server that names no rsa-sha2 algorithm: for a host that does not
 * allow ssh-rsa, an RSA key refuses to, and the login goes on with the next method.
 */
export function withoutSha1Signatures(key: ParsedKey): ParsedKey {
  const guarded: ParsedKey = Object.create(key);
  // ssh2's types say sign() returns a Buffer; at run time it also returns an Error, and ssh2 checks for one.
  guarded.sign = ((data: Buffer, algo?: string) =>
    algo === 'sha1'
      ? new Error(
          'the server asked for an ssh-rsa (SHA-1) signature, which is off for this host (allowSshRsa)',
        )
      : key.sign(data, algo)) as ParsedKey['sign'];
  return guarded;
}

function authPlan(params: ConnectParams, tried: string[], notes: string[], wipe: Buffer[]) {
  const { host, role } = params;
  const auth = params.auth!;
  const steps: ((left: AuthenticationType[] | null) => Promise<AnyAuthMethod | null>)[] = [];
  const username = host.user;
  const allows = (left: AuthenticationType[] | null, ...methods: AuthenticationType[]) =>
    left === null || methods.some((m) => left.includes(m));

  if (host.agent && auth.agentSocket) {
    const agent = auth.agentSocket;
    steps.push(async (left) => {
      if (!allows(left, 'publickey')) return null;
      tried.push('the ssh-agent');
      return { type: 'agent', username, agent };
    });
  }
  let prepare = async () => {};
  if (host.identityFile) {
    const file = host.identityFile;
    const load = async (): Promise<AnyAuthMethod | null> => {
      let data: Buffer;
      try {
        data = await readFile(auth.expandPath(file));
      } catch (e) {
        notes.push(`the key ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        return null;
      }
      let parsed = ssh2.utils.parseKey(data);
      if (parsed instanceof Error && /passphrase/i.test(parsed.message)) {
        const passphrase = await auth.secret('ssh-key-passphrase', role);
        if (!passphrase) {
          notes.push(`the key ${file} needs its passphrase and none is stored`);
          return null;
        }
        parsed = ssh2.utils.parseKey(data, passphrase);
        passphrase.fill(0);
        if (parsed instanceof Error) {
          notes.push(`the stored passphrase does not open the key ${file}`);
          return null;
        }
      }
      const key: ParsedKey | Error | undefined = Array.isArray(parsed) ? parsed[0] : parsed;
      if (key === undefined || key instanceof Error) {
        notes.push(`the key ${file} is not a private key ssh2 can use`);
        return null;
      }
      return { type: 'publickey', username, key: host.allowSshRsa ? key : withoutSha1Signatures(key) };
    };
    let loaded: Promise<AnyAuthMethod | null> | null = null;
    const once = () => {
      loaded ??= load();
      return loaded;
    };
    // Opening a passphrase-protected key is CPU work (bcrypt, seconds on a busy machine) that blocks the event
    // loop: without an agent to try first it is done before connecting, outside the handshake's ready timeout.
    // A failure here (the secret store) is the step's to report, during the login, as before.
    if (steps.length === 0)
      prepare = async () => {
        await once().catch(() => null);
      };
    steps.push(async (left) => {
      if (!allows(left, 'publickey')) return null;
      const method = await once();
      if (method) tried.push(`the key ${file}`);
      return method;
    });
  }
  const onlyPassword = steps.length === 0;
  steps.push(async (left) => {
    if (!allows(left, 'password', 'keyboard-interactive')) return null;
    const secret = await auth.secret('ssh-password', role);
    if (!secret) {
      if (onlyPassword) notes.push('no key is configured and no password is stored');
      return null;
    }
    tried.push('the stored password');
    if (left === null || left.includes('password')) {
      // ssh2 takes a Buffer here and copies it into the packet at once, so it can be zeroed after.
      wipe.push(secret);
      return { type: 'password', username, password: secret as unknown as string };
    }
    // Servers with PasswordAuthentication off often still take the password through PAM's single prompt.
    const password = secret.toString('utf8');
    secret.fill(0);
    return {
      type: 'keyboard-interactive',
      username,
      prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
    };
  });
  return { steps, prepare };
}

/** Opens one authenticated connection, or fails with a typed error. Nothing of the user is sent before the host key is accepted. */
export async function openConnection(params: ConnectParams): Promise<Client> {
  const { role, host } = params;
  const client = new Client();
  const tried: string[] = [];
  const notes: string[] = [];
  const wipe: Buffer[] = [];
  const plan = params.auth ? authPlan(params, tried, notes, wipe) : null;
  const steps = plan?.steps ?? [];
  await plan?.prepare();
  let verdict: Error | null = null;

  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      client.removeAllListeners('ready');
      client.destroy();
      reject(error);
    };
    const target = describeTarget(host);

    client.on('ready', () => {
      if (settled) return;
      settled = true;
      resolve(client);
    });
    client.on('error', (err: LevelledError) => {
      if (settled) return;
      if (verdict) return fail(verdict);
      switch (err.level) {
        case 'agent':
          // The agent socket is gone or refused; ssh2 goes on with the next method.
          notes.push('the ssh-agent did not answer');
          return;
        case 'client-authentication': {
          if (!err.message.startsWith('All configured authentication methods failed')) {
            // A key that failed to sign: ssh2 goes on with the next method.
            notes.push(err.message);
            return;
          }
          const methods = [
            tried.length > 0 ? `tried ${tried.join(', ')}` : 'no login method could be tried',
            ...notes,
          ].join('; ');
          return fail(new AuthFailed(role, host.user, methods));
        }
        case 'client-timeout':
          return fail(
            new ConnectFailed(
              role,
              target,
              `no SSH answer within ${Math.round(params.readyTimeoutMs / 1000)} s`,
            ),
          );
        case 'client-dns':
          return fail(new ConnectFailed(role, target, 'the name does not resolve'));
        case 'client-socket':
          return fail(
            new ConnectFailed(
              role,
              target,
              SOCKET_REASONS[err.code ?? ''] ?? `the socket failed (${err.code ?? err.message})`,
            ),
          );
        default:
          if (/no matching host key/.test(err.message) && !host.allowSshRsa)
            return fail(
              new ConnectFailed(
                role,
                target,
                'the server offers no host key algorithm the app accepts; if it offers only ssh-rsa (SHA-1 signatures), give it an ed25519 key, or set allowSshRsa: true for this host in the profile',
              ),
            );
          return fail(new ConnectFailed(role, target, `the SSH handshake failed (${err.message})`));
      }
    });
    client.on('close', () => {
      fail(verdict ?? new ConnectFailed(role, target, 'the server closed the connection during login'));
    });

    const authHandler = (
      left: AuthenticationType[] | null,
      _partial: boolean | null,
      next: (method: AnyAuthMethod | false) => void,
    ) => {
      void (async () => {
        while (steps.length > 0) {
          const method = await steps.shift()!(left);
          if (method) {
            next(method);
            for (const buffer of wipe.splice(0)) buffer.fill(0);
            return;
          }
        }
        next(false);
      })().catch(() => next(false));
    };

    client.connect({
      host: socketAddress(host.address),
      port: host.port,
      sock: params.sock,
      username: host.user,
      readyTimeout: params.readyTimeoutMs,
      keepaliveInterval: params.keepaliveIntervalMs,
      keepaliveCountMax: params.keepaliveCountMax,
      algorithms: { serverHostKey: params.serverHostKeyAlgorithms as never },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        params
          .verifyHostKey(key)
          .then((error) => {
            verdict = error;
            verify(error === null);
          })
          .catch((error: Error) => {
            verdict = error;
            verify(false);
          });
      },
      // Without auth (a host-key scan) the verifier above always refuses, so this never runs.
      authHandler: authHandler as never,
    });
    client.setNoDelay(true);
  });
}
