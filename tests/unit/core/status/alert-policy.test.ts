import { describe, expect, it } from 'vitest';
import {
  type AlertKind,
  type AlertPhase,
  type AlertState,
  stepAlert,
} from '../../../../src-main/core/status/alert-policy';
import type { Level } from '../../../../src-main/core/status/types';

/** Shorthand: o ok, w warn, f fail, u unknown, m maintenance. */
const L: Record<string, Level> = { o: 'ok', w: 'warn', f: 'fail', u: 'unknown', m: 'maintenance' };
/** Phases: U up, P pending, D down, M maintenance. Alerts: D down, R recovered, S still-down, . none. */
const PH: Record<string, AlertPhase> = { U: 'up', P: 'pending', D: 'down', M: 'maintenance' };
const AL: Record<string, AlertKind | null> = { D: 'down', R: 'recovered', S: 'still-down', '.': null };

function run(levels: string, n: number, m: number): { phases: string; alerts: string } {
  let state: AlertState | undefined;
  let phases = '';
  let alerts = '';
  for (const c of levels) {
    const step = stepAlert(state, L[c]!, { failuresBeforeDown: n, realertEvery: m });
    state = step.state;
    phases += Object.entries(PH).find(([, p]) => p === step.state.phase)![0];
    alerts += Object.entries(AL).find(([, a]) => a === step.alert)![0];
  }
  return { phases, alerts };
}

describe('alert policy (Uptime Kuma semantics)', () => {
  // levels per poll → phase after each poll, alert raised by each poll
  const table: [string, number, number, string, string, string][] = [
    ['all green', 2, 0, 'ooo', 'UUU', '...'],
    ['one failure is only pending', 2, 0, 'ofo', 'UPU', '...'],
    ['two in a row → down, then recovery', 2, 0, 'offo', 'UPDU', '..DR'],
    ['N = 1 goes down at once', 1, 0, 'ofo', 'UDU', '.DR'],
    ['N = 3 needs three in a row', 3, 0, 'ffoffffo', 'PPUPPDDU', '.....D.R'],
    ['down alerts once, no re-alert by default', 2, 0, 'ffffff', 'PDDDDD', '.D....'],
    ['re-alert every 2 polls while down', 2, 2, 'ffffffo', 'PDDDDDU', '.D.S.SR'],
    ['re-alert every poll', 1, 1, 'fffo', 'DDDU', 'DSSR'],
    ['warn is not failing', 2, 0, 'fwfwf', 'PUPUP', '.....'],
    ['warn after down is a recovery', 2, 0, 'ffw', 'PDU', '.DR'],
    ['unknown neither counts nor resets', 2, 0, 'fuf', 'PPD', '..D'],
    ['unknown while down stays down, no recovery', 2, 0, 'ffuuo', 'PDDDU', '.D..R'],
    ['maintenance raises nothing', 2, 0, 'mmmm', 'MMMM', '....'],
    ['down → maintenance (the fix) → ok: the told outage recovers', 2, 0, 'ffmmo', 'PDMMU', '.D..R'],
    ['down → maintenance → pending → ok: recovers once', 2, 0, 'ffmfoo', 'PDMPUU', '.D..R.'],
    [
      'maintenance → fail → maintenance → ok: nothing was told, nothing recovers',
      2,
      0,
      'mfmo',
      'MPMU',
      '....',
    ],
    ['pending → maintenance → ok: nothing', 2, 0, 'fmo', 'PMU', '...'],
    ['maintenance → fail counts from zero (pending first)', 2, 0, 'mffo', 'MPDU', '..DR'],
    ['maintenance → fail with N = 1 alerts at once', 1, 0, 'mf', 'MD', '.D'],
    ['maintenance mid-failure resets the streak', 2, 0, 'fmf', 'PMP', '...'],
    ['unknown after maintenance keeps maintenance quiet', 2, 0, 'muo', 'MMU', '...'],
    ['first poll failing is pending, not an alert', 2, 0, 'f', 'P', '.'],
  ];

  it.each(table)('%s (N=%i, M=%i): %s', (_name, n, m, levels, phases, alerts) => {
    expect(run(levels, n, m)).toEqual({ phases, alerts });
  });

  it('counts failures and polls since the alert', () => {
    let s: AlertState | undefined;
    for (const l of ['fail', 'fail', 'fail'] as Level[])
      s = stepAlert(s, l, { failuresBeforeDown: 2, realertEvery: 5 }).state;
    expect(s).toEqual({ phase: 'down', failures: 3, pollsSinceAlert: 1, toldDown: true });
  });
});
