import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createCore } from '../../../../src-main/app/session';
import { ProfileInvalid } from '../../../../src-main/core/errors';
import { parseVersion } from '../../../../src-main/core/lib/version';
import { parseProfile } from '../../../../src-main/core/profile/load';
import { type Profile, profileSchema } from '../../../../src-main/core/profile/schema';
import { CATALOG } from '../../../../src-main/core/runbook/catalog';
import { readWithHashCommand, varsFilePath } from '../../../../src-main/core/runbook/commands';
import { MAINTENANCE_MODE_KEY, MaintenanceStore } from '../../../../src-main/core/runbook/maintenance';
import { Runbook } from '../../../../src-main/core/runbook/runner';
import { createTokenActions } from '../../../../src-main/core/runbook/token-actions';
import { expectedMigrationCommand } from '../../../../src-main/core/runbook/upgrade-action';
import type { RemoteExec } from '../../../../src-main/core/ssh/types';
import { safeAllowlistEntry } from '../../../../src-main/core/status/checks/config-lint';
import { planHosts } from '../../../../src-main/core/status/probes';
import { buildHostScript } from '../../../../src-main/core/status/remote-script';
import { fragmentOf, SHELL_BITS, soupOf } from '../../../integration/reliability/hostile-strings';
import { recordCommands } from '../../../integration/reliability/shell-records';
import { sweep } from '../../../support/sweep';
import { MemorySecrets } from '../runbook/test-profile';
import { REMOTE_PATH_FIELDS } from './remote-paths';

/**
 * Every field of the profile against 10 000 hostile values each, through parseProfile (the YAML a user
 * imports): each value is refused with an issue naming its field, or accepted and then provably
 * harmless — every command the catalog and the status poll would send with it, read back by a real
 * bash, has exactly the words it has with a plain stand-in value. Then malformed, oversized and
 * mistyped YAML: a ProfileInvalid naming the field (or the line), never a crash.
 */

const CASES = sweep(10_000);
const MISSING = Symbol('missing');
type Value = unknown;

// ----------------------------------------------------------------- hostile values

const fragment = fragmentOf([
  ...SHELL_BITS,
  "'; touch /tmp/pwned #",
  '$(id)',
  '`id`',
  '../..',
  '-oProxyCommand=x',
]);
const soup = soupOf(fragment, 8);
const wrongType: fc.Arbitrary<Value> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);
// Kept short on average: YAML parsing costs about a microsecond per character, ten thousand times over.
const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 5, arbitrary: soup },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      {
        weight: 19,
        arbitrary: fc
          .tuple(fc.constantFrom('a', '/', '\u20ac', '$(', '-'), fc.integer({ min: 100, max: 300 }))
          .map(([s, n]) => s.repeat(n)),
      },
      // Just past the 4096 characters of the longest fields.
      { weight: 1, arbitrary: fc.constantFrom('a'.repeat(4097), `/${'a/'.repeat(2048)}`) },
    ),
  },
);
/** A value of the right shape with something hostile spliced in somewhere. */
const spliced = (valid: fc.Arbitrary<string>) =>
  fc
    .tuple(valid, fragment, fc.nat())
    .map(([v, f, i]) => v.slice(0, i % (v.length + 1)) + f + v.slice(i % (v.length + 1)));

function stringField(valid: fc.Arbitrary<string>): fc.Arbitrary<Value> {
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 3, arbitrary: spliced(valid) },
    { weight: 3, arbitrary: hostileString },
    { weight: 1, arbitrary: wrongType },
    { weight: 1, arbitrary: fc.constant(MISSING) },
  );
}

const remotePath = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_@%+=:,./~-]{1,30}$/),
  fc.constantFrom('/', '.', '..', '-P', '--', '-', '~', '~/matrix', 'a//b/', '/root/matrix-deploy', '-rf'),
);
const localPath = fc.oneof(
  remotePath,
  fc.string({ minLength: 1, maxLength: 30 }),
  fc.constantFrom('~/.ssh/known_hosts', 'C:\\keys\\id', '/dev/stdin'),
);
const host = fc.oneof(
  fc.domain(),
  fc.ipV4(),
  fc.ipV6().map((a) => `[${a}]`),
  fc.tuple(fc.domain(), fc.integer({ min: 0, max: 70_000 })).map(([d, p]) => `${d}:${p}`),
);
const url = fc.oneof(
  fc.webUrl({ validSchemes: ['https', 'http'], withQueryParameters: true, withFragments: true }),
  host.map((h) => `https://${h}`),
  fc.constantFrom('javascript:alert(1)', 'file:///etc/passwd', 'https://user:pw@lab.test/', 'https://'),
);
const ROLES = fc.constantFrom('homeserver', 'deploy', 'Homeserver', 'deploy ', '', 'both');
const number: fc.Arbitrary<Value> = fc.oneof(
  fc.integer({ min: -10, max: 70_000 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 0.5, 1e308, 2 ** 53 + 1),
  fc.constantFrom('22', '0x16', ' 22', '1e3', ''),
  wrongType,
  fc.constant(MISSING),
);
const boolean: fc.Arbitrary<Value> = fc.oneof(
  fc.boolean(),
  fc.constantFrom('true', 'false', 'yes', 'no', 'on', '1', 1, 0, ''),
  wrongType,
  fc.constant(MISSING),
);
const role: fc.Arbitrary<Value> = fc.oneof(ROLES, hostileString, wrongType, fc.constant(MISSING));
const unitName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9@_.:-]{0,20}$/);
const units: fc.Arbitrary<Value> = fc.oneof(
  { weight: 4, arbitrary: fc.array(unitName, { minLength: 1, maxLength: 8 }) },
  { weight: 3, arbitrary: fc.array(fc.oneof(unitName, spliced(unitName), hostileString), { maxLength: 8 }) },
  { weight: 1, arbitrary: wrongType },
  { weight: 1, arbitrary: fc.constant(MISSING) },
);

