import { posix } from 'node:path';
import { type Profile, profileSchema } from '../../../../src-main/core/profile/schema';
import type { KeychainRef, SecretStore } from '../../../../src-main/core/secrets/types';

/** The profile's deploy section for a playbook checkout at `dir` (tests that run the playbook's stand-in point it at a temp folder). */
export function deployAt(dir: string) {
  return {
    dir,
    inventory: 'inventory/hosts',
    vaultPasswordFile: '/root/.vault_pass',
    varsFile: 'inventory/host_vars/matrix.lab.test/vars.yml',
    logDir: posix.join(dir, 'logs'),
  };
}

/** A profile shaped like the lab's (server lab.test), for tests that never connect anywhere. */
export function testProfile(overrides: Record<string, unknown> = {}): Profile {
  return profileSchema.parse({
    name: 'lab.test',
    serverName: 'lab.test',
    publicUrl: 'https://matrix.lab.test',
    hosts: {
      homeserver: { address: '127.0.0.1', port: 22, user: 'admin', sudo: true },
      deploy: { address: '127.0.0.2', port: 22, user: 'root' },
    },
    homeserver: {
      image: 'ghcr.io/matrix-construct/tuwunel',
      version: 'v1.7.0',
      dataDir: '/matrix/tuwunel/data',
      configDir: '/matrix/tuwunel/config',
    },
    deploy: deployAt('/root/matrix-deploy'),
    ...overrides,
  });
}

/** The keychain's interface over a Map: unit tests only; integration tests use gnome-keyring. */
export class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  private key(ref: KeychainRef): string {
    return `${ref.profile}/${ref.kind}${ref.host ? `/${ref.host}` : ''}`;
  }
  async get(ref: KeychainRef): Promise<Buffer | null> {
    const v = this.values.get(this.key(ref));
    return v === undefined ? null : Buffer.from(v);
  }
  async set(ref: KeychainRef, value: string | Buffer): Promise<void> {
    this.values.set(this.key(ref), value.toString());
  }
  async has(ref: KeychainRef): Promise<boolean> {
    return this.values.has(this.key(ref));
  }
  async delete(ref: KeychainRef): Promise<boolean> {
    return this.values.delete(this.key(ref));
  }
}
