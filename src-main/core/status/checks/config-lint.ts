import { isMap } from 'yaml';
import { parseVars, type VarsDocument } from '../../lib/vars-yaml';
import { compareVersions, parseVersion, sameVersion } from '../../lib/version';
import { shellQuote } from '../../ssh/quote';
import { clip, describeValue } from '../text';
import type { Finding } from '../types';

const ALLOWLIST_KEY = 'matrix_tuwunel_config_allowed_remote_server_names';
const ENV_KEY = 'matrix_tuwunel_environment_variables_extension';
const VERSION_KEY = 'matrix_tuwunel_version';
const ALLOW_REGISTRATION_KEY = 'matrix_tuwunel_config_allow_registration';
const REGISTRATION_TOKEN_KEY = 'matrix_tuwunel_config_registration_token';
const OPEN_REGISTRATION_KEY =
  'matrix_tuwunel_config_yes_i_am_very_very_sure_i_want_an_open_registration_server_prone_to_abuse';
/** The yaml library's own guard against an "alias bomb" (billion laughs); the playbook's parser has none. */
const MAX_ALIAS_COUNT = 100;
/** tuwunel#489: before 1.8.0 the allowlist also filters the server's own users' events. */
const OWN_SERVER_EXEMPT_FROM = parseVersion('1.8.0')!;

export function varsFilePath(deployDir: string, varsFile: string): string {
  return varsFile.startsWith('/') ? varsFile : `${deployDir.replace(/\/+$/, '')}/${varsFile}`;
}

export function varsCommand(path: string): string {
  return `cat -- ${shellQuote(path)}`;
}

type Vars = Record<string, unknown>;

/** The Jinja the playbook's vars commonly use in these keys: `{{ name }}` and `{{ name | regex_escape }}` of a top-level string. */
function resolveTemplate(value: string, vars: Vars): { text: string; unresolved: boolean } {
  let unresolved = false;
  const text = value.replace(
    /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\|\s*regex_escape\s*)?\}\}/g,
    (whole, name, regexEscape) => {
      const v = vars[name];
      if (typeof v !== 'string' || v.includes('{{')) {
        unresolved = true;
        return whole;
      }
      return regexEscape ? v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : v;
    },
  );
  return { text, unresolved: unresolved || text.includes('{{') || text.includes('{%') };
}

