import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/** Every project: an unhandled rejection or uncaught exception fails the test that left it. */
const FAIL_ON_UNHANDLED = 'tests/support/fail-on-unhandled.ts';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          setupFiles: [FAIL_ON_UNHANDLED],
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          setupFiles: [FAIL_ON_UNHANDLED],
          include: ['tests/renderer/**/*.test.tsx'],
          environment: 'happy-dom',
        },
      },
      {
        test: {
          name: 'integration',
          setupFiles: [FAIL_ON_UNHANDLED],
          include: ['tests/integration/**/*.test.ts'],
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
          environment: 'node',
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['src-main/core/**', 'src-main/app/**', 'src-main/ipc/**'],
      reporter: ['text-summary', 'text'],
    },
  },
});
