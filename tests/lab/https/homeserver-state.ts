import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The homeserver's state as the stand-ins keep it (the state/ folder of tests/lab/homeserver/lib/common.sh).
 * The HTTP server reads it on every request, so systemctl, docker and the playbook act on it at once.
 */

async function readText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}

/** Replaces a state file in one step, so a stand-in reading it concurrently never sees half of it. */
async function replaceFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, content);
  await rename(temp, path);
}

export async function unitActive(homeserverDir: string, unit: string): Promise<boolean> {
  return (await readText(join(homeserverDir, 'state', 'units', unit)))?.trim() === 'active';
}

/** When the unit last changed state (its file's mtime): a restart re-reads tuwunel.toml. */
export async function unitSince(homeserverDir: string, unit: string): Promise<number> {
  return stat(join(homeserverDir, 'state', 'units', unit)).then(
    (s) => s.mtimeMs,
    () => 0,
  );
}

const versionPath = (homeserverDir: string) => join(homeserverDir, 'state', 'tuwunel', 'version');

export async function readTuwunelVersion(homeserverDir: string): Promise<string | undefined> {
  return (await readText(versionPath(homeserverDir)))?.trim() || undefined;
}

export async function writeTuwunelVersion(homeserverDir: string, version: string): Promise<void> {
  await replaceFile(versionPath(homeserverDir), `${version.replace(/^v/, '')}\n`);
}

export interface LabUser {
  userId: string;
  admin: boolean;
  deactivated: boolean;
}

export async function readUsers(homeserverDir: string): Promise<LabUser[]> {
  const text = (await readText(join(homeserverDir, 'state', 'tuwunel', 'users'))) ?? '';
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [userId = '', admin, deactivated] = line.split('\t');
      return { userId, admin: admin === '1', deactivated: deactivated === '1' };
    });
}

export interface StoredToken {
  token: string;
  usesAllowed: number | null;
  pending: number;
  completed: number;
  expiryTimeMs: number | null;
}

const tokensPath = (homeserverDir: string) => join(homeserverDir, 'state', 'tuwunel', 'tokens');

function optionalNumber(field: string | undefined): number | null {
  return field === undefined || field === '-' || field === '' ? null : Number(field);
}

export async function readTokens(homeserverDir: string): Promise<StoredToken[]> {
  const text = (await readText(tokensPath(homeserverDir))) ?? '';
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [token = '', usesAllowed, pending, completed, expiry] = line.split('\t');
      return {
        token,
        usesAllowed: optionalNumber(usesAllowed),
        pending: Number(pending ?? 0),
        completed: Number(completed ?? 0),
        expiryTimeMs: optionalNumber(expiry),
      };
    });
}

export async function writeTokens(homeserverDir: string, tokens: readonly StoredToken[]): Promise<void> {
  const lines = tokens.map((t) =>
    [t.token, t.usesAllowed ?? '-', t.pending, t.completed, t.expiryTimeMs ?? '-'].join('\t'),
  );
  await replaceFile(tokensPath(homeserverDir), lines.length > 0 ? `${lines.join('\n')}\n` : '');
}

/**
 * The `registration_token` of a rendered tuwunel.toml (the playbook writes it as a JSON string), which
 * Tuwunel treats as a "config token": listed, never expiring, neither updatable nor revocable.
 */
export async function readConfigToken(tuwunelConfigDir: string): Promise<string | undefined> {
  const toml = await readText(join(tuwunelConfigDir, 'tuwunel.toml'));
  const match = toml?.match(/^registration_token\s*=\s*("(?:[^"\\]|\\.)*")\s*$/m);
  return match?.[1] ? (JSON.parse(match[1]) as string) : undefined;
}
