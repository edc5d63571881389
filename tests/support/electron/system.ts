import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { OpenExternalOptions, PowerMonitor, SafeStorage, Shell } from 'electron';
import { type Imitation, INSIDE, type OnlyElectron } from './imitation';
import { conversionFailure, electronEvent, record } from './recorder';
import { readiness } from './registry';

class StandInShell implements Imitation<Shell> {
  /** URLs handed to the user's browser, in order. */
  readonly [INSIDE] = { opened: [] as { url: string; options?: OpenExternalOptions }[] };

  async openExternal(url: string, options?: OpenExternalOptions): Promise<void> {
    record('shell', 'openExternal', options === undefined ? [url] : [url, options]);
    if (typeof url !== 'string' || !URL.canParse(url)) throw conversionFailure(0, url);
    this[INSIDE].opened.push(options === undefined ? { url } : { url, options });
  }

  beep(): void {
    record('shell', 'beep', []);
  }
}
const shellOnly: OnlyElectron<StandInShell, Shell> = true;
void shellOnly;

export const shell = new StandInShell();

/**
 * powerMonitor: the OS's sleep, wake, lock and power-source events (fired by tests through standIn.power),
 * and the idle time the OS reports.
 */
class StandInPowerMonitor extends EventEmitter implements Imitation<PowerMonitor> {
  readonly [INSIDE] = { idleSeconds: 0, locked: false, onBattery: false };

  getSystemIdleTime(): number {
    return this[INSIDE].idleSeconds;
  }

  getSystemIdleState(idleThreshold: number): 'active' | 'idle' | 'locked' | 'unknown' {
    const s = this[INSIDE];
    if (s.locked) return 'locked';
    return s.idleSeconds >= idleThreshold ? 'idle' : 'active';
  }

  isOnBatteryPower(): boolean {
    return this[INSIDE].onBattery;
  }

  get onBatteryPower(): boolean {
    return this[INSIDE].onBattery;
  }

  getCurrentThermalState(): 'unknown' | 'nominal' | 'fair' | 'serious' | 'critical' {
    return 'unknown';
  }
}
const powerOnly: OnlyElectron<StandInPowerMonitor, PowerMonitor> = true;
void powerOnly;

export const powerMonitor = new StandInPowerMonitor();

/** The OS events, as Electron delivers them: only once the app is ready (power-monitor.ts starts then). */
export const power = {
  suspend(): void {
    emitPower('suspend');
  },
  resume(): void {
    emitPower('resume');
  },
  lockScreen(): void {
    powerMonitor[INSIDE].locked = true;
    emitPower('lock-screen');
  },
  unlockScreen(): void {
    powerMonitor[INSIDE].locked = false;
    emitPower('unlock-screen');
  },
  onBattery(): void {
    powerMonitor[INSIDE].onBattery = true;
    emitPower('on-battery');
  },
  onAc(): void {
    powerMonitor[INSIDE].onBattery = false;
    emitPower('on-ac');
  },
  /** The session is ending (Linux and macOS): a listener may prevent it to clean up first. */
  shutdown(): boolean {
    const event = electronEvent();
    emitPower('shutdown', event);
    return !event.defaultPrevented;
  },
  idleFor(seconds: number): void {
    powerMonitor[INSIDE].idleSeconds = seconds;
  },
};

function emitPower(name: string, ...args: unknown[]): void {
  if (!readiness.ready) throw new Error(`powerMonitor: '${name}' cannot reach the app before it is ready`);
  powerMonitor.emit(name, ...args);
}

/**
 * Chromium's OSCrypt on Linux: "v11" + AES-128-CBC under a key derived (PBKDF2-SHA1, salt "saltysalt", one
 * iteration) from a password kept in the keyring; with the basic_text backend "v10" and the password
 * "peanuts". Decrypting anything without the prefix is Electron's "does not appear to be encrypted".
 */
const SALT = 'saltysalt';
const IV = Buffer.alloc(16, ' ');
type Backend = ReturnType<SafeStorage['getSelectedStorageBackend']>;

class StandInSafeStorage implements Imitation<SafeStorage> {
  readonly [INSIDE] = {
    backend: 'gnome_libsecret' as Backend,
    keyringPassword: randomBytes(16).toString('base64'),
    usePlainText: false,
  };

  private key(version: 'v10' | 'v11'): Buffer {
    const password = version === 'v10' ? 'peanuts' : this[INSIDE].keyringPassword;
    return pbkdf2Sync(password, SALT, 1, 16, 'sha1');
  }

  private version(): 'v10' | 'v11' {
    return this[INSIDE].backend === 'basic_text' ? 'v10' : 'v11';
  }

  isEncryptionAvailable(): boolean {
    const s = this[INSIDE];
    if (!readiness.ready) return false;
    return s.backend === 'basic_text' ? s.usePlainText : s.backend !== 'unknown';
  }

  setUsePlainTextEncryption(usePlainText: boolean): void {
    record('safeStorage', 'setUsePlainTextEncryption', [usePlainText]);
    this[INSIDE].usePlainText = usePlainText;
  }

  getSelectedStorageBackend(): Backend {
    return readiness.ready ? this[INSIDE].backend : 'unknown';
  }

  encryptString(plainText: string): Buffer {
    record('safeStorage', 'encryptString', ['<plaintext>']);
    if (!this.isEncryptionAvailable()) {
      if (!readiness.ready) throw new Error('safeStorage cannot be used before app is ready');
      throw new Error(
        'Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.',
      );
    }
    const version = this.version();
    const cipher = createCipheriv('aes-128-cbc', this.key(version), IV);
    return Buffer.concat([Buffer.from(version), cipher.update(plainText, 'utf8'), cipher.final()]);
  }

  decryptString(encrypted: Buffer): string {
    record('safeStorage', 'decryptString', ['<ciphertext>']);
    if (!this.isEncryptionAvailable()) {
      if (!readiness.ready) throw new Error('safeStorage cannot be used before app is ready');
      throw new Error(
        'Error while decrypting the ciphertext provided to safeStorage.decryptString. Decryption is not available.',
      );
    }
    if (!Buffer.isBuffer(encrypted))
      throw new Error('Expected the first argument of decryptString() to be a buffer');
    if (encrypted.length === 0) return '';
    const version = encrypted.subarray(0, 3).toString('latin1');
    if (version !== 'v10' && version !== 'v11')
      throw new Error(
        'Error while decrypting the ciphertext provided to safeStorage.decryptString. Ciphertext does not appear to be encrypted.',
      );
    try {
      const decipher = createDecipheriv('aes-128-cbc', this.key(version), IV);
      return Buffer.concat([decipher.update(encrypted.subarray(3)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    }
  }
}
const safeStorageOnly: OnlyElectron<StandInSafeStorage, SafeStorage> = true;
void safeStorageOnly;

export const safeStorage = new StandInSafeStorage();
