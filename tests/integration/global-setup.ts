import { spawnSync } from 'node:child_process';

/**
 * The integration files run the command line as users do (bin/homeserver-tray.mjs, which runs the bundle
 * out/cli/main.mjs): built here, before any file starts, when it is missing or a file it was built from
 * changed, so a file run alone never meets a stale bundle and no test pays for the build. `npm test` builds
 * it just before the suites, so there this finds it fresh.
 */
export default function setup(): void {
  const r = spawnSync(process.execPath, ['scripts/build-cli.mjs', '--if-stale'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0)
    throw new Error(`building the command line failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
}
