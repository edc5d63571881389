import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files, most of them waiting out real time (grace periods, polls, timeouts), longest first: a
 * fresh clone's order by size ran the small ones last, and CI waited 150 s for sleep/wake alone at the end
 * (423 s instead of 360 s). Ranked first when vitest has no record of them.
 */
const REAL_TIME_FILES = [
  'tests/electron/sleep-wake-lab.test.ts',
  'tests/unit/core/profile/hostile-profile.test.ts',
  'tests/integration/reliability/cross-process.test.ts',
  'tests/integration/ipc/router-two-labs.test.ts',
  'tests/integration/lab/deploy.test.ts',
  'tests/integration/reliability/fault-matrix-federation-token.test.ts',
];
for (const file of REAL_TIME_FILES)
  if (!existsSync(new URL(`../../${file}`, import.meta.url)))
    throw new Error(`tests/support/sequencer.ts names ${file}, which is not there any more.`);

/** A file recorded at least this long starts before the files of the shared workers' runs. */
const LONG_MS = 20_000;

/**
 * The slowest files first, whatever their project. Vitest's own order runs the projects one after the
 * other (e2e, integration, renderer, unit), so the slowest unit file (the hostile-profile sweep) started
 * last and the run waited for it alone at the end. Here: files that failed last time first, then by the
 * duration vitest recorded last time, longest first; files it has no record of (a fresh clone): the ones
 * known to wait out real time, then by size.
 *
 * Past the long files (failed last time, recorded over LONG_MS, or known to wait out real time), each project
 * whose files share a worker (`isolate: false`) comes as one run, after the files that get a process each.
 * Vitest keeps a shared worker only while the next file in its queue is of the same project; interleaved with
 * other projects' files, the unit and renderer workers were ended and started again about 40 times in a full
 * run, each start loading the module graph again (0.4 s of CPU for a unit file, 1.1 s for a renderer one).
 */
export class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const path = (spec: TestSpecification) => relative(config.root, spec.moduleId);
    const key = (spec: TestSpecification) => `${spec.project.name}:${path(spec)}`;
    const rank = (spec: TestSpecification) => {
      const last = cache.getFileTestResults(key(spec));
      const size = cache.getFileStats(key(spec))?.size ?? 0;
      // A millisecond of recorded duration outranks any size: a record, when there is one, decides.
      if (last) return (last.failed ? 3 : 2) * 1e12 + last.duration * 1e6;
      const known = REAL_TIME_FILES.indexOf(path(spec));
      return known >= 0 ? 1e12 - known : size;
    };
    const long = (spec: TestSpecification) => {
      const last = cache.getFileTestResults(key(spec));
      return last ? last.failed || last.duration >= LONG_MS : REAL_TIME_FILES.includes(path(spec));
    };
    const ranks = new Map(files.map((spec) => [spec, rank(spec)]));
    const slowestFirst = [...files].sort((a, b) => (ranks.get(b) ?? 0) - (ranks.get(a) ?? 0));
    const groups = [...new Set(files.map((spec) => spec.project.config.sequence.groupOrder))].sort(
      (a, b) => a - b,
    );
    return groups.flatMap((group) => {
      const inGroup = slowestFirst.filter((spec) => spec.project.config.sequence.groupOrder === group);
      const rest = inGroup.filter((spec) => !long(spec));
      const ownProcess = rest.filter((spec) => spec.project.config.isolate !== false);
      const shared = rest.filter((spec) => spec.project.config.isolate === false);
      const sharedProjects = [...new Set(shared.map((spec) => spec.project.name))];
      return [
        ...inGroup.filter(long),
        ...ownProcess,
        ...sharedProjects.flatMap((name) => shared.filter((spec) => spec.project.name === name)),
      ];
    });
  }
}
