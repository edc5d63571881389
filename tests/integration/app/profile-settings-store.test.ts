import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InvalidInput, ProfileInvalid } from '../../../src-main/core/errors';
import { EXAMPLE_PROFILE_YAML } from '../../../src-main/core/profile/example';
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
  it('starts empty, saves a new profile under a slug of its name and selects it', async () => {
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
    expect((await store.save(null, example())).id).toBe('rampancy.cloud-2');
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
    expect((await store.list()).selectedId).toBe(b.id);
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
