import { describeError } from '../errors';
import { clip, withoutFinalStop } from './text';
import type { Finding } from './types';

/** A check before it is judged: what a badge shows whatever the outcome. */
export type Skeleton = Omit<Finding, 'level' | 'detail' | 'sinceMs'>;

/**
 * Every check fails alone: when reading what a host or server handed back throws, the checks built
 * from it fail with a sentence saying so, and the rest of the poll stands.
 */
export function guarded(skeletons: Skeleton[], source: string, build: () => Finding[]): Finding[] {
  try {
    return build();
  } catch (e) {
    return brokenFindings(skeletons, source, e);
  }
}

export function brokenFindings(skeletons: Skeleton[], source: string, error: unknown): Finding[] {
  const why = clip(withoutFinalStop(describeError(error).message));
  return skeletons.map((s) => ({
    ...s,
    level: 'fail',
    detail: `The app could not read what ${source} returned (${why}); look at it by hand, and report it if it stays so.`,
  }));
}
