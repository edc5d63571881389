import { runSoak, type SoakReport } from '../support/soak';
import type { Measure } from './run';

/**
 * soak: the core polls the lab for a simulated day (accelerated clock, one poll a simulated minute) through
 * the fault cycle of tests/support/soak.ts (sshd restarts, a paused sshd, 502s, a flapping unit, maintenance, a
 * sleep and wake), as `npm test` does for two cycles. Ours: the workstation CPU per poll and the memory it
 * ends with and gains per simulated hour; the baseline: the same figures over the first cycle only (a leak
 * shows as the day's slope above the first cycle's level). Goals: the alerts are the outages' and nothing else,
 * no descriptor, connection or timer growth, RSS growing less than 1 MB per simulated hour.
 */

const HOURS = 24;
const RSS_SLOPE_GOAL = 1;

function alertsAsExpected(r: SoakReport): boolean {
  const downsOutside = r.alerts.filter(
    (a) => a.kind === 'down' && a.window !== 'outage' && a.window !== 'freeze',
  );
  const perOutage = (check: string) =>
    r.alerts
      .filter((a) => a.check === check)
      .map((a) => a.kind)
      .join(',') === Array.from({ length: r.cycles }, () => 'down,recovered').join(',');
  return downsOutside.length === 0 && perOutage('unit:matrix-tuwunel') && perOutage('ssh:homeserver');
}

export default async function soak(): Promise<Measure[]> {
  const r = await runSoak({
    hours: HOURS,
    onCycle: (s) =>
      process.stderr.write(
        `soak: ${s.simHours.toFixed(1)} simulated h, rss ${s.rssMb.toFixed(1)} MB, heap ${s.heapMb.toFixed(1)} MB, ${s.fds} fds, ${s.sshConnections} ssh connections, ${s.nodeTimers} timers\n`,
      ),
  });
  const first = r.samples[0];
  const last = r.samples.at(-1);
  const steady =
    first !== undefined &&
    last !== undefined &&
    r.samples.every((s) => s.remoteProcesses === 0 && s.clockTimers === 1) &&
    last.fds - first.fds <= 8 &&
    last.nodeTimers - first.nodeTimers <= 4 &&
    last.sshConnections <= first.sshConnections + 2;
  return [
    {
      name: 'soak',
      sim_hours: Number(r.simHours.toFixed(1)),
      cycles: r.cycles,
      polls: r.polls,
      real_s: Number((r.realMs / 1000).toFixed(1)),
      cpu_ms_per_poll: Number(r.cpuMsPerPoll.toFixed(2)),
      rss_mb_end: Number(r.rssMbEnd.toFixed(1)),
      rss_slope_mb_per_h: Number(r.rssSlopeMbPerH.toFixed(3)),
      heap_slope_mb_per_h: Number(r.heapSlopeMbPerH.toFixed(3)),
      baseline_rss_mb_after_first_cycle: Number((first?.rssMb ?? 0).toFixed(1)),
      baseline_heap_mb_after_first_cycle: Number((first?.heapMb ?? 0).toFixed(1)),
      heap_mb_end: Number((last?.heapMb ?? 0).toFixed(1)),
      alerts: r.alerts.length,
      alerts_as_expected: alertsAsExpected(r),
      no_growth: steady,
      orphans: r.orphans.length,
      goal_rss_slope_mb_per_h: RSS_SLOPE_GOAL,
      meets_goal:
        alertsAsExpected(r) && steady && r.orphans.length === 0 && r.rssSlopeMbPerH < RSS_SLOPE_GOAL,
    },
  ];
}
