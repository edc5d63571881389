import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Document, isMap, isNode, parseDocument } from 'yaml';
import { AppError, InvalidInput, ProfileInvalid } from '../errors';
import { replaceFileAtomically } from '../lib/atomic-file';
import { parseProfile } from './load';
import { DEFAULT_UNITS, type Profile, profileSchema } from './schema';

/** No profile is saved or selected yet: the app opens onboarding, the command line says how to go on. */
export class NoProfile extends AppError {
  readonly code = 'NoProfile';
  readonly nextStep =
    'Create one in the app (first-run setup), or pass a profile file with --profile FILE (`npm run lab` prints one for the lab).';
  constructor(dir: string) {
    super(`No homeserver profile is selected in ${dir}.`);
  }
}

export interface ProfileSummary {
  id: string;
  name: string;
  serverName: string;
  file: string;
  units: string[];
}

export interface ProfilesList {
  profiles: ProfileSummary[];
  selectedId: string | null;
}

export interface ProfileIssue {
  field: string;
  message: string;
}

/** A draft is the profile as its YAML holds it (ProfileInput keys), before defaults. */
export type ProfileDraft = Record<string, unknown>;

const PROFILE_EXT = '.yaml';
const SELECTED_FILE = 'selected.json';
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The file name a profile gets from its name: lower case letters, digits, dots and dashes. */
export function profileSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 80);
  return slug || 'profile';
}

export function profileIssues(draft: unknown): ProfileIssue[] {
  const result = profileSchema.safeParse(draft);
  if (result.success) return [];
  return result.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message }));
}

/**
 * The profiles in the data folder, one YAML file each (`<dataDir>/profiles/<id>.yaml`), and which one
 * is selected. Saving an edited profile keeps the comments and layout of what it did not change.
 */
export class ProfileStore {
  readonly dir: string;

  constructor(readonly dataDir: string) {
    this.dir = join(dataDir, 'profiles');
  }

  fileOf(id: string): string {
    if (!ID_PATTERN.test(id)) throw new InvalidInput('profile', `"${id}" is not a profile id`);
    return join(this.dir, `${id}${PROFILE_EXT}`);
  }

