import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InvalidInput, ProfileInvalid } from '../../../src-main/core/errors';
import { EXAMPLE_PROFILE_YAML } from '../../../src-main/core/profile/example';
import { fileUid } from '../../../src-main/core/profile/load';
import { ProfileStore, profileSlug } from '../../../src-main/core/profile/store';
import { DEFAULT_SETTINGS } from '../../../src-main/core/settings/schema';
import { SettingsStore } from '../../../src-main/core/settings/store';

/** The data folder's profile files and settings file, on the real filesystem. */

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'app-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const example = () => parse(EXAMPLE_PROFILE_YAML) as Record<string, unknown>;

describe('ProfileStore', () => {
  it('starts empty, saves a first profile under a slug of its name and selects it', async () => {
    const store = new ProfileStore(dir);
    expect(await store.list()).toEqual({ profiles: [], selectedId: null });
    expect(await store.selected()).toBeNull();
    const { id } = await store.save(null, example());
    expect(id).toBe('rampancy.cloud');
    const list = await store.list();
    expect(list.selectedId).toBe(id);
    expect(list.profiles).toEqual([
      {
        id,
        name: 'rampancy.cloud',
        serverName: 'rampancy.cloud',
        file: join(dir, 'profiles', 'rampancy.cloud.yaml'),
        units: expect.arrayContaining(['matrix-tuwunel']),
      },
    ]);
    expect((await store.selected())?.profile.hosts.homeserver.address).toBe('192.168.1.243');
    expect((await store.save(null, { ...example(), name: 'Rampancy (2)' })).id).toBe('rampancy-2');
  });

  it('gives every new profile a fresh uid of its own, whatever uid the draft brings', async () => {
    const store = new ProfileStore(dir);
    const a = await store.save(null, example());
    const uidA = (await store.load(a.id)).uid;
    expect(uidA).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // An imported file copied from profile A, uid included, under another name.
    const b = await store.save(null, { ...example(), name: 'Copy', uid: uidA });
    const uidB = (await store.load(b.id)).uid;
    expect(uidB).not.toBe(uidA);
    expect(await readFile(store.fileOf(b.id), 'utf8')).toContain(`uid: ${uidB}`);
    // An edit keeps the file's uid, whatever the draft says.
    const { draft } = await store.get(b.id);
    await store.save(b.id, { ...draft, uid: uidA, serverName: 'example.org' });
    expect((await store.load(b.id)).uid).toBe(uidB);
    const { uid: _dropped, ...withoutUid } = draft;
    await store.save(b.id, withoutUid);
    expect((await store.load(b.id)).uid).toBe(uidB);
    // A file broken by hand keeps its uid when the window saves it repaired.
    await writeFile(store.fileOf(b.id), `uid: ${uidB}\nname: Copy\nhosts: [\n`);
    await store.save(b.id, withoutUid);
    expect((await store.load(b.id)).uid).toBe(uidB);
  });

  it('refuses a name another profile has (as a person reads it), on create and on rename; an edit keeps its own', async () => {
    const store = new ProfileStore(dir);
    const a = await store.save(null, example());
    const b = await store.save(null, { ...example(), name: 'Other' });
    for (const name of ['rampancy.cloud', 'Rampancy.Cloud', ' rampancy.cloud ', 'ｒａｍｐａｎｃｙ.cloud']) {
      const error = await store.save(null, { ...example(), name }).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(ProfileInvalid);
      expect((error as ProfileInvalid).issues).toEqual([
        {
          field: 'name',
          message: `is already the name of another profile ("rampancy.cloud", ${store.fileOf(a.id)}); give this one a name of its own, so that the tray, the window and the command line never mix the two up`,
        },
      ]);
      await expect(store.save(b.id, { ...example(), name })).rejects.toThrow(ProfileInvalid);
    }
    expect((await store.list()).profiles.map((p) => p.name)).toEqual(['Other', 'rampancy.cloud']);
    await store.save(a.id, { ...example(), publicUrl: 'https://matrix.example.org' });
    expect((await store.load(a.id)).publicUrl).toBe('https://matrix.example.org');
  });

  it('selects a new profile only when it is the first; an edit or a later one leaves the selection alone', async () => {
    const store = new ProfileStore(dir);
    const a = await store.save(null, example());
    const b = await store.save(null, { ...example(), name: 'Imported' });
    expect((await store.list()).selectedId).toBe(a.id);
    await store.save(b.id, { ...example(), name: 'Imported', serverName: 'example.org' });
    expect((await store.list()).selectedId).toBe(a.id);
    await store.select(b.id);
    await store.save(a.id, example());
    expect((await store.list()).selectedId).toBe(b.id);
  });

  it('refuses a uid that two files of the store carry (one copied by hand), naming the other file', async () => {
    const store = new ProfileStore(dir);
    const a = await store.save(null, example());
    const copy = (await readFile(store.fileOf(a.id), 'utf8')).replace('name: rampancy.cloud', 'name: Copy');
    await writeFile(join(dir, 'profiles', 'copy.yaml'), copy);
    for (const [id, twin] of [
      [a.id, 'copy'],
      ['copy', a.id],
    ] as const) {
      const error = await store.load(id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProfileInvalid);
      expect((error as ProfileInvalid).issues).toEqual([
        {
          field: 'uid',
          message: `is also the uid of ${store.fileOf(twin)}, so the two would share their keychain entries; delete the uid line of the file that was copied (it gets a uid of its own)`,
        },
      ]);
    }
    await writeFile(join(dir, 'profiles', 'copy.yaml'), copy.replace(/^uid: .*\n/m, ''));
    expect((await store.load('copy')).uid).toBe(await fileUid(store.fileOf('copy')));
    expect((await store.load(a.id)).uid).not.toBe((await store.load('copy')).uid);
  });

  it('knows its own files by path, whatever way the path is written', async () => {
    const store = new ProfileStore(dir);
    const a = await store.save(null, example());
    expect(await store.idOfFile(store.fileOf(a.id))).toBe(a.id);
    expect(await store.idOfFile(join(dir, 'profiles', '..', 'profiles', `${a.id}.yaml`))).toBe(a.id);
    await writeFile(join(dir, 'elsewhere.yaml'), await readFile(store.fileOf(a.id)));
    expect(await store.idOfFile(join(dir, 'elsewhere.yaml'))).toBeNull();
    expect(await store.idOfFile(join(dir, 'missing.yaml'))).toBeNull();
  });

  it('gives a file from before uids the uid derived from its path, written into it with its comments kept', async () => {
    await mkdir(join(dir, 'profiles'));
    const file = join(dir, 'profiles', 'home.yaml');
    await writeFile(file, EXAMPLE_PROFILE_YAML);
    const store = new ProfileStore(dir);
    const { uid } = await store.load('home');
    expect(uid).toBe(await fileUid(file));
    expect(uid).toMatch(/^f-[0-9a-f]{32}$/);
    const text = await readFile(file, 'utf8');
    expect(text.startsWith(`uid: ${uid}\n`)).toBe(true);
    expect(text).toContain('serverName: rampancy.cloud # users are @localpart:serverName');
    expect((await store.load('home')).uid).toBe(uid);
    expect(await store.uidsNamed('rampancy.cloud')).toEqual([uid]);
    expect(await store.uidsNamed('Rampancy.cloud')).toEqual([]);
  });

  it('keeps the comments of what an edit did not change, and drops removed keys', async () => {
    const store = new ProfileStore(dir);
    await mkdir(join(dir, 'profiles'));
    await writeFile(join(dir, 'profiles', 'home.yaml'), EXAMPLE_PROFILE_YAML);
    const { draft } = await store.get('home');
    const hosts = draft.hosts as { homeserver: { address: string } };
    hosts.homeserver.address = '10.0.0.5';
    delete draft.vault;
    await store.save('home', draft);
    const text = await readFile(join(dir, 'profiles', 'home.yaml'), 'utf8');
    expect(text).toContain('# Homeserver Tray profile: one file per homeserver.');
    expect(text).toContain('serverName: rampancy.cloud # users are @localpart:serverName');
    expect(text).toContain('# the playbook checkout');
    expect(text).toContain('# the VM: docker + systemd units');
    expect(text).toContain('10.0.0.5');
    expect(text).not.toContain('vault:');
    expect((await store.load('home')).hosts.homeserver.address).toBe('10.0.0.5');
  });

  it('refuses an invalid draft with every field named, writing nothing', async () => {
    const store = new ProfileStore(dir);
    const bad = { ...example(), serverName: 'bad name', publicUrl: 'http://x' };
    const error = await store.save(null, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProfileInvalid);
    expect((error as ProfileInvalid).issues.map((i) => i.field).sort()).toEqual(['publicUrl', 'serverName']);
    expect(store.validate(bad)).toHaveLength(2);
    expect(store.validate(example())).toEqual([]);
    expect((await store.list()).profiles).toEqual([]);
  });

  it('selects, deletes (moving the selection) and refuses unknown or path-like ids', async () => {
    const store = new ProfileStore(dir);
    const a = await store.save(null, { ...example(), name: 'Alpha' });
    const b = await store.save(null, { ...example(), name: 'Beta' });
    expect((await store.list()).selectedId).toBe(a.id);
    expect((await store.select(b.id)).selectedId).toBe('beta');
    expect((await store.select(a.id)).selectedId).toBe('alpha');
    expect((await store.delete(a.id)).selectedId).toBe('beta');
    expect((await store.delete(b.id)).selectedId).toBeNull();
    await expect(store.select('gamma')).rejects.toThrow(InvalidInput);
    await expect(store.get('../settings')).rejects.toThrow(/is not a profile id/);
  });

  it('lists a broken file so it can be fixed, and names its problem when loaded', async () => {
    await mkdir(join(dir, 'profiles'));
    await writeFile(join(dir, 'profiles', 'broken.yaml'), 'name: Broken\nhosts: [\n');
    const store = new ProfileStore(dir);
    expect((await store.list()).profiles).toMatchObject([{ id: 'broken', name: 'Broken', serverName: '' }]);
    await expect(store.load('broken')).rejects.toThrow(ProfileInvalid);
    await expect(store.selected()).rejects.toThrow(/broken\.yaml is not valid/);
  });

  it('makes file names from any profile name', () => {
    expect(profileSlug('Matrix @ Home / main')).toBe('matrix-home-main');
    expect(profileSlug('..')).toBe('profile');
    expect(profileSlug('Ünïcödé.org')).toBe('unicode.org');
  });
});

