import { parse } from 'yaml';
import type { Profile } from '../profile/schema';
import type { ExecOptions, ExecResult } from '../ssh/types';
import { readWithHashCommand, varsFilePath } from './commands';
import { readVarsOutput } from './playbook-steps';

/** The playbook variable that makes Tuwunel join every new account to these rooms (auto_join_rooms). */
export const AUTO_JOIN_VARIABLE = 'matrix_tuwunel_config_auto_join_rooms';

export interface AutoJoinRooms {
  /** The rooms a new user joins; [] when the variable is not set (the playbook's default). null: not read. */
  rooms: string[] | null;
  problem: string | null;
}

/** Reads vars.yml on the deploy host (read-only) for where an invited person lands after registering. */
export async function readAutoJoinRooms(
  exec: { exec(role: 'homeserver' | 'deploy', command: string, options?: ExecOptions): Promise<ExecResult> },
  profile: Profile,
): Promise<AutoJoinRooms> {
  const host = profile.deploy.host;
  const path = varsFilePath(profile);
  const out = await exec.exec(host, readWithHashCommand(path), {
    sudo: profile.hosts[host].sudo,
    timeoutMs: 20_000,
    label: 'Read vars.yml for the rooms new users join',
  });
  const read = readVarsOutput(out, path);
  if ('problem' in read) return { rooms: null, problem: read.problem };
  let vars: unknown;
  try {
    vars = parse(read.text, { maxAliasCount: 100 });
  } catch {
    return { rooms: null, problem: `${path} is not valid YAML` };
  }
  const value =
    vars && typeof vars === 'object' ? (vars as Record<string, unknown>)[AUTO_JOIN_VARIABLE] : undefined;
  if (value === undefined || value === null) return { rooms: [], problem: null };
  if (!Array.isArray(value) || value.some((r) => typeof r !== 'string'))
    return { rooms: null, problem: `${AUTO_JOIN_VARIABLE} in ${path} is not a list of room aliases or IDs` };
  return { rooms: value as string[], problem: null };
}
