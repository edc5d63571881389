import type { AlertPhase } from '../vocab';
import type { Level } from './types';

/**
 * Uptime Kuma's monitor states: a failing check is `pending` until it has failed `failuresBeforeDown`
 * polls in a row, then `down`. Only `fail` counts as failing: `unknown` means the poll could not
 * tell (the host's own SSH check is what fails then), so it neither advances nor resets the count.
 */
export type { AlertPhase };

export interface AlertState {
  phase: AlertPhase;
  /** Consecutive failing polls. */
  failures: number;
  /** Polls since the last down / still-down alert, while down. */
  pollsSinceAlert: number;
  /** A down alert went out and no recovered yet: kept through maintenance, so the fix's window still ends it. */
  toldDown: boolean;
}

export type AlertKind = 'down' | 'recovered' | 'still-down';

export interface AlertPolicyConfig {
  failuresBeforeDown: number;
  /** Alert again every this many polls while down; 0 = never. */
  realertEvery: number;
}

export const INITIAL_ALERT_STATE: AlertState = {
  phase: 'up',
  failures: 0,
  pollsSinceAlert: 0,
  toldDown: false,
};

/**
 * One poll of one check. Transitions that alert, as in Kuma's isImportantForNotification:
 * up/pending → down, maintenance → (pending →) down, down → up. Maintenance → up is silent unless a
 * down alert went out before the maintenance: a failure the maintenance itself caused is never
 * "recovered", but an outage the user was told of and then fixed with an action that opens a window
 * (a restart) ends with its recovered, whenever the polls fall.
 */
export function stepAlert(
  prev: AlertState | undefined,
  level: Level,
  config: AlertPolicyConfig,
): { state: AlertState; alert: AlertKind | null } {
  const state = prev ?? INITIAL_ALERT_STATE;
  const threshold = Math.max(1, config.failuresBeforeDown);
  switch (level) {
    case 'maintenance':
      return {
        state: { phase: 'maintenance', failures: 0, pollsSinceAlert: 0, toldDown: state.toldDown },
        alert: null,
      };
    case 'unknown':
      return { state, alert: null };
    case 'ok':
    case 'warn':
      return {
        state: { phase: 'up', failures: 0, pollsSinceAlert: 0, toldDown: false },
        alert: state.toldDown ? 'recovered' : null,
      };
    case 'fail': {
      const failures = state.failures + 1;
      if (state.phase === 'down') {
        const polls = state.pollsSinceAlert + 1;
        if (config.realertEvery > 0 && polls >= config.realertEvery) {
          return { state: { ...state, failures, pollsSinceAlert: 0 }, alert: 'still-down' };
        }
        return { state: { ...state, failures, pollsSinceAlert: polls }, alert: null };
      }
      if (failures >= threshold)
        return { state: { phase: 'down', failures, pollsSinceAlert: 0, toldDown: true }, alert: 'down' };
      return { state: { ...state, phase: 'pending', failures, pollsSinceAlert: 0 }, alert: null };
    }
  }
}
