import { z } from 'zod';
import { id } from '../../app/views/common-schema';
import { outputChunk, runDetail, runState, runSummary } from '../../app/views/run-schema';
import { call, empty } from './call';

export const runsInvoke = {
  'runs.list': call(empty, z.object({ runs: z.array(runSummary) })),
  'runs.get': call(z.object({ runId: id }).strict(), runDetail),
  'runs.cancel': call(z.object({ runId: id }).strict(), z.object({ cancelling: z.boolean() })),
  /** The main process copies the run's redacted output; the text does not cross IPC again. */
  'runs.copyOutput': call(z.object({ runId: id }).strict(), z.object({ copied: z.boolean() })),
} as const;

export const runEvents = {
  /** A run started or one of its steps changed state (no output here). */
  'run.updated': runState,
  'run.output': z.object({ runId: id, chunks: z.array(outputChunk) }),
  'run.finished': runState,
} as const;
