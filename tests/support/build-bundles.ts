import { spawnSync } from 'node:child_process';

/**
 * Tests start processes from bundles: the command line as users run it (bin/homeserver-tray.mjs runs
 * out/cli/main.mjs) and the test children (tests/support/test-child.ts). Each is built here, before any file
 * starts, when it is missing or a file it was built from changed, so a file run alone never meets a stale
 * bundle and no test pays for the build. `npm test` builds them just before the suites; here they are fresh.
 */
const BUILDS = [
  ['the command line', 'scripts/build-cli.mjs'],
  ['the test children', 'scripts/build-test-children.mjs'],
] as const;

export default function setup(): void {
  for (const [what, script] of BUILDS) {
    const r = spawnSync(process.execPath, [script, '--if-stale'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0)
      throw new Error(`building ${what} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  }
}