/** The only safe entry for a host: anchored both ends, dots escaped. */
export function safeAllowlistEntry(host: string): string {
  return `^${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

/** Dots that match any character: not escaped, not inside [...], not a deliberate `.*` / `.+` wildcard. */
function hasUnescapedDot(pattern: string): boolean {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '.' && !/[*+?{]/.test(pattern[i + 1] ?? '')) return true;
  }
  return false;
}

export interface AllowlistEntryProblem {
  entry: string;
  problem: string;
  safe: string;
}

export function allowlistEntryProblem(entry: string): AllowlistEntryProblem | null {
  const anchoredStart = entry.startsWith('^') || entry.startsWith('.*');
  const anchoredEnd = (entry.endsWith('$') && !entry.endsWith('\\$')) || entry.endsWith('.*');
  const dots = hasUnescapedDot(entry);
  try {
    new RegExp(entry);
  } catch {
    return {
      entry,
      problem: 'is not a valid regex',
      safe: safeAllowlistEntry(entry.replace(/^\^|\$$/g, '')),
    };
  }
  if (anchoredStart && anchoredEnd && !dots) return null;
  const problems = [
    ...(!anchoredStart || !anchoredEnd ? ['is not anchored (^…$)'] : []),
    ...(dots ? ['has unescaped dots'] : []),
  ];
  const bare = entry.replace(/^\^/, '').replace(/\$$/, '').replace(/\\\./g, '.');
  const safe = /^[A-Za-z0-9.-]+$/.test(bare)
    ? safeAllowlistEntry(bare)
    : `^(?:${entry.replace(/^\^|\$$/g, '')})$`;
  return { entry, problem: problems.join(' and '), safe };
}

function entryMatches(entry: string, host: string): boolean {
  try {
    return new RegExp(entry).test(host);
  } catch {
    return false;
  }
}

function hostOf(serverName: string): string {
  if (serverName.startsWith('[')) return serverName.slice(0, serverName.indexOf(']') + 1);
  const colon = serverName.lastIndexOf(':');
  return colon >= 0 ? serverName.slice(0, colon) : serverName;
}

function envLines(value: unknown): Map<string, string> {
  const env = new Map<string, string>();
  if (typeof value !== 'string') return env;
  for (const raw of value.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    env.set(
      line.slice(0, eq).trim(),
      line
        .slice(eq + 1)
        .trim()
        .replace(/^(["'])(.*)\1$/, '$2'),
    );
  }
  return env;
}

/** Allowlist entries named in one detail; a list of thousands stays one sentence. */
const SHOWN_PROBLEMS = 5;

const base = (id: string, title: string) => ({ id, group: 'config', title, units: [] as string[] });

/** Every finding the lint yields, in order; the first judges the file itself. */
export const CONFIG_CHECKS = [
  ['config:vars-file', 'vars.yml'],
  ['config:allowlist-own-server', 'Own server in federation allowlist'],
  ['config:allowlist-patterns', 'Federation allowlist patterns'],
  ['config:legacy-media', 'Legacy media for Element Web'],
  ['config:version-pin', 'Tuwunel version in vars.yml'],
  ['config:registration', 'Registration needs a token'],
] as const;
const LINTS = CONFIG_CHECKS.slice(1);

function notChecked(because: string): Finding[] {
  return LINTS.map(([id, title]) => ({
    ...base(id, title),
    level: 'unknown',
    detail: `Not checked: ${because}.`,
  }));
}

/**
 * Lints the deploy checkout's vars.yml against the runbook's lessons. `pin` is the profile's
 * homeserver.version, `running` what the server says it runs (when known). The allowlist rule fails while
 * either the release vars.yml deploys (else the pin) or the running one is below 1.8.0: from 1.8.0 on, Tuwunel
 * exempts its own server and the rule is a note. `source` is the file's text, or the document parseVars made of
 * it (a plan parses the text it deploys once, for the edit's check and this lint).
 */
export function configFindings(
  source: string | VarsDocument,
  opts: { serverName: string; pin: string; path: string; running?: string | null },
): Finding[] {
  const file = opts.path;
  const doc = typeof source === 'string' ? parseVars(source) : source;
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line;
    const message =
      err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'cannot be parsed';
    const parseFail: Finding = {
      ...base(...CONFIG_CHECKS[0]),
      level: 'fail',
      detail: `${file} is not valid YAML${line ? ` (line ${line})` : ''}: ${clip(message)}; fix it before the next playbook run, which would stop on it.`,
    };
    return [parseFail, ...notChecked(`${file} does not parse; fix the YAML error first`)];
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    return [
      {
        ...base(...CONFIG_CHECKS[0]),
        level: 'fail',
        detail: `${file} is YAML but not a mapping of variables; restore it from git before the next playbook run.`,
      },
      ...notChecked(`${file} is not a mapping of variables`),
    ];
  }
  let vars: Vars;
  try {
    vars = (doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {}) as Vars;
  } catch {
    return [
      {
        ...base(...CONFIG_CHECKS[0]),
        level: 'fail',
        detail: `${file} expands YAML aliases more than ${MAX_ALIAS_COUNT} times (an "alias bomb" that makes YAML parsers run out of memory); remove the repeated aliases (*name) from vars.yml before the next playbook run.`,
      },
      ...notChecked(`${file} expands YAML aliases beyond any real configuration`),
    ];
  }
  const findings: Finding[] = [
    { ...base(...CONFIG_CHECKS[0]), level: 'ok', detail: `${file} parses as YAML.` },
  ];

  const deployed =
    typeof vars[VERSION_KEY] === 'string' ? resolveTemplate(vars[VERSION_KEY], vars) : undefined;
  const deployedVersion =
    (deployed && !deployed.unresolved ? parseVersion(deployed.text) : null) ?? parseVersion(opts.pin);

  const running = opts.running ? parseVersion(opts.running) : null;
  findings.push(...allowlistFindings(vars, opts.serverName, deployedVersion, running));
  findings.push(legacyMediaFinding(vars));
  findings.push(versionPinFinding(deployed, opts.pin));
  findings.push(registrationFinding(vars));
  return findings;
}

type Version = NonNullable<ReturnType<typeof parseVersion>>;

/** The older of the two releases that matter (a lint must hold for both the deployed and the running one). */
function older(a: Version | null, b: Version | null): Version | null {
  if (!a) return b;
  if (!b) return a;
  return compareVersions(a, b) <= 0 ? a : b;
}

function allowlistFindings(
  vars: Vars,
  serverName: string,
  deployed: Version | null,
  running: Version | null,
): Finding[] {
  const version = older(deployed, running);
  const own = base(...CONFIG_CHECKS[1]);
  const pat = base(...CONFIG_CHECKS[2]);
  const raw = vars[ALLOWLIST_KEY];
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    return [
      {
        ...own,
        level: 'ok',
        detail: `${ALLOWLIST_KEY} is not set, so federation is open and no allowlist can lock out local users.`,
      },
      { ...pat, level: 'ok', detail: 'There is no federation allowlist to lint.' },
    ];
  }
  if (!Array.isArray(raw)) {
    const detail = `${ALLOWLIST_KEY} must be a YAML list of regexes; make it a list like ['${safeAllowlistEntry(hostOf(serverName))}'].`;
    return [
      { ...own, level: 'fail', detail },
      { ...pat, level: 'fail', detail },
    ];
  }
  const entries = raw.map((e) => resolveTemplate(describeValue(e), vars));
  const host = hostOf(serverName);
  const safeOwn = safeAllowlistEntry(host);
  const ownPresent = entries.some((e) => !e.unresolved && entryMatches(e.text, host));
  const anyUnresolved = entries.some((e) => e.unresolved);

  let ownFinding: Finding;
  if (ownPresent) {
    ownFinding = { ...own, level: 'ok', detail: `The federation allowlist admits the own server ${host}.` };
  } else if (anyUnresolved) {
    ownFinding = {
      ...own,
      level: 'unknown',
      detail: `The allowlist uses templates the app cannot resolve, so it cannot tell whether ${host} is allowed; add '${safeOwn}' literally.`,
    };
  } else if (version && compareVersions(version, OWN_SERVER_EXEMPT_FROM) < 0) {
    const which =
      running && compareVersions(running, OWN_SERVER_EXEMPT_FROM) < 0 && running.core !== deployed?.core
        ? `Tuwunel ${running.core} (running)`
        : `Tuwunel ${version.core}`;
    ownFinding = {
      ...own,
      level: 'fail',
      detail: `The federation allowlist does not admit ${host}, and ${which} then silently drops local users' events (tuwunel#489); add '${safeOwn}' to ${ALLOWLIST_KEY} and apply the config.`,
    };
  } else {
    ownFinding = {
      ...own,
      level: 'ok',
      detail: `Note: the federation allowlist does not admit ${host}, which is fine for Tuwunel ${version?.core ?? '1.8.0 or later'}: it exempts its own server since 1.8.0 (tuwunel#489). Add '${safeOwn}' back before any downgrade below 1.8.0.`,
    };
  }

  const problems = entries
    .filter((e) => !e.unresolved)
    .map((e) => allowlistEntryProblem(e.text))
    .filter((p): p is AllowlistEntryProblem => p !== null);
  const patFinding: Finding =
    problems.length === 0
      ? {
          ...pat,
          level: 'ok',
          detail:
            entries.length === 1
              ? 'The allowlist entry is an anchored regex with escaped dots.'
              : `All ${entries.length} allowlist entries are anchored regexes with escaped dots.`,
        }
      : {
          ...pat,
          level: 'warn',
          detail: `Entries are regexes matched anywhere in a server name (example.com also admits badexample.com): ${problems
            .slice(0, SHOWN_PROBLEMS)
            .map((p) => `'${clip(p.entry, 80)}' ${p.problem}, use '${clip(p.safe, 80)}'`)
            .join(
              '; ',
            )}${problems.length > SHOWN_PROBLEMS ? `; and ${problems.length - SHOWN_PROBLEMS} more` : ''}.`,
        };
  return [ownFinding, patFinding];
}

