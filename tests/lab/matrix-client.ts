import { request } from 'node:https';

/**
 * What a Matrix client (Element, the app's own login) does against the lab's homeserver, over real HTTPS with
 * the lab CA: registration through user-interactive auth and password login. Tests use it to act as the new
 * family member redeeming an invite, or the phone whose device the admin signs out.
 */

export interface ClientResponse {
  status: number;
  json: Record<string, unknown>;
}

/** A Matrix error answer: `errcode` and `error` as the server sent them. */
export class MatrixClientError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string | undefined,
    readonly body: Record<string, unknown>,
  ) {
    super(`${status} ${errcode ?? ''}: ${String(body.error ?? JSON.stringify(body))}`);
  }
}

export interface Registered {
  userId: string;
  accessToken?: string;
  deviceId?: string;
  /** The first 401 of the user-interactive auth: `flows` and `session` as the server offered them. */
  offered: { flows: { stages: string[] }[]; session: string };
  /** The auth stages the client completed, in order. */
  completed: string[];
}

export interface LabMatrixClient {
  request(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<ClientResponse>;
  /**
   * `POST /_matrix/client/v3/register` as a client does: a first request without auth, then each stage of the
   * first flow the server offers (`m.login.registration_token` with `token`, `m.login.dummy`) in its session.
   * Throws MatrixClientError with the server's answer when a step is refused (a wrong or used-up token, a
   * taken name).
   */
  register(o: {
    username?: string;
    password: string;
    token: string;
    deviceName?: string;
    inhibitLogin?: boolean;
  }): Promise<Registered>;
  /** `m.login.password`: a new device (named `deviceName`) and its access token. */
  login(
    user: string,
    password: string,
    deviceName?: string,
  ): Promise<{ userId: string; accessToken: string; deviceId: string }>;
}

export function labMatrixClient(publicUrl: string, caPem: string): LabMatrixClient {
  const call: LabMatrixClient['request'] = (method, path, opts = {}) =>
    new Promise((resolve, reject) => {
      const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      const req = request(
        new URL(path, publicUrl),
        {
          method,
          ca: caPem,
          headers: {
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
            ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
            ...opts.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: Record<string, unknown> = {};
            try {
              json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            } catch {
              json = { body: text };
            }
            resolve({ status: res.statusCode ?? 0, json });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const refused = (r: ClientResponse) =>
    new MatrixClientError(r.status, typeof r.json.errcode === 'string' ? r.json.errcode : undefined, r.json);

  return {
    request: call,
    async register(o) {
      const base = {
        ...(o.username === undefined ? {} : { username: o.username }),
        password: o.password,
        ...(o.deviceName === undefined ? {} : { initial_device_display_name: o.deviceName }),
        ...(o.inhibitLogin ? { inhibit_login: true } : {}),
      };
      const first = await call('POST', '/_matrix/client/v3/register', { body: base });
      if (first.status !== 401) throw refused(first);
      const offered = first.json as Registered['offered'];
      const stages = offered.flows[0]?.stages ?? [];
      const completed: string[] = [];
      let last = first;
      for (const stage of stages) {
        const auth =
          stage === 'm.login.registration_token'
            ? { type: stage, token: o.token, session: offered.session }
            : stage === 'm.login.dummy'
              ? { type: stage, session: offered.session }
              : undefined;
        if (!auth) throw new Error(`The lab client cannot complete the auth stage ${stage}.`);
        last = await call('POST', '/_matrix/client/v3/register', { body: { ...base, auth } });
        if (last.status !== 200 && last.status !== 401) throw refused(last);
        if (last.status === 401 && last.json.errcode !== undefined) throw refused(last);
        completed.push(stage);
      }
      if (last.status !== 200) throw refused(last);
      return {
        userId: String(last.json.user_id),
        ...(typeof last.json.access_token === 'string' ? { accessToken: last.json.access_token } : {}),
        ...(typeof last.json.device_id === 'string' ? { deviceId: last.json.device_id } : {}),
        offered,
        completed,
      };
    },
    async login(user, password, deviceName) {
      const r = await call('POST', '/_matrix/client/v3/login', {
        body: {
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user },
          password,
          ...(deviceName === undefined ? {} : { initial_device_display_name: deviceName }),
        },
      });
      if (r.status !== 200) throw refused(r);
      return {
        userId: String(r.json.user_id),
        accessToken: String(r.json.access_token),
        deviceId: String(r.json.device_id),
      };
    },
  };
}
