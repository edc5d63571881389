/**
 * The one function that turns a value into a word for a remote POSIX shell. Every string that
 * reaches a remote command line goes through here: single quotes make everything literal, and a
 * single quote itself is closed, escaped and reopened. NUL cannot be passed through a shell at all.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('A NUL character cannot be passed to a remote shell.');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A command line from words, each quoted. */
export function shellCommand(...words: string[]): string {
  return words.map(shellQuote).join(' ');
}
