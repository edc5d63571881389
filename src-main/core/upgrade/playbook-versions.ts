import { posix } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { RemoteFailed } from '../errors';
import { parseVersion, type Version } from '../lib/version';
import type { HostRole } from '../profile/schema';
import { shellCommand } from '../ssh/quote';
import type { RemoteExec } from '../ssh/types';

/**
 * The Tuwunel version the deploy checkout would roll out: the playbook's role default (what `git pull`
 * brings) and the pin in vars.yml (what wins over it). Read from the deploy host, so the homeserver never
 * needs the internet to learn that a release is out: deploy.update already pulled it.
 */

export const VERSION_KEY = 'matrix_tuwunel_version';

/** Where matrix-docker-ansible-deploy keeps the Tuwunel role's defaults, in the playbook checkout. */
export const ROLE_DEFAULTS_FILE = 'roles/custom/matrix-tuwunel/defaults/main.yml';

export function roleDefaultsPath(deployDir: string): string {
  return posix.join(deployDir, ROLE_DEFAULTS_FILE);
}

/**
 * Prints, for each file, `@@ <path>` and then only the top-level `matrix_tuwunel_version:` entry with its
 * continuation lines (a folded or quoted value may span several): the files hold the deploy's secrets and
 * hundreds of other keys, and the key's YAML is all the parser needs. A missing file is awk's error.
 */
const AWK_PROGRAM = [
  'FNR == 1 { on = 0; print "@@ " FILENAME }',
  'on && (/^[ \\t]/ || /^\\r?$/) { print; next }',
  '{ on = 0 }',
  `/^["']?${VERSION_KEY}["']?[ \\t]*:/ { on = 1; print }`,
].join('\n');

export interface VersionFiles {
  roleDefaults: string;
  vars: string;
}

export function versionsCommand(files: VersionFiles): string {
  return shellCommand('awk', AWK_PROGRAM, files.roleDefaults, files.vars);
}

/** What a file says about matrix_tuwunel_version. */
export type VersionEntry =
  | { state: 'absent' }
  | { state: 'version'; text: string; version: Version }
  /** A Jinja expression the app does not evaluate. */
  | { state: 'template'; text: string }
  | { state: 'invalid'; problem: string };

export interface PlaybookVersions {
  /** The role's default: what the playbook deploys when vars.yml does not pin. */
  roleDefault: VersionEntry;
  /** vars.yml's pin. */
  pin: VersionEntry;
}

/** The value of the key in the snippet awk printed for one file, read as YAML (quotes, comments, folding). */
export function readVersionEntry(snippet: string): VersionEntry {
  if (snippet.trim() === '') return { state: 'absent' };
  const doc = parseDocument(snippet, { uniqueKeys: false });
  if (doc.errors.length > 0 || !isMap(doc.contents))
    return { state: 'invalid', problem: `${VERSION_KEY} is not valid YAML` };
  // Like Ansible, the last of repeated keys wins.
  const value = (doc.toJS() as Record<string, unknown>)[VERSION_KEY];
  if (typeof value !== 'string')
    return {
      state: 'invalid',
      problem: `${VERSION_KEY} is ${value === null ? 'empty' : `a ${typeof value}`}, not a version string like v1.9.0`,
    };
  const text = value.trim();
  if (text.includes('{{') || text.includes('{%')) return { state: 'template', text };
  const version = parseVersion(text);
  if (!version)
    return { state: 'invalid', problem: `${VERSION_KEY} "${text.slice(0, 60)}" is not a version` };
  return { state: 'version', text, version };
}

/** Splits awk's output into the two files' entries. A file awk printed nothing for (empty) has no entry. */
export function parseVersionsOutput(stdout: string, files: VersionFiles): PlaybookVersions {
  const snippets = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('@@ ')) {
      current = [];
      snippets.set(line.slice(3), current);
    } else if (current) current.push(line);
  }
  const entry = (path: string) => readVersionEntry(snippets.get(path)?.join('\n') ?? '');
  return { roleDefault: entry(files.roleDefaults), pin: entry(files.vars) };
}

export interface ReadOptions {
  host: HostRole;
  sudo: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** One command on the deploy host; a file that cannot be read is a RemoteFailed naming it. */
export async function readPlaybookVersions(
  remote: RemoteExec,
  files: VersionFiles,
  options: ReadOptions,
): Promise<PlaybookVersions> {
  const res = await remote.exec(options.host, versionsCommand(files), {
    timeoutMs: options.timeoutMs,
    sudo: options.sudo,
    label: 'Read the Tuwunel version of the playbook',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (res.exitCode !== 0)
    throw new RemoteFailed(`Reading ${VERSION_KEY} on the ${options.host} host`, res.exitCode, res.stderr);
  return parseVersionsOutput(res.stdout, files);
}
