import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  connectMaintenance,
  MAINTENANCE_MODE_KEY,
  MaintenanceStore,
} from '../../../../src-main/core/runbook/maintenance';
import { ownerOfRun } from '../../../../src-main/core/runbook/run-record';
import type { Maintenance } from '../../../../src-main/core/status/aggregate';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maintenance-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('MaintenanceStore', () => {
  it('keeps maintenance mode and run windows in the file every process of the profile reads', async () => {
    const file = join(dir, 'maintenance.json');
    const tray = new MaintenanceStore(file);
    const cli = new MaintenanceStore(file);
    const seen: string[][] = [];
    tray.subscribe((all) => seen.push(all.map((w) => w.key)));
    const owner = ownerOfRun('run-1', 'stack.stop');
    cli
      .forRun(owner)
      .enter({ key: MAINTENANCE_MODE_KEY, units: 'all', reason: 'Maintenance stop', persistent: true });
    cli.enter({ key: 'run:2', units: ['matrix-tuwunel'], reason: 'CLI mode', persistent: false });
    // The tray sees the CLI's windows at its next reload (every poll), and only then.
    expect(tray.modeActive).toBe(false);
    expect(tray.reload()).toBe(true);
    expect(tray.modeActive).toBe(true);
    expect(tray.get(MAINTENANCE_MODE_KEY)?.setBy).toEqual(owner);
    expect(seen).toEqual([[MAINTENANCE_MODE_KEY, 'run:2']]);
    expect(tray.reload()).toBe(false);
    expect(seen).toHaveLength(1);

    // The run ended as it should: the mode stays without its name, its own window goes.
    cli.update('run:2', { setBy: ownerOfRun('run-2', 'user.make-admin') });
    cli.settle('run-1');
    cli.settle('run-2');
    tray.reload();
    expect(tray.list()).toEqual([
      expect.objectContaining({ key: MAINTENANCE_MODE_KEY, units: 'all', persistent: true, setBy: null }),
    ]);
    tray.leave(MAINTENANCE_MODE_KEY);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual([]);
    expect(new MaintenanceStore(file).modeActive).toBe(false);
  });

  it('reads the file an earlier version wrote (no run, no reminder)', async () => {
    const file = join(dir, 'maintenance.json');
    await writeFile(
      file,
      JSON.stringify([
        {
          key: MAINTENANCE_MODE_KEY,
          units: 'all',
          reason: 'Maintenance stop',
          since: '2024-01-01T00:00:00.000Z',
        },
      ]),
    );
    expect(new MaintenanceStore(file).get(MAINTENANCE_MODE_KEY)).toEqual({
      key: MAINTENANCE_MODE_KEY,
      units: 'all',
      reason: 'Maintenance stop',
      since: '2024-01-01T00:00:00.000Z',
      persistent: true,
    });
  });

  it('gives the reminder once, whichever process claims it first', () => {
    const file = join(dir, 'maintenance.json');
    const a = new MaintenanceStore(file);
    const b = new MaintenanceStore(file);
    a.enter({ key: MAINTENANCE_MODE_KEY, units: 'all', reason: 'r', persistent: true });
    expect(b.claimReminder(MAINTENANCE_MODE_KEY, '2024-01-01T01:00:00.000Z')).toBe(true);
    expect(a.claimReminder(MAINTENANCE_MODE_KEY, '2024-01-01T01:00:01.000Z')).toBe(false);
    expect(a.get(MAINTENANCE_MODE_KEY)?.remindedAt).toBe('2024-01-01T01:00:00.000Z');
  });

  it('ignores a damaged file instead of failing to start', async () => {
    const file = join(dir, 'maintenance.json');
    await writeFile(file, '{not json');
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
