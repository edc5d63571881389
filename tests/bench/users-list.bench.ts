import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Measure } from './run';

/**
 * users-list: the People panel listing and rendering a server of 1,000 more people (admin API, Tuwunel 1.9.0
 * lab) in Chromium, beside the by-hand `!admin users list-users` round trip in the admin room, measured in the
 * same run. In a child process: it needs a lab and keyring of its own (see users-list-child.ts).
 */
export default async function usersListBench(): Promise<Measure[]> {
  const child = join(import.meta.dirname, 'users-list-child.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], {
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"name":"users-list"'));
  if (!line) throw new Error(`users-list printed no measure: ${stdout.slice(-500)}`);
  return [JSON.parse(line) as Measure];
}
