import { cleanup, screen, within } from '@testing-library/react';
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
 * a host card said "Warning" for a host the core (and the tray) called "Unknown". One order now, the
 * vocabulary's; these tests compare the window's verdict with the core's.
 */
describe('levels in the window', () => {
  it('ranks every pair of levels as the core does', () => {
    for (const a of LEVELS) {
      for (const b of LEVELS) expect(worstLevel([a, b]), `${a} + ${b}`).toBe(coreWorstLevel([a, b]));
    }
    expect(worstLevel(['warn', 'unknown'])).toBe('unknown');
  });

  it('shows a host card with a warning and an unknown check as Unknown, as the core rates the host', async () => {
    const checks = fx.greenStatus.checks.map((c) =>
      c.id === 'unit:matrix-tuwunel' ? { ...c, level: 'unknown' as const, alert: 'up' as const } : c,
    );
    h = harness({ 'status.get': () => ({ ...fx.greenStatus, overall: 'unknown', checks }) });
    await h.store.getState().boot();
    renderWith(h, <Dashboard />);
    const homeserver = screen.getByRole('article', { name: 'Homeserver' });
    const badge = within(homeserver).getByRole('banner').querySelector('[data-level]');
    expect(badge?.getAttribute('data-level')).toBe(
      coreWorstLevel(checks.filter((c) => c.host === 'homeserver').map((c) => c.level)),
    );
    expect(badge?.textContent).toContain('Unknown');
  });
});
