import { cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { worstLevel as coreWorstLevel, LEVELS } from '../../src-main/core/status/types';
import { worstLevel } from '../../src-renderer/src/lib/format';
import { Dashboard } from '../../src-renderer/src/panels/dashboard';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

let h: Harness;
afterEach(() => {
  cleanup();
  h?.disconnect();
});

/**
 * The window once kept its own severity table, with `unknown` below `warn` where the core ranks it above:
 * a dashboard group said "Warning" where the core (and the tray) said "Unknown". One order now, the
 * vocabulary's; these tests compare the window's verdict with the core's.
 */
describe('levels in the window', () => {
  it('ranks every pair of levels as the core does', () => {
    for (const a of LEVELS) {
      for (const b of LEVELS) expect(worstLevel([a, b]), `${a} + ${b}`).toBe(coreWorstLevel([a, b]));
    }
    expect(worstLevel(['warn', 'unknown'])).toBe('unknown');
  });

  it('shows a group with a warning and a check that cannot tell as Unknown, as the core rates it', async () => {
    const checks = fx.greenStatus.checks.map((c) =>
      c.id === 'image:tuwunel'
        ? { ...c, level: 'warn' as const }
        : c.id === 'disk:tuwunel-data'
          ? { ...c, level: 'unknown' as const }
          : c,
    );
    h = harness({ 'status.get': () => ({ ...fx.greenStatus, overall: 'unknown', checks }) });
    await h.store.getState().boot();
    renderWith(h, <Dashboard />);
    const badge = screen.getByTestId('check-group-data').querySelector('summary [data-level]');
    expect(badge?.getAttribute('data-level')).toBe(coreWorstLevel(['warn', 'unknown']));
    expect(badge?.textContent).toContain('Unknown');
  });
});
