import { describe, expect, it } from 'vitest';
import type { ConfirmDialog } from '../../../../src-main/desktop/model/confirm-dialog';
import type { DesktopNotification } from '../../../../src-main/desktop/model/notifications';
import { runTrayCommand, type TrayCommandDeps } from '../../../../src-main/desktop/model/tray-commands';
import type { InvokeChannel, NavigateTarget, Result } from '../../../../src-main/ipc/contract';
import { aPlan, at, utcClock } from './fixtures';

/** A router stand-in that answers from a table and records every call. */
function harness(answers: Partial<Record<InvokeChannel, Result<unknown>>>, accept = true) {
  const calls: { channel: InvokeChannel; request: unknown }[] = [];
  const dialogs: ConfirmDialog[] = [];
  const notes: DesktopNotification[] = [];
  const navigated: NavigateTarget[] = [];
  let quit = 0;
  const deps: TrayCommandDeps = {
    app: {
      handle: async (channel, request) => {
        calls.push({ channel, request });
        const answer = answers[channel];
        if (!answer) throw new Error(`unexpected call ${channel}`);
        return answer;
      },
    },
    confirm: async (d) => {
      dialogs.push(d);
      return accept;
    },
    navigate: (t) => navigated.push(t),
    notify: (n) => notes.push(n),
    quit: () => {
      quit += 1;
    },
    formatTime: utcClock,
  };
  return { deps, calls, dialogs, notes, navigated, quits: () => quit };
}

const busy = {
  ok: false as const,
  error: {
    code: 'HostBusy',
    message: 'The homeserver host is busy with "Restart all services".',
    nextStep: 'Wait for it to finish (or cancel it), then try again.',
  },
};

describe('tray commands', () => {
  it('an outage action: plan, native confirm with its effect, then run confirmed', async () => {
    const h = harness({
      'actions.plan': { ok: true, value: aPlan() },
      'actions.run': { ok: true, value: { runId: 'run-1' } },
    });
    const outcome = await runTrayCommand(
      { kind: 'run', actionId: 'stack.stop', title: 'Stop the stack (maintenance)' },
      h.deps,
    );
    expect(outcome).toBe('started');
    expect(h.dialogs[0]?.message).toBe('Stop the stack (maintenance)?');
    expect(h.calls).toEqual([
      { channel: 'actions.plan', request: { actionId: 'stack.stop', params: {} } },
      { channel: 'actions.run', request: { actionId: 'stack.stop', params: {}, confirmed: true } },
    ]);
  });

  it('cancelling the dialog runs nothing', async () => {
    const h = harness({ 'actions.plan': { ok: true, value: aPlan() } }, false);
    expect(await runTrayCommand({ kind: 'run', actionId: 'stack.stop', title: 'Stop' }, h.deps)).toBe(
      'cancelled',
    );
    expect(h.calls.map((c) => c.channel)).toEqual(['actions.plan']);
  });

  it('a safe action runs without a dialog', async () => {
    const h = harness({
      'actions.plan': { ok: true, value: aPlan({ actionId: 'stack.start', danger: 'safe', downtime: null }) },
      'actions.run': { ok: true, value: { runId: 'run-2' } },
    });
    expect(await runTrayCommand({ kind: 'run', actionId: 'stack.start', title: 'Start' }, h.deps)).toBe(
      'started',
    );
    expect(h.dialogs).toEqual([]);
    expect(h.calls[1]?.request).toEqual({ actionId: 'stack.start', params: {}, confirmed: false });
  });

  it('a refusal (host busy) becomes a notification with the next step, opening the action', async () => {
    const h = harness({ 'actions.plan': { ok: true, value: aPlan() }, 'actions.run': busy });
    expect(await runTrayCommand({ kind: 'run', actionId: 'stack.stop', title: 'Stop' }, h.deps)).toBe(
      'refused',
    );
    expect(h.notes).toEqual([
      {
        kind: 'feedback',
        title: 'Stop: not done',
        body: `${busy.error.message} ${busy.error.nextStep}`,
        urgency: 'normal',
        target: { panel: 'actions', actionId: 'stack.stop' },
      },
    ]);
  });

  it('a plan that fails is reported and nothing runs', async () => {
    const h = harness({ 'actions.plan': busy });
    expect(await runTrayCommand({ kind: 'run', actionId: 'stack.stop', title: 'Stop' }, h.deps)).toBe(
      'refused',
    );
    expect(h.calls.map((c) => c.channel)).toEqual(['actions.plan']);
    expect(h.dialogs).toEqual([]);
  });

  it('copy token: copied in the main process, the answer says when it clears', async () => {
    const h = harness({ 'token.copy': { ok: true, value: { clearsAt: at(30_000) } } });
    expect(await runTrayCommand({ kind: 'copy-token' }, h.deps)).toBe('copied');
    expect(h.notes[0]?.body).toBe('The clipboard is cleared at 14:03 if it still holds the token.');
  });

  it('copy token refused (no vault password): says why', async () => {
    const h = harness({
      'token.copy': {
        ok: false,
        error: { code: 'SecretMissing', message: 'The vault-password is not stored.', nextStep: 'Set it.' },
      },
    });
    expect(await runTrayCommand({ kind: 'copy-token' }, h.deps)).toBe('refused');
    expect(h.notes[0]).toMatchObject({
      body: 'The vault-password is not stored. Set it.',
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
});
