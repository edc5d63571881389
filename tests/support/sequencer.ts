import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The slowest files first, whatever their project. Vitest's own order runs the projects one after the
 * other (e2e, integration, renderer, unit), so the slowest unit file (the hostile-profile sweep) started
 * last and the run waited for it alone at the end. Here: files that failed last time first, then by the
 * duration vitest recorded last time, longest first; files it has no record of (a fresh clone) by size.
 */
export class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const key = (spec: TestSpecification) => `${spec.project.name}:${relative(config.root, spec.moduleId)}`;
    const rank = (spec: TestSpecification) => {
      const last = cache.getFileTestResults(key(spec));
      const size = cache.getFileStats(key(spec))?.size ?? 0;
      // A millisecond of recorded duration outranks any size: a record, when there is one, decides.
      return last ? (last.failed ? 3 : 2) * 1e12 + last.duration * 1e6 : size;
    };
    const ranks = new Map(files.map((spec) => [spec, rank(spec)]));
    return [...files].sort(
      (a, b) =>
        a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder ||
        (ranks.get(b) ?? 0) - (ranks.get(a) ?? 0),
    );
  }
}
