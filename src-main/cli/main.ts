import { processIo, processOutputWritten } from './printer';
import { runCli } from './run-cli';

// Ctrl-C / SIGTERM end `status --watch` and cancel a running action (its finally steps still run); a
// second Ctrl-C is left to Node's default and ends the process at once. The handler stays while the
// process exits, so a Ctrl-C just after a command finished does not turn its exit code into 130.
const stop = new AbortController();
const onSignal = () => {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  stop.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), processIo(stop.signal));
// After Ctrl-C a command may have stopped waiting for a request it cannot take back (an invite being issued):
// its answer no longer matters, and waiting for it would make the Ctrl-C look ignored. Cancelled actions have
// run their finally steps and the cores are closed by now.
process.exitCode = code;
if (stop.signal.aborted) {
  await processOutputWritten();
  process.exit(code);
}
