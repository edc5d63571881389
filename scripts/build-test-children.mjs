// The processes the unit and integration files start (to kill with SIGKILL mid-run, to race each other, to
// meet a fresh D-Bus connection): every tests/unit/**/*-child.ts and tests/integration/**/*-child.ts, bundled
// the way the command line is (scripts/bundle.mjs) into test-results/children/ at the same path, .mjs for
// .ts. A test starts one as `node <bundle>` (tests/support/test-child.ts): a third of the CPU tsx took to
// compile the sources at every start. Built by the unit and integration suites' global setup
// (tests/support/build-bundles.ts) when a file they were built from changed, or a child came or went.
// `node scripts/build-test-children.mjs` builds them; `--if-stale` only when they are stale.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSet, ROOT } from './bundle.mjs';

const FOLDERS = ['tests/unit', 'tests/integration'];

/** Every child script of the unit and integration files, sorted. */
function childScripts() {
  return FOLDERS.flatMap((folder) =>
    readdirSync(join(ROOT, folder), { recursive: true })
      .filter((file) => file.endsWith('-child.ts'))
      .map((file) => join(folder, file)),
  ).sort();
}

export const testChildren = bundleSet({
  outdir: 'test-results/children',
  outbase: '.',
  entries: childScripts,
  definedIn: 'scripts/build-test-children.mjs',
});

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  await testChildren.main(process.argv.slice(2));
