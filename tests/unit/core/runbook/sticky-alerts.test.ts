import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ownerOfRun } from '../../../../src-main/core/runbook/run-record';
import { type StickyAlert, StickyAlerts } from '../../../../src-main/core/runbook/sticky-alerts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alerts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const alert = (id: string, message = 'm'): StickyAlert => ({
  id,
  title: `${id} is broken`,
  message,
  fixActionId: 'stack.start',
  profile: 'lab.test',
  runId: 'run-1',
  raisedAt: '2024-01-01T00:00:00.000Z',
  raisedBy: ownerOfRun('run-1', 'user.make-admin'),
});

describe('sticky alerts in the data folder', () => {
  it('survive a restart and reach every process of the profile at its next reload', async () => {
    const file = join(dir, 'alerts.json');
    const cli = new StickyAlerts(file);
    const tray = new StickyAlerts(file);
    const told: string[][] = [];
    tray.subscribe((all) => told.push(all.map((a) => a.id)));
    cli.raise(alert('tuwunel-stopped'));
    expect(tray.list()).toEqual([]);
    expect(tray.reload()).toBe(true);
    expect(tray.get('tuwunel-stopped')).toEqual(alert('tuwunel-stopped'));
    expect(new StickyAlerts(file).list()).toEqual([alert('tuwunel-stopped')]);
    // Raising the same alert again changes nothing and tells nobody.
    cli.raise(alert('tuwunel-stopped'));
    expect(tray.reload()).toBe(false);
    expect(told).toEqual([['tuwunel-stopped']]);
    // Two processes changing it at once keep each other's change.
    tray.raise(alert('b'));
    cli.raise(alert('c'));
    expect(new StickyAlerts(file).list().map((a) => a.id)).toEqual(['tuwunel-stopped', 'b', 'c']);
    expect(tray.clear('tuwunel-stopped')).toBe(true);
    cli.reload();
    expect(cli.list().map((a) => a.id)).toEqual(['b', 'c']);
    expect(JSON.parse(await readFile(file, 'utf8'))).toHaveLength(2);
  });

  it('skip what they cannot read instead of failing', async () => {
    const file = join(dir, 'alerts.json');
    await writeFile(file, JSON.stringify([{ id: 'x' }, alert('ok')]));
    expect(new StickyAlerts(file).list().map((a) => a.id)).toEqual(['ok']);
  });
});