describe('SettingsStore', () => {
  it('has defaults, persists changes and tells subscribers', async () => {
    const store = new SettingsStore(dir);
    expect(store.get()).toEqual(DEFAULT_SETTINGS);
    const seen: unknown[] = [];
    store.subscribe((s) => seen.push(s));
    const next = await store.set({ clipboardClearSeconds: null, pollIntervalSeconds: 60 });
    expect(next).toEqual({ ...DEFAULT_SETTINGS, clipboardClearSeconds: null, pollIntervalSeconds: 60 });
    expect(seen).toEqual([next]);
    expect(new SettingsStore(dir).get()).toEqual(next);
    expect(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'))).toEqual(next);
  });

  it.each([
    [{ clipboardClearSeconds: 5 }, 'clipboardClearSeconds'],
    [{ clipboardClearSeconds: 301 }, 'clipboardClearSeconds'],
    [{ pollIntervalSeconds: 2 }, 'pollIntervalSeconds'],
    [{ notifications: 'yes' }, 'notifications'],
    [{ theme: 'dark' }, 'settings'],
  ])('refuses %j naming %s, changing nothing', async (patch, field) => {
    const store = new SettingsStore(dir);
    const error = await store.set(patch as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as InvalidInput).field).toBe(field);
    expect(store.get()).toEqual(DEFAULT_SETTINGS);
  });

  it('keeps the valid fields of a hand-broken file', async () => {
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({ pollIntervalSeconds: 1, notifications: false }),
    );
    expect(new SettingsStore(dir).get()).toEqual({ ...DEFAULT_SETTINGS, notifications: false });
    await writeFile(join(dir, 'settings.json'), '{not json');
    expect(new SettingsStore(dir).get()).toEqual(DEFAULT_SETTINGS);
  });
});
