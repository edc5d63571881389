/**
 * Text a server or host handed back, made fit for a one-sentence detail. Every helper here is linear in
 * its input: a regex such as /[.\s]+$/ backtracks quadratically on a long run of dots or spaces that
 * does not end the string, and a host decides how long its output is.
 */

/** Longest piece of remote text quoted in a detail. */
const QUOTE_CHARS = 160;

/** The text, cut to `max` characters with an ellipsis when longer. */
export function clip(text: string, max = QUOTE_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The text without the trailing characters `drop` accepts. */
function trimEndWhere(text: string, drop: (c: string) => boolean): string {
  let end = text.length;
  while (end > 0 && drop(text[end - 1] as string)) end--;
  return text.slice(0, end);
}

const WHITESPACE = /\s/;

/** Without trailing dots and whitespace: a sentence part that gets its own punctuation. */
export function withoutFinalStop(text: string): string {
  return trimEndWhere(text, (c) => c === '.' || WHITESPACE.test(c));
}

/** A typed error's message and next step as the one sentence a badge shows. */
export function oneSentence(message: string, nextStep: string): string {
  const next = nextStep.replace(/^./, (c) => c.toLowerCase());
  return `${withoutFinalStop(message)}; ${next}`;
}

/** Without trailing slashes: `https://x/` and `https://x` name the same base. */
export function withoutTrailingSlashes(text: string): string {
  return trimEndWhere(text, (c) => c === '/');
}

/**
 * A value from a server document as text, without calling anything the document defined: JSON.parse
 * may hand back an object whose own `toString` is a number, which makes `String(value)` throw.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return typeof value;
}
