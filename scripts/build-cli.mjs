// The command line as one ES module, out/cli/main.mjs: src-main/cli/main.ts and every source it imports,
// bundled by esbuild. npm packages stay imports, resolved from the checkout's node_modules when it runs, so
// keytar and the SQLite binding load their native parts as they do anywhere else. Starting it costs a
// fraction of what tsx compiling the sources at every start cost (README, "The command line").
// One build, used by all: bin/homeserver-tray.mjs (`npm run cli`, the linked `homeserver-tray`) rebuilds it
// when a file it was built from changed, `npm test` builds it first, the integration suite before its files.
// `node scripts/build-cli.mjs` builds it; `--if-stale` only when a file it was built from changed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI_BUNDLE = join(ROOT, 'out', 'cli', 'main.mjs');
/** What the bundle was built from: each file's hash, written after the bundle. */
const INPUTS = join(ROOT, 'out', 'cli', 'inputs.json');
/** Besides the sources esbuild read: how it was told to build them. */
const SETTINGS = ['scripts/build-cli.mjs', 'tsconfig.json', 'tsconfig.base.json'];

const digest = (file) =>
  createHash('sha256')
    .update(readFileSync(join(ROOT, file)))
    .digest('hex');

/** Writes a file whole or not at all: a CLI starting meanwhile reads the old one or the new one. */
function replace(file, contents) {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

/** Builds out/cli/main.mjs from this checkout's sources. Throws with esbuild's messages when they do not build. */
export async function buildCli() {
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ['src-main/cli/main.ts'],
    outfile: CLI_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  mkdirSync(dirname(CLI_BUNDLE), { recursive: true });
  for (const output of result.outputFiles) replace(output.path, output.contents);
  const files = [...Object.keys(result.metafile.inputs), ...SETTINGS].sort();
  replace(INPUTS, `${JSON.stringify(Object.fromEntries(files.map((f) => [f, digest(f)])), null, 1)}\n`);
}

/** Whether out/cli/main.mjs is missing or was built from files that changed since (or are gone). */
export function cliBundleStale() {
  let built;
  try {
    built = JSON.parse(readFileSync(INPUTS, 'utf8'));
  } catch {
    return true;
  }
  if (!existsSync(CLI_BUNDLE)) return true;
  return Object.entries(built).some(([file, hash]) => {
    try {
      return digest(file) !== hash;
    } catch {
      return true;
    }
  });
}

/** Builds the bundle when it is stale. */
export async function ensureCliBuilt() {
  if (cliBundleStale()) await buildCli();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const since = performance.now();
  const ifStale = process.argv[2] === '--if-stale';
  if (!ifStale || cliBundleStale()) await buildCli();
  const ms = Math.round(performance.now() - since);
  console.log(`${relative(process.cwd(), CLI_BUNDLE)}: built from this checkout's sources (${ms} ms)`);
}