// ----------------------------------------------------------------- the fields

interface Field {
  path: string;
  gen: fc.Arbitrary<Value>;
  /** A number, boolean or host role: it can hold no text, so it must leave every command as one of its references does. */
  typed?: boolean;
  /** Two plain values of the field; the first stands in for an accepted value when reading commands. */
  refs?(v: Value): [Value, Value];
}

const pathRefs = (v: Value): [Value, Value] =>
  typeof v === 'string' && v.startsWith('/') ? ['/zqref1', '/zqref2'] : ['zqref1', 'zqref2'];

const hostFields = (r: 'homeserver' | 'deploy'): Field[] => [
  { path: `hosts.${r}.address`, gen: stringField(host) },
  { path: `hosts.${r}.port`, typed: true, gen: number, refs: () => [22, 2222] },
  { path: `hosts.${r}.user`, gen: stringField(fc.stringMatching(/^[a-z_][a-z0-9_.-]{0,31}$/)) },
  { path: `hosts.${r}.sudo`, typed: true, gen: boolean, refs: () => [true, false] },
  { path: `hosts.${r}.identityFile`, gen: stringField(localPath) },
  { path: `hosts.${r}.agent`, typed: true, gen: boolean, refs: () => [true, false] },
  {
    path: `hosts.${r}.jump`,
    typed: true,
    gen: role,
    refs: () => [MISSING, r === 'homeserver' ? 'deploy' : 'homeserver'],
  },
];

const FIELDS: Field[] = [
  { path: 'name', gen: stringField(fc.string({ minLength: 1, maxLength: 100 })) },
  { path: 'serverName', gen: stringField(host), refs: () => ['zqref1.example', 'zqref2.example'] },
  {
    path: 'publicUrl',
    gen: stringField(url),
    refs: () => ['https://zqref1.example', 'https://zqref2.example'],
  },
  {
    path: 'apexUrl',
    gen: stringField(url),
    refs: () => ['https://zqref1.example', 'https://zqref2.example'],
  },
  { path: 'caFile', gen: stringField(localPath) },
  { path: 'knownHostsFile', gen: stringField(localPath) },
  ...hostFields('homeserver'),
  ...hostFields('deploy'),
  { path: 'units', gen: units, refs: () => [['zqrefunit1'], ['zqrefunit2']] },
  {
    path: 'homeserver.image',
    gen: stringField(fc.stringMatching(/^[a-z0-9][a-z0-9._/:-]{0,30}$/)),
    refs: () => ['zqref1/img', 'zqref2/img'],
  },
  {
    path: 'homeserver.version',
    gen: stringField(fc.stringMatching(/^v?\d{1,3}\.\d{1,3}\.\d{1,3}[A-Za-z0-9.+-]{0,8}$/)),
    // The release decides which steps a plan has (verify-backup and the health check from 1.8.2), so the
    // references are the same release with build info, or unreadable like the value when it is.
    refs: (v) => {
      const prefix = typeof v === 'string' && v.startsWith('v') ? 'v' : '';
      const release = typeof v === 'string' ? parseVersion(v) : null;
      return release
        ? [`${prefix}${release.core}+zqref1`, `${prefix}${release.core}+zqref2`]
        : [`${prefix}9.9.9zqref1`, `${prefix}9.9.9zqref2`];
    },
  },
  { path: 'homeserver.dataDir', gen: stringField(remotePath), refs: pathRefs },
  { path: 'homeserver.configDir', gen: stringField(remotePath), refs: pathRefs },
  { path: 'deploy.host', typed: true, gen: role, refs: () => ['deploy', 'homeserver'] },
  { path: 'deploy.dir', gen: stringField(remotePath), refs: pathRefs },
  { path: 'deploy.inventory', gen: stringField(remotePath), refs: pathRefs },
  { path: 'deploy.vaultPasswordFile', gen: stringField(remotePath), refs: pathRefs },
  { path: 'deploy.varsFile', gen: stringField(remotePath), refs: pathRefs },
  { path: 'deploy.logDir', gen: stringField(remotePath), refs: pathRefs },
  { path: 'vault.repo', gen: stringField(localPath) },
  { path: 'vault.file', gen: stringField(localPath) },
  {
    path: 'vault.key',
    gen: stringField(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/)),
    refs: () => ['zqref1', 'zqref2'],
  },
  { path: 'vault.deployCheckout', gen: stringField(remotePath), refs: pathRefs },
  { path: 'checks.backup.host', typed: true, gen: role, refs: () => ['homeserver', 'deploy'] },
  {
    path: 'checks.backup.command',
    gen: stringField(fc.string({ minLength: 1, maxLength: 60 })),
    refs: () => ['zqref1', 'zqref2'],
  },
  { path: 'checks.backup.maxAgeHours', typed: true, gen: number, refs: () => [26, 48] },
  { path: 'checks.diskWarnPercent', typed: true, gen: number, refs: () => [85, 80] },
  { path: 'checks.diskFailPercent', typed: true, gen: number, refs: () => [95, 90] },
  { path: 'checks.certWarnDays', typed: true, gen: number, refs: () => [14, 10] },
  { path: 'checks.certFailDays', typed: true, gen: number, refs: () => [3, 2] },
  { path: 'status.intervalSeconds', typed: true, gen: number, refs: () => [30, 60] },
  { path: 'status.failuresBeforeDown', typed: true, gen: number, refs: () => [2, 3] },
  { path: 'status.realertEvery', typed: true, gen: number, refs: () => [0, 5] },
];
const defaultRefs = (): [Value, Value] => ['zqref1', 'zqref2'];

