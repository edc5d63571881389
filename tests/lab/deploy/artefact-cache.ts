import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Returns `finalDir`, building it with `build(tempDir)` first when it is absent. The build happens in a
 * sibling temp folder renamed into place, so labs starting in parallel never see a half-written artefact;
 * when two build at once, the first rename wins and the other copy is dropped.
 */
export async function cachedDir(
  finalDir: string,
  build: (tempDir: string) => Promise<void>,
): Promise<string> {
  if (await exists(finalDir)) return finalDir;
  await mkdir(dirname(finalDir), { recursive: true });
  const temp = join(dirname(finalDir), `.tmp-${randomBytes(6).toString('hex')}`);
  await mkdir(temp, { mode: 0o700 });
  try {
    await build(temp);
    await rename(temp, finalDir).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return finalDir;
}
