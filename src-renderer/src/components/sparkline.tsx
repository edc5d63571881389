import type { Sparkline as SparklineData } from '../../../src-main/ipc/contract';
import { responseTime, sparkGeometry } from '../lib/history-model';

const WIDTH = 160;
const HEIGHT = 20;

/** Response times as one small line, breaks where nothing was measured; the numbers beside it say the same. */
export function Sparkline({ data, label }: { data: SparklineData; label: string }) {
  const g = sparkGeometry(data.points, WIDTH, HEIGHT);
  const words =
    g.lastMs === null
      ? `${label}: nothing measured`
      : `${label}: last ${responseTime(g.lastMs)}, between ${responseTime(g.minMs)} and ${responseTime(g.maxMs)}`;
  return (
    <svg className="sparkline" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={words}>
      <title>{words}</title>
      {g.path && <path className="spark-line" d={g.path} />}
      {g.dots.map((d) => (
        <circle key={`${d.x}`} className="spark-dot" cx={d.x} cy={d.y} r={1.5} />
      ))}
      {g.last && <circle className="spark-last" cx={g.last.x} cy={g.last.y} r={2.5} />}
    </svg>
  );
}