function legacyMediaFinding(vars: Vars): Finding {
  const f = base(...CONFIG_CHECKS[3]);
  const value = envLines(vars[ENV_KEY]).get('TUWUNEL_ALLOW_LEGACY_MEDIA');
  if (value?.toLowerCase() === 'true') {
    return {
      ...f,
      level: 'ok',
      detail: 'TUWUNEL_ALLOW_LEGACY_MEDIA=true keeps /_matrix/media/v3 working for Element Web.',
    };
  }
  return {
    ...f,
    level: 'warn',
    detail: `${value === undefined ? 'TUWUNEL_ALLOW_LEGACY_MEDIA=true is missing from' : `TUWUNEL_ALLOW_LEGACY_MEDIA is "${clip(value, 60)}" in`} ${ENV_KEY}, so Element Web shows broken images and avatars whenever its media service worker fails (Firefox, private windows, stale sw.js) and it falls back to /_matrix/media/v3; add the line and apply the config.`,
  };
}

function versionPinFinding(
  deployed: { text: string; unresolved: boolean } | undefined,
  pin: string,
): Finding {
  const f = base(...CONFIG_CHECKS[4]);
  if (!deployed) {
    return {
      ...f,
      level: 'warn',
      detail: `${VERSION_KEY} is not set in vars.yml, so the playbook deploys its role default instead of ${pin}; add \`${VERSION_KEY}: ${pin}\`.`,
    };
  }
  if (deployed.unresolved) {
    return {
      ...f,
      level: 'unknown',
      detail: `${VERSION_KEY} is the template "${clip(deployed.text, 80)}", which the app cannot resolve; write the version literally to have it checked.`,
    };
  }
  if (!sameVersion(deployed.text, pin)) {
    return {
      ...f,
      level: 'warn',
      detail: `vars.yml deploys ${VERSION_KEY} ${clip(deployed.text, 80)} but the profile pins ${pin}; make them agree (homeserver.version in the profile, or vars.yml) before applying the config.`,
    };
  }
  return {
    ...f,
    level: 'ok',
    detail: `vars.yml pins ${VERSION_KEY}: ${deployed.text}, as the profile does.`,
  };
}

