import { Fragment, type ReactNode } from 'react';

/** Tokens longer than this get break opportunities; shorter words wrap between words like any text. */
const LONG = 18;

/**
 * A long token (a path, URL, unit or regex) with a break opportunity after each separator, so it wraps at
 * "/", "." or "-" instead of in the middle of a word when the column is narrow.
 */
function breakable(token: string, key: string): ReactNode {
  if (token.length <= LONG) return token;
  const parts = token.split(/(?<=[/.\-_:?&=,@])/);
  return (
    <Fragment key={key}>
      {parts.map((p, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed string never reorder
        <Fragment key={i}>
          {i > 0 && <wbr />}
          {p}
        </Fragment>
      ))}
    </Fragment>
  );
}

function plain(text: string, key: string): ReactNode[] {
  return text.split(/(\s+)/).map((t, i) => (/\s/.test(t) ? t : breakable(t, `${key}-${i}`)));
}

/**
 * A sentence from the core as the user reads it: `backticked` commands as code, and long values that
 * wrap at sensible points.
 */
export function Words({ text }: { text: string }) {
  const parts = text.split(/`([^`]+)`/);
  return (
    <>
      {parts.map((p, i) =>
        i % 2 === 1 ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed string never reorder
          <code key={i}>{plain(p, `c${i}`)}</code>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed string never reorder
          <Fragment key={i}>{plain(p, `t${i}`)}</Fragment>
        ),
      )}
    </>
  );
}
