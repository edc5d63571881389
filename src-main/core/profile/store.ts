import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Document, isMap, isNode, parseDocument } from 'yaml';
import { AppError, InvalidInput, ProfileInvalid } from '../errors';
import { replaceFileAtomically } from '../lib/atomic-file';
import { anchorLocalPaths, expandHome, fileUid, type ProfileWithUid, parseProfile } from './load';
import { DEFAULT_UNITS, profileSchema, profileUidSchema } from './schema';

export type { ProfileWithUid } from './load';

/** No profile is saved or selected yet: the app opens onboarding, the command line says how to go on. */
export class NoProfile extends AppError {
  readonly code = 'NoProfile';
  readonly nextStep =
    'Create one in the app (first-run setup), or pass a profile file with --profile FILE (`npm run lab` prints one for the lab).';
  override readonly fix = { do: 'add-profile' } as const;
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

/** Names that read the same to a person (case, width, spacing) are the same name. */
export function sameName(a: string, b: string): boolean {
  const norm = (s: string) => s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  return norm(a) === norm(b);
}

export function profileIssues(draft: unknown): ProfileIssue[] {
  const result = profileSchema.safeParse(draft);
  if (result.success) return [];
  return result.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message }));
}

/**
 * The profiles in the data folder, one YAML file each (`<dataDir>/profiles/<id>.yaml`), and which one
 * is selected. Saving an edited profile keeps the comments and layout of what it did not change.
 *
 * Identity: every profile has a uid (its keychain entries are stored under it, see secrets/profile-secrets.ts),
 * given here when the profile is created and never taken from the draft, so a profile made from an imported
 * or pasted file starts with no secrets whatever its name, uid or hosts. Names are unique (compared as a
 * person reads them): the tray, the window and the command line tell profiles apart by name.
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

  /**
   * The validated profile (ProfileInvalid naming the fields of a bad file). A file written before there
   * were uids gets the one derived from its path (load.ts fileUid), written into it so that it stays when
   * the data folder moves. A uid that another file of the store carries too (a file copied by hand) is
   * refused: nothing tells which of the two the keychain entries belong to.
   */
  async load(id: string): Promise<ProfileWithUid> {
    const file = this.fileOf(id);
    const text = await this.readText(id);
    const profile = anchorLocalPaths(parseProfile(text, file), dirname(file));
    if (profile.uid) {
      const twin = await this.otherFileWithUid(id, profile.uid);
      if (twin !== null)
        throw new ProfileInvalid(file, [
          {
            field: 'uid',
            message: `is also the uid of ${twin}, so the two would share their keychain entries; delete the uid line of the file that was copied (it gets a uid of its own)`,
          },
        ]);
      return { ...profile, uid: profile.uid };
    }
    const uid = await fileUid(file);
    await this.writeUid(id, text, uid).catch(() => {
      // Read-only or changed meanwhile: the same uid is derived from the path next time.
    });
    return { ...profile, uid };
  }

  private async writeUid(id: string, loaded: string, uid: string): Promise<void> {
    const doc = parseDocument(loaded);
    if (doc.errors.length > 0 || !isMap(doc.contents)) return;
    doc.contents.items.unshift(doc.createPair('uid', uid));
    // Another process may have saved an edit since: that one wins, and derives the same uid.
    if ((await this.readText(id)) !== loaded) return;
    await replaceFileAtomically(this.fileOf(id), doc.toString({ lineWidth: 0 }));
  }

  private async otherFileWithUid(id: string, uid: string): Promise<string | null> {
    for (const other of await this.ids()) {
      if (other === id) continue;
      const theirs = await this.readText(other).then(uidIn, () => undefined);
      if (theirs === uid) return this.fileOf(other);
    }
    return null;
  }

  /** The id of the store's profile at `path`, or null when the file is not one of the store's. */
  async idOfFile(path: string): Promise<string | null> {
    let where: string;
    let dir: string;
    try {
      [where, dir] = await Promise.all([realpath(expandHome(path)), realpath(this.dir)]);
    } catch {
      return null;
    }
    if (dirname(where) !== dir || !where.endsWith(PROFILE_EXT)) return null;
    const id = basename(where).slice(0, -PROFILE_EXT.length);
    return ID_PATTERN.test(id) ? id : null;
  }

  /** The uids of the profiles named exactly `name` (what an earlier version keyed their secrets by). */
  async uidsNamed(name: string): Promise<string[]> {
    const uids: string[] = [];
    for (const id of await this.ids()) {
      let draft: ProfileDraft;
      try {
        draft = toDraft(parseDocument(await this.readText(id)).toJS());
      } catch {
        continue;
      }
      if (draft.name !== name) continue;
      const own = profileUidSchema.safeParse(draft.uid);
      uids.push(own.success ? own.data : await fileUid(this.fileOf(id)));
    }
    return uids;
  }

  validate(draft: unknown): ProfileIssue[] {
    return profileIssues(draft);
  }

  /**
   * Validates and writes a profile: a new one when id is null, else an edit of that file. The uid is the
   * store's: a new profile gets a fresh one, an edit keeps the file's; whatever the draft says is ignored.
   * A name another profile already has is refused. A new profile is selected only when it is the first
   * one (onboarding goes on to test its hosts); otherwise the profile in use stays in use until the user
   * picks the new one, so a profile that was just imported never starts being watched by itself.
   */
  async save(id: string | null, draft: ProfileDraft): Promise<{ id: string }> {
    const issues = profileIssues(draft);
    if (issues.length > 0) throw new ProfileInvalid(String(draft.name ?? 'draft'), issues);
    const ids = await this.ids();
    const old = id === null ? null : await this.readText(id);
    await this.refuseTakenName(String(draft.name), id, ids);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = id ?? (await this.freeId(profileSlug(String(draft.name))));
    const edited = old === null ? null : parseDocument(old);
    const { uid: _ignored, ...rest } = draft;
    const uid = old === null ? randomUUID() : uidIn(old);
    const content: ProfileDraft = uid === undefined ? rest : { uid, ...rest };
    let doc: Document;
    if (edited && edited.errors.length === 0 && isMap(edited.contents)) {
      update(edited, [], content);
      doc = edited;
    } else {
      doc = new Document(content);
    }
    await replaceFileAtomically(this.fileOf(target), doc.toString({ lineWidth: 0 }));
    if (id === null && ids.length === 0) await this.writeSelection(target);
    return { id: target };
  }

  private async refuseTakenName(name: string, id: string | null, ids: string[]): Promise<void> {
    for (const other of ids) {
      if (other === id) continue;
      const taken = (await this.summary(other)).name;
      if (!sameName(taken, name)) continue;
      throw new ProfileInvalid(name, [
        {
          field: 'name',
          message: `is already the name of another profile ("${taken}", ${this.fileOf(other)}); give this one a name of its own, so that the tray, the window and the command line never mix the two up`,
        },
      ]);
    }
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
  async selected(): Promise<{ id: string; file: string; profile: ProfileWithUid } | null> {
    const { selectedId } = await this.list();
    if (selectedId === null) return null;
    return { id: selectedId, file: this.fileOf(selectedId), profile: await this.load(selectedId) };
  }
}

/** The uid a profile file holds, also when the rest of it does not parse (an edit in the window repairs it). */
function uidIn(text: string): string | undefined {
  const doc = parseDocument(text);
  const written =
    doc.errors.length === 0 && isMap(doc.contents)
      ? doc.get('uid')
      : /^uid:[ \t]*["']?([A-Za-z0-9-]+)["']?[ \t]*(?:#.*)?$/m.exec(text)?.[1];
  const parsed = profileUidSchema.safeParse(written);
  return parsed.success ? parsed.data : undefined;
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
