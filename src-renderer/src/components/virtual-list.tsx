import { type ReactNode, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

const OVERSCAN = 20;
/** Used until the element has been laid out (and in test DOMs that do no layout). */
const FALLBACK_VIEWPORT = 600;

/**
 * Renders only the rows in view (plus some overscan) of a list of any length, with fixed-height rows.
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
  const [viewport, setViewport] = useState({ top: 0, height: FALLBACK_VIEWPORT });

  const measure = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    setViewport((v) => {
      const height = el.clientHeight || FALLBACK_VIEWPORT;
      return v.top === el.scrollTop && v.height === height ? v : { top: el.scrollTop, height };
    });
  }, []);

  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [measure]);

  const first = Math.max(0, Math.floor(viewport.top / rowHeight) - OVERSCAN);
  const last = Math.min(count, Math.ceil((viewport.top + viewport.height) / rowHeight) + OVERSCAN);

  useLayoutEffect(() => {
    spacer.current?.style.setProperty('--vl-height', `${count * rowHeight}px`);
    windowEl.current?.style.setProperty('--vl-offset', `${first * rowHeight}px`);
    scroller.current?.style.setProperty('--vl-row', `${rowHeight}px`);
  }, [count, rowHeight, first]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!follow || !el) return;
    const bottom = Math.max(0, count * rowHeight - (el.clientHeight || FALLBACK_VIEWPORT));
    if (el.scrollTop !== bottom) el.scrollTop = bottom;
    measure();
  }, [follow, count, rowHeight, measure]);

  function onScroll(): void {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollTop + (el.clientHeight || FALLBACK_VIEWPORT) >= count * rowHeight - rowHeight;
    if (follow && !atBottom) onScrolledAway?.();
    measure();
  }

  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) rows.push(renderRow(i));

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
