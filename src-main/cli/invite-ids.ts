import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The ids `invite list` shows and `invite revoke ID` takes, so that a live token never has to go on a
 * command line (where `ps` and the shell history keep it). An id is a keyed hash of the token: the same in
 * every CLI run (the key is a file of the data folder, readable only by its owner), and it leads back to no
 * token without the key and the server's list.
 */

const KEY_FILE = 'invite-ids.key';
const KEY_BYTES = 32;
export const INVITE_ID_PATTERN = /^[0-9a-f]{8}$/;

/** The data folder's key for invite ids, created on first use. */
export async function inviteIdKey(dataDir: string): Promise<Buffer> {
  const file = join(dataDir, KEY_FILE);
  const read = async () => {
    const key = await readFile(file);
    return key.length === KEY_BYTES ? key : null;
  };
  const existing = await read().catch(() => null);
  if (existing) return existing;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // `wx`: when two runs race, one key is written and both use it.
  await writeFile(file, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' }).catch(
    (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    },
  );
  const written = await read();
  if (!written) throw new Error(`${file} is not a key of ${KEY_BYTES} bytes; delete it and try again`);
  return written;
}

/** 8 hex characters: short enough to type, and a clash among a server's few invites is refused, not guessed. */
export function inviteId(key: Buffer, token: string): string {
  return createHmac('sha256', key).update(token).digest('hex').slice(0, 8);
}
