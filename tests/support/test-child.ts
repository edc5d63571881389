import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The bundle of a child script (a tests/unit or tests/integration file named *-child.ts, given by its URL:
 * `new URL('./x-child.ts', import.meta.url)`), to start as `node <bundle> …`: built into
 * test-results/children/ at the script's path, .mjs for .ts, by scripts/build-test-children.mjs, which the
 * unit and integration suites' global setup runs when the bundles are stale.
 */
export function testChild(script: URL): string {
  const source = relative(ROOT, fileURLToPath(script));
  const bundle = join(ROOT, 'test-results', 'children', source.replace(/\.ts$/, '.mjs'));
  if (!existsSync(bundle))
    throw new Error(
      `${source} has no bundle at ${relative(ROOT, bundle)}: run the test through vitest (its global setup ` +
        'builds them) or run `node scripts/build-test-children.mjs`.',
    );
  return bundle;
}
