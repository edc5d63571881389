import { describe, expect, it } from 'vitest';
import { runSoak, type SoakAlert } from '../../support/soak';

/**
 * The soak run, shortened: the core polls the lab (real sshd, bash stand-ins, HTTPS) for two fault cycles on
 * an accelerated clock (tests/support/soak.ts says what each cycle does). `npm run bench -- soak` runs a whole
 * simulated day of them.
 */

const HOURS = 2;

const about = (alerts: SoakAlert[], check: string) => alerts.filter((a) => a.check === check);

describe('soak: polling the lab while faults come and go (accelerated clock)', () => {
  it('tells each real outage once, nothing else, and leaks nothing', async () => {
    const r = await runSoak({
      hours: HOURS,
      onCycle: (s) =>
        process.stdout.write(
          `soak: ${s.simHours.toFixed(1)} simulated h, rss ${s.rssMb.toFixed(1)} MB, heap ${s.heapMb.toFixed(1)} MB, ${s.fds} fds, ${s.sshConnections} ssh connections, ${s.remoteProcesses} remote processes, ${s.nodeTimers} timers\n`,
        ),
    });
    process.stdout.write(
      `soak: ${r.cycles} cycles, ${r.polls} polls, ${r.simHours.toFixed(1)} simulated h in ${(r.realMs / 1000).toFixed(1)} s; rss slope ${r.rssSlopeMbPerH.toFixed(2)} MB/h, heap slope ${r.heapSlopeMbPerH.toFixed(2)} MB/h, ${r.cpuMsPerPoll.toFixed(1)} ms CPU per poll\n`,
    );
    const told = new Map<string, number>();
    for (const a of r.alerts) {
      const key = `${a.kind} ${a.check} (${a.window})`;
      told.set(key, (told.get(key) ?? 0) + 1);
    }
    process.stdout.write(`soak: told ${[...told].map(([k, n]) => `${k} ×${n}`).join(', ')}\n`);
    expect(r.cycles).toBeGreaterThanOrEqual(2);
    expect(r.simHours).toBeGreaterThanOrEqual(HOURS);

    // Down is told only for the real outages: Tuwunel failed for ten polls, the homeserver's sshd paused.
    const downs = r.alerts.filter((a) => a.kind === 'down');
    expect(downs.filter((a) => a.window !== 'outage' && a.window !== 'freeze')).toEqual([]);
    expect(
      r.alerts.filter((a) => ['maintenance', 'wake', 'flap', 'blip', 'restart'].includes(a.window)),
    ).toEqual([]);
    expect(r.alerts.filter((a) => a.kind === 'still-down')).toEqual([]);
    // One down and one recovered per outage, in that order, for the checks that went down with it.
    for (const [check, outages] of [
      ['unit:matrix-tuwunel', r.cycles],
      ['ssh:homeserver', r.cycles],
    ] as const) {
      const told = about(r.alerts, check).map((a) => a.kind);
      expect(told, check).toEqual(Array.from({ length: outages }, () => ['down', 'recovered']).flat());
    }
    for (const check of new Set(r.alerts.map((a) => a.check))) {
      const told = about(r.alerts, check).map((a) => a.kind);
      expect(told.length % 2, check).toBe(0);
      expect(
        told.every((k, i) => k === (i % 2 === 0 ? 'down' : 'recovered')),
        check,
      ).toBe(true);
      expect(told.length / 2, check).toBeLessThanOrEqual(r.cycles);
    }
    expect(about(r.alerts, 'unit:matrix-traefik')).toEqual([]);

    // Nothing grows from the end of the first cycle on: descriptors, connections, timers, the heap.
    const [first, ...rest] = r.samples;
    if (!first) throw new Error('no sample');
    for (const s of rest) {
      expect(s.fds - first.fds, `file descriptors at ${s.simHours.toFixed(1)} h`).toBeLessThanOrEqual(8);
      expect(s.sshConnections, 'sshd connection processes').toBeLessThanOrEqual(first.sshConnections + 2);
      expect(s.nodeTimers - first.nodeTimers, 'Node timers').toBeLessThanOrEqual(4);
      expect(s.clockTimers, 'scheduler timers').toBe(1);
      expect(s.heapMb - first.heapMb, 'heap MB').toBeLessThan(25);
    }
    for (const s of r.samples) expect(s.remoteProcesses, 'remote processes between polls').toBe(0);
    expect(r.orphans).toEqual([]);
  }, 240_000);
});