function isTemplate(value: unknown): boolean {
  return typeof value === 'string' && (value.includes('{{') || value.includes('{%'));
}

function truthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return ['true', 'yes', 'on', '1'].includes(value.trim().toLowerCase());
  return value === 1;
}

/** The playbook's validate_config.yml: registration on needs a token, or open registration acknowledged. */
function registrationFinding(vars: Vars): Finding {
  const f = base(...CONFIG_CHECKS[5]);
  const allow = vars[ALLOW_REGISTRATION_KEY];
  if (isTemplate(allow))
    return {
      ...f,
      level: 'unknown',
      detail: `${ALLOW_REGISTRATION_KEY} is a template the app cannot resolve; write true or false to have it checked.`,
    };
  if (!truthy(allow)) return { ...f, level: 'ok', detail: 'Registration is off: nobody can sign up.' };
  const token = vars[REGISTRATION_TOKEN_KEY];
  if (typeof token === 'string' && token.trim() !== '')
    return {
      ...f,
      level: 'ok',
      detail: `Registration is on and needs the token ${REGISTRATION_TOKEN_KEY} sets${isTemplate(token) ? ' (from the vault)' : ''}.`,
    };
  if (truthy(vars[OPEN_REGISTRATION_KEY]))
    return {
      ...f,
      level: 'warn',
      detail: `Registration is open to anyone (${OPEN_REGISTRATION_KEY} is true); set ${REGISTRATION_TOKEN_KEY} to require a token.`,
    };
  return {
    ...f,
    level: 'fail',
    detail: `${ALLOW_REGISTRATION_KEY} is true but ${REGISTRATION_TOKEN_KEY} is empty, so the playbook stops ("Fail if registration is enabled without a token"); set the token (from the vault) or turn registration off.`,
  };
}
