import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lab } from '../../lab/types';

const ALLOWLIST_KEY = 'matrix_tuwunel_config_allowed_remote_server_names';

/**
 * The lab's vars.yml keeps the runbook's unanchored allowlist on purpose (the dashboard warns about it).
 * Scenarios that expect all green start from the fixed form: every entry anchored, dots escaped.
 */
export async function anchorAllowlist(lab: Lab): Promise<void> {
  const deploy = lab.profile.deploy;
  const file = join(deploy.dir ?? '', deploy.varsFile);
  const text = await readFile(file, 'utf8');
  const line = new RegExp(`^${ALLOWLIST_KEY}: \\[(.*)\\]$`, 'm');
  const m = line.exec(text);
  if (!m) throw new Error(`${file} has no one-line ${ALLOWLIST_KEY}`);
  const entries = (m[1] ?? '')
    .split(',')
    .map((e) => e.trim().replace(/^'|'$/g, ''))
    .filter((e) => e !== '')
    .map((e) => `'^${e.replaceAll('.', '\\.')}$'`);
  await writeFile(
    file,
    text.replace(line, () => `${ALLOWLIST_KEY}: [${entries.join(', ')}]`),
  );
}
