import { afterAll, afterEach } from 'vitest';

/**
 * No unhandled rejection and no uncaught exception, anywhere: one fails the test it happened in (or,
 * when it comes after the file's last test, the file), naming the error. Vitest notes such errors
 * beside the results; here the test that left one behind is red. Loaded for every project
 * (vitest.config.ts, setupFiles); a worker runs many files, so each file removes its handlers.
 */
const caught: unknown[] = [];
const record = (error: unknown) => {
  caught.push(error);
};
process.on('unhandledRejection', record);
process.on('uncaughtException', record);

function describeCaught(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === 'string' ? error : Object.prototype.toString.call(error);
}

function failOnCaught(): void {
  if (caught.length === 0) return;
  const errors = caught.splice(0);
  throw new AggregateError(
    errors,
    `${errors.length} unhandled rejection(s) or uncaught exception(s): ${errors.map(describeCaught).join('; ')}`,
  );
}

afterEach(failOnCaught);
afterAll(() => {
  process.off('unhandledRejection', record);
  process.off('uncaughtException', record);
  failOnCaught();
});
