import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';
import { KEYCHAIN_FILES } from './tests/support/keychain-files';
import { SlowestFirst } from './tests/support/sequencer';
import { SWEEP_MODE } from './tests/support/sweep';

/**
 * Test files run in parallel, four more workers than the machine has cores: the lab's files spend much
 * of their time waiting on sshd, ansible, git and the runbook's timers, and the sleep/wake file holds its
 * worker for over two minutes of real grace periods, so spare workers keep the cores busy (on 2 cores, a
 * warm checkout: 320 s with 4 workers, 299 s with 6). HST_WORKERS sets the number (1 runs one file at a
 * time).
 */
function workers(value: string | undefined): number {
  if (value === undefined || value === '') return availableParallelism() + 4;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`HST_WORKERS is ${JSON.stringify(value)}; give a whole number ≥ 1.`);
  return n;
}

/** Every project: an unhandled rejection or uncaught exception fails the test that left it. */
const FAIL_ON_UNHANDLED = 'tests/support/fail-on-unhandled.ts';
/** The split of the integration files between a shared worker and a process each (keychain-files.ts). */
const KEYCHAIN_GUARD = 'tests/support/keychain-guard.ts';
/** The command line and the test children, as bundles, fresh before the unit and integration files run. */
const BUILD_BUNDLES = 'tests/support/build-bundles.ts';

export default defineConfig({
  // Vitest records each file's duration here and SlowestFirst orders by it: one record per sweep mode
  // (after a fast run the full run's slowest files would look quick), kept in the checkout rather than
  // in node_modules, which several checkouts of the repo may share.
  cacheDir: `test-results/vitest-${SWEEP_MODE}`,
  test: {
    maxWorkers: workers(process.env.HST_WORKERS),
    sequence: { sequencer: SlowestFirst },
    projects: [
      {
        test: {
          name: 'unit',
          // One module graph per worker, not per file: these files keep no state between them, and loading
          // it once halves their CPU time. The electron, e2e and the integration files that load keytar stay
          // one per process (the Electron stand-in and keytar's D-Bus connection are per process).
          isolate: false,
          setupFiles: [FAIL_ON_UNHANDLED],
          // The processes some files start, bundled from these sources.
          globalSetup: [BUILD_BUNDLES],
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          // A guard against a hang, not a speed check: many unit tests start real bash, git and node, which
          // beside other test files on a busy 2-core machine take seconds, not milliseconds.
          testTimeout: 30_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          isolate: false,
          setupFiles: [FAIL_ON_UNHANDLED, 'tests/renderer/setup.ts'],
          include: ['tests/renderer/**/*.test.tsx'],
          environment: 'happy-dom',
          // A whole window rendered and clicked through: seconds, not milliseconds, on a busy machine.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          // One module graph per worker, as for the unit files: these files reach the keychain only through
          // the processes they start, and each one's changes to process.env are undone after it (KEYCHAIN_GUARD).
          isolate: false,
          setupFiles: [FAIL_ON_UNHANDLED, KEYCHAIN_GUARD],
          provide: { keychainProcess: false },
          // The command line and the other processes the files start, built from these sources.
          globalSetup: [BUILD_BUNDLES],
          include: ['tests/integration/**/*.test.ts'],
          exclude: [...KEYCHAIN_FILES],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // The integration files that load keytar themselves: one process each, as libsecret keeps the
          // first D-Bus session of a process and each lab has its keyring on a bus of its own.
          name: 'integration-keychain',
          setupFiles: [FAIL_ON_UNHANDLED, KEYCHAIN_GUARD],
          provide: { keychainProcess: true },
          globalSetup: [BUILD_BUNDLES],
          include: [...KEYCHAIN_FILES],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          setupFiles: [FAIL_ON_UNHANDLED],
          include: ['tests/e2e/**/*.test.ts'],
          // One Chromium and one renderer build for every e2e file.
          globalSetup: ['tests/e2e/global-setup.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The Electron glue against a recording stand-in of `electron` (tests/support/electron), aliased
        // here only: no build sees it. The exact match leaves electron-builder and electron-vite alone.
        resolve: {
          alias: [
            {
              find: /^electron$/,
              replacement: fileURLToPath(new URL('tests/support/electron/index.ts', import.meta.url)),
            },
          ],
        },
        test: {
          name: 'electron',
          setupFiles: [FAIL_ON_UNHANDLED],
          include: ['tests/electron/**/*.test.ts'],
          // main.ts and the built bundle are booted against the lab: out/ must be built, steps take seconds.
          globalSetup: ['tests/electron/global-setup.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: [
        'src-main/core/**',
        'src-main/app/**',
        'src-main/ipc/**',
        // The Electron side, run by the electron project against the stand-in (`npm run test:electron`
        // reports it alone, into coverage/electron, and holds each file to 85 %).
        'src-main/desktop/main.ts',
        'src-main/desktop/preload.ts',
        'src-main/desktop/electron/**',
      ],
      reporter: ['text-summary', 'text'],
    },
  },
});
