import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  connectMaintenance,
  MAINTENANCE_MODE_KEY,
  MaintenanceStore,
} from '../../../../src-main/core/runbook/maintenance';
import type { Maintenance } from '../../../../src-main/core/status/aggregate';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maintenance-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('MaintenanceStore', () => {
  it('keeps maintenance mode across restarts of the app, but not run windows', async () => {
    const file = join(dir, 'maintenance.json');
    const store = new MaintenanceStore(file);
    store.enter({ key: MAINTENANCE_MODE_KEY, units: 'all', reason: 'Maintenance stop', persistent: true });
    store.enter({ key: 'run:1', units: ['matrix-tuwunel'], reason: 'CLI mode', persistent: false });
    expect(store.modeActive).toBe(true);
    const reloaded = new MaintenanceStore(file);
    expect(reloaded.list()).toEqual([
      expect.objectContaining({ key: MAINTENANCE_MODE_KEY, units: 'all', persistent: true }),
    ]);
    reloaded.leave(MAINTENANCE_MODE_KEY);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual([]);
    expect(new MaintenanceStore(file).modeActive).toBe(false);
  });

  it('ignores a damaged file instead of failing to start', async () => {
    const file = join(dir, 'maintenance.json');
    await (await import('node:fs/promises')).writeFile(file, '{not json');
    expect(new MaintenanceStore(file).list()).toEqual([]);
  });

  it('mirrors its windows into the status scheduler', () => {
    const store = new MaintenanceStore();
    const shown = new Map<string, Maintenance>();
    const calls: string[] = [];
    const off = connectMaintenance(store, {
      setMaintenance: (w) => {
        shown.set(w.key, w);
        calls.push(`set ${w.key}`);
      },
      clearMaintenance: (k) => {
        shown.delete(k);
        calls.push(`clear ${k}`);
      },
    });
    store.enter({
      key: 'run:1',
      units: ['matrix-tuwunel'],
      reason: 'Make @bob admin (CLI mode)',
      persistent: false,
    });
    expect([...shown.values()]).toEqual([
      { key: 'run:1', units: ['matrix-tuwunel'], reason: 'Make @bob admin (CLI mode)' },
    ]);
    store.leave('run:1');
    expect(shown.size).toBe(0);
    off();
    store.enter({ key: 'x', units: 'all', reason: 'r', persistent: false });
    expect(calls).toEqual(['set run:1', 'clear run:1']);
  });
});
