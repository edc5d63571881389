import { Fragment, type ReactNode, useEffect, useLayoutEffect, useRef, useState } from 'react';

/** Rows rendered beyond each edge of the view, so a scroll step shows rows that already exist. */
const OVERSCAN = 8;
/** Used until the element has been laid out (and in test DOMs that do no layout). */
const FALLBACK_VIEWPORT = 600;

/**
 * Renders only the rows in view (plus a few) of a list of any length, with fixed-height rows.
 *
 * Built for a journal that grows by hundreds of lines a frame: while following, the view is the bottom,
 * known from `count` alone, so each frame renders once and the DOM is only written (scrollTop, CSS
 * properties), never read back in the same frame. Sizes come from a ResizeObserver and positions from
 * scroll events, which the browser delivers with layout already done. Rows are keyed by their place in
 * the view: when the window moves, the same elements get new text instead of being replaced.
 *
 * Geometry goes through CSS custom properties set with CSSOM (style.setProperty), which the window's
 * CSP (`style-src 'self'`) allows, unlike inline style attributes.
 */
export function VirtualList({
  count,
  rowHeight,
  renderRow,
  follow,
  onScrolledAway,
  label,
  className,
}: {
  count: number;
  rowHeight: number;
  /** The row at `index`; it needs no key (rows are keyed by their place in the view). */
  renderRow: (index: number) => ReactNode;
  /** Keep the newest row in view as rows are added. */
  follow: boolean;
  /** The user scrolled up while following. */
  onScrolledAway?: () => void;
  label: string;
  className?: string;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const spacer = useRef<HTMLDivElement>(null);
  const windowEl = useRef<HTMLDivElement>(null);
  const [height, setHeight] = useState(FALLBACK_VIEWPORT);
  /** Where the user scrolled to (used while not following). */
  const [scrolledTop, setScrolledTop] = useState(0);
  /** Where the scroller is, as this component last wrote it or a scroll event reported it. */
  const lastTop = useRef(0);
  /** The scrollTop this component wrote last: the scroll event it causes is not the user's. */
  const written = useRef<number | null>(null);

  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver((entries) => {
      const h = entries[0]?.contentRect.height;
      if (h) setHeight(h);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const bottom = Math.max(0, count * rowHeight - height);
  const top = follow ? bottom : Math.min(scrolledTop, bottom);
  const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const last = Math.min(count, Math.ceil((top + height) / rowHeight) + OVERSCAN);

  useLayoutEffect(() => {
    spacer.current?.style.setProperty('--vl-height', `${count * rowHeight}px`);
    windowEl.current?.style.setProperty('--vl-offset', `${first * rowHeight}px`);
    scroller.current?.style.setProperty('--vl-row', `${rowHeight}px`);
  }, [count, rowHeight, first]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!follow || !el) return;
    written.current = bottom;
    lastTop.current = bottom;
    el.scrollTop = bottom;
  }, [follow, bottom]);

  // Pausing keeps the view where it is (the bottom, unless the user's scroll is what paused it).
  const wasFollowing = useRef(follow);
  useLayoutEffect(() => {
    if (wasFollowing.current && !follow) setScrolledTop(lastTop.current);
    wasFollowing.current = follow;
  }, [follow]);

  function onScroll(): void {
    const el = scroller.current;
    if (!el) return;
    const now = el.scrollTop;
    lastTop.current = now;
    if (written.current !== null && Math.abs(now - written.current) < 1) return;
    written.current = null;
    if (follow && now < bottom - rowHeight) onScrolledAway?.();
    setScrolledTop(now);
  }

  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) rows.push(<Fragment key={i - first}>{renderRow(i)}</Fragment>);

  return (
    <div
      ref={scroller}
      className={`vl-scroller ${className ?? ''}`}
      onScroll={onScroll}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable from the keyboard
      tabIndex={0}
      role="log"
      aria-label={label}
      aria-live="off"
    >
      <div ref={spacer} className="vl-spacer">
        <div ref={windowEl} className="vl-window">
          {rows}
        </div>
      </div>
    </div>
  );
}
