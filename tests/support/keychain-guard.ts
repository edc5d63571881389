import { createRequire } from 'node:module';
import { relative } from 'node:path';
import type { RunnerTestSuite } from 'vitest';
import { afterAll, expect, inject } from 'vitest';

/**
 * Keeps the split of the integration files (tests/support/keychain-files.ts) true, for the integration
 * projects in vitest.config.ts. A file in the shared project (`integration`, one worker runs file after file
 * with the modules loaded once) fails when it loads keytar: libsecret would keep its keyring's D-Bus session
 * for every later file in that worker. A file in its own process (`integration-keychain`) fails when it ran
 * every test and never loaded keytar: it pays for a process it does not need. In the shared project each file
 * also starts from the worker's environment: what it sets in process.env is undone after it.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** True in the project whose files each get a process of their own (the keychain files). */
    keychainProcess: boolean;
  }
}

const LIST = 'tests/support/keychain-files.ts';
const moduleCache = createRequire(import.meta.url).cache;
const keytarLoaded = () => Object.keys(moduleCache).some((path) => path.includes('/node_modules/keytar/'));

const ownProcess = inject('keychainProcess');
const loadedBefore = keytarLoaded();
const environment = { ...process.env };

function restoreEnvironment(): void {
  for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
  Object.assign(process.env, environment);
}

/** Every test of the file ran and passed: only then does "never loaded keytar" say something. */
function ranWhole(suite: Readonly<RunnerTestSuite>): boolean {
  return suite.tasks.every((task) =>
    task.type === 'suite' ? ranWhole(task) : task.mode === 'run' && task.result?.state === 'pass',
  );
}

// biome-ignore lint/correctness/noEmptyPattern: vitest reads the hook's first parameter as fixtures, which must be destructured.
afterAll(({}, suite) => {
  const file = relative(process.cwd(), expect.getState().testPath ?? '');
  const loaded = keytarLoaded();
  if (ownProcess) {
    if (!loaded && ranWhole(suite as RunnerTestSuite))
      throw new Error(
        `${file} never loaded keytar in the test process: take it off ${LIST} so it shares a worker.`,
      );
    return;
  }
  restoreEnvironment();
  if (loaded && !loadedBefore)
    throw new Error(
      `${file} loaded keytar in the test process, which would keep this file's keyring for every later file ` +
        `in the worker: add it to ${LIST} so it runs in a process of its own.`,
    );
});
