import fc from 'fast-check';

/**
 * The pieces the property tests build hostile strings from, for the profile, the runbook parameters
 * and the command line alike. Several tests sample with fixed seeds: the order of these lists is part
 * of what they generate, so append rather than reorder.
 */

/** What a shell, a Matrix ID, a path or a YAML parser reads as more than a letter. */
export const SHELL_BITS: readonly string[] = [
  "'",
  '"',
  '`',
  '$(',
  ')',
  '$IFS',
  ';',
  '&',
  '|',
  '\n',
  '\r',
  '\t',
  ' ',
  '\\',
  '*',
  '?',
  '[',
  ']',
  '{',
  '}',
  '<',
  '>',
  '#',
  '~',
  '!',
  '%',
  '\0',
  '\u00e9',
  '\u202e',
  '\u2028',
  '\ufeff',
  '--',
  '-',
  '@',
  ':',
  '/',
  '=',
  '+',
  ',',
  '.',
  '_',
];

/**
 * The runbook parameter tests' alphabet, as they have always sampled it: SHELL_BITS without the five
 * the profile test added for YAML and word splitting.
 */
export const PARAMETER_BITS: readonly string[] = SHELL_BITS.filter(
  (b) => !['$IFS', '\0', '\u2028', '\ufeff', ','].includes(b),
);

/** What quotes, chains, substitutes or comments out a command on a line the runbook sends. */
export const COMMAND_BITS: readonly string[] = [
  "'",
  '"',
  '`',
  '$(id)',
  ';',
  '&&',
  '|',
  '\n',
  ' ',
  '\\',
  '*',
  '#',
];

/** One piece of a hostile string: one of `bits`, or a short plain word to sit between them. */
export function fragmentOf(bits: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom(...bits), fc.stringMatching(/^[a-z0-9]{1,6}$/));
}

/** One to `maxPieces` pieces run together. */
export function soupOf(piece: fc.Arbitrary<string>, maxPieces: number): fc.Arbitrary<string> {
  return fc.array(piece, { minLength: 1, maxLength: maxPieces }).map((a) => a.join(''));
}