/** The runbook's example deployment with every optional part present: the values the fields start from. */
const BASE: Record<string, Value> = {
  name: 'Lab',
  serverName: 'lab.test',
  publicUrl: 'https://matrix.lab.test',
  apexUrl: 'https://lab.test',
  caFile: '/etc/homeserver-tray/ca.pem',
  knownHostsFile: '~/.ssh/known_hosts',
  'hosts.homeserver.address': '192.0.2.10',
  'hosts.homeserver.port': 22,
  'hosts.homeserver.user': 'admin',
  'hosts.homeserver.sudo': true,
  'hosts.homeserver.identityFile': '~/.ssh/id_ed25519',
  'hosts.homeserver.agent': true,
  'hosts.homeserver.jump': MISSING,
  'hosts.deploy.address': '192.0.2.11',
  'hosts.deploy.port': 22,
  'hosts.deploy.user': 'root',
  'hosts.deploy.sudo': false,
  'hosts.deploy.identityFile': '~/.ssh/id_ed25519',
  'hosts.deploy.agent': false,
  'hosts.deploy.jump': MISSING,
  units: ['matrix-tuwunel', 'matrix-traefik', 'matrix-postgres'],
  'homeserver.image': 'ghcr.io/matrix-construct/tuwunel',
  'homeserver.version': 'v1.7.0',
  'homeserver.dataDir': '/matrix/tuwunel/data',
  'homeserver.configDir': '/matrix/tuwunel/config',
  'deploy.host': 'deploy',
  'deploy.dir': '/root/matrix-deploy',
  'deploy.inventory': 'inventory/hosts',
  'deploy.vaultPasswordFile': '/root/.vault_pass',
  'deploy.varsFile': 'inventory/host_vars/matrix.lab.test/vars.yml',
  'deploy.logDir': '/root/matrix-deploy/logs',
  'vault.repo': '~/homelab-ansible',
  'vault.file': 'inventory/group_vars/all/vault.yml',
  'vault.key': 'vault_matrix_registration_token',
  'vault.deployCheckout': '/root/homelab-ansible',
  'checks.backup.host': 'homeserver',
  'checks.backup.command': 'borg list --last 1 --format "{time}" /backup',
  'checks.backup.maxAgeHours': 26,
  'checks.diskWarnPercent': 85,
  'checks.diskFailPercent': 95,
  'checks.certWarnDays': 14,
  'checks.certFailDays': 3,
  'status.intervalSeconds': 30,
  'status.failuresBeforeDown': 2,
  'status.realertEvery': 0,
};

function child(node: Record<string, unknown>, key: string): Record<string, unknown> {
  if (!(key in node)) node[key] = {};
  return node[key] as Record<string, unknown>;
}

/** Nested object from dotted paths (MISSING leaves out the key), as the YAML would hold it. */
function nest(values: Record<string, Value>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(values)) {
    if (value === MISSING) continue;
    const keys = path.split('.');
    let at = root;
    for (const k of keys.slice(0, -1)) at = child(at, k);
    at[keys.at(-1) as string] = value;
  }
  return root;
}

// ----------------------------------------------------------------- YAML

