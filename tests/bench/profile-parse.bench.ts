// profile-parse: parseProfile (the size limit, the nesting check, YAML, the zod schema) on a profile shaped like
//   the lab's, beside yaml's bare parse() of the same text in the same run: the YAML alone, which parseProfile
//   cannot go below. Goal: median ≤ 1.3 × the bare parse, i.e. the nesting check rides on the parse's own lexing
//   (a second lexing pass alone costs about a fifth of the parse) and validation stays small.
import { parse, stringify } from 'yaml';
import { parseProfile } from '../../src-main/core/profile/load';
import { testProfile } from '../unit/core/runbook/test-profile';
import type { Measure } from './run';

const ROUNDS = 9;
const PARSES = 2000;
const GOAL_RATIO = 1.3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Microseconds per call of `fn`, one round of PARSES calls. */
function perCall(fn: () => unknown): number {
  const start = performance.now();
  for (let i = 0; i < PARSES; i++) fn();
  return ((performance.now() - start) * 1000) / PARSES;
}

export default async function bench(): Promise<Measure[]> {
  const text = stringify(testProfile());
  const ours: number[] = [];
  const baseline: number[] = [];
  // Warm both paths first; then alternate rounds so the machine's load falls on both alike.
  perCall(() => parseProfile(text));
  perCall(() => parse(text));
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(perCall(() => parseProfile(text)));
    baseline.push(perCall(() => parse(text)));
  }
  const ratio = median(ours) / median(baseline);
  return [
    {
      name: 'profile-parse',
      median_us: Math.round(median(ours)),
      baseline_yaml_parse_us: Math.round(median(baseline)),
      ratio: Math.round(ratio * 100) / 100,
      goal_ratio: GOAL_RATIO,
      meets_goal: ratio <= GOAL_RATIO,
      profile_lines: text.split('\n').length - 1,
      parses: ROUNDS * PARSES,
    },
  ];
}
