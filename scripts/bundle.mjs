// The one way this checkout bundles its TypeScript to run under plain Node: esbuild, each entry with every
// source it imports in one ES module, npm packages left as imports (resolved from the checkout's node_modules
// when it runs, so keytar and the SQLite binding load their native parts as they do anywhere else). Starting a
// bundle costs a fraction of what tsx compiling the sources at every start costs. Used by scripts/build-cli.mjs
// (the command line, out/cli) and scripts/build-test-children.mjs (the processes tests start,
// test-results/children). Each output folder keeps inputs.json, what it was built from, so that it is rebuilt
// only when one of those files changed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Besides the sources esbuild read: how it was told to build them. */
const SETTINGS = ['scripts/bundle.mjs', 'tsconfig.json', 'tsconfig.base.json'];

const digest = (file) =>
  createHash('sha256')
    .update(readFileSync(join(ROOT, file)))
    .digest('hex');

/** Writes a file whole or not at all: a process starting meanwhile reads the old one or the new one. */
function replace(file, contents) {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

/**
 * A set of bundles: each of `entries()` (paths from the checkout's root) built to the same path under `outdir`,
 * relative to `outbase`, with .mjs for .ts. `definedIn`: the script that names them (a change to it rebuilds).
 */
export function bundleSet({ outdir, outbase, entries, definedIn }) {
  const inputsFile = join(ROOT, outdir, 'inputs.json');
  /** Where the bundle of `entry` is. */
  const output = (entry) => join(ROOT, outdir, relative(outbase, entry).replace(/\.ts$/, '.mjs'));

  /** Builds every bundle of the set. Throws with esbuild's messages when the sources do not build. */
  async function build() {
    const { build } = await import('esbuild');
    const built = entries();
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: built,
      outdir,
      outbase,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20.19',
      packages: 'external',
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    for (const file of result.outputFiles) replace(file.path, file.contents);
    const files = [...Object.keys(result.metafile.inputs), ...SETTINGS, definedIn].sort();
    const record = { entries: built, files: Object.fromEntries(files.map((f) => [f, digest(f)])) };
    replace(inputsFile, `${JSON.stringify(record, null, 1)}\n`);
  }

  /** Whether a bundle is missing, an entry came or went, or a file they were built from changed (or is gone). */
  function stale() {
    let built;
    try {
      built = JSON.parse(readFileSync(inputsFile, 'utf8'));
    } catch {
      return true;
    }
    const now = entries();
    if (JSON.stringify(built.entries) !== JSON.stringify(now)) return true;
    if (!now.every((entry) => existsSync(output(entry)))) return true;
    return Object.entries(built.files).some(([file, hash]) => {
      try {
        return digest(file) !== hash;
      } catch {
        return true;
      }
    });
  }

  /** Builds the set when it is stale. */
  async function ensureBuilt() {
    if (stale()) await build();
  }

  /** `node <script> [--if-stale]`: builds the set (with --if-stale only when it is stale) and says so. */
  async function main(argv) {
    const since = performance.now();
    if (argv[0] !== '--if-stale' || stale()) await build();
    const ms = Math.round(performance.now() - since);
    console.log(
      `${relative(process.cwd(), join(ROOT, outdir))}: built from this checkout's sources (${ms} ms)`,
    );
  }

  return { output, build, stale, ensureBuilt, main };
}