/** A YAML scalar or flow collection that reads back as exactly `v` (escaping what YAML may not hold raw). */
function yamlValue(v: Value): string {
  if (typeof v === 'number' && !Number.isFinite(v))
    return Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf';
  return JSON.stringify(v).replace(
    /[\u007f-\u009f\u2028\u2029\ufffe\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** What the YAML of `yamlValue(v)` reads back as (JSON's view of it; YAML's own specials kept). */
function asRead(v: Value): Value {
  if (v === MISSING || (typeof v === 'number' && !Number.isFinite(v))) return v;
  // JSON keeps a string, a boolean, null and a finite number as they are, except -0 (written "0"): asked
  // 450 000 times a sweep, these skip the round trip.
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  if (typeof v === 'number') return v === 0 ? 0 : v;
  return JSON.parse(JSON.stringify(v));
}

/** Block-style YAML, one line per field, as a person writes a profile (`{}` for a section left empty). */
function profileYaml(values: Record<string, Value>): string {
  const tree: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(values)) {
    const keys = path.split('.');
    let at = tree;
    for (const k of keys.slice(0, -1)) at = child(at, k);
    if (value !== MISSING) at[keys.at(-1) as string] = { leaf: value };
  }
  const lines: string[] = [];
  const emit = (node: Record<string, unknown>, depth: number) => {
    for (const [key, child] of Object.entries(node)) {
      const indent = '  '.repeat(depth);
      const c = child as Record<string, unknown>;
      if ('leaf' in c) lines.push(`${indent}${key}: ${yamlValue(c.leaf)}`);
      else if (Object.keys(c).length === 0) lines.push(`${indent}${key}: {}`);
      else {
        lines.push(`${indent}${key}:`);
        emit(c, depth + 1);
      }
    }
  };
  emit(tree, 0);
  return `${lines.join('\n')}\n`;
}

function issuesOf(text: string): { field: string; message: string }[] | Error | null {
  try {
    parseProfile(text, 'hostile.yaml');
    return null;
  } catch (e) {
    if (e instanceof ProfileInvalid) return e.issues;
    return e as Error;
  }
}

// ----------------------------------------------------------------- the oracle: one field on its own

type AnySchema = z.ZodType & { shape?: Record<string, AnySchema>; unwrap?: () => AnySchema };

/** The schema of one field inside profileSchema (with its own default/optional wrappers). */
function fieldSchema(path: string): AnySchema {
  let schema = profileSchema as unknown as AnySchema;
  for (const key of path.split('.')) {
    while (!schema.shape && schema.unwrap) schema = schema.unwrap();
    const next = schema.shape?.[key];
    if (!next) throw new Error(`no field ${path}`);
    schema = next;
  }
  return schema;
}

function readPath(profile: Profile, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((at, k) => (at as Record<string, unknown> | undefined)?.[k], profile);
}

function profileWith(path: string, value: Value): ReturnType<typeof profileSchema.safeParse> {
  return profileSchema.safeParse(nest({ ...BASE, [path]: value }));
}

// ----------------------------------------------------------------- what the profile makes the app send

/** A vars.yml whose allowlist admits the profile's own server (the host without a port), as the lint wants. */
function varsRead(profile: Profile): string {
  const name = profile.serverName;
  const host = name.startsWith('[') ? name.slice(0, name.indexOf(']') + 1) : name.replace(/:\d+$/, '');
  const vars = [
    `matrix_tuwunel_config_allowed_remote_server_names: ['${safeAllowlistEntry(host)}']`,
    // The upgrade's pre-flight: the pin the profile has, and a backup path it can use.
    `matrix_tuwunel_version: ${JSON.stringify(profile.homeserver.version)}`,
    'matrix_tuwunel_config_database_backup_path: /var/lib/tuwunel/backups',
    '',
  ].join('\n');
  return `${createHash('sha256').update(vars).digest('hex')}  -\n${vars}`;
}

/** A dry run reads vars.yml (to lint it and show the edit) and the playbook's migration version, nothing else. */
function readOnlyExec(profile: Profile): RemoteExec {
  const answer = (stdout: string) =>
    Promise.resolve({ exitCode: 0, signal: null, stdout, stderr: '', durationMs: 1 });
  // Worked out at the first command, once per profile rather than once per command.
  let readVars: string | undefined;
  let readMigration: string | undefined;
  return {
    exec: (_host, command) => {
      readVars ??= readWithHashCommand(varsFilePath(profile));
      if (command === readVars) return answer(varsRead(profile));
      readMigration ??= expectedMigrationCommand(profile);
      if (command === readMigration) return answer('');
      return Promise.reject(new Error('a dry run must not change anything'));
    },
  };
}
const CATALOG_WITH_TOKEN = [...CATALOG, ...createTokenActions({ secrets: new MemorySecrets() })];
const ACTIONS = CATALOG_WITH_TOKEN.map((a) => a.id).filter((id) => id !== 'admin.command');
const PARAMS: Record<string, (p: Profile) => Record<string, unknown>> = {
  'user.make-admin': () => ({ user: 'bob' }),
  'user.deactivate': () => ({ user: 'bob', leaveRooms: false }),
  'federation.allow': () => ({ server: 'peer.example' }),
  'federation.disallow': () => ({ server: 'peer.example' }),
  'logs.follow': (p) => ({ unit: p.units[0] }),
  'token.rotate': () => ({ apply: true }),
  'tuwunel.upgrade': () => ({ version: 'v999999.0.0' }),
};

interface Sent {
  host: string;
  sudo: boolean;
  command: string;
}
/**
 * `<action>:<step>` or `status:<host>:<section>` → what would be sent; the log stamp made constant, and the
 * SHA-256 of the vars.yml read (hex, it follows the file the fixture writes for the server name).
 */
type Signature = Map<string, Sent>;

/** Marks a status section that is shell code (`bash -c <command>`) rather than a command line. */
const SHELL_SECTION = '(bash -c) ';
const stamp = (s: string) =>
  s.replace(/config-apply-\d{8}T\d{6}Z/g, 'config-apply-STAMP').replace(/\b[0-9a-f]{64}\b/g, 'SHA256');

async function signature(profile: Profile, actions: readonly string[]): Promise<Signature> {
  const sig: Signature = new Map();
  const rb = new Runbook({
    profile,
    exec: readOnlyExec(profile),
    maintenance: new MaintenanceStore(),
    catalog: CATALOG_WITH_TOKEN,
  });
  for (const id of actions) {
    const plan = await rb.plan(id, PARAMS[id]?.(profile) ?? {});
    for (const s of plan.steps) {
      if (s.kind === 'remote' && s.host)
        sig.set(`${id}:${s.id}`, { host: s.host, sudo: s.sudo, command: stamp(s.command) });
    }
  }
  for (const plan of planHosts(profile)) {
    const sections = plan.probes.map((p) => p.section);
    // What the status poll sends is one bash script around the sections; it must be buildable.
    buildHostScript(sections, 'HSTRAYfixedmarkerfortests0');
    for (const s of sections) {
      sig.set(`status:${plan.host}:${s.id}`, {
        host: plan.host,
        sudo: profile.hosts[plan.host].sudo,
        command: s.shell ? `${SHELL_SECTION}${s.command}` : s.command,
      });
    }
  }
  return sig;
}

/** A path word as posix.join leaves it (after a `name=` of an assignment). */
function normalised(word: string): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*=)(.*)$/s.exec(word);
  return m ? `${m[1]}${posix.normalize(m[2] as string)}` : posix.normalize(word);
}

/** Words bash reads, allowing `.`/`..`/`//` differences in paths the app normalises with posix.join. */
function sameWords(actual: string[][], expected: string[][]): boolean {
  if (actual.length !== expected.length) return false;
  return actual.every((cmd, i) => {
    const want = expected[i] as string[];
    return (
      cmd.length === want.length &&
      cmd.every((w, j) => w === want[j] || normalised(w) === normalised(want[j] as string))
    );
  });
}

/** The reference's words with the stand-in value replaced by the accepted one. */
function substituted(records: string[][], ref: Value, value: Value, key: string): string[][] {
  if (Array.isArray(ref)) {
    const units = value as string[];
    return records.map((cmd) =>
      cmd.flatMap((w) =>
        w === ref[0] ? (key.startsWith('logs.follow:') ? [units[0] as string] : units) : [w],
      ),
    );
  }
  return records.map((cmd) => cmd.map((w) => w.split(String(ref)).join(String(value))));
}