  private async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names
      .filter((n) => n.endsWith(PROFILE_EXT))
      .map((n) => n.slice(0, -PROFILE_EXT.length))
      .filter((id) => ID_PATTERN.test(id))
      .sort();
  }

  private async readText(id: string): Promise<string> {
    try {
      return await readFile(this.fileOf(id), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new InvalidInput('profile', `"${id}" is not a saved profile`);
      throw e;
    }
  }

  private async selectedId(ids: string[]): Promise<string | null> {
    try {
      const saved = JSON.parse(await readFile(join(this.dir, SELECTED_FILE), 'utf8')) as { id?: unknown };
      if (typeof saved.id === 'string' && ids.includes(saved.id)) return saved.id;
    } catch {
      // No selection saved yet, or an unreadable one: fall back to the first profile.
    }
    return ids[0] ?? null;
  }

  async list(): Promise<ProfilesList> {
    const ids = await this.ids();
    const profiles = await Promise.all(ids.map((id) => this.summary(id)));
    return { profiles, selectedId: await this.selectedId(ids) };
  }

  private async summary(id: string): Promise<ProfileSummary> {
    const file = this.fileOf(id);
    let draft: ProfileDraft = {};
    try {
      draft = toDraft(parseDocument(await this.readText(id)).toJS());
    } catch {
      // A broken file is still listed, so it can be opened and fixed.
    }
    const parsed = profileSchema.safeParse(draft);
    if (parsed.success)
      return {
        id,
        name: parsed.data.name,
        serverName: parsed.data.serverName,
        file,
        units: parsed.data.units,
      };
    return {
      id,
      name: typeof draft.name === 'string' ? draft.name : id,
      serverName: typeof draft.serverName === 'string' ? draft.serverName : '',
      file,
      units: Array.isArray(draft.units)
        ? draft.units.filter((u) => typeof u === 'string')
        : [...DEFAULT_UNITS],
    };
  }

  /** The profile as the editor holds it. */
  async get(id: string): Promise<{ id: string; file: string; draft: ProfileDraft }> {
    const text = await this.readText(id);
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new ProfileInvalid(this.fileOf(id), yamlIssues(doc));
    return { id, file: this.fileOf(id), draft: toDraft(doc.toJS()) };
  }

  /** The validated profile (ProfileInvalid naming the fields of a bad file). */
  async load(id: string): Promise<Profile> {
    return parseProfile(await this.readText(id), this.fileOf(id));
  }

  validate(draft: unknown): ProfileIssue[] {
    return profileIssues(draft);
  }

  /** Validates and writes a profile (a new one when id is null) and selects it. */
  async save(id: string | null, draft: ProfileDraft): Promise<{ id: string }> {
    const issues = profileIssues(draft);
    if (issues.length > 0) throw new ProfileInvalid(String(draft.name ?? 'draft'), issues);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = id ?? (await this.freeId(profileSlug(String(draft.name))));
    const file = this.fileOf(target);
    let old: string | null = null;
    if (id !== null) old = await this.readText(id);
    const edited = old === null ? null : parseDocument(old);
    let doc: Document;
    if (edited && edited.errors.length === 0 && isMap(edited.contents)) {
      update(edited, [], draft);
      doc = edited;
    } else {
      doc = new Document(draft);
    }
    await replaceFileAtomically(file, doc.toString({ lineWidth: 0 }));
    await this.writeSelection(target);
    return { id: target };
  }

  private async freeId(base: string): Promise<string> {
    const taken = new Set(await this.ids());
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }

  private async writeSelection(id: string | null): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(join(this.dir, SELECTED_FILE), `${JSON.stringify({ id })}\n`, { mode: 0o600 });
  }

  async select(id: string): Promise<ProfilesList> {
    await this.readText(id);
    await this.writeSelection(id);
    return this.list();
  }

  /** Deletes the file; when it was the selected one, the first profile left is selected. */
  async delete(id: string): Promise<ProfilesList> {
    const before = await this.list();
    await this.readText(id);
    await rm(this.fileOf(id));
    const after = await this.list();
    if (before.selectedId === id) await this.writeSelection(after.profiles[0]?.id ?? null);
    return this.list();
  }

  /** The selected profile, validated; null when there is none. */
  async selected(): Promise<{ id: string; file: string; profile: Profile } | null> {
    const { selectedId } = await this.list();
    if (selectedId === null) return null;
    return { id: selectedId, file: this.fileOf(selectedId), profile: await this.load(selectedId) };
  }
}

function toDraft(value: unknown): ProfileDraft {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as ProfileDraft) : {};
}

function yamlIssues(doc: Document): ProfileIssue[] {
  return doc.errors.map((e) => ({
    field: '(yaml)',
    message: e.message.split('\n')[0] ?? 'cannot be parsed',
  }));
}

/**
 * Writes `value` into the document at `path`, touching only what differs, so comments on the keys
 * that stay the same survive an edit made in the window.
 */
function update(doc: Document, path: string[], value: unknown): void {
  const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
  const plainObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (plainObject && isMap(node)) {
    const entries = value as Record<string, unknown>;
    for (const item of [...node.items]) {
      const key = isNode(item.key) ? String(item.key.toJSON()) : String(item.key);
      if (!(key in entries) || entries[key] === undefined) doc.deleteIn([...path, key]);
    }
    for (const [key, v] of Object.entries(entries)) {
      if (v !== undefined) update(doc, [...path, key], v);
    }
    return;
  }
  const current = isNode(node) ? node.toJS(doc) : node;
  if (JSON.stringify(current) === JSON.stringify(value)) return;
  doc.setIn(path, value);
}
