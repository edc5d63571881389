import { secondsLeft } from '../lib/format';
import { useNow } from '../lib/use-now';

/** "… in 27 s", re-read every quarter second so the number never lags. */
export function Countdown({ until, prefix }: { until: string; prefix: string }) {
  const now = useNow(250);
  return (
    <span className="countdown">
      {prefix} {secondsLeft(until, now)} s
    </span>
  );
}
