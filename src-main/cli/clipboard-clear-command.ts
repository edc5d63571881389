import { runClearJob } from './clear-later';
import { EXIT } from './exit-codes';
import type { CliIo } from './io';
import { readAll } from './secret-input';

/** The hidden `__clipboard-clear` command the detached clearer runs (see cli/clear-later.ts). */
export async function clipboardClearCommand(io: Pick<CliIo, 'stdin'>): Promise<number> {
  try {
    const input = await readAll(io.stdin);
    return (await runClearJob(input.toString('utf8'))) ? EXIT.ok : EXIT.failed;
  } catch {
    return EXIT.failed;
  }
}
