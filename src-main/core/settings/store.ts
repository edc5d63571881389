import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInput } from '../errors';
import { replaceFileAtomically } from '../lib/atomic-file';
import { DEFAULT_SETTINGS, type Settings, settingsSchema } from './schema';

export const SETTINGS_FILE = 'settings.json';

/**
 * The settings file in the data folder, shared by the app and the command line. A field that is
 * missing or no longer valid (hand-edited, an older version) falls back to its default on its own, so
 * one bad value never throws away the others.
 */
export class SettingsStore {
  readonly file: string;
  private current: Settings;
  private readonly listeners = new Set<(settings: Settings) => void>();
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly dataDir: string) {
    this.file = join(dataDir, SETTINGS_FILE);
    this.current = readSettings(this.file);
  }

  get(): Settings {
    return { ...this.current };
  }

  /** Validates the patch (InvalidInput names the field), writes the file, tells the subscribers. */
  async set(patch: Partial<Settings>): Promise<Settings> {
    const result = settingsSchema.partial().strict().safeParse(patch);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new InvalidInput(issue?.path.join('.') || 'settings', issue?.message ?? 'is not valid');
    }
    const next: Settings = { ...this.current, ...result.data };
    this.current = next;
    // Writes queue up so the file always ends with the last call's state.
    const write = this.writing.then(() => {
      mkdirSync(this.dataDir, { recursive: true });
      return replaceFileAtomically(this.file, `${JSON.stringify(next, null, 2)}\n`);
    });
    this.writing = write.catch(() => {});
    await write;
    for (const listener of this.listeners) {
      try {
        listener({ ...next });
      } catch {
        // A listener is a consumer (scheduler, UI); the settings are saved either way.
      }
    }
    return { ...next };
  }

  subscribe(listener: (settings: Settings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function readSettings(file: string): Settings {
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
  const settings: Settings = { ...DEFAULT_SETTINGS };
  if (saved === null || typeof saved !== 'object') return settings;
  const shape = settingsSchema.shape;
  for (const key of Object.keys(shape) as (keyof Settings)[]) {
    const parsed = shape[key].safeParse((saved as Record<string, unknown>)[key]);
    if (parsed.success) Object.assign(settings, { [key]: parsed.data });
  }
  return settings;
}
