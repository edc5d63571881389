import { spawnSync } from 'node:child_process';

/**
 * The unit and integration files start some of their processes from bundles (tests/support/test-child.ts):
 * built here, before any file starts, when one is missing or a file it was built from changed, so a file run
 * alone never meets a stale bundle and no test pays for the build.
 */
export default function setup(): void {
  const r = spawnSync(process.execPath, ['scripts/build-test-children.mjs', '--if-stale'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0)
    throw new Error(`building the test children failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
}
