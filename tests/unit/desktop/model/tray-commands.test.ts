import { describe, expect, it } from 'vitest';
import { HostBusy, SecretMissing } from '../../../../src-main/core/errors';
import type { ConfirmDialog } from '../../../../src-main/desktop/model/confirm-dialog';
import type { DesktopNotification } from '../../../../src-main/desktop/model/notifications';
import { runTrayCommand, type TrayCommandDeps } from '../../../../src-main/desktop/model/tray-commands';
import type { NavigateTarget, Plan } from '../../../../src-main/ipc/contract';
import { aPlan, at, utcClock } from './fixtures';

/** What the use cases answer; a thrown typed error is a refusal. */
interface Answers {
  plan?: Plan | Error;
  start?: Error;
  copy?: { clearsAt: string | null } | Error;
}

/** The app's use cases stand-in: answers from a table and records every call. */
function harness(answers: Answers, accept = true) {
  const calls: string[] = [];
  const dialogs: ConfirmDialog[] = [];
  const notes: DesktopNotification[] = [];
  const navigated: (NavigateTarget & { on?: string })[] = [];
  let quit = 0;
  const answer = <T>(a: T | Error | undefined, what: string): T => {
    if (a === undefined) throw new Error(`unexpected call ${what}`);
    if (a instanceof Error) throw a;
    return a;
  };
  const deps: TrayCommandDeps = {
    prepare: async (actionId, profileId) => {
      calls.push(profileId === null ? `prepare ${actionId}` : `prepare ${actionId} on ${profileId}`);
      const plan = answer(answers.plan, 'prepare');
      return {
        plan,
        start: async (confirmed) => {
          calls.push(`start ${plan.actionId} confirmed=${confirmed}`);
          if (answers.start) throw answers.start;
          return { runId: 'run-1' };
        },
      };
    },
    copyToken: async (profileId) => {
      calls.push(profileId === null ? 'copy-token' : `copy-token on ${profileId}`);
      return answer(answers.copy, 'copyToken');
    },
    confirm: async (d) => {
      dialogs.push(d);
      return accept;
    },
    navigate: (t, profileId) => navigated.push(profileId === null ? t : { ...t, on: profileId }),
    notify: (n) => notes.push(n),
    quit: () => {
      quit += 1;
    },
    formatTime: utcClock,
  };
  return { deps, calls, dialogs, notes, navigated, quits: () => quit };
}

const busy = new HostBusy('homeserver', 'Restart all services');

describe('tray commands', () => {
  it('an outage action: planned once, native confirm with its effect, then that plan started confirmed', async () => {
    const h = harness({ plan: aPlan() });
    const outcome = await runTrayCommand(
      { kind: 'run', actionId: 'stack.stop', title: 'Stop the stack (maintenance)' },
      h.deps,
    );
    expect(outcome).toBe('started');
    expect(h.dialogs[0]?.message).toBe('Stop the stack (maintenance)?');
    expect(h.calls).toEqual(['prepare stack.stop', 'start stack.stop confirmed=true']);
  });

  it('cancelling the dialog runs nothing', async () => {
    const h = harness({ plan: aPlan() }, false);
    expect(await runTrayCommand({ kind: 'run', actionId: 'stack.stop', title: 'Stop' }, h.deps)).toBe(
      'cancelled',
    );
    expect(h.calls).toEqual(['prepare stack.stop']);
  });

  it('a safe action runs without a dialog', async () => {
    const h = harness({ plan: aPlan({ actionId: 'stack.start', danger: 'safe', downtime: null }) });
    expect(await runTrayCommand({ kind: 'run', actionId: 'stack.start', title: 'Start' }, h.deps)).toBe(
      'started',
    );
    expect(h.dialogs).toEqual([]);
    expect(h.calls).toEqual(['prepare stack.start', 'start stack.start confirmed=false']);
  });

  it('a refusal (host busy) becomes a notification with the next step, opening the action', async () => {
    const h = harness({ plan: aPlan(), start: busy });
    expect(await runTrayCommand({ kind: 'run', actionId: 'stack.stop', title: 'Stop' }, h.deps)).toBe(
      'refused',
    );
    expect(h.notes).toEqual([
      {
        kind: 'feedback',
        title: 'Stop: not done',
        body: `${busy.message} ${busy.nextStep}`,
        urgency: 'normal',
        target: { panel: 'actions', actionId: 'stack.stop' },
      },
    ]);
  });

  it('a plan that fails is reported and nothing runs', async () => {
    const h = harness({ plan: busy });
    expect(await runTrayCommand({ kind: 'run', actionId: 'stack.stop', title: 'Stop' }, h.deps)).toBe(
      'refused',
    );
    expect(h.calls).toEqual(['prepare stack.stop']);
    expect(h.dialogs).toEqual([]);
    expect(h.notes[0]?.body).toBe(`${busy.message} ${busy.nextStep}`);
  });

  it('copy token: copied in the main process, the answer says when it clears', async () => {
    const h = harness({ copy: { clearsAt: at(30_000) } });
    expect(await runTrayCommand({ kind: 'copy-token' }, h.deps)).toBe('copied');
    expect(h.notes[0]?.body).toBe('The clipboard is cleared at 14:03 if it still holds the token.');
  });

  it('copy token refused (no vault password): says why', async () => {
    const missing = new SecretMissing('vault-password');
    const h = harness({ copy: missing });
    expect(await runTrayCommand({ kind: 'copy-token' }, h.deps)).toBe('refused');
    expect(h.notes[0]).toMatchObject({
      body: `${missing.message} ${missing.nextStep}`,
      target: { panel: 'tokens' },
    });
  });

  it('navigate and quit', async () => {
    const h = harness({});
    await runTrayCommand({ kind: 'navigate', target: { panel: 'logs', unit: 'matrix-tuwunel' } }, h.deps);
    await runTrayCommand({ kind: 'quit' }, h.deps);
    expect(h.navigated).toEqual([{ panel: 'logs', unit: 'matrix-tuwunel' }]);
    expect(h.quits()).toBe(1);
    expect(h.calls).toEqual([]);
  });

  it("a section's item acts on its server, and a refusal opens the window on that server", async () => {
    const h = harness({ plan: busy, copy: { clearsAt: null } });
    expect(
      await runTrayCommand(
        { kind: 'run', actionId: 'stack.restart', title: 'Restart all services', profileId: 'family' },
        h.deps,
      ),
    ).toBe('refused');
    expect(h.notes[0]).toMatchObject({ target: { panel: 'actions' }, profileId: 'family' });
    await runTrayCommand({ kind: 'copy-token', profileId: 'club' }, h.deps);
    await runTrayCommand({ kind: 'navigate', target: { panel: 'dashboard' }, profileId: 'club' }, h.deps);
    expect(h.calls).toEqual(['prepare stack.restart on family', 'copy-token on club']);
    expect(h.navigated).toEqual([{ panel: 'dashboard', on: 'club' }]);
  });
});
