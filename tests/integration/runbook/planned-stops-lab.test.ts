import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAINTENANCE_MODE_KEY } from '../../../src-main/core/runbook/maintenance';
import { type Harness, startHarness } from './harness';

/**
 * Planned stops tell people (issue 17.3) against the lab's Tuwunel 1.9.0: real sshd, sudo and ansible-playbook,
 * the admin API's send_server_notice as Tuwunel answers it. With notify=true a notice goes to every local user
 * before the stop and once Matrix is back; alerts are held meanwhile (maintenance mode, or the run's window).
 */

const TOKEN = (h: Harness) => ({ profile: h.profile.name, kind: 'matrix-admin-token' as const });
const bodies = (h: Harness) => h.lab.serverNotices().map((n) => String(n.content.body));
const unitsActive = async (h: Harness) => Promise.all(h.profile.units.map((u) => h.lab.state.unitActive(u)));

describe('planned stops with notify=true on Tuwunel 1.9.0', () => {
  let h: Harness;
  let seen = 0;
  beforeAll(async () => {
    h = await startHarness({ tuwunelVersion: '1.9.0', playbookSeconds: 0 });
    await h.secrets.set(TOKEN(h), h.lab.secrets.adminAccessToken);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => {
    seen = h.lab.serverNotices().length;
  });
  const sinceTest = () => bodies(h).slice(seen);

  it('stack.stop tells everyone before it stops, and holds alerts in maintenance mode', async () => {
    const rb = h.runbook();
    const record = await (await rb.start('stack.stop', { notify: true }, { confirmed: true })).done;
    expect(record.state, record.sentence ?? '').toBe('ok');
    const notice = record.steps.find((s) => s.id === 'notice-before');
    expect(notice?.summary).toMatch(/^Notice sent to \d+ (person|people)\.$/);
    // The notice went out before the first unit stopped.
    expect(record.steps.findIndex((s) => s.id === 'notice-before')).toBeLessThan(
      record.steps.findIndex((s) => s.id === 'stop-all'),
    );
    const sent = sinceTest();
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent)).toEqual(
      new Set([
        'Maintenance on lab.test: every Matrix service stops for maintenance. Matrix is unavailable until the admin starts it again; messages sent meanwhile arrive once it is back.',
      ]),
    );
    expect(h.maintenance.modeActive).toBe(true);
    expect(await unitsActive(h)).not.toContain(true);
  });

  it('stack.start says it is back only once Tuwunel answers again, and ends maintenance mode', async () => {
    const rb = h.runbook();
    const record = await (await rb.start('stack.start', { notify: true }, { confirmed: true })).done;
    expect(record.state, record.sentence ?? '').toBe('ok');
    const ids = record.steps.map((s) => s.id);
    expect(ids.indexOf('wait-server-version')).toBeLessThan(ids.indexOf('notice-back'));
    expect(new Set(sinceTest())).toEqual(
      new Set(['lab.test is back: every service runs again. Thank you for your patience.']),
    );
    expect(h.maintenance.modeActive).toBe(false);
    expect(await unitsActive(h)).not.toContain(false);
  });

  it('config.apply: a notice before the playbook, alerts held by the run, "back" after it', async () => {
    const rb = h.runbook();
    const plan = await rb.plan('config.apply', { notify: true });
    expect(plan.steps.map((s) => s.id)).toEqual([
      'preflight',
      'notice-before',
      'playbook-install-all',
      'notice-back',
    ]);
    // The run's maintenance window (every unit) while the playbook restarts them.
    const runWindow = () => h.maintenance.list().find((w) => w.key !== MAINTENANCE_MODE_KEY);
    let heldDuringApply: unknown = null;
    rb.events.on('step-started', ({ step }) => {
      if (step.id === 'playbook-install-all') heldDuringApply = runWindow()?.units;
    });
    const handle = await rb.start('config.apply', { notify: true }, { confirmed: true });
    const record = await handle.done;
    expect(record.state, record.sentence ?? '').toBe('ok');
    expect(heldDuringApply).toBe('all');
    expect(sinceTest()).toEqual(
      expect.arrayContaining([
        'Maintenance on lab.test: a configuration change is being applied and the services it touches restart. Matrix is unavailable for a minute or two; messages sent meanwhile arrive once it is back.',
        'lab.test is back: the new configuration is applied. Thank you for your patience.',
      ]),
    );
    expect(runWindow()).toBeUndefined();
  });

  it('without notify nothing is sent; without the admin sign-in the run says no notice went out', async () => {
    const quiet = await (await h.runbook().start('config.apply', {}, { confirmed: true })).done;
    expect(quiet.state).toBe('ok');
    expect(quiet.steps.map((s) => s.id)).not.toContain('notice-before');
    expect(sinceTest()).toEqual([]);

    await h.secrets.delete(TOKEN(h));
    try {
      const record = await (await h.runbook().start('config.apply', { notify: true }, { confirmed: true }))
        .done;
      expect(record.state).toBe('ok');
      expect(record.steps.find((s) => s.id === 'notice-before')?.summary).toBe(
        'No Matrix admin access token is stored, so no notice was sent (admin login stores one).',
      );
      expect(sinceTest()).toEqual([]);
    } finally {
      await h.secrets.set(TOKEN(h), h.lab.secrets.adminAccessToken);
    }
  });
});
