import type { TestProject } from 'vitest/node';
import { launchChromiumServer } from './harness/chromium';
import { ensureRendererBuilt } from './harness/renderer-build';

/**
 * Once per e2e run: the renderer built (or out/renderer reused when newer than its sources) and one
 * headless Chromium that every test file connects to, each in its own browser context.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [, server] = await Promise.all([ensureRendererBuilt(), launchChromiumServer()]);
  project.provide('chromiumWsEndpoint', server.wsEndpoint());
  return async () => {
    await server.close();
  };
}
