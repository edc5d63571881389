import { InvalidInput } from '../core/errors';
import { covers } from '../core/status/mutes';
import type { MuteDuration } from '../core/vocab';
import type { Core } from './session';
import type { MuteTarget, MuteView } from './views/status-schema';
import { muteView } from './views/status-view';

/**
 * Mutes a check, a unit or the whole server: the use case behind the notification's buttons, the tray, the
 * dashboard and the command line. The mute goes to the data folder, so every process of the profile keeps
 * the same alerts quiet. "Until it recovers" needs something covered that is failing now: muting what is
 * up until it recovers would end at the next poll and silence nothing.
 */
export function setMute(core: Core, target: MuteTarget, duration: MuteDuration): MuteView {
  const { results, alerts } = core.scheduler.snapshot();
  if (target.kind === 'unit' && !core.profile.units.includes(target.unit))
    throw new InvalidInput(
      'target.unit',
      `"${target.unit}" is not one of this profile's units (${core.profile.units.join(', ')})`,
    );
  if (target.kind === 'check' && !results.some((r) => r.id === target.checkId))
    throw new InvalidInput('target.checkId', `"${target.checkId}" is not a check of this server`);
  if (duration === 'recovered') {
    const failing = results.filter(
      (r) => covers({ target }, r) && (r.level === 'fail' || alerts[r.id] === 'down'),
    );
    if (failing.length === 0)
      throw new InvalidInput(
        'duration',
        'nothing it covers is failing now, so "until it recovers" would end at once; mute for 1 h or 8 h instead',
      );
  }
  const mute = core.mutes.mute(target, duration);
  return muteView(mute, results);
}

/** Ends a mute now (every process sees it at its next poll); false when it was not there (ended already). */
export function clearMute(core: Core, key: string): { cleared: boolean } {
  return { cleared: core.mutes.release([key]) };
}
