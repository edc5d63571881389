import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Real OpenSSH tools, so the tests compare against what OpenSSH itself does. */

export interface KeyPair {
  privatePath: string;
  publicPath: string;
  type: string;
  /** The public key blob (base64-decoded second field of the .pub file). */
  blob: Buffer;
  base64: string;
}

export function generateKey(
  dir: string,
  name: string,
  type: 'ed25519' | 'ecdsa' | 'rsa',
  passphrase = '',
): KeyPair {
  const privatePath = join(dir, name);
  const args = ['-q', '-t', type, '-N', passphrase, '-C', name, '-f', privatePath];
  if (type === 'rsa') args.push('-b', '2048');
  execFileSync('ssh-keygen', args);
  const [keyType, base64] = readFileSync(`${privatePath}.pub`, 'utf8').split(' ');
  return {
    privatePath,
    publicPath: `${privatePath}.pub`,
    type: keyType!,
    blob: Buffer.from(base64!, 'base64'),
    base64: base64!,
  };
}

/** `ssh-keygen -lf`: the fingerprint OpenSSH prints for the first key of a file. */
export function keygenFingerprint(path: string): string {
  return execFileSync('ssh-keygen', ['-lf', path], { encoding: 'utf8' }).split(' ')[1]!;
}

/** `ssh-keygen -H`: hashes every host name of a known_hosts file in place. */
export function keygenHash(path: string): void {
  execFileSync('ssh-keygen', ['-H', '-f', path], { stdio: 'ignore' });
}

/** `ssh-keygen -F`: the line numbers OpenSSH's own lookup finds for a name (`host` or `[host]:port`). */
export function keygenLookup(path: string, name: string): number[] {
  const r = spawnSync('ssh-keygen', ['-F', name, '-f', path], { encoding: 'utf8' });
  return [...r.stdout.matchAll(/found: line (\d+)/g)].map((m) => Number(m[1]));
}