const diversity = (v: Value) => {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
  return new Set(s.replace(/[A-Za-z0-9]/g, '')).size * 1000 + Math.min(s.length, 999);
};
const keyOf = (v: Value) =>
  v === MISSING ? 'MISSING' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v);

/** Remote paths end up as operands of cd, mkdir, tee: one starting with "-" would be read as an option. */
const REMOTE_PATHS = new Set<string>(REMOTE_PATH_FIELDS);

/** Bash-checked values per field that reaches a command line; every one for fields with fewer. */
const CHECKED_PER_COMMAND_FIELD = sweep(500);
/** Fields that reach no command: a sample re-planned in full, to show it stays that way. */
const CHECKED_PER_OTHER_FIELD = sweep(25);
const NESTED_PER_FIELD = sweep(150);

interface Verdicts {
  accepted: Map<string, Value[]>;
  problems: string[];
}

// ----------------------------------------------------------------- the tests

describe(`every profile field against ${CASES} hostile values`, () => {
  const verdicts: Verdicts = { accepted: new Map(), problems: [] };

  // The two sweeps' timeouts guard against a hang and check no speed: alone on a core a sweep takes
  // about a minute, beside other test files on a busy 2-core machine several.
  it('parseProfile refuses exactly the hostile values, naming their fields, and never crashes', () => {
    const gens = FIELDS.map((f) => fc.sample(f.gen, { numRuns: CASES, seed: 7 + FIELDS.indexOf(f) }));
    const schemas = new Map(FIELDS.map((f) => [f.path, fieldSchema(f.path)]));
    /**
     * `read`: the value as the YAML reads back (asRead), made once per value and shared by every use. A field's
     * schema is a pure function of the value: its verdict on a scalar (the same boolean, number, MISSING or
     * string, drawn again and again) is worked out once per field.
     */
    const verdictsByField = new Map(FIELDS.map((f) => [f.path, new Map<Value, boolean>()]));
    const refusedBy = (path: string, read: Value) => {
      const scalar = read === null || typeof read !== 'object';
      const known = scalar ? verdictsByField.get(path)?.get(read) : undefined;
      if (known !== undefined) return known;
      const refused = !schemas.get(path)?.safeParse(read === MISSING ? undefined : read).success;
      if (scalar) verdictsByField.get(path)?.set(read, refused);
      return refused;
    };
    const paths = FIELDS.map((f) => f.path);
    const isField = new Set(paths);
    /** The field an issue is about: its path, or the path of the field it is inside of (`units.1`). */
    const fieldOf = (issuePath: string): string | undefined => {
      for (let p = issuePath; p !== ''; p = p.slice(0, Math.max(0, p.lastIndexOf('.'))))
        if (isField.has(p)) return p;
      return undefined;
    };
    const hostPaths = paths.filter((p) => p.startsWith('hosts.'));
    const hostsSchema = fieldSchema('hosts');
    const problems = verdicts.problems;
    let refusedDocs = 0;
    for (let i = 0; i < CASES; i++) {
      const values: Record<string, Value> = {};
      const read: Record<string, Value> = {};
      for (const [k, p] of paths.entries()) {
        values[p] = gens[k]?.[i];
        read[p] = asRead(values[p]);
      }
      const expected = new Set(paths.filter((p) => refusedBy(p, read[p])));
      // Cross-field: the jump rules of `hosts` (zod skips them after a type error), asked of `hosts` itself.
      const hosts = nest(Object.fromEntries(hostPaths.map((p) => [p, read[p]]))).hosts;
      const hostIssues = hostsSchema.safeParse(hosts).error?.issues ?? [];
      for (const issue of hostIssues) {
        const path = `hosts.${issue.path.join('.')}`;
        if (path.endsWith('.jump')) expected.add(path);
      }
      const outcome = issuesOf(profileYaml(values));
      if (outcome instanceof Error) {
        problems.push(`case ${i} crashed: ${outcome.message}`);
        continue;
      }
      const issues = outcome ?? [];
      if (issues.length > 0) refusedDocs += 1;
      const named = new Set<string>();
      for (const issue of issues) {
        const field = fieldOf(issue.field);
        if (!field || !issue.message.trim())
          problems.push(`case ${i}: unexpected issue ${JSON.stringify(issue)}`);
        else named.add(field);
      }
      for (const p of expected)
        if (!named.has(p)) problems.push(`case ${i}: ${p} = ${keyOf(values[p]).slice(0, 80)} was not named`);
      for (const p of named)
        if (!expected.has(p))
          problems.push(`case ${i}: ${p} = ${keyOf(values[p]).slice(0, 80)} was named but is valid`);
      for (const p of paths) {
        if (expected.has(p)) continue;
        const list = verdicts.accepted.get(p) ?? [];
        list.push(read[p]);
        verdicts.accepted.set(p, list);
      }
      if (problems.length > 20) break;
    }
    expect(problems).toEqual([]);
    expect(refusedDocs).toBeGreaterThan(CASES / 2);
  }, 600_000);

  it('an accepted value reaches a command line only as the words a plain value would be', async () => {
    // Fed by the test above: the values parseProfile accepted.
    expect(verdicts.accepted.size).toBe(FIELDS.length);
    const problems: string[] = [];
    let readByBash = 0;
    for (const field of FIELDS) {
      const accepted = [
        ...new Map((verdicts.accepted.get(field.path) ?? []).map((v) => [keyOf(v), v])).values(),
      ];
      const optionLike = accepted.filter((v) => typeof v === 'string' && v.startsWith('-'));
      if (REMOTE_PATHS.has(field.path) && optionLike.length > 0)
        problems.push(
          `${field.path}: ${optionLike.length} values starting with "-" were accepted (e.g. ${JSON.stringify(optionLike.slice(0, 3))}); cd, mkdir and tee read such an operand as an option`,
        );
      // Quoted on every command line, so the remote shell would look for a folder named "~".
      const tildeLike = accepted.filter((v) => typeof v === 'string' && v.startsWith('~'));
      if (REMOTE_PATHS.has(field.path) && tildeLike.length > 0)
        problems.push(
          `${field.path}: ${tildeLike.length} values starting with "~" were accepted (e.g. ${JSON.stringify(tildeLike.slice(0, 3))}); the remote shell gets them quoted and never expands them`,
        );
      const refsOf = field.refs ?? defaultRefs;
      // References per shape of value (absolute or relative path, v-prefixed version): built once each.
      const refCache = new Map<
        string,
        { ref: Value; sig: Signature; other: Value; sig2: Signature; dependent: string[] }
      >();
      const refFor = async (v: Value) => {
        const [r1, r2] = refsOf(v);
        const cacheKey = keyOf(r1);
        let hit = refCache.get(cacheKey);
        if (!hit) {
          const p1 = profileWith(field.path, r1);
          const p2 = profileWith(field.path, r2);
          if (!p1.success || !p2.success) throw new Error(`${field.path}: reference values do not parse`);
          const s1 = await signature(p1.data, ACTIONS);
          const s2 = await signature(p2.data, ACTIONS);
          const dependent = [...s1.keys()].filter((k) => !isDeepStrictEqual(s1.get(k), s2.get(k)));
          hit = { ref: r1, sig: s1, other: r2, sig2: s2, dependent };
          refCache.set(cacheKey, hit);
        }
        return hit;
      };
      const probe = await refFor(accepted[0] ?? BASE[field.path]);
      const reachesCommands =
        !field.typed && probe.dependent.some((k) => probe.sig.get(k)?.command.includes(String(probe.ref)));
      const chosen = [...accepted]
        .map((v) => ({ v, score: diversity(v) }))
        .sort((a, b) => b.score - a.score)
        .map(({ v }) => v)
        .slice(0, reachesCommands ? CHECKED_PER_COMMAND_FIELD : CHECKED_PER_OTHER_FIELD);

      const lines: string[] = [];
      const expectations: { line: number; refLine: number; ref: Value; value: Value; key: string }[] = [];
      const refLines = new Map<string, number>();
      for (const given of chosen) {
        const parsed = profileWith(field.path, given);
        if (!parsed.success) continue; // the jump rules: only valid together with the other host's jump
        // What the app works with: the value after defaults and normalisation.
        const used = readPath(parsed.data, field.path);
        const v = used === undefined ? MISSING : used;
        const { ref, sig, other, sig2, dependent } = await refFor(v);
        if (field.typed) {
          const want = keyOf(v) === keyOf(other) ? sig2 : sig;
          const mine = await signature(parsed.data, ACTIONS);
          if (!isDeepStrictEqual(mine, want))
            problems.push(`${field.path} = ${keyOf(v)}: the commands differ from the reference's`);
          continue;
        }
        const actions = reachesCommands
          ? [
              ...new Set(
                dependent.filter((k) => !k.startsWith('status:')).map((k) => k.split(':')[0] as string),
              ),
            ]
          : ACTIONS;
        let mine: Signature;
        try {
          mine = await signature(parsed.data, actions);
        } catch (e) {
          problems.push(
            `${field.path} = ${keyOf(v).slice(0, 80)}: building the commands failed: ${(e as Error).message}`,
          );
          continue;
        }
        for (const [key, sent] of mine) {
          const want = sig.get(key);
          if (!want) {
            problems.push(`${field.path} = ${keyOf(v).slice(0, 80)}: sends ${key}, the reference does not`);
          } else if (want.command.startsWith(SHELL_SECTION)) {
            // checks.backup.command is the profile author's own shell code by design: it must arrive whole.
            const whole =
              field.path === 'checks.backup.command' ? `${SHELL_SECTION}${String(v)}` : want.command;
            if (sent.command !== whole || sent.host !== want.host)
              problems.push(
                `${field.path} = ${keyOf(v).slice(0, 80)}: ${key} became ${JSON.stringify(sent)}`,
              );
          } else if (
            isDeepStrictEqual(v, ref) ||
            !want.command.includes(String(Array.isArray(ref) ? ref[0] : ref))
          ) {
            if (!isDeepStrictEqual(sent, want))
              problems.push(
                `${field.path} = ${keyOf(v).slice(0, 80)}: ${key} became ${JSON.stringify(sent)}`,
              );
          } else {
            const refKey = `${keyOf(ref)}\n${key}`;
            if (!refLines.has(refKey)) {
              refLines.set(refKey, lines.length);
              lines.push(want.command);
            }
            expectations.push({
              line: lines.length,
              refLine: refLines.get(refKey) as number,
              ref,
              value: v,
              key,
            });
            lines.push(sent.command);
          }
        }
        if (!reachesCommands && [...sig.keys()].some((k) => !mine.has(k)))
          problems.push(`${field.path} = ${keyOf(v).slice(0, 80)}: sends less than the reference`);
      }
      if (lines.length === 0) continue;
      readByBash += expectations.length;
      const records = await recordCommands(lines);
      const nestedLines: string[] = [];
      const nestedWant: { line: number; refLine: number; ref: Value; value: Value; key: string }[] = [];
      const nestedRef = new Map<number, number>();
      const scriptAt = (cmd: string[] | undefined) => (cmd?.[0] === 'bash' ? cmd.indexOf('-c') + 1 : 0);
      for (const e of expectations) {
        const got = records[e.line] as string[][];
        const refRecords = records[e.refLine] as string[][];
        const want = substituted(refRecords, e.ref, e.value, e.key);
        // A nested script is one word here (checked below); its own quoting is not the reference's.
        const outer = (cmds: string[][]) =>
          cmds.map((c) => c.map((w, i) => (i > 0 && i === scriptAt(c) ? '<script>' : w)));
        if (!sameWords(outer(got), outer(want))) {
          problems.push(
            `${field.path} = ${keyOf(e.value).slice(0, 80)}: ${e.key} reads as ${JSON.stringify(got).slice(0, 300)}, not ${JSON.stringify(want).slice(0, 300)}`,
          );
          continue;
        }
        // A nested `bash -c <script>` (config.apply): the script's own words, for the most hostile values.
        const refCommand = refRecords[0];
        if (scriptAt(refCommand) === 0 || nestedWant.length >= NESTED_PER_FIELD) continue;
        if (!nestedRef.has(e.refLine)) {
          nestedRef.set(e.refLine, nestedLines.length);
          nestedLines.push(refCommand?.[scriptAt(refCommand)] as string);
        }
        nestedWant.push({ ...e, line: nestedLines.length, refLine: nestedRef.get(e.refLine) as number });
        nestedLines.push(got[0]?.[scriptAt(got[0])] as string);
      }
      if (nestedLines.length > 0) {
        const nested = await recordCommands(nestedLines, 'pipes');
        // The two sides of a pipeline run at once: their records may come in either order.
        const byName = (cmds: string[][]) => [...cmds].sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
        for (const n of nestedWant) {
          const got = byName(nested[n.line] as string[][]);
          const want = byName(substituted(nested[n.refLine] as string[][], n.ref, n.value, n.key));
          if (!sameWords(got, want))
            problems.push(
              `${field.path} = ${keyOf(n.value).slice(0, 80)}: the script of ${n.key} reads as ${JSON.stringify(got).slice(0, 300)}`,
            );
        }
      }
      if (problems.length > 20) break;
    }
    expect(problems).toEqual([]);
    expect(readByBash).toBeGreaterThan(10 * CHECKED_PER_COMMAND_FIELD);
  }, 600_000);

  it('an accepted profile name can name the per-profile state files', async () => {
    const names = [...new Set((verdicts.accepted.get('name') ?? []) as string[])]
      .sort((a, b) => encodeURIComponent(b).length - encodeURIComponent(a).length)
      .slice(0, 5);
    // 100 characters (the limit) of three UTF-8 bytes each: "家" is a name character like any other.
    names.push('家'.repeat(100));
    const problems: string[] = [];
    for (const name of names) {
      const dataDir = await mkdtemp(join(tmpdir(), 'hostile-name-'));
      try {
        const profile = profileSchema.parse(nest({ ...BASE, caFile: MISSING, name, uid: randomUUID() }));
        const core = await createCore({ profile, dataDir, secrets: new MemorySecrets() });
        try {
          core.maintenance.enter({
            key: MAINTENANCE_MODE_KEY,
            units: 'all',
            reason: 'test',
            persistent: true,
          });
        } catch (e) {
          problems.push(
            `name ${JSON.stringify(name.slice(0, 30))}… (${name.length} characters): ${(e as Error).message}`,
          );
        } finally {
          await core.close();
        }
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    }
    expect(problems).toEqual([]);
  });
});

// ----------------------------------------------------------------- malformed, oversized, mistyped YAML

const VALID = profileYaml({ ...BASE, caFile: MISSING });

/** The profile is refused as a typed ProfileInvalid whose issues all name something, or accepted. */
function refusal(text: string): { field: string; message: string }[] {
  const outcome = issuesOf(text);
  if (outcome instanceof Error) throw new Error(`parseProfile crashed: ${outcome.name}: ${outcome.message}`);
  if (outcome === null) return [];
  for (const issue of outcome) {
    expect(issue.field.length).toBeGreaterThan(0);
    expect(issue.message.trim().length).toBeGreaterThan(0);
  }
  return outcome;
}

const timed = <T>(work: () => T): { value: T; ms: number } => {
  const started = performance.now();
  const value = work();
  return { value, ms: performance.now() - started };
};

describe('malformed, oversized and mistyped profile YAML', () => {
  it('the valid base profile is accepted (so every refusal below is about the damage)', () => {
    expect(refusal(VALID)).toEqual([]);
    expect(refusal(`\ufeff${VALID.replaceAll('\n', '\r\n')}`)).toEqual([]);
  });

  it('an alias bomb is refused fast, before it expands', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`,
      );
    }
    const { value, ms } = timed(() => refusal(`${levels.join('\n')}\nname: *i\n`));
    expect(value).toEqual([expect.objectContaining({ field: '(yaml)' })]);
    expect(value[0]?.message).toMatch(/alias/i);
    expect(ms).toBeLessThan(2_000);
    // A few aliases are plain YAML and work.
    expect(
      refusal(
        VALID.replace('  homeserver:\n    address:', '  homeserver:\n    address:')
          .replace('user: "admin"', 'user: &u "admin"')
          .replace('user: "root"', 'user: *u'),
      ),
    ).toEqual([]);
  });

  it('deep nesting, 10 MB and the size limit: refused naming the line or the file, without a crash', () => {
    const line = VALID.split('\n').length;
    const tooDeep = (at: number) => [
      { field: '(yaml)', message: `is nested too deeply at line ${at} (more than 64 levels)` },
    ];
    const flows = `${VALID}surprise: ${'['.repeat(60_000)}${']'.repeat(60_000)}\n`;
    // Measured before the parser recurses: its stack would give out, and a second such parse then
    // aborted the whole process (V8: "RegExpCompiler Allocation failed"); so parse it a few times.
    for (let i = 0; i < 3; i++) {
      const deep = timed(() => refusal(flows));
      expect(deep.value).toEqual(tooDeep(line));
      expect(deep.ms).toBeLessThan(2_000);
    }
    expect(() => parseProfile(flows, '/home/admin/deep.yaml')).toThrow(
      'The profile /home/admin/deep.yaml is not valid: (yaml): is nested too deeply at line',
    );
    expect(refusal(`${VALID}surprise:\n${'- '.repeat(60_000)}x\n`)).toEqual(tooDeep(line + 1));
    expect(refusal(`${VALID}surprise:\n${'? '.repeat(60_000)}x\n`)).toEqual(tooDeep(line + 1));
    const maps = (n: number) =>
      `${VALID}surprise:\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} 1\n`;
    expect(refusal(maps(500))).toHaveLength(1);
    expect(refusal(maps(500))[0]?.message).toMatch(
      /^is nested too deeply at line \d+ \(more than 64 levels\)$/,
    );
    // Brackets in quoted, block and plain scalars and in comments are text, not nesting.
    const text = '['.repeat(5_000);
    expect(
      refusal(
        VALID.replace('name: "Lab"', `name: |\n  ${text}\n# ${text}\nsurprise: '${text}' # ${text}`),
      ).map((i) => i.field),
    ).toEqual(['name', '(root)']);
    // Nested a little deeper than any profile, it is read and refused for what it holds.
    expect(refusal(maps(40))).toEqual([
      expect.objectContaining({ field: '(root)', message: expect.stringMatching(/surprise/) }),
    ]);
    const huge = timed(() => refusal(`${VALID}# ${'x'.repeat(10 * 1024 * 1024)}\n`));
    expect(huge.value).toEqual([{ field: '(file)', message: 'is larger than 256 KiB' }]);
    expect(huge.ms).toBeLessThan(1_000);
    // Just under the limit, a long comment is still a comment.
    expect(refusal(`${VALID}# ${'x'.repeat(256 * 1024 - VALID.length - 10)}\n`)).toEqual([]);
  });

  it('binary junk, alone or after a valid profile, is refused without a crash', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3_000 }),
        fc.boolean(),
        fc.constantFrom('utf8', 'latin1'),
        (bytes, after, encoding) => {
          const junk = Buffer.from(bytes).toString(encoding as BufferEncoding);
          refusal(after ? `${VALID}${junk}` : junk);
        },
      ),
      { numRuns: sweep(1_000) },
    );
  }, 60_000);

  it('YAML syntax errors name the line; duplicate keys, tabs, several documents included', () => {
    const cases = [
      `${VALID}name: again\n`,
      VALID.replace('  homeserver:\n', '  homeserver:\n\t'),
      `${VALID}---\n${VALID}`,
      VALID.replace('name: "Lab"', 'name: "Lab'),
      VALID.replace('units: ', 'units: [unclosed, '),
      `${VALID}\0\n`,
    ];
    for (const text of cases) {
      const issues = refusal(text);
      expect(issues[0]?.field, text.slice(0, 80)).toBe('(yaml)');
      expect(issues[0]?.message).toMatch(/line \d+|document|NUL|character/i);
    }
  });

  it('tags, merge keys and prototype keys: refused as the wrong type or an unknown key, nothing runs or leaks', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).join();
    const named = (text: string) => refusal(text).map((i) => i.field);
    expect(named(VALID.replace('name: "Lab"', 'name: !!binary aGVsbG8='))).toEqual(['name']);
    expect(named(VALID.replace('port: 22', 'port: !!str 22'))).toEqual(['hosts.homeserver.port']);
    expect(
      named(VALID.replace('name: "Lab"', 'name: !!js/function "function () { globalThis.pwned = 1 }"')),
    ).toEqual([]);
    expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
    expect(named(VALID.replace('units: ', 'units: !!set { a, b } #'))).toEqual(['units']);
    expect(named(`${VALID}__proto__:\n  polluted: 1\n`)).toEqual(['(root)']);
    expect(named(VALID.replace('hosts:\n', 'hosts:\n  __proto__: { polluted: 1 }\n'))).toEqual(['hosts']);
    expect(
      named(VALID.replace('  deploy:\n    address:', '  deploy:\n    <<: { sudo: true }\n    address:')),
    ).toEqual(['hosts.deploy']);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).join()).toBe(before);
  });

  it('a wrong type for any section, or for the whole file, names that section', () => {
    const sections = [
      'hosts',
      'hosts.homeserver',
      'hosts.deploy',
      'homeserver',
      'deploy',
      'vault',
      'checks',
      'checks.backup',
      'status',
      'units',
    ];
    const notObject = fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.string({ maxLength: 20 }),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
    );
    const problems: string[] = [];
    const fieldsOfText = new Map<string, string[]>();
    for (const section of sections) {
      for (const value of fc.sample(notObject, { numRuns: sweep(300), seed: sections.indexOf(section) })) {
        if (section === 'units' && Array.isArray(value) && value.length === 0) continue;
        const values: Record<string, Value> = {};
        for (const [path, v] of Object.entries({ ...BASE, caFile: MISSING }))
          if (!path.startsWith(`${section}.`) && path !== section) values[path] = v;
        values[section] = value;
        // The same text (a boolean, null or small number drawn again) gets the same answer: asked once.
        const text = profileYaml(values);
        let fields = fieldsOfText.get(text);
        if (!fields) {
          fields = refusal(text).map((i) => i.field);
          fieldsOfText.set(text, fields);
        }
        const sectionNamed = fields.some((f) => f === section || f.startsWith(`${section}.`));
        if (!sectionNamed)
          problems.push(`${section} = ${JSON.stringify(value)} named ${JSON.stringify(fields)}`);
      }
    }
    expect(problems).toEqual([]);
    for (const root of ['42', '"just a string"', '[1, 2]', '', '# only a comment\n', 'null'])
      expect(refusal(root).map((i) => i.field)).toEqual(['(root)']);
  }, 60_000);
});
