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
