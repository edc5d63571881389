import type { HistoryRange, UptimeBar } from '../../../src-main/ipc/contract';
import { barsSummary, barTitle } from '../lib/history-model';

const UNIT = 10;
const BAR = 7;
const HEIGHT = 24;
/** A gap is drawn as a short tick on the floor: visibly nothing, not a colour that could read as down. */
const GAP_HEIGHT = 3;

/**
 * An uptime strip (Uptime Kuma style): one bar per stretch of the range, oldest on the left, coloured by what
 * it was (the colours are the levels'; the tooltip and the summary say it in words). Stretches nobody looked
 * at — the computer slept, the app was closed — are gaps, not downtime.
 */
export function UptimeBars({
  bars,
  range,
  label,
}: {
  bars: readonly UptimeBar[];
  range: HistoryRange;
  label: string;
}) {
  const width = bars.length * UNIT;
  return (
    <svg
      className="uptime-bars"
      viewBox={`0 0 ${width} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={`${label}. ${barsSummary(bars, range)}`}
    >
      {bars.map((b, i) =>
        b.state === 'none' ? (
          <rect
            key={b.start}
            className="bar bar-none"
            data-state={b.state}
            x={i * UNIT + (UNIT - BAR) / 2}
            y={HEIGHT - GAP_HEIGHT}
            width={BAR}
            height={GAP_HEIGHT}
          >
            <title>{barTitle(b, range)}</title>
          </rect>
        ) : (
          <rect
            key={b.start}
            className={`bar bar-${b.state}`}
            data-state={b.state}
            x={i * UNIT + (UNIT - BAR) / 2}
            y={0}
            width={BAR}
            height={HEIGHT}
            rx={1.5}
          >
            <title>{barTitle(b, range)}</title>
          </rect>
        ),
      )}
    </svg>
  );
}
