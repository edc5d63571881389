// The command line as one ES module, out/cli/main.mjs: src-main/cli/main.ts and every source it imports,
// bundled the one way this checkout bundles (scripts/bundle.mjs). Starting it costs a fraction of what tsx
// compiling the sources at every start cost (README, "The command line").
// One build, used by all: bin/homeserver-tray.mjs (`npm run cli`, the linked `homeserver-tray`) rebuilds it
// when a file it was built from changed, `npm test` builds it first, the unit and integration suites before their files.
// `node scripts/build-cli.mjs` builds it; `--if-stale` only when a file it was built from changed.
import { fileURLToPath } from 'node:url';
import { bundleSet } from './bundle.mjs';

const ENTRY = 'src-main/cli/main.ts';
const cli = bundleSet({
  outdir: 'out/cli',
  outbase: 'src-main/cli',
  entries: () => [ENTRY],
  definedIn: 'scripts/build-cli.mjs',
});

export const CLI_BUNDLE = cli.output(ENTRY);
/** Builds out/cli/main.mjs from this checkout's sources. Throws with esbuild's messages when they do not build. */
export const buildCli = cli.build;
/** Whether out/cli/main.mjs is missing or was built from files that changed since (or are gone). */
export const cliBundleStale = cli.stale;
/** Builds the bundle when it is stale. */
export const ensureCliBuilt = cli.ensureBuilt;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  await cli.main(process.argv.slice(2));
